"""Request-size limit: bodies over the limit get 413, by header or by streamed size."""

from __future__ import annotations

import json

from fastapi import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

MAX_BODY_BYTES = 1_000_000


class BodyTooLarge(HTTPException):
    """Raised while reading a body that grows past the limit (an HTTP 413)."""

    def __init__(self, limit: int) -> None:
        super().__init__(
            status_code=413, detail=f"request body too large (the limit is {limit:,} bytes)"
        )


class BodySizeLimit:
    """ASGI middleware refusing request bodies over ``max_bytes``.

    A ``Content-Length`` over the limit is refused before the app runs; a body
    without one (chunked) is counted as it streams in and refused when it
    passes the limit.

    Args:
        app: The wrapped application.
        max_bytes: The largest body accepted.
    """

    def __init__(self, app: ASGIApp, max_bytes: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on, refusing it with 413 once its body is too large."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers") or []:
            if name.lower() == b"content-length":
                try:
                    size = int(value)
                except ValueError:
                    await self._reply(send, 400, "invalid Content-Length header")
                    return
                if size > self.max_bytes:
                    await self._reply(send, 413, BodyTooLarge(self.max_bytes).detail)
                    return
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLarge(self.max_bytes)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except BodyTooLarge as exc:
            if started:
                raise
            await self._reply(send, 413, str(exc.detail))

    @staticmethod
    async def _reply(send: Send, status: int, detail: str) -> None:
        body = json.dumps({"detail": detail}).encode()
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
