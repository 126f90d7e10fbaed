"""Pure ASGI middleware: the body size limit and request timing.

Body size limit: a body over ``max_bytes`` gets 413 before any handler parses it.

A declared ``Content-Length`` over the limit is refused at once; otherwise the body is read (never more than
``max_bytes`` kept) and handed to the app unchanged, so a chunked body cannot slip past. The API speaks JSON only:
a request body is parsed as JSON whatever ``Content-Type`` says (so a body that is not JSON gets a 400 naming the
problem, not a confusing type error).
"""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


async def _too_large(send: Send, limit: int) -> None:
    body = json.dumps(
        {"error": "body_too_large", "message": f"the body is larger than {limit} bytes", "fields": []}
    ).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 413, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope.get("type") != "http":
            await self.app(scope, receive, send)
            return
        headers = [(k, v) for k, v in scope.get("headers", []) if k != b"content-type"]
        scope["headers"] = [*headers, (b"content-type", b"application/json")]
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = -1
                if declared > self.max_bytes:
                    await _too_large(send, self.max_bytes)
                    return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await _too_large(send, self.max_bytes)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        delivered = False

        async def replay() -> Message:
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


class TimingMiddleware:
    """Observe each HTTP request's duration under its route template (``/v1/approvals/{approval_id}``)."""

    def __init__(self, app: ASGIApp, observe: Callable[[str, float], None]) -> None:
        self.app = app
        self.observe = observe

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope.get("type") != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        try:
            await self.app(scope, receive, send)
        finally:
            route = scope.get("route")
            self.observe(str(getattr(route, "path", "unmatched")), time.perf_counter() - started)
