"""Wire the limiter, the governor, the router and the alerts from one ``GovernanceConfig``.

``redis_url`` set: every replica shares the Redis backend (limits and budgets hold across replicas and restarts).
Unset: the in-process backend, correct for a single process only (limits are then per process).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from hooks.governance.alerts import BudgetAlerter, LogNotifier, Notifier, WebhookNotifier
from hooks.governance.backends.memory import MemoryBackend
from hooks.governance.budget import BudgetBackend, BudgetGovernor
from hooks.governance.clock import Clock, SystemClock
from hooks.governance.config import GovernanceConfig
from hooks.governance.rate_limit import RateLimitBackend, RateLimiter
from hooks.governance.router import ModelRouter
from hooks.types import AuditSink

log = logging.getLogger(__name__)


class GovernanceBackend(RateLimitBackend, BudgetBackend, Protocol):
    """A store for both rate-limit windows and budget counters (``MemoryBackend``, ``RedisBackend``)."""


@dataclass(frozen=True)
class Governance:
    limiter: RateLimiter
    governor: BudgetGovernor
    router: ModelRouter
    alerter: BudgetAlerter
    shared: bool
    """True when the state lives in Redis (shared by replicas)."""


def build_governance(
    config: GovernanceConfig,
    *,
    audit: AuditSink | None = None,
    notifiers: Sequence[Notifier] = (),
    clock: Clock | None = None,
) -> Governance:
    clock = clock or SystemClock()
    backend: GovernanceBackend
    if config.redis_url:
        from hooks.governance.backends.redis import RedisBackend

        backend = RedisBackend.from_url(config.redis_url, clock)
    else:
        log.warning("governance state is in-process: limits and budgets are per process (set redis_url for replicas)")
        backend = MemoryBackend(clock)
    chosen: list[Notifier] = list(notifiers)
    if config.alerts.log:
        chosen.append(LogNotifier())
    if config.alerts.webhook_url:
        chosen.append(WebhookNotifier(config.alerts.webhook_url))
    alerter = BudgetAlerter(config.budgets.alert_threshold, backend, audit=audit, notifiers=chosen, clock=clock)
    limiter = RateLimiter(config.rate_limits, backend, audit=audit, clock=clock, key_prefix=config.key_prefix)
    governor = BudgetGovernor(
        config.budgets,
        config.price_table(),
        backend,
        audit=audit,
        alerter=alerter,
        clock=clock,
        key_prefix=config.key_prefix,
    )
    return Governance(limiter, governor, ModelRouter(governor, audit=audit), alerter, bool(config.redis_url))
