"""Rate limiting and cost governance for the hooks runtime.

* ``RateLimiter`` (per user and global, moving window) with ``MemoryBackend`` or ``RedisBackend``, and the
  ``GovernanceMiddleware`` ASGI middleware (429 + ``Retry-After`` + IETF ``RateLimit`` headers).
* ``BudgetGovernor`` (daily/monthly USD, global and per user, reserve at admission / settle from usage) and the
  ``ModelRouter`` wrapper (downgrade chain, ``llm.fallback``, 503 when nothing fits).
* ``BudgetAlerter`` with ``LogNotifier`` / ``WebhookNotifier`` (80 % and 100 %, once per scope, period, level).
* ``build_governance`` wires them all from one config (Redis when ``redis_url`` is set).
* ``load_governance_config`` (YAML + ``RATE_LIMIT_*`` / ``COST_*`` environment overrides).

The Redis backend is imported from ``hooks.governance.backends.redis`` (it needs the ``redis`` package).
"""

from hooks.governance.alerts import BudgetAlert, BudgetAlerter, LogNotifier, Notifier, WebhookNotifier
from hooks.governance.asgi import GovernanceMiddleware
from hooks.governance.backends.memory import MemoryBackend
from hooks.governance.budget import BudgetGovernor, Refusal, Reservation, Settlement, parse_usage
from hooks.governance.clock import Clock, ManualClock, SystemClock
from hooks.governance.config import (
    GovernanceConfig,
    GovernanceConfigError,
    build_governance_config,
    load_governance_config,
)
from hooks.governance.factory import Governance, build_governance
from hooks.governance.pricing import PriceTable, PricingError, UnknownModelError
from hooks.governance.rate_limit import RateLimitDecision, RateLimiter
from hooks.governance.router import Admission, BudgetExhaustedError, ModelRouter

__all__ = [
    "Admission",
    "BudgetAlert",
    "BudgetAlerter",
    "BudgetExhaustedError",
    "BudgetGovernor",
    "Clock",
    "Governance",
    "GovernanceConfig",
    "GovernanceConfigError",
    "GovernanceMiddleware",
    "LogNotifier",
    "ManualClock",
    "MemoryBackend",
    "ModelRouter",
    "Notifier",
    "PriceTable",
    "PricingError",
    "RateLimitDecision",
    "RateLimiter",
    "Refusal",
    "Reservation",
    "Settlement",
    "SystemClock",
    "UnknownModelError",
    "WebhookNotifier",
    "build_governance",
    "build_governance_config",
    "load_governance_config",
    "parse_usage",
]
