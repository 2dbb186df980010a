"""API-key authentication: the key clients send in a header, compared in constant time."""

import hmac
from collections.abc import Awaitable, Callable

from fastapi import HTTPException, Security, status
from fastapi.security import APIKeyHeader


def api_key_check(header: str, key: str) -> Callable[..., Awaitable[None]]:
    """A FastAPI dependency answering 401 unless header `header` carries `key`.

    `hmac.compare_digest` takes as long for a wrong key as for a right one of the same length,
    so response times do not reveal how much of a guess was right.
    """
    scheme = APIKeyHeader(name=header, auto_error=False, description=f"the key, in {header}")
    expected = key.encode()

    async def check(given: str | None = Security(scheme)) -> None:
        if given is None or not hmac.compare_digest(given.encode(), expected):
            raise HTTPException(status.HTTP_401_UNAUTHORIZED, f"missing or wrong {header}")

    return check
