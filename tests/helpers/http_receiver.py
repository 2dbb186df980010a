"""A webhook receiver on 127.0.0.1 for the alert tests (tests/unit/test_alerts.py and the KFP
monitor tests): a real HTTP server in a thread, recording what is POSTed to it."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Receiver:
    """A webhook receiver: records each POSTed JSON body and answers `status` (or, with
    `hang`, nothing until the test ends)."""

    def __init__(self, status: int = 200, hang: bool = False) -> None:
        self.status, self.hang = status, hang
        self.bodies: list[dict] = []
        self.released = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers["Content-Length"])
                receiver.bodies.append(json.loads(self.rfile.read(length)))
                if receiver.hang:
                    receiver.released.wait(30)
                    return
                self.send_response(receiver.status)
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        # shutdown() waits for the loop's next poll: 0.5 s per receiver by default.
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.01,), daemon=True)

    def __enter__(self) -> "Receiver":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.released.set()
        self.server.shutdown()
        self.server.server_close()

    def events(self) -> list[str]:
        return [body["event"] for body in self.bodies]
