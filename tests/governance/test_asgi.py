"""The ASGI middleware: 429 with Retry-After and IETF headers, audit, exemptions, 503 for budget refusals."""

from __future__ import annotations

from typing import Any

import httpx

from hooks.audit.memory import MemoryAuditSink
from hooks.governance.asgi import GovernanceMiddleware, Message, Receive, Scope, Send
from hooks.governance.backends.memory import MemoryBackend
from hooks.governance.clock import ManualClock
from hooks.governance.config import RateLimitSettings
from hooks.governance.rate_limit import RateLimiter
from hooks.governance.router import BudgetExhaustedError
from tests.governance.conftest import run


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["path"] == "/llm":
        raise BudgetExhaustedError("big", 3600, ())
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": b"ok"})


def _stack(clock: ManualClock, sink: MemoryAuditSink, per_user: int = 2) -> GovernanceMiddleware:
    settings = RateLimitSettings(per_user_per_minute=per_user, global_per_minute=200)
    limiter = RateLimiter(settings, MemoryBackend(clock), audit=sink, clock=clock)
    return GovernanceMiddleware(app, limiter)


async def _get(mw: GovernanceMiddleware, path: str, user: str | None = "alice") -> httpx.Response:
    async def with_user(scope: Scope, receive: Receive, send: Send) -> None:
        if user is not None:
            scope["state"] = {"user_id": user}
        await mw(scope, receive, send)

    transport = httpx.ASGITransport(app=with_user, client=("10.0.0.7", 5000))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        return await client.get(path)


def test_over_the_limit_gets_429_with_headers_and_an_audit_event(clock: ManualClock) -> None:
    sink = MemoryAuditSink()
    mw = _stack(clock, sink)

    async def main() -> list[httpx.Response]:
        return [await _get(mw, "/chat") for _ in range(3)]

    ok, _, refused = run(main())
    assert ok.status_code == 200 and ok.text == "ok"
    assert ok.headers["ratelimit-policy"] == '"user";q=2;w=60, "global";q=200;w=60'
    assert ok.headers["ratelimit"] == '"user";r=1;t=60'
    assert refused.status_code == 429
    assert refused.headers["retry-after"] == "60"
    assert refused.headers["ratelimit"] == '"user";r=0;t=60'
    assert refused.json() == {"error": "rate_limited", "blocked": ["user"], "retry_after": 60}
    assert sink.actions() == ["llm.rate_limited"]
    assert sink.events[0].actor == "user:alice" and sink.events[0].detail["path"] == "/chat"


def test_unauthenticated_requests_are_keyed_by_client_address(clock: ManualClock) -> None:
    sink = MemoryAuditSink()
    mw = _stack(clock, sink, per_user=1)

    async def main() -> list[int]:
        return [(await _get(mw, "/chat", user=None)).status_code for _ in range(2)]

    assert run(main()) == [200, 429]
    assert sink.events[0].actor == "ip:10.0.0.7"


def test_health_paths_and_non_http_scopes_are_exempt(clock: ManualClock) -> None:
    sink = MemoryAuditSink()
    mw = _stack(clock, sink, per_user=1)
    seen: list[Message] = []

    async def lifespan() -> None:
        async def receive() -> Message:
            return {"type": "lifespan.startup"}

        async def send(message: Message) -> None:
            seen.append(message)

        async def inner(scope: Scope, receive: Receive, send: Send) -> None:
            await send({"type": "lifespan.startup.complete"})

        await GovernanceMiddleware(inner, mw.limiter)({"type": "lifespan"}, receive, send)

    async def main() -> list[int]:
        await lifespan()
        return [(await _get(mw, "/healthz")).status_code for _ in range(5)]

    assert run(main()) == [200] * 5
    assert seen == [{"type": "lifespan.startup.complete"}]
    assert sink.actions() == []


def test_budget_exhaustion_becomes_503_with_retry_after(clock: ManualClock) -> None:
    mw = _stack(clock, MemoryAuditSink(), per_user=10)
    response: Any = run(_get(mw, "/llm"))
    assert response.status_code == 503
    assert response.headers["retry-after"] == "3600"
    assert response.json() == {"error": "budget_exhausted", "retry_after": 3600}
