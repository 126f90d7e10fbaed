"""Budget alerts at 80 % and 100 %: once per scope, period and level, as audit events and notifications."""

from __future__ import annotations

import json
import logging
from typing import Any

import httpx
import pytest

from hooks.audit.memory import MemoryAuditSink
from hooks.governance.alerts import BudgetAlert, LogNotifier, WebhookNotifier
from hooks.governance.backends.memory import MemoryBackend
from hooks.governance.budget import BudgetGovernor, Reservation
from hooks.governance.clock import ManualClock
from tests.governance.conftest import open_backend, run
from tests.governance.helpers import governor, next_year


class Collect:
    def __init__(self) -> None:
        self.alerts: list[BudgetAlert] = []

    async def notify(self, alert: BudgetAlert) -> None:
        self.alerts.append(alert)


async def _spend(gov: BudgetGovernor, calls: int, user: str = "a") -> None:
    for _ in range(calls):
        res = await gov.reserve(user, "mid", 1000, 1000)  # $0.006 each
        if isinstance(res, Reservation):
            await gov.settle(res, {"input_tokens": 1000, "output_tokens": 1000})


def _levels(sink: MemoryAuditSink) -> list[tuple[str, str, str]]:
    return [
        (e.detail["scope"], e.detail["period"], e.detail["level"])
        for e in sink.events
        if e.action == "llm.budget_alert"
    ]


def test_warning_and_critical_fire_once_each(backend_kind: str, clock: ManualClock, url_for: str | None) -> None:
    sink, collect = MemoryAuditSink(), Collect()

    async def main() -> None:
        async with open_backend(backend_kind, clock, url_for) as backend:
            gov = governor(backend, clock, audit=sink, notifiers=(collect,), daily_usd="0.06")
            await _spend(gov, 7)  # 0.042 (70 %): nothing yet
            assert _levels(sink) == []
            await _spend(gov, 1)  # 0.048 = 80 %: warning
            await _spend(gov, 1)  # 0.054: nothing new
            await _spend(gov, 2)  # 0.060 = 100 %: critical; then a refusal: no repeat
            await _spend(gov, 3)
            await gov._alerter.drain()

    run(main())
    assert _levels(sink) == [("global", "day", "warning"), ("global", "day", "critical")]
    assert [a.level for a in collect.alerts] == ["warning", "critical"]
    warning = next(e for e in sink.events if e.action == "llm.budget_alert")
    assert warning.detail["spent"] == "$0.048" and warning.detail["limit"] == "$0.06"


def test_alerts_fire_again_in_the_next_period(clock: ManualClock) -> None:
    sink = MemoryAuditSink()

    async def main() -> None:
        gov = governor(MemoryBackend(clock), clock, audit=sink, daily_usd="0.06")
        await _spend(gov, 8)
        clock.advance(86_400)
        await _spend(gov, 8)

    run(main())
    assert _levels(sink) == [("global", "day", "warning")] * 2
    keys = [e.detail["period_key"] for e in sink.events if e.action == "llm.budget_alert"]
    year = next_year()
    assert keys == [f"{year}-11-24", f"{year}-11-25"]


def test_a_refused_admission_fires_the_critical_alert(clock: ManualClock) -> None:
    sink = MemoryAuditSink()

    async def main() -> None:
        gov = governor(MemoryBackend(clock), clock, audit=sink, per_user_daily_usd="0.01")
        await gov.reserve("u", "big", 1000, 1000)  # $0.018 > $0.01: refused by user:u

    run(main())
    assert _levels(sink) == [("user:u", "day", "critical")]
    assert sink.events[-1].detail["refused"] is True


@pytest.mark.server
def test_replicas_share_the_once_only_claim(redis_url: str, clock: ManualClock) -> None:
    from hooks.governance.backends.redis import RedisBackend

    sink = MemoryAuditSink()

    async def main() -> None:
        a, b = RedisBackend.from_url(redis_url, clock), RedisBackend.from_url(redis_url, clock)
        try:
            first = governor(a, clock, audit=sink, daily_usd="0.06")
            second = governor(b, clock, audit=sink, daily_usd="0.06")
            for _ in range(5):
                await _spend(first, 1)
                await _spend(second, 1)
        finally:
            await a.aclose()
            await b.aclose()

    run(main())
    assert _levels(sink) == [("global", "day", "warning"), ("global", "day", "critical")]


def test_webhook_notifier_posts_json_and_survives_failures(caplog: pytest.LogCaptureFixture) -> None:
    seen: list[dict[str, Any]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(json.loads(request.content))
        return httpx.Response(500 if len(seen) > 1 else 204)

    alert = BudgetAlert("global", "day", "2026-11-24", "warning", 40_000_000, 50_000_000, refused=False)

    async def main() -> None:
        async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
            notifier = WebhookNotifier("https://hooks.example/budget", client=client)
            await notifier.notify(alert)
            await notifier.notify(alert)  # 500: logged, not raised

    with caplog.at_level(logging.ERROR):
        run(main())
    assert seen[0]["type"] == "budget_alert" and seen[0]["spent"] == "$40" and seen[0]["level"] == "warning"
    assert "webhook failed" in caplog.text


def test_log_notifier_and_failing_notifiers_never_break_a_request(
    clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    class Boom:
        async def notify(self, alert: BudgetAlert) -> None:  # noqa: ARG002
            raise RuntimeError("notifier down")

    async def main() -> None:
        gov = governor(MemoryBackend(clock), clock, notifiers=(LogNotifier(), Boom()), daily_usd="0.006")
        await _spend(gov, 1)
        await gov._alerter.drain()

    with caplog.at_level(logging.WARNING):
        run(main())
    assert f"budget critical: global day {next_year()}-11-24 at $0.006 of $0.006" in caplog.text
    assert "notifier down" in caplog.text
