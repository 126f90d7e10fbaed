"""ASGI middleware: rate limits before the app runs, and budget refusals turned into HTTP 503.

Mount it around any ASGI app (Starlette, FastAPI, Quart, a bare callable)::

    app = GovernanceMiddleware(app, limiter)

Over a limit the request never reaches the app: ``429`` with ``Retry-After`` (seconds) and the rate-limit
headers, a JSON body ``{"error": "rate_limited", ...}``, and an ``llm.rate_limited`` audit event (emitted by the
limiter). Admitted responses carry the rate-limit headers too. A ``BudgetExhaustedError`` raised by the app
before it starts its response becomes ``503`` + ``Retry-After`` + ``{"error": "budget_exhausted", ...}``.

Header convention: draft-ietf-httpapi-ratelimit-headers-10 (``RateLimit-Policy: "user";q=30;w=60,
"global";q=200;w=60`` and ``RateLimit: "user";r=12;t=41`` for the most constraining policy, ``t`` in
delta-seconds), with ``Retry-After`` taking precedence on refusals. No legacy ``X-RateLimit-*`` headers.

The principal is ``identify(scope)``: by default the authenticated user an earlier middleware stored in
``scope["state"]["user_id"]``, else the client address (``ip:<host>``). Never a client-supplied header.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from typing import Any

from hooks.governance.rate_limit import RateLimitDecision, RateLimiter
from hooks.governance.router import BudgetExhaustedError

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def default_identify(scope: Scope) -> str:
    state = scope.get("state")
    if isinstance(state, MutableMapping):
        user = state.get("user_id")
        if isinstance(user, str) and user:
            return f"user:{user}"
    client = scope.get("client")
    if client and client[0]:
        return f"ip:{client[0]}"
    return "anonymous"


def _encode(headers: Iterable[tuple[str, str]]) -> list[tuple[bytes, bytes]]:
    return [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers]


async def _respond(send: Send, status: int, headers: list[tuple[str, str]], body: dict[str, Any]) -> None:
    payload = json.dumps(body).encode()
    raw = _encode([*headers, ("Content-Type", "application/json"), ("Content-Length", str(len(payload)))])
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": payload})


class GovernanceMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        limiter: RateLimiter,
        *,
        identify: Callable[[Scope], str] = default_identify,
        exempt_paths: Iterable[str] | None = None,
    ) -> None:
        self.app = app
        self.limiter = limiter
        self.identify = identify
        self.exempt = frozenset(limiter.settings.exempt_paths if exempt_paths is None else exempt_paths)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope.get("type") != "http" or scope.get("path", "") in self.exempt:
            await self.app(scope, receive, send)
            return
        path = str(scope.get("path", ""))
        decision = await self.limiter.check(self.identify(scope), path=path)
        if not decision.allowed:
            await self._refuse(send, decision)
            return
        extra = _encode(decision.headers())
        started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message.get("type") == "http.response.start":
                started = True
                message = dict(message)
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except BudgetExhaustedError as exc:
            if started:
                raise
            await _respond(send, exc.status, [("Retry-After", str(exc.retry_after))],
                           {"error": "budget_exhausted", "retry_after": exc.retry_after})  # fmt: skip

    @staticmethod
    async def _refuse(send: Send, decision: RateLimitDecision) -> None:
        error = "rate_limited" if decision.status == 429 else "rate_limiter_unavailable"
        body = {"error": error, "blocked": list(decision.blocked), "retry_after": decision.retry_after}
        await _respond(send, decision.status, decision.headers(), body)
