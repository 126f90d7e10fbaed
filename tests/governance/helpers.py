"""Shared builders for the governance tests."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from hooks.audit.memory import MemoryAuditSink
from hooks.governance.alerts import BudgetAlerter, Notifier
from hooks.governance.budget import BudgetBackend, BudgetGovernor
from hooks.governance.clock import ManualClock
from hooks.governance.config import BudgetSettings
from hooks.governance.pricing import PriceTable

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
