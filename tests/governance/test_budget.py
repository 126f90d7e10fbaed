"""Budgets: atomic reservation under concurrency, settlement from usage, safe settlement of bad input."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from hooks.audit.memory import MemoryAuditSink
from hooks.governance.backends.memory import MemoryBackend
from hooks.governance.budget import BudgetGovernor, Refusal, Reservation, parse_usage
from hooks.governance.clock import ManualClock
from hooks.governance.pricing import UnknownModelError
from tests.governance.conftest import open_backend, run
from tests.governance.helpers import governor, usd

# 1000 prompt tokens + 1000 max output tokens of "big": 3000 + 15000 = 18000 micro-USD = $0.018.
BIG_CALL = 18_000


async def _prefill(gov: BudgetGovernor, amount_micros: int, user: str = "filler") -> None:
    """Spend ``amount_micros`` through the public API (one call of exactly that cost on 'small')."""
    # 'small' input price is 0.25 micro-USD per token: 4 tokens per micro-USD.
    res = await gov.reserve(user, "small", 4 * amount_micros, 0)
    assert isinstance(res, Reservation)
    await gov.settle(res, {"input_tokens": 4 * amount_micros, "output_tokens": 0})


def test_reservation_is_the_maximum_cost(clock: ManualClock) -> None:
    gov = governor(MemoryBackend(clock), clock)
    assert gov.estimate("big", 1000, 1000) == BIG_CALL
    assert gov.estimate("big", 1000, None) == 3000 + 15 * 4096  # default output cap
    assert gov.estimate("small", 3, 0) == 1  # fractions round up, never down to free


def test_two_hundred_calls_racing_for_the_last_dollar(
    backend_kind: str, clock: ManualClock, url_for: str | None
) -> None:
    """All 200 admissions race while every reservation is still in flight."""

    async def main() -> tuple[list[Reservation | Refusal], dict[str, int]]:
        async with open_backend(backend_kind, clock, url_for) as backend:
            gov = governor(backend, clock, daily_usd="50")
            await _prefill(gov, usd("49"))
            results = await asyncio.gather(*(gov.reserve(f"u{i % 7}", "big", 1000, 1000) for i in range(200)))
            return results, await gov.spent()

    results, spent = run(main())
    admitted = [r for r in results if isinstance(r, Reservation)]
    # floor($1 / $0.018) = 55 reservations fit, and no interleaving lets a 56th in.
    assert len(admitted) == 55
    assert spent["global/day"] == usd("49") + 55 * BIG_CALL <= usd("50")
    refused = [r for r in results if isinstance(r, Refusal)]
    assert len(refused) == 145 and all(r.blocked[0].scope == "global" for r in refused)


def test_racing_calls_that_settle_as_they_go_never_overshoot(
    backend_kind: str, clock: ManualClock, url_for: str | None
) -> None:
    """Admissions and settlements interleave; settled spend stays within the budget plus one reservation."""

    async def main() -> tuple[int, dict[str, int]]:
        async with open_backend(backend_kind, clock, url_for) as backend:
            gov = governor(backend, clock, daily_usd="50")
            await _prefill(gov, usd("49"))

            async def one(i: int) -> bool:
                res = await gov.reserve(f"u{i % 7}", "big", 1000, 1000)
                if isinstance(res, Refusal):
                    return False
                await asyncio.sleep(0)
                # Providers report less than the maximum; every third reports nothing (charged in full).
                usage = None if i % 3 == 0 else {"input_tokens": 1000, "output_tokens": 400 + i}
                await gov.settle(res, usage)
                return True

            admitted = sum(await asyncio.gather(*(one(i) for i in range(200))))
            return admitted, await gov.spent()

    admitted, spent = run(main())
    assert admitted >= 55
    assert spent["global/day"] <= usd("50") + BIG_CALL


@pytest.mark.server
def test_two_governors_sharing_redis_enforce_one_budget(redis_url: str, clock: ManualClock) -> None:
    from hooks.governance.backends.redis import RedisBackend

    async def main() -> tuple[int, dict[str, int]]:
        a, b = RedisBackend.from_url(redis_url, clock), RedisBackend.from_url(redis_url, clock)
        try:
            first, second = governor(a, clock, daily_usd="1"), governor(b, clock, daily_usd="1")
            results = await asyncio.gather(
                *((first if i % 2 else second).reserve("x", "big", 1000, 1000) for i in range(200))
            )
            return sum(isinstance(r, Reservation) for r in results), await first.spent()
        finally:
            await a.aclose()
            await b.aclose()

    admitted, spent = run(main())
    assert admitted == 55  # $1 / $0.018 once, not twice
    assert spent["global/day"] == 55 * BIG_CALL


def test_settlement_from_usage_and_idempotence(backend_kind: str, clock: ManualClock, url_for: str | None) -> None:
    async def main() -> list[Any]:
        async with open_backend(backend_kind, clock, url_for) as backend:
            gov = governor(backend, clock)
            res = await gov.reserve("alice", "big", 1000, 1000)
            assert isinstance(res, Reservation)
            reserved = (await gov.spent("alice"))["global/day"]
            first = await gov.settle(res, {"prompt_tokens": 1000, "completion_tokens": 200})
            second = await gov.settle(res, {"prompt_tokens": 1000, "completion_tokens": 1})
            return [reserved, first, second, (await gov.spent("alice"))["global/day"]]

    reserved, first, second, spent = run(main())
    assert reserved == BIG_CALL
    assert (first.charged, first.source, first.applied) == (3000 + 3000, "usage", True)
    assert second.applied is False
    assert spent == 6000


@pytest.mark.parametrize(
    "usage",
    [
        None,
        {},
        {"input_tokens": 10},
        {"input_tokens": -5, "output_tokens": 3},
        {"input_tokens": "10", "output_tokens": "20"},
        {"input_tokens": True, "output_tokens": 3},
        {"prompt_tokens": 1.5, "completion_tokens": 3},
        {"input_tokens": 10**30, "output_tokens": 3},
        {"input_tokens": 1, "output_tokens": 1, "cache_read_input_tokens": "many"},
        "garbage",
        42,
    ],
)
def test_missing_or_malformed_usage_settles_at_the_reservation(usage: Any, clock: ManualClock) -> None:
    sink = MemoryAuditSink()

    async def main() -> tuple[int, int, list[str]]:
        gov = governor(MemoryBackend(clock), clock, audit=sink)
        res = await gov.reserve("bob", "big", 1000, 1000)
        assert isinstance(res, Reservation)
        settlement = await gov.settle(res, usage)
        return settlement.charged, (await gov.spent())["global/day"], sink.actions()

    charged, spent, actions = run(main())
    assert charged == spent == BIG_CALL
    assert "llm.usage_missing" in actions


def test_usage_parsing_accepts_both_provider_shapes() -> None:
    class Obj:
        input_tokens = 7
        output_tokens = 9
        cache_read_input_tokens = 3

    assert parse_usage({"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 3}) == (1, 2)
    assert parse_usage(Obj()) == (10, 9)
    # camelCase, as a JavaScript client (Baker Street's model router) reports it
    assert parse_usage({"inputTokens": 100, "outputTokens": 20, "cacheReadInputTokens": 5}) == (105, 20)
    assert parse_usage({"inputTokens": -1, "outputTokens": 20}) is None
    assert parse_usage({"input_tokens": 0, "output_tokens": 0}) == (0, 0)


def test_usage_above_the_reservation_is_charged_in_full(clock: ManualClock) -> None:
    async def main() -> int:
        gov = governor(MemoryBackend(clock), clock)
        res = await gov.reserve("bob", "big", 1000, 10)
        assert isinstance(res, Reservation)
        await gov.settle(res, {"input_tokens": 1000, "output_tokens": 1000})
        return (await gov.spent())["global/day"]

    assert run(main()) == BIG_CALL


def test_abort_charges_the_reservation_and_release_returns_it(
    backend_kind: str, clock: ManualClock, url_for: str | None
) -> None:
    async def main() -> tuple[int, int]:
        async with open_backend(backend_kind, clock, url_for) as backend:
            gov = governor(backend, clock)
            cut = await gov.reserve("c", "big", 1000, 1000)
            never_sent = await gov.reserve("c", "big", 1000, 1000)
            assert isinstance(cut, Reservation) and isinstance(never_sent, Reservation)
            await gov.abort(cut, "timeout")
            after_abort = (await gov.spent())["global/day"]
            await gov.release(never_sent)
            return after_abort, (await gov.spent())["global/day"]

    assert run(main()) == (2 * BIG_CALL, BIG_CALL)


def test_unsettled_reservations_expire_charged(backend_kind: str, clock: ManualClock, url_for: str | None) -> None:
    async def main() -> tuple[bool, int]:
        async with open_backend(backend_kind, clock, url_for) as backend:
            gov = governor(backend, clock, reservation_ttl_seconds=1)
            res = await gov.reserve("d", "big", 1000, 1000)
            assert isinstance(res, Reservation)
            if backend_kind == "redis":
                # Redis expires keys on its own clock: drop the reservation as its TTL would.
                await backend.client.delete(res.key)
            clock.advance(2)
            late = await gov.settle(res, {"input_tokens": 0, "output_tokens": 0})
            return late.applied, (await gov.spent())["global/day"]

    applied, spent = run(main())
    assert applied is False  # the late settlement cannot make the call free
    assert spent == BIG_CALL


def test_per_user_budget_is_enforced_with_the_global_one(
    backend_kind: str, clock: ManualClock, url_for: str | None
) -> None:
    async def main() -> list[Reservation | Refusal]:
        async with open_backend(backend_kind, clock, url_for) as backend:
            gov = governor(backend, clock, per_user_daily_usd="0.05")
            return [await gov.reserve(u, "big", 1000, 1000) for u in ("eve", "eve", "eve", "fay")]

    results = run(main())
    assert [isinstance(r, Reservation) for r in results] == [True, True, False, True]
    refusal = results[2]
    assert isinstance(refusal, Refusal)
    assert [c.scope for c in refusal.blocked] == ["user:eve"]


def test_unknown_model_is_refused_with_a_clear_error(clock: ManualClock) -> None:
    gov = governor(MemoryBackend(clock), clock)
    with pytest.raises(UnknownModelError, match="'gpt-x' is not in the price table"):
        run(gov.reserve("a", "gpt-x", 10, 10))


def test_negative_tokens_and_duplicate_ids_are_errors(clock: ManualClock) -> None:
    gov = governor(MemoryBackend(clock), clock)
    with pytest.raises(ValueError, match="negative"):
        run(gov.reserve("a", "big", -1, 10))

    async def twice() -> None:
        await gov.reserve("a", "big", 1, 1, request_id="same")
        await gov.reserve("a", "big", 1, 1, request_id="same")

    with pytest.raises(ValueError, match="already in use"):
        run(twice())


def test_backend_failure_refuses(clock: ManualClock) -> None:
    class Down(MemoryBackend):
        async def reserve(self, *args: Any, **kwargs: Any) -> Any:  # noqa: ARG002
            raise ConnectionError("down")

    sink = MemoryAuditSink()
    res = run(governor(Down(clock), clock, audit=sink).reserve("a", "big", 1, 1))
    assert isinstance(res, Refusal) and res.reason == "backend"
    assert sink.actions() == ["llm.governance_backend_error"]
