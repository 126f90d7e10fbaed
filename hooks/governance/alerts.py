"""Budget alerts: a warning at the threshold (80 % by default) and a critical alert at 100 %.

Each fires once per (scope, period, level): the first replica to see the crossing claims it in the shared
backend (``claim_once``), so several replicas and repeated crossings do not repeat it. Values are settled +
reserved spend. The 100 % alert also fires when a counter refuses an admission (the budget cannot take the call).

Every alert is an audit event (``llm.budget_alert``) and goes to a pluggable ``Notifier`` (log, webhook).
Notifiers run in the background and their failures are logged: an alert never fails or delays a request.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Protocol

import httpx

from hooks.governance.clock import Clock, SystemClock
from hooks.governance.money import format_usd
from hooks.types import AuditEvent, AuditSink

if TYPE_CHECKING:
    from hooks.governance.budget import Counter

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CounterReading:
    counter: Counter
    value: int


@dataclass(frozen=True)
class BudgetAlert:
    scope: str
    period: str
    period_key: str
    level: str
    """``warning`` (threshold reached) or ``critical`` (100 % reached, or an admission refused)."""
    spent_micros: int
    limit_micros: int
    refused: bool

    def as_dict(self) -> dict[str, Any]:
        return {
            "scope": self.scope,
            "period": self.period,
            "period_key": self.period_key,
            "level": self.level,
            "spent_micro_usd": self.spent_micros,
            "limit_micro_usd": self.limit_micros,
            "spent": format_usd(self.spent_micros),
            "limit": format_usd(self.limit_micros),
            "refused": self.refused,
        }


class Notifier(Protocol):
    async def notify(self, alert: BudgetAlert) -> None: ...


class ClaimStore(Protocol):
    async def claim_once(self, key: str, expire_at_ms: int) -> bool: ...


class LogNotifier:
    def __init__(self, logger: logging.Logger | None = None) -> None:
        self._log = logger or log

    async def notify(self, alert: BudgetAlert) -> None:
        level = logging.CRITICAL if alert.level == "critical" else logging.WARNING
        self._log.log(
            level,
            "budget %s: %s %s %s at %s of %s",
            alert.level,
            alert.scope,
            alert.period,
            alert.period_key,
            format_usd(alert.spent_micros),
            format_usd(alert.limit_micros),
        )


class WebhookNotifier:
    """POSTs the alert as JSON. Failures are logged, never raised; the audit event is the record."""

    def __init__(
        self,
        url: str,
        *,
        client: httpx.AsyncClient | None = None,
        timeout_s: float = 5.0,
        headers: dict[str, str] | None = None,
    ) -> None:
        if not url.startswith(("https://", "http://")):
            raise ValueError("webhook url must be http(s)")
        self._url = url
        self._client = client
        self._timeout = timeout_s
        self._headers = headers or {}

    async def notify(self, alert: BudgetAlert) -> None:
        payload = {"type": "budget_alert", **alert.as_dict()}
        try:
            if self._client is not None:
                response = await self._client.post(
                    self._url, json=payload, headers=self._headers, timeout=self._timeout
                )
            else:
                async with httpx.AsyncClient(timeout=self._timeout) as client:
                    response = await client.post(self._url, json=payload, headers=self._headers)
            response.raise_for_status()
        except httpx.HTTPError as exc:
            log.error("budget alert webhook failed: %s", exc)


class BudgetAlerter:
    def __init__(
        self,
        threshold: Decimal,
        claims: ClaimStore,
        *,
        audit: AuditSink | None = None,
        notifiers: Sequence[Notifier] = (),
        clock: Clock | None = None,
    ) -> None:
        if not 0 < threshold < 1:
            raise ValueError("alert threshold must be between 0 and 1")
        self._threshold = threshold
        self._claims = claims
        self._audit = audit
        self._notifiers = tuple(notifiers)
        self._clock = clock or SystemClock()
        self._fired: set[str] = set()  # claims this process already holds (saves a round trip)
        self._tasks: set[asyncio.Task[None]] = set()

    def _levels(self, reading: CounterReading, refused: bool) -> list[str]:
        limit = reading.counter.limit
        levels = []
        if reading.value * 1000 >= int(self._threshold * 1000) * limit:
            levels.append("warning")
        if reading.value >= limit or refused:
            levels.append("critical")
        return levels

    async def observe(self, readings: Iterable[CounterReading], refused: Sequence[Counter] = ()) -> None:
        refused_keys = {c.key for c in refused}
        for reading in readings:
            c = reading.counter
            for level in self._levels(reading, c.key in refused_keys):
                claim = f"{c.key}:alert:{level}"
                if claim in self._fired:
                    continue
                try:
                    first = await self._claims.claim_once(claim, c.expire_at_ms)
                except Exception as exc:
                    log.error("cannot record budget alert claim (%s); alert not sent", exc)
                    continue
                if len(self._fired) > 100_000:
                    self._fired.clear()  # only a cache: the backend claim is the record
                self._fired.add(claim)
                if first:
                    self._fire(BudgetAlert(c.scope, c.period.value, c.period_key, level, reading.value, c.limit,
                                           c.key in refused_keys))  # fmt: skip

    def _fire(self, alert: BudgetAlert) -> None:
        if self._audit is not None:
            self._audit.emit(
                AuditEvent(
                    category="llm",
                    action="llm.budget_alert",
                    actor=alert.scope,
                    detail=alert.as_dict(),
                    timestamp=self._clock.now(),
                )
            )
        for notifier in self._notifiers:
            task = asyncio.get_running_loop().create_task(self._notify(notifier, alert))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    @staticmethod
    async def _notify(notifier: Notifier, alert: BudgetAlert) -> None:
        try:
            await notifier.notify(alert)
        except Exception:
            log.exception("budget alert notifier %r failed", notifier)

    async def drain(self) -> None:
        """Wait for the notifications in flight (tests, shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks))
