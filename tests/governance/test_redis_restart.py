"""State survives a Redis restart (AOF): spend, reservations and rate-limit windows."""

from __future__ import annotations

from pathlib import Path

import pytest

from hooks.governance.budget import Refusal, Reservation
from hooks.governance.clock import ManualClock
from hooks.governance.config import RateLimitSettings
from hooks.governance.rate_limit import RateLimiter
from tests.governance.conftest import RedisServer, run
from tests.governance.helpers import governor

pytestmark = pytest.mark.server


def test_budget_and_windows_survive_a_restart(tmp_path: Path, clock: ManualClock) -> None:
    from hooks.governance.backends.redis import RedisBackend

    server = RedisServer(tmp_path, aof=True)
    server.start()
    try:

        async def before() -> Reservation:
            backend = RedisBackend.from_url(server.url, clock)
            try:
                gov = governor(backend, clock, daily_usd="0.05")
                limiter = RateLimiter(RateLimitSettings(per_user_per_minute=2), backend, clock=clock)
                assert (await limiter.check("a")).allowed and (await limiter.check("a")).allowed
                settled = await gov.reserve("a", "big", 1000, 1000)
                assert isinstance(settled, Reservation)
                await gov.settle(settled, {"input_tokens": 1000, "output_tokens": 1000})
                in_flight = await gov.reserve("a", "big", 1000, 1000)
                assert isinstance(in_flight, Reservation)
                return in_flight
            finally:
                await backend.aclose()

        in_flight = run(before())
        server.stop()
        server.start()

        async def after() -> tuple[bool, Reservation | Refusal, int, bool]:
            backend = RedisBackend.from_url(server.url, clock)
            try:
                gov = governor(backend, clock, daily_usd="0.05")
                limiter = RateLimiter(RateLimitSettings(per_user_per_minute=2), backend, clock=clock)
                third = await gov.reserve("a", "big", 1000, 1000)  # 0.036 + 0.018 > 0.05
                settlement = await gov.settle(in_flight, {"input_tokens": 1000, "output_tokens": 0})
                spent = (await gov.spent())["global/day"]
                return (await limiter.check("a")).allowed, third, spent, settlement.applied
            finally:
                await backend.aclose()

        allowed, third, spent, applied = run(after())
    finally:
        server.stop()
    assert allowed is False  # the window (2 of 2 used) came back
    assert isinstance(third, Refusal)  # no fresh budget after the restart
    assert applied is True  # the reservation made before the restart still settles
    assert spent == 18_000 + 3_000
