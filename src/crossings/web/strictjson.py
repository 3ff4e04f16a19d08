"""Strict JSON request bodies: no ``NaN``/``Infinity`` literals, no numbers that overflow.

Python's :func:`json.loads` (which Starlette's ``Request.json`` uses) accepts
``NaN``, ``Infinity`` and ``-Infinity`` and turns ``1e400`` into infinity; none
is JSON, and a non-finite number must never reach a scenario. Every route of
the app uses :class:`StrictJSONRoute`, whose requests parse their body with
:func:`loads_strict`. A refused body raises :class:`json.JSONDecodeError`,
which FastAPI answers with 422 (``json_invalid``) and the reason.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute


class _NotFiniteError(ValueError):
    """A literal or number that is not a finite JSON number."""


def _refuse_constant(name: str) -> Any:
    raise _NotFiniteError(f"'{name}' is not valid JSON (numbers must be finite)")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _NotFiniteError(f"the number {text[:40]} is too large (numbers must be finite)")
    return value


def loads_strict(body: bytes | str) -> Any:
    """Parse JSON refusing ``NaN``, ``Infinity``, overflowing numbers and runaway nesting.

    Args:
        body: The request body.

    Returns:
        The parsed value.

    Raises:
        json.JSONDecodeError: For invalid JSON, including the cases above.
    """
    try:
        text = body.decode("utf-8") if isinstance(body, bytes) else body
    except UnicodeDecodeError as exc:
        raise json.JSONDecodeError("the body is not UTF-8 text", "", exc.start) from None
    try:
        return json.loads(text, parse_constant=_refuse_constant, parse_float=_finite_float)
    except json.JSONDecodeError:
        raise
    except _NotFiniteError as exc:
        raise json.JSONDecodeError(str(exc), text, _position(text)) from None
    except RecursionError:
        raise json.JSONDecodeError("the value is nested too deeply", text, 0) from None
    except ValueError as exc:  # e.g. an integer with more digits than Python converts
        raise json.JSONDecodeError(f"invalid number ({exc})", text, 0) from None


def _position(text: str) -> int:
    """Where the first ``NaN``/``Infinity`` literal or huge exponent may be (0 if not found)."""
    found = [i for i in (text.find("NaN"), text.find("Infinity")) if i >= 0]
    return min(found) if found else 0


class StrictJSONRequest(Request):
    """A request whose JSON body is parsed by :func:`loads_strict`."""

    async def json(self) -> Any:
        """The body parsed strictly (cached like Starlette's)."""
        if not hasattr(self, "_json"):
            self._json = loads_strict(await self.body())
        return self._json


class StrictJSONRoute(APIRoute):
    """An API route whose handler sees a :class:`StrictJSONRequest`."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        """The route's handler, given a strict request."""
        handler = super().get_route_handler()

        async def strict_handler(request: Request) -> Response:
            return await handler(StrictJSONRequest(request.scope, request.receive))

        return strict_handler
