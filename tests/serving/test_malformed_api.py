"""Malformed requests to the forecast service, one by one and as a bounded load mixed with real
ones: each gets a 4xx with a message saying what is wrong, a body is never read before its key is
checked nor past its size cap, and the liveness probe keeps answering throughout.

`model-factory serve` runs under uvicorn on 127.0.0.1 (a subprocess, as in production) with one
small version (3 stores, Prophet) trained through the real pipeline under a model name of this
module's own and put in production.
"""

import asyncio
import datetime as dt
import os
import random
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import yaml
from zenml.client import Client

from model_factory.config import RunConfig
from model_factory.forecasting.config import ForecastTrainingConfig
from model_factory.integrations.zenml_runs import run_with_config, step_output
from pipelines import forecasting_training
from support import PROJECT_ROOT, TINY_FORECAST

pytestmark = pytest.mark.slow

KEY = f"key-{uuid.uuid4().hex}"
AUTH = {"X-API-Key": KEY}
JSON = {"Content-Type": "application/json"}
MAX_BODY = 64 * 1024  # the service's cap here (MODEL_FACTORY_SERVE_MAX_BODY_BYTES)
HUGE = 32 * 1024 * 1024  # bytes of the huge bodies: parsed, they would take the pod's memory
KNOWN_STORES = (1, 2, 3)
# The liveness probe's timeout: a /healthz slower than this restarts the pod.
LIVENESS_TIMEOUT = yaml.safe_load((PROJECT_ROOT / "infra/k8s/base/deployment.yaml").read_text())[
    "spec"
]["template"]["spec"]["containers"][0]["livenessProbe"]["timeoutSeconds"]


@dataclass
class Service:
    url: str
    process: subprocess.Popen

    def post(self, content: bytes, headers: dict | None = None, **kwargs) -> httpx.Response:
        headers = JSON | AUTH if headers is None else headers
        return httpx.post(
            f"{self.url}/forecast", content=content, headers=headers, timeout=60, **kwargs
        )

    def peak_memory(self) -> int:
        """The service's peak resident memory so far (bytes)."""
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        line = next(line for line in status.splitlines() if line.startswith("VmHWM:"))
        return int(line.split()[1]) * 1024


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    model = f"store_sales_forecaster_malformed_{uuid.uuid4().hex[:8]}"
    settings = TINY_FORECAST | {
        "candidates": ["prophet_additive"],
        "n_jobs": 1,
        "synthetic": {"n_stores": len(KNOWN_STORES), "n_days": 420},
    }
    config = ForecastTrainingConfig.model_validate(settings)
    run_config = RunConfig[ForecastTrainingConfig].model_validate(
        {"enable_cache": False, "model": {"name": model}, "parameters": {"config": config}}
    )
    run = run_with_config(forecasting_training.TRAINING, run_config, config)
    version = str(step_output(run, forecasting_training.METRICS_STEP, "metrics")["model_version"])
    # Test set-up: promotion has tests of its own.
    Client().get_model_version(model, version).set_stage("production", force=True)

    port = _free_port()
    log = tmp_path_factory.mktemp("serve") / "serve.log"
    env = os.environ | {
        "MODEL_FACTORY_API_KEY": KEY,
        "MODEL_FACTORY_SERVE_MODEL_NAME": model,
        "MODEL_FACTORY_SERVE_MAX_BODY_BYTES": str(MAX_BODY),
    }
    command = [sys.executable, "-m", "model_factory", "serve", "--port", str(port),
               "--metrics-port", str(_free_port())]  # fmt: skip
    with log.open("w") as out:
        process = subprocess.Popen(command, cwd=PROJECT_ROOT, env=env, stdout=out, stderr=out)
    running = Service(f"http://127.0.0.1:{port}", process)
    try:
        deadline = time.monotonic() + 180
        while not _ready(running):
            assert time.monotonic() < deadline, f"not ready; log:\n{log.read_text()[-3000:]}"
            time.sleep(0.2)
        yield running
    finally:
        process.terminate()
        process.wait(timeout=30)
    assert "Traceback" not in log.read_text(), log.read_text()[-3000:]


def _ready(service: Service) -> bool:
    assert service.process.poll() is None, "the service exited"
    try:
        return httpx.get(f"{service.url}/readyz", timeout=10).status_code == 200
    except httpx.TransportError:
        return False


def _message(response: httpx.Response) -> str:
    detail = response.json()["detail"]
    return detail if isinstance(detail, str) else "; ".join(error["msg"] for error in detail)


def _stores(count: int) -> bytes:
    """A JSON list of `count` valid store requests."""
    return b"[" + b",".join([b'{"store_id": 1}'] * count) + b"]"


def _chunks(total: int, size: int = 1 << 20):
    """About `total` bytes of a JSON list of store requests, in chunks: streamed, they go without
    a Content-Length (Transfer-Encoding: chunked). The list never closes: it is refused first."""
    item = b'{"store_id": 1},'
    chunk = b"[" + item * (size // len(item))
    for _ in range(total // len(chunk)):
        yield chunk
        chunk = item * (size // len(item))


# (what is wrong, headers, body, expected status, words the message must contain)
CORPUS = [
    ("no key", JSON, b'[{"store_id": 1}]', 401, "missing or wrong X-API-Key"),
    ("wrong key", JSON | {"X-API-Key": "wrong"}, b'[{"store_id": 1}]', 401, "missing or wrong"),
    ("empty key", JSON | {"X-API-Key": ""}, b'[{"store_id": 1}]', 401, "missing or wrong"),
    ("body over the cap", JSON | AUTH, _stores(MAX_BODY // 10), 413, f"over {MAX_BODY} bytes"),
    ("NaN", JSON | AUTH, b'[{"store_id": NaN}]', 422, "NaN is not a number JSON allows"),
    ("Infinity", JSON | AUTH, b'[{"store_id": 1, "x": -Infinity}]', 422, "-Infinity is not"),
    ("1e400", JSON | AUTH, b'[{"store_id": 1e400}]', 422, "1e400 is beyond"),
    ("-1e400 in a date", JSON | AUTH, b'[{"store_id": 1, "begin_date": -1e400}]', 422,
     "-1e400 is beyond"),
    ("an integer of 5000 digits", JSON | AUTH, b'[{"store_id": ' + b"9" * 5000 + b"}]", 422,
     "an integer of 5000 digits"),
    ("unknown store", JSON | AUTH, b'[{"store_id": 1}, {"store_id": 99}]', 404,
     "unknown store(s) 99"),
    ("store 0", JSON | AUTH, b'[{"store_id": 0}]', 422, "greater than or equal to 1"),
    ("no such date", JSON | AUTH, b'[{"store_id": 1, "begin_date": "2014-02-30"}]', 422,
     "day is out of range for month"),
    ("date not ISO", JSON | AUTH, b'[{"store_id": 1, "begin_date": "25/02/2014"}]', 422,
     "expected a date as 'YYYY-MM-DD'"),
    ("begin after end", JSON | AUTH,
     b'[{"store_id": 1, "begin_date": "2030-01-05", "end_date": "2030-01-01"}]', 422,
     "begin_date must not be after end_date"),
    ("before the cutoff", JSON | AUTH, b'[{"store_id": 1, "begin_date": "2000-01-01"}]', 422,
     "must be after the training cutoff"),
    ("store id as text", JSON | AUTH, b'[{"store_id": "1"}]', 422, "valid integer"),
    ("flag as a number", JSON | AUTH,
     b'[{"store_id": 1, "overrides": [{"date": "2030-01-01", "promo": 1}]}]', 422,
     "valid boolean"),
    ("extra field", JSON | AUTH, b'[{"store_id": 1, "store": 2}]', 422,
     "Extra inputs are not permitted"),
    ("an object, not a list", JSON | AUTH, b'{"store_id": 1}', 422, "valid list"),
    ("empty list", JSON | AUTH, b"[]", 422, "at least 1 item"),
    ("empty body", JSON | AUTH, b"", 422, "Field required"),
    ("not JSON", JSON | AUTH, b'[{"store_id": 1', 422, "JSON decode error"),
    ("not UTF-8", JSON | AUTH, b'[{"store_id": "\xff"}]', 422, "can't decode byte 0xff"),
    ("nested too deep", JSON | AUTH, b"[" * 20_000 + b"]" * 20_000, 422, "nested too deeply"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("headers", "body", "status", "message"),
    [case[1:] for case in CORPUS],
    ids=[case[0] for case in CORPUS],
)
def test_a_malformed_request_is_a_4xx_saying_what_is_wrong(service, headers, body, status, message):
    response = service.post(body, headers)
    assert response.status_code == status, response.text
    assert message in _message(response), response.text


@pytest.mark.parametrize(
    ("headers", "status"), [(JSON, 401), (JSON | AUTH, 413)], ids=["no key", "with the key"]
)
@pytest.mark.parametrize("streamed", [False, True], ids=["content-length", "chunked"])
def test_a_huge_body_is_refused_without_being_read(service, headers, status, streamed):
    """A body of 32 MB, sized up front or streamed in chunks: refused before it is parsed (the
    service's peak memory grows by far less than the body), and the connection serves on."""
    before = service.peak_memory()
    with httpx.Client(timeout=60) as client:
        body = _chunks(HUGE) if streamed else _stores(HUGE // len(b'{"store_id": 1},'))
        response = client.post(f"{service.url}/forecast", content=body, headers=headers)
        assert response.status_code == status, response.text
        assert client.get(f"{service.url}/healthz").status_code == 200
    assert service.peak_memory() - before < HUGE // 4
    expected = "missing or wrong X-API-Key" if status == 401 else f"over {MAX_BODY} bytes"
    assert expected in _message(response)


def test_a_body_at_the_cap_is_read(service):
    body = _stores(1)
    body = body[:-1] + b" " * (MAX_BODY - len(body)) + b"]"
    assert len(body) == MAX_BODY
    assert service.post(body).status_code == 200


def test_docs_and_the_schema_need_no_key_but_everything_else_does(service):
    for path in ("/docs", "/openapi.json", "/healthz", "/readyz"):
        assert httpx.get(f"{service.url}{path}").status_code == 200, path
    for path in ("/models", "/metrics", "/no-such-path"):
        assert httpx.get(f"{service.url}{path}").status_code == 401, path


@dataclass
class Kind:
    """A kind of request in the load: its headers, its body and the status it must get."""

    name: str
    status: int
    weight: int
    headers: dict
    body: bytes | None  # None: a forecast of a known store, or streamed chunks over the cap


async def _streamed(total: int, size: int = 16 * 1024):
    """`total` bytes of a JSON list in chunks (an async client streams async iterators)."""
    for chunk in _chunks(total, size):
        yield chunk


LOAD = [
    Kind("forecast", 200, 40, JSON | AUTH, None),
    Kind("no key", 401, 8, JSON, b'[{"store_id": 1}]'),
    Kind("wrong key", 401, 8, JSON | {"X-API-Key": "nope"}, b'[{"store_id": 1}]'),
    Kind("over the cap, no key", 401, 3, JSON, _stores(MAX_BODY // 10)),
    Kind("over the cap", 413, 5, JSON | AUTH, _stores(MAX_BODY // 10)),
    Kind("over the cap, chunked", 413, 3, JSON | AUTH, None),
    Kind("NaN", 422, 5, JSON | AUTH, b'[{"store_id": NaN}]'),
    Kind("1e400", 422, 5, JSON | AUTH, b'[{"store_id": 1e400}]'),
    Kind("not JSON", 422, 5, JSON | AUTH, b'[{"store_id": '),
    Kind("extra field", 422, 5, JSON | AUTH, b'[{"store_id": 1, "x": 1}]'),
    Kind("empty body", 422, 5, JSON | AUTH, b""),
    Kind("unknown store", 404, 6, JSON | AUTH, b'[{"store_id": 99}]'),
]
LOAD_REQUESTS = 1_000  # at most 20,000; enough to mix every kind many times
CONNECTIONS = 8


def test_a_bounded_load_with_malformed_requests_mixed_in_gets_no_5xx_and_stays_alive(service):
    """1,000 requests on 8 connections, half of them refused (some over the size cap, some
    streamed), while a prober asks /healthz as the liveness probe does, with its timeout: every
    request gets the status of its kind (none a 5xx) and every probe is answered in time.

    Forecasts ask one of 3 stores x 5 start days: 15 cache misses (Prophet runs in the service's
    worker thread meanwhile), then hits."""
    cutoff = dt.date.fromisoformat(
        httpx.get(f"{service.url}/models", headers=AUTH).json()["training_cutoff"]
    )
    rng = random.Random(21)
    plan = rng.choices(LOAD, weights=[kind.weight for kind in LOAD], k=LOAD_REQUESTS)
    windows = [
        (rng.choice(KNOWN_STORES), cutoff + dt.timedelta(days=1 + rng.randrange(5))) for _ in plan
    ]
    probes: list[int | str] = []
    stop = threading.Event()

    def content(kind: Kind, store: int, begin: dt.date):
        if kind.name == "forecast":
            return f'[{{"store_id": {store}, "begin_date": "{begin}"}}]'.encode()
        return _streamed(4 * MAX_BODY) if kind.body is None else kind.body

    def probe() -> None:
        with httpx.Client(timeout=LIVENESS_TIMEOUT) as client:
            while not stop.wait(0.1):
                try:
                    probes.append(client.get(f"{service.url}/healthz").status_code)
                except httpx.TimeoutException as exc:
                    probes.append(f"no answer within {LIVENESS_TIMEOUT} s: {exc!r}")

    async def load() -> list[tuple[str, int, int]]:
        queue = list(zip(plan, windows, strict=True))
        answers = []

        async def connection() -> None:
            async with httpx.AsyncClient(base_url=service.url, timeout=120) as client:
                while queue:
                    kind, (store, begin) = queue.pop()
                    response = await client.post(
                        "/forecast", content=content(kind, store, begin), headers=kind.headers
                    )
                    answers.append((kind.name, kind.status, response.status_code))

        await asyncio.gather(*(connection() for _ in range(CONNECTIONS)))
        return answers

    prober = threading.Thread(target=probe)
    prober.start()
    try:
        answers = asyncio.run(load())
    finally:
        stop.set()
        prober.join()

    assert len(answers) == LOAD_REQUESTS
    assert not [a for a in answers if a[2] >= 500], "5xx answers"
    wrong = [a for a in answers if a[1] != a[2]]
    assert not wrong, f"{len(wrong)} answers with another status than their kind's: {wrong[:5]}"
    assert {a[0] for a in answers} == {kind.name for kind in LOAD}
    assert len(probes) >= 5, "the prober hardly ran"
    assert all(p == 200 for p in probes), [p for p in probes if p != 200][:5]
    assert service.process.poll() is None
