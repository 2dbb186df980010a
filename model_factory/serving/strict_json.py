"""Request bodies parsed as JSON (RFC 8259) is defined, and refused with a 422 when they are not.

Python's `json` reads `NaN`, `Infinity` and `-Infinity`, which JSON does not have, and turns
`1e400` into an infinite float; the validation error that echoes such a value then cannot be
written as JSON (a 500). Here they are refused while parsing, as are integers of more digits than
any field takes, nesting too deep to parse and bodies that are not UTF-8, each with a message
saying what is wrong. `StrictJSONRoute` makes a FastAPI router parse bodies so.
"""

import json
import math
from typing import Any

from fastapi import HTTPException, Request, Response, status
from fastapi.routing import APIRoute

MAX_INTEGER_DIGITS = 20  # a store id has at most 10


class NotJSON(ValueError):
    """A value JSON has no place for (raised while parsing)."""


def _constant(name: str) -> Any:
    raise NotJSON(f"{name} is not a number JSON allows: send a finite number")


def _float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise NotJSON(f"{text} is beyond the range of a 64-bit float")
    return value


def _integer(text: str) -> int:
    if (digits := len(text.lstrip("-"))) > MAX_INTEGER_DIGITS:
        raise NotJSON(f"an integer of {digits} digits is out of range")
    return int(text)


def loads(body: bytes) -> Any:
    """The JSON document in `body`; HTTPException 422 when it is not one (a JSONDecodeError, for
    malformed syntax, is left to FastAPI, which answers 422 with the position)."""
    try:
        return json.loads(body, parse_constant=_constant, parse_float=_float, parse_int=_integer)
    except json.JSONDecodeError:
        raise
    except NotJSON as exc:
        message = str(exc)
    except UnicodeDecodeError as exc:
        message = f"the body is not UTF-8: {exc}"
    except RecursionError:
        message = "JSON nested too deeply"
    raise HTTPException(
        status.HTTP_422_UNPROCESSABLE_CONTENT,
        [{"type": "json_invalid", "loc": ["body"], "msg": message}],
    )


class _StrictJSONRequest(Request):
    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            self._json = loads(await self.body())
        return self._json


class StrictJSONRoute(APIRoute):
    """A route whose handler reads JSON bodies with `loads`."""

    def get_route_handler(self):
        handler = super().get_route_handler()

        async def strict(request: Request) -> Response:
            return await handler(_StrictJSONRequest(request.scope, request.receive))

        return strict
