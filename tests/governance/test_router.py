"""The model router: downgrade chain, llm.fallback, 503 until the boundary, deny, settlement of calls and streams."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from hooks.audit.memory import MemoryAuditSink
from hooks.governance.backends.memory import MemoryBackend
from hooks.governance.clock import ManualClock
from hooks.governance.router import BudgetExhaustedError, ModelRouter
from tests.governance.conftest import run
from tests.governance.helpers import governor, moment

# 1000 + 1000 tokens: big $0.018, mid $0.006, small $0.0015.


def _router(clock: ManualClock, sink: MemoryAuditSink, strategy: str = "downgrade", **budget: Any) -> ModelRouter:
    gov = governor(MemoryBackend(clock), clock, audit=sink, fallback_strategy=strategy, **budget)
    return ModelRouter(gov, audit=sink)


def test_downgrades_along_the_chain_and_emits_fallback(clock: ManualClock) -> None:
    sink = MemoryAuditSink()
    router = _router(clock, sink, daily_usd="0.03")

    async def main() -> list[str]:
        return [(await router.admit("a", "big", 1000, 1000)).model for _ in range(5)]

    # 0.018 (big) -> 0.024 (mid) -> 0.030 (mid) -> 0.0 left... small needs 0.0015: refused.
    with pytest.raises(BudgetExhaustedError) as caught:
        run(main())
    fallbacks = [e for e in sink.events if e.action == "llm.fallback"]
    assert [(e.detail["from_model"], e.detail["to_model"]) for e in fallbacks] == [("big", "mid"), ("big", "mid")]
    assert fallbacks[0].detail["over_budget"] == ["global/day"]
    assert caught.value.status == 503
    assert caught.value.retry_after == int((moment(11, 25) - clock.now()).total_seconds())
    assert ("Retry-After", str(caught.value.retry_after)) in caught.value.headers()
    assert sink.actions()[-1] in {"llm.budget_exceeded", "llm.budget_alert"}
    assert "llm.budget_exceeded" in sink.actions()


def test_admission_picks_the_first_model_that_fits(clock: ManualClock) -> None:
    sink = MemoryAuditSink()
    router = _router(clock, sink, daily_usd="0.005")

    admission = run(router.admit("a", "big", 1000, 1000))
    assert admission.model == "small" and admission.downgraded and admission.requested_model == "big"


def test_deny_strategy_refuses_without_downgrading(clock: ManualClock) -> None:
    sink = MemoryAuditSink()
    router = _router(clock, sink, strategy="deny", daily_usd="0.02")

    async def main() -> None:
        await router.admit("a", "big", 1000, 1000)
        await router.admit("a", "big", 1000, 1000)

    with pytest.raises(BudgetExhaustedError):
        run(main())
    assert "llm.fallback" not in sink.actions()
    exceeded = next(e for e in sink.events if e.action == "llm.budget_exceeded")
    assert [t["model"] for t in exceeded.detail["tried"]] == ["big"]


def test_call_settles_from_usage_and_exceptions_settle_at_the_reservation(clock: ManualClock) -> None:
    sink = MemoryAuditSink()
    router = _router(clock, sink)

    async def ok(model: str) -> dict[str, Any]:
        return {"model": model, "usage": {"input_tokens": 1000, "output_tokens": 10}}

    async def fails(model: str) -> dict[str, Any]:
        raise TimeoutError("provider timed out")

    async def main() -> tuple[int, int]:
        _, _, settlement = await router.call(
            "a", "big", prompt_tokens=1000, max_output_tokens=1000, invoke=ok, usage_of=lambda r: r["usage"]
        )
        with pytest.raises(TimeoutError):
            await router.call(
                "a", "big", prompt_tokens=1000, max_output_tokens=1000, invoke=fails, usage_of=lambda r: r["usage"]
            )
        return settlement.charged, (await router.governor.spent())["global/day"]

    charged, spent = run(main())
    assert charged == 3000 + 150
    assert spent == 3150 + 18_000
    assert "llm.call_aborted" in sink.actions()


async def _provider_stream(chunks: int, fail_at: int | None = None) -> AsyncIterator[dict[str, Any]]:
    for i in range(chunks):
        if i == fail_at:
            raise ConnectionResetError("stream cut")
        yield {"delta": f"t{i}"}
    yield {"delta": "", "usage": {"prompt_tokens": 1000, "completion_tokens": chunks}}


def _usage(chunk: dict[str, Any]) -> Any:
    return chunk.get("usage")


def test_stream_settles_from_the_final_usage_chunk(clock: ManualClock) -> None:
    router = _router(clock, MemoryAuditSink())

    async def main() -> tuple[int, int]:
        admission = await router.admit("a", "big", 1000, 1000)
        received = [c async for c in router.stream(admission, _provider_stream(20), _usage)]
        return len(received), (await router.governor.spent())["global/day"]

    assert run(main()) == (21, 3000 + 300)


@pytest.mark.parametrize("how", ["provider_error", "consumer_stops", "cancelled", "no_usage"])
def test_broken_streams_settle_at_the_reservation(how: str, clock: ManualClock) -> None:
    sink = MemoryAuditSink()
    router = _router(clock, sink)

    async def main() -> int:
        admission = await router.admit("a", "big", 1000, 1000)
        if how == "provider_error":
            with pytest.raises(ConnectionResetError):
                async for _ in router.stream(admission, _provider_stream(20, fail_at=5), _usage):
                    pass
        elif how == "consumer_stops":
            stream = router.stream(admission, _provider_stream(20), _usage)
            async for chunk in stream:
                if chunk["delta"] == "t3":
                    break
            await stream.aclose()  # type: ignore[attr-defined]
        elif how == "cancelled":
            started = asyncio.Event()

            async def consume() -> None:
                async for _ in router.stream(admission, _slow_stream(started), _usage):
                    pass

            task = asyncio.create_task(consume())
            await started.wait()
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
        else:
            async for _ in router.stream(admission, _no_usage_stream(), _usage):
                pass
        return (await router.governor.spent())["global/day"]

    assert run(main()) == 18_000  # the reservation, never $0


async def _slow_stream(started: asyncio.Event) -> AsyncIterator[dict[str, Any]]:
    yield {"delta": "a"}
    started.set()
    await asyncio.Event().wait()  # never finishes on its own
    yield {"delta": "b"}


async def _no_usage_stream() -> AsyncIterator[dict[str, Any]]:
    for i in range(3):
        yield {"delta": str(i)}


def test_unknown_requested_model_is_an_error(clock: ManualClock) -> None:
    router = _router(clock, MemoryAuditSink())
    with pytest.raises(ValueError, match="not in the price table"):
        run(router.admit("a", "nope", 1, 1))
