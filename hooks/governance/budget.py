"""Daily and monthly USD budgets, global and per user: reserve at admission, settle from the provider's usage.

* Admission reserves the most the call can cost (prompt tokens x input price + max output tokens x output
  price) in every applicable counter at once, or in none: the backend checks ``spent + reserved + estimate <=
  limit`` for each counter and adds the estimate to all of them atomically. Concurrent admissions therefore
  never overshoot a budget; the spend can exceed it only when a provider reports more tokens than were reserved.
* Completion settles the reservation to the cost computed from the provider's usage numbers (idempotent: a
  second settlement of the same reservation changes nothing).
* A call that breaks off (stream cut, timeout, usage missing or malformed) settles at the reservation, never
  at zero. ``release`` (settle at zero) is only for a call that was never sent.
* A reservation that is never settled expires after ``reservation_ttl_seconds``: its amount stays charged and
  its bookkeeping is dropped, so a crashed worker cannot make calls free.
* Counters are keyed by UTC calendar period (``day:2026-11-24``, ``month:2026-11``): a new period starts at zero
  with no reset job. A reservation settles into the periods it was made in, even across midnight.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from hooks.governance.alerts import BudgetAlerter, CounterReading
from hooks.governance.clock import Clock, SystemClock, epoch_ms
from hooks.governance.config import BudgetSettings
from hooks.governance.money import format_usd
from hooks.governance.periods import Period, period_end, period_key, seconds_until
from hooks.governance.pricing import PriceTable
from hooks.types import AuditEvent, AuditSink

log = logging.getLogger(__name__)

#: Counters outlive their period by this long (for reports and late settlements), then Redis drops them.
COUNTER_GRACE_MS = 35 * 86_400_000


@dataclass(frozen=True)
class Counter:
    """One budget counter: a scope (``global`` or ``user:<id>``) in one calendar period."""

    scope: str
    period: Period
    period_key: str
    key: str
    limit: int
    """Micro-USD."""
    ends_at: datetime

    @property
    def expire_at_ms(self) -> int:
        return epoch_ms(self.ends_at) + COUNTER_GRACE_MS


@dataclass(frozen=True)
class ReserveResult:
    admitted: bool
    values: tuple[int, ...]
    """Each counter's value (settled + reserved, micro-USD) after the operation."""
    blocked: tuple[bool, ...]
    """Per counter: it could not take the amount."""
    duplicate: bool = False


@dataclass(frozen=True)
class SettleResult:
    applied: bool
    """False when the reservation was already settled or had expired (nothing changed)."""
    reserved: int
    values: tuple[int, ...]


class BudgetBackend(Protocol):
    async def reserve(
        self, counters: Sequence[Counter], amount: int, reservation_key: str, ttl_ms: int
    ) -> ReserveResult: ...

    async def settle(self, reservation_key: str, counters: Sequence[Counter], actual: int) -> SettleResult: ...

    async def claim_once(self, key: str, expire_at_ms: int) -> bool:
        """True for the first caller with ``key`` (until it expires), False for every later one."""
        ...

    async def read(self, keys: Sequence[str]) -> tuple[int, ...]: ...


class BudgetBackendError(RuntimeError):
    """The store failed: the governor refuses (fails closed), it never admits unbudgeted."""


@dataclass(frozen=True)
class Reservation:
    id: str
    user_id: str
    model: str
    amount: int
    """Micro-USD reserved."""
    counters: tuple[Counter, ...]
    key: str


@dataclass(frozen=True)
class Refusal:
    model: str
    estimate: int
    blocked: tuple[Counter, ...]
    retry_after: int
    """Seconds to the latest period boundary among the blocking counters."""
    reason: str = "budget"


@dataclass(frozen=True)
class Settlement:
    charged: int
    """Micro-USD this call finally costs."""
    source: str
    """``usage`` (from the provider), ``reservation`` (usage missing, aborted or expired), ``released``."""
    applied: bool


#: More tokens than any call has: a provider reporting this is broken, and its numbers are not trusted.
MAX_TOKENS_PER_CALL = 100_000_000


def _count(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_TOKENS_PER_CALL:
        return None
    return value


def _field(usage: Any, name: str) -> Any:
    if isinstance(usage, Mapping):
        return usage.get(name)
    return getattr(usage, name, None)


def parse_usage(usage: Any) -> tuple[int, int] | None:
    """``(input tokens, output tokens)`` from an OpenAI- or Anthropic-style usage object or mapping, in snake_case or
    in the camelCase a JavaScript client reports (``inputTokens``, as Baker Street's model router does).

    None when the numbers are missing, negative, absurdly large or not integers: the caller then settles at the
    reservation.
    Cache-read and cache-creation input tokens are charged at the input price (never less than they cost).
    """
    if usage is None:
        return None
    pairs = (("input_tokens", "output_tokens"), ("prompt_tokens", "completion_tokens"),
             ("inputTokens", "outputTokens"), ("promptTokens", "completionTokens"))  # fmt: skip
    for input_name, output_name in pairs:
        raw_in, raw_out = _field(usage, input_name), _field(usage, output_name)
        if raw_in is None and raw_out is None:
            continue
        tokens_in, tokens_out = _count(raw_in), _count(raw_out)
        if tokens_in is None or tokens_out is None:
            return None
        for extra in ("cache_creation_input_tokens", "cache_read_input_tokens", "cacheCreationInputTokens",
                      "cacheReadInputTokens"):  # fmt: skip
            raw = _field(usage, extra)
            if raw is not None:
                if (count := _count(raw)) is None:
                    return None
                tokens_in += count
        return tokens_in, tokens_out
    return None


class BudgetGovernor:
    """Admission and settlement of LLM spend against the configured budgets."""

    def __init__(
        self,
        settings: BudgetSettings,
        prices: PriceTable,
        backend: BudgetBackend,
        *,
        audit: AuditSink | None = None,
        alerter: BudgetAlerter | None = None,
        clock: Clock | None = None,
        key_prefix: str = "bakerst:gov",
    ) -> None:
        self.settings = settings
        self.prices = prices
        self._backend = backend
        self._audit = audit
        self._clock = clock or SystemClock()
        self._alerter = alerter or BudgetAlerter(settings.alert_threshold, backend, audit=audit, clock=self._clock)
        self._prefix = key_prefix
        self._limits = settings.limits_micros()

    @property
    def clock(self) -> Clock:
        return self._clock

    def counters(self, user_id: str, now: datetime | None = None) -> tuple[Counter, ...]:
        """Every counter a call by ``user_id`` at ``now`` must fit into."""
        when = now or self._clock.now()
        out = []
        for (kind, period_name), limit in self._limits.items():
            period = Period(period_name)
            scope = "global" if kind == "global" else f"user:{user_id}"
            pkey = period_key(period, when)
            key = f"{{{self._prefix}}}:spend:{period.value}:{pkey}:{scope}"
            out.append(Counter(scope, period, pkey, key, limit, period_end(period, when)))
        return tuple(out)

    def estimate(self, model: str, prompt_tokens: int, max_output_tokens: int | None) -> int:
        cap = self.settings.default_max_output_tokens if max_output_tokens is None else max_output_tokens
        return self.prices.estimate(model, prompt_tokens, cap)

    async def reserve(
        self,
        user_id: str,
        model: str,
        prompt_tokens: int,
        max_output_tokens: int | None = None,
        *,
        request_id: str | None = None,
    ) -> Reservation | Refusal:
        """Reserve the call's maximum cost in every applicable counter, or refuse (nothing reserved)."""
        if not user_id:
            raise ValueError("budget admission needs a user id")
        amount = self.estimate(model, prompt_tokens, max_output_tokens)  # UnknownModelError for unpriced models
        now = self._clock.now()
        counters = self.counters(user_id, now)
        rid = request_id or uuid.uuid4().hex
        key = f"{{{self._prefix}}}:resv:{rid}"
        try:
            result = await self._backend.reserve(counters, amount, key, self.settings.reservation_ttl_seconds * 1000)
        except Exception as exc:
            log.error("budget backend failed on reserve (%s); refusing", exc)
            self._emit("llm.governance_backend_error", user_id, {"error": repr(exc), "failure_mode": "closed"})
            return Refusal(model, amount, (), 30, reason="backend")
        if result.duplicate:
            raise ValueError(f"reservation id {rid!r} is already in use")
        readings = [CounterReading(c, v) for c, v in zip(counters, result.values, strict=True)]
        if not result.admitted:
            blocked = tuple(c for c, b in zip(counters, result.blocked, strict=True) if b)
            retry = max(seconds_until(c.ends_at, now) for c in blocked)
            await self._alerter.observe(readings, refused=blocked)
            return Refusal(model, amount, blocked, retry)
        await self._alerter.observe(readings)
        return Reservation(rid, user_id, model, amount, counters, key)

    async def settle(self, reservation: Reservation, usage: Any) -> Settlement:
        """Settle to the cost of the provider's usage numbers; missing or malformed usage settles at the reservation."""
        tokens = parse_usage(usage)
        if tokens is None:
            self._emit(
                "llm.usage_missing",
                reservation.user_id,
                {"model": reservation.model, "reservation_id": reservation.id, "charged_micro_usd": reservation.amount},
            )
            return await self._settle(reservation, reservation.amount, "reservation")
        return await self._settle(reservation, self.prices.cost(reservation.model, *tokens), "usage")

    async def abort(self, reservation: Reservation, reason: str = "aborted") -> Settlement:
        """The call broke off (stream cut, timeout, error after sending): charge the reservation."""
        self._emit(
            "llm.call_aborted",
            reservation.user_id,
            {"model": reservation.model, "reservation_id": reservation.id, "reason": reason,
             "charged_micro_usd": reservation.amount},
        )  # fmt: skip
        return await self._settle(reservation, reservation.amount, "reservation")

    async def release(self, reservation: Reservation) -> Settlement:
        """The call was never sent to the provider: return the reservation."""
        return await self._settle(reservation, 0, "released")

    async def _settle(self, reservation: Reservation, actual: int, source: str) -> Settlement:
        try:
            result = await self._backend.settle(reservation.key, reservation.counters, actual)
        except Exception as exc:
            # The reservation stays charged in full and expires: safe, never free.
            log.error(
                "budget backend failed on settle of %s (%s); it stays charged at the reservation", reservation.id, exc
            )
            self._emit(
                "llm.governance_backend_error",
                reservation.user_id,
                {"error": repr(exc), "reservation_id": reservation.id},
            )
            return Settlement(reservation.amount, "reservation", applied=False)
        if not result.applied:
            # Already settled, or expired (and so charged at the reservation): nothing to change.
            return Settlement(reservation.amount, "reservation", applied=False)
        if actual > reservation.amount:
            log.warning("call %s cost %s, above its reservation of %s", reservation.id, format_usd(actual),
                        format_usd(reservation.amount))  # fmt: skip
        await self._alerter.observe(
            [CounterReading(c, v) for c, v in zip(reservation.counters, result.values, strict=True)]
        )
        return Settlement(actual, source, applied=True)

    async def spent(self, user_id: str = "", now: datetime | None = None) -> dict[str, int]:
        """Settled + reserved micro-USD per counter (``global/day`` ...), for reports and tests."""
        counters = self.counters(user_id or "-", now)
        values = await self._backend.read([c.key for c in counters])
        return {f"{c.scope}/{c.period.value}": v for c, v in zip(counters, values, strict=True)}

    def _emit(self, action: str, actor: str, detail: dict[str, Any]) -> None:
        if self._audit is not None:
            self._audit.emit(
                AuditEvent(category="llm", action=action, actor=actor, detail=detail, timestamp=self._clock.now())
            )
