"""What every request passes before the app reads it: the API key, then the body's size.

`RequestGuard` is plain ASGI middleware, so it runs before FastAPI reads or parses a body (a
dependency would run after: FastAPI parses a body parameter first). A request without the key is
answered 401 without a byte of its body read; a body over `max_body_bytes` is answered 413, from
its Content-Length when it has one, else as soon as the streamed (chunked) bytes pass the cap.
What the service never read, uvicorn discards as it arrives, without keeping it.

The key is compared with `hmac.compare_digest`, which takes as long for a wrong key as for a right
one of the same length: response times do not reveal how much of a guess was right.
"""

import hmac
import json
from collections.abc import Awaitable, Callable, Collection

Receive = Callable[[], Awaitable[dict]]
Send = Callable[[dict], Awaitable[None]]


class RequestGuard:
    def __init__(
        self, app, header: str, key: str | None, max_body_bytes: int, public: Collection[str]
    ) -> None:
        """`key` None: no authentication. Paths in `public` need no key (probes, API docs)."""
        self.app = app
        self.header = header
        self.name = header.lower().encode("latin-1")
        self.key = None if key is None else key.encode()
        self.max_body_bytes = max_body_bytes
        self.public = frozenset(public)

    async def __call__(self, scope: dict, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])  # names arrive lower-cased (ASGI)
        if self.key is not None and scope["path"] not in self.public:
            given = headers.get(self.name)
            if given is None or not hmac.compare_digest(given, self.key):
                await _answer(send, 401, f"missing or wrong {self.header}")
                return
        length = headers.get(b"content-length", b"")
        if length.isdigit() and int(length) > self.max_body_bytes:
            await _answer(send, 413, self._too_large())
            return
        chunks, size, more = [], 0, True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return  # the client left: nobody to answer
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            if size > self.max_body_bytes:
                await _answer(send, 413, self._too_large())
                return
            more = message.get("more_body", False)
        await self.app(scope, _replay(b"".join(chunks), receive), send)

    def _too_large(self) -> str:
        return f"request body over {self.max_body_bytes} bytes (the service's max_body_bytes)"


def _replay(body: bytes, receive: Receive) -> Receive:
    """`receive` for the app: the body already read, then the client's own (disconnect) events."""
    pending = [{"type": "http.request", "body": body, "more_body": False}]

    async def replay() -> dict:
        return pending.pop() if pending else await receive()

    return replay


async def _answer(send: Send, status: int, detail: str) -> None:
    body = json.dumps({"detail": detail}).encode()
    await send({
        "type": "http.response.start",
        "status": status,
        "headers": [(b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode())],
    })  # fmt: skip
    await send({"type": "http.response.body", "body": body})
