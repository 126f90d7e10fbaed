"""build_governance: one config in, a working limiter + governor + router out (in-process or Redis)."""

from __future__ import annotations

import pytest

from hooks.audit.memory import MemoryAuditSink
from hooks.governance import ManualClock, build_governance, build_governance_config
from hooks.governance.backends.memory import MemoryBackend
from hooks.governance.router import BudgetExhaustedError
from tests.governance.conftest import run
from tests.governance.helpers import PRICES


def test_in_process_wiring_end_to_end(clock: ManualClock) -> None:
    sink = MemoryAuditSink()
    config = build_governance_config(
        {"models": PRICES, "budgets": {"dailyUsd": "0.02"}, "alerts": {"log": False}}, env={"RATE_LIMIT_PER_USER": "1"}
    )
    gov = build_governance(config, audit=sink, clock=clock)
    assert gov.shared is False

    async def main() -> None:
        assert (await gov.limiter.check("a")).allowed
        assert not (await gov.limiter.check("a")).allowed
        admission = await gov.router.admit("a", "big", 1000, 1000)
        await gov.governor.settle(admission.reservation, {"input_tokens": 1000, "output_tokens": 1000})
        assert (await gov.router.admit("a", "big", 1000, 100)).model == "mid"
        with pytest.raises(BudgetExhaustedError):
            await gov.router.admit("a", "big", 100_000, 100_000)

    run(main())
    assert {"llm.rate_limited", "llm.fallback", "llm.budget_exceeded", "llm.budget_alert"} <= set(sink.actions())


@pytest.mark.server
def test_redis_wiring(redis_url: str, clock: ManualClock) -> None:
    config = build_governance_config({"models": PRICES, "redisUrl": redis_url}, env={})
    gov = build_governance(config, clock=clock)
    assert gov.shared is True

    async def main() -> bool:
        from hooks.governance.backends.redis import RedisBackend

        backend = gov.governor._backend
        assert isinstance(backend, RedisBackend) and not isinstance(backend, MemoryBackend)
        try:
            return (await gov.limiter.check("a")).allowed
        finally:
            await backend.aclose()

    assert run(main()) is True


def test_every_governance_event_matches_the_audit_taxonomy(clock: ManualClock) -> None:
    from hooks.audit.taxonomy import validate

    sink = MemoryAuditSink()
    config = build_governance_config(
        {"models": PRICES, "budgets": {"dailyUsd": "0.02"}, "alerts": {"log": False}}, env={"RATE_LIMIT_PER_USER": "1"}
    )
    gov = build_governance(config, audit=sink, clock=clock)

    async def main() -> None:
        await gov.limiter.check("a")
        await gov.limiter.check("a")
        admission = await gov.router.admit("a", "big", 1000, 1000)
        await gov.governor.settle(admission.reservation, None)  # usage missing: settles at the reservation
        second = await gov.router.admit("a", "big", 1000, 100)
        await gov.governor.abort(second.reservation, "stream cut")
        with pytest.raises(BudgetExhaustedError):
            await gov.router.admit("a", "big", 100_000, 100_000)

    run(main())
    actions = set(sink.actions())
    assert {"llm.rate_limited", "llm.usage_missing", "llm.call_aborted", "llm.budget_exceeded"} <= actions
    for event in sink.events:
        validate(event)  # raises SchemaError naming the action and the field
