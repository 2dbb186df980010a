"""The baseline of serve_bench.py: a bare FastAPI endpoint under uvicorn, as it would be written
without validation, authentication, cache or metrics. It parses the JSON body and returns a fixed
answer (the forecast service's own, so both send the same bytes).

    python benchmarks/bare_fastapi.py PORT ANSWER_JSON_FILE
"""

import json
import sys
from pathlib import Path

import uvicorn
from fastapi import FastAPI


def create_app(answer: dict) -> FastAPI:
    app = FastAPI()

    @app.post("/forecast")
    async def forecast(body: list[dict]) -> dict:
        return answer

    return app


if __name__ == "__main__":
    port, answer_file = int(sys.argv[1]), Path(sys.argv[2])
    app = create_app(json.loads(answer_file.read_text()))
    uvicorn.run(app, host="127.0.0.1", port=port, access_log=False, log_level="warning")
