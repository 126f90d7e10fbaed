"""Rate limits: exact admission under concurrency, composite atomicity, the moving window, headers, failure modes."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from hooks.audit.memory import MemoryAuditSink
from hooks.governance.clock import ManualClock
from hooks.governance.config import RateLimitSettings
from hooks.governance.rate_limit import AcquireResult, LimitSpec, RateLimitDecision, RateLimiter
from tests.governance.conftest import open_backend, run


def _settings(per_user: int = 30, global_: int = 200, **kw: object) -> RateLimitSettings:
    return RateLimitSettings.model_validate({"per_user_per_minute": per_user, "global_per_minute": global_, **kw})


def test_fifty_concurrent_requests_for_one_user_admit_exactly_thirty(
    backend_kind: str, clock: ManualClock, url_for: str | None
) -> None:
    async def main() -> list[RateLimitDecision]:
        async with open_backend(backend_kind, clock, url_for) as backend:
            limiter = RateLimiter(_settings(), backend, clock=clock)
            return await asyncio.gather(*(limiter.check("alice") for _ in range(50)))

    decisions = run(main())
    assert sum(d.allowed for d in decisions) == 30
    refused = [d for d in decisions if not d.allowed]
    assert len(refused) == 20
    assert all(d.status == 429 and d.blocked == ("user",) and 1 <= d.retry_after <= 60 for d in refused)


def test_refused_requests_consume_neither_limit(backend_kind: str, clock: ManualClock, url_for: str | None) -> None:
    async def main() -> tuple[list[bool], list[bool]]:
        async with open_backend(backend_kind, clock, url_for) as backend:
            limiter = RateLimiter(_settings(per_user=2, global_=5), backend, clock=clock)
            alice = [(await limiter.check("alice")).allowed for _ in range(10)]  # 2 admitted, 8 refused
            others = [(await limiter.check(f"user{i}")).allowed for i in range(5)]
            return alice, others

    alice, others = run(main())
    assert alice == [True, True] + [False] * 8
    # alice's 8 refusals took no global slots: 3 remain for the others.
    assert others == [True, True, True, False, False]


def test_global_limit_blocks_every_user(backend_kind: str, clock: ManualClock, url_for: str | None) -> None:
    async def main() -> list[RateLimitDecision]:
        async with open_backend(backend_kind, clock, url_for) as backend:
            limiter = RateLimiter(_settings(per_user=30, global_=200), backend, clock=clock)
            return await asyncio.gather(*(limiter.check(f"u{i % 40}") for i in range(260)))

    decisions = run(main())
    assert sum(d.allowed for d in decisions) == 200
    assert all(d.blocked == ("global",) for d in decisions if not d.allowed)


def test_moving_window_has_no_boundary_burst(backend_kind: str, clock: ManualClock, url_for: str | None) -> None:
    async def main() -> list[tuple[bool, int]]:
        async with open_backend(backend_kind, clock, url_for) as backend:
            limiter = RateLimiter(_settings(per_user=3), backend, clock=clock)
            out = []
            for step in (59, 0, 0, 2, 57, 1, 0, 0):
                clock.advance(step)
                d = await limiter.check("bob")
                out.append((d.allowed, d.retry_after))
            return out

    # Three at t=59 fill the window. A fixed window would admit three more at t=61; the moving window waits
    # until the t=59 entries are 60 s old (t=119), and then admits three again.
    assert run(main()) == [(True, 0)] * 3 + [(False, 58), (False, 1)] + [(True, 0)] * 3


def test_headers_follow_the_ietf_draft(clock: ManualClock) -> None:
    from hooks.governance.backends.memory import MemoryBackend

    async def main() -> tuple[RateLimitDecision, RateLimitDecision]:
        limiter = RateLimiter(_settings(per_user=2, global_=200), MemoryBackend(clock), clock=clock)
        first = await limiter.check("carol")
        clock.advance(20)
        await limiter.check("carol")
        return first, await limiter.check("carol")

    admitted, refused = run(main())
    headers = dict(admitted.headers())
    assert headers["RateLimit-Policy"] == '"user";q=2;w=60, "global";q=200;w=60'
    assert headers["RateLimit"] == '"user";r=1;t=60'
    assert "Retry-After" not in headers
    refused_headers = dict(refused.headers())
    assert refused_headers["RateLimit"] == '"user";r=0;t=40'
    assert refused_headers["Retry-After"] == "40"


def test_refusal_is_audited(clock: ManualClock) -> None:
    from hooks.governance.backends.memory import MemoryBackend

    sink = MemoryAuditSink()

    async def main() -> None:
        limiter = RateLimiter(_settings(per_user=1), MemoryBackend(clock), audit=sink, clock=clock)
        await limiter.check("dave", path="/v1/chat")
        await limiter.check("dave", path="/v1/chat")

    run(main())
    assert sink.actions() == ["llm.rate_limited"]
    event = sink.events[0]
    assert event.category == "llm" and event.actor == "dave" and event.timestamp == clock.now()
    assert event.detail["blocked"] == ["user"] and event.detail["path"] == "/v1/chat"


class _Broken:
    async def acquire(self, specs: Sequence[LimitSpec], request_id: str) -> AcquireResult:  # noqa: ARG002
        raise ConnectionError("redis down")


@pytest.mark.parametrize(("mode", "allowed", "status"), [("closed", False, 503), ("open", True, 200)])
def test_backend_failure_follows_the_failure_mode(mode: str, allowed: bool, status: int, clock: ManualClock) -> None:
    sink = MemoryAuditSink()
    limiter = RateLimiter(_settings(failure_mode=mode), _Broken(), audit=sink, clock=clock)
    decision = run(limiter.check("erin"))
    assert (decision.allowed, decision.status) == (allowed, status)
    assert sink.actions() == ["llm.governance_backend_error"]
    assert sink.events[0].detail["failure_mode"] == mode


def test_empty_principal_is_an_error(clock: ManualClock) -> None:
    from hooks.governance.backends.memory import MemoryBackend

    limiter = RateLimiter(_settings(), MemoryBackend(clock), clock=clock)
    with pytest.raises(ValueError, match="principal"):
        run(limiter.check(""))


@pytest.mark.server
def test_two_limiters_sharing_redis_enforce_one_limit(redis_url: str, clock: ManualClock) -> None:
    from hooks.governance.backends.redis import RedisBackend

    async def main() -> tuple[list[RateLimitDecision], list[RateLimitDecision]]:
        a, b = RedisBackend.from_url(redis_url, clock), RedisBackend.from_url(redis_url, clock)
        try:
            first, second = RateLimiter(_settings(), a, clock=clock), RateLimiter(_settings(), b, clock=clock)
            one_user = await asyncio.gather(*((first if i % 2 else second).check("frank") for i in range(50)))
            many = await asyncio.gather(*((first if i % 2 else second).check(f"g{i}") for i in range(300)))
            return one_user, many
        finally:
            await a.aclose()
            await b.aclose()

    one_user, many = run(main())
    assert sum(d.allowed for d in one_user) == 30  # 30 per user across both replicas, not 60
    assert sum(d.allowed for d in many) == 200 - 30  # one global limit, not two
