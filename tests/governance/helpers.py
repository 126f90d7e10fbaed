"""Shared builders for the governance tests."""

from __future__ import annotations

import functools
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from hooks.audit.memory import MemoryAuditSink
from hooks.governance.alerts import BudgetAlerter, Notifier
from hooks.governance.budget import BudgetBackend, BudgetGovernor
from hooks.governance.clock import ManualClock
from hooks.governance.config import BudgetSettings
from hooks.governance.pricing import PriceTable


@functools.cache
def next_year() -> int:
    """The calendar year after the current one (fixed at first use, so a run across New Year stays consistent):
    dates in tests are placed there, never written out."""
    return datetime.now(UTC).year + 1


def moment(month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    """That calendar moment (UTC) next year.

    Counters in Redis expire at an absolute time (``PEXPIREAT``, period end + 35 days) that Redis applies on its
    own clock, so an injected clock must never sit in Redis's past: a test pinned to a written date would pass
    until that date plus 35 days and fail every day after. A moment next year keeps the calendar position a test
    needs (23:59:59, the last day of a month or year) on any day the suite runs."""
    return datetime(next_year(), month, day, hour, minute, second, tzinfo=UTC)


# USD per million tokens. big -> mid -> small, each cheaper.
PRICES: dict[str, dict[str, Any]] = {
    "big": {"input_usd_per_mtok": "3", "output_usd_per_mtok": "15", "fallback": "mid"},
    "mid": {"input_usd_per_mtok": "1", "output_usd_per_mtok": "5", "fallback": "small"},
    "small": {"input_usd_per_mtok": "0.25", "output_usd_per_mtok": "1.25"},
}


def settings(**overrides: Any) -> BudgetSettings:
    return BudgetSettings.model_validate(overrides)


def governor(
    backend: BudgetBackend,
    clock: ManualClock,
    *,
    audit: MemoryAuditSink | None = None,
    notifiers: tuple[Notifier, ...] = (),
    **overrides: Any,
) -> BudgetGovernor:
    s = settings(**overrides)
    alerter = BudgetAlerter(s.alert_threshold, backend, audit=audit, notifiers=notifiers, clock=clock)
    return BudgetGovernor(s, PriceTable.from_mapping(PRICES), backend, audit=audit, alerter=alerter, clock=clock)


def usd(amount: str) -> int:
    return int(Decimal(amount) * 1_000_000)
