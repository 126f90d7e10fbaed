"""The model router wrapper: every LLM call passes here (one choke point) to be budgeted.

``admit`` picks the requested model if its reservation fits every budget; otherwise, with the ``downgrade``
strategy, the first cheaper model along the configured chain whose reservation fits (emitting ``llm.fallback``);
with ``deny``, or when no model fits, it raises ``BudgetExhaustedError`` (HTTP 503, ``Retry-After`` = seconds to
the period boundary that frees the budget). ``call`` and ``stream`` wrap a provider call and settle it: from the
usage numbers when the provider gives them, at the reservation when it does not or when the call breaks off.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from hooks.governance.budget import BudgetGovernor, Refusal, Reservation, Settlement
from hooks.governance.config import FallbackStrategy
from hooks.types import AuditEvent, AuditSink

T = TypeVar("T")


class BudgetExhaustedError(Exception):
    """No model can be afforded now. Map to HTTP 503 with ``headers()`` (the ASGI middleware does)."""

    status = 503

    def __init__(self, requested_model: str, retry_after: int, refusals: tuple[Refusal, ...]) -> None:
        self.requested_model = requested_model
        self.retry_after = retry_after
        self.refusals = refusals
        scopes = sorted({f"{c.scope}/{c.period.value}" for r in refusals for c in r.blocked}) or ["backend"]
        super().__init__(f"budget exhausted for {requested_model!r} ({', '.join(scopes)}); retry in {retry_after} s")

    def headers(self) -> list[tuple[str, str]]:
        return [("Retry-After", str(self.retry_after)), ("Content-Type", "application/json")]

    def body(self) -> bytes:
        return json.dumps({"error": "budget_exhausted", "retry_after": self.retry_after}).encode()


@dataclass(frozen=True)
class Admission:
    requested_model: str
    reservation: Reservation

    @property
    def model(self) -> str:
        """The model to call (the requested one, or the downgrade)."""
        return self.reservation.model

    @property
    def downgraded(self) -> bool:
        return self.model != self.requested_model


class ModelRouter:
    def __init__(
        self,
        governor: BudgetGovernor,
        *,
        strategy: FallbackStrategy | None = None,
        audit: AuditSink | None = None,
    ) -> None:
        self.governor = governor
        self.strategy: FallbackStrategy = strategy or governor.settings.fallback_strategy
        self._audit = audit

    async def admit(
        self, user_id: str, model: str, prompt_tokens: int, max_output_tokens: int | None = None
    ) -> Admission:
        candidates = self.governor.prices.chain(model) if self.strategy == "downgrade" else (model,)
        refusals: list[Refusal] = []
        for candidate in candidates:
            outcome = await self.governor.reserve(user_id, candidate, prompt_tokens, max_output_tokens)
            if isinstance(outcome, Reservation):
                if candidate != model:
                    self._emit("llm.fallback", user_id, {
                        "from_model": model, "to_model": candidate, "reason": "over budget",
                        "reserved_micro_usd": outcome.amount,
                        "over_budget": sorted({f"{c.scope}/{c.period.value}" for r in refusals for c in r.blocked}),
                    })  # fmt: skip
                return Admission(model, outcome)
            refusals.append(outcome)
            if outcome.reason == "backend":
                break  # the store is down: refusing is the only safe answer
        retry = min(r.retry_after for r in refusals)
        self._emit("llm.budget_exceeded", user_id, {
            "requested_model": model, "strategy": self.strategy, "retry_after": retry,
            "tried": [{"model": r.model, "estimate_micro_usd": r.estimate,
                       "blocked": [f"{c.scope}/{c.period.value}" for c in r.blocked]} for r in refusals],
        })  # fmt: skip
        raise BudgetExhaustedError(model, retry, tuple(refusals))

    async def call(
        self,
        user_id: str,
        model: str,
        *,
        prompt_tokens: int,
        max_output_tokens: int | None,
        invoke: Callable[[str], Awaitable[T]],
        usage_of: Callable[[T], Any],
    ) -> tuple[T, Admission, Settlement]:
        """Admit, run ``invoke(model)``, settle from ``usage_of(result)``; an exception settles at the reservation."""
        admission = await self.admit(user_id, model, prompt_tokens, max_output_tokens)
        try:
            result = await invoke(admission.model)
        except BaseException as exc:
            await self.governor.abort(admission.reservation, reason=type(exc).__name__)
            raise
        try:
            usage = usage_of(result)
        except Exception:
            usage = None  # unreadable usage: charged at the reservation
        settlement = await self.governor.settle(admission.reservation, usage)
        return result, admission, settlement

    async def stream(
        self,
        admission: Admission,
        chunks: AsyncIterator[T],
        usage_of: Callable[[T], Any],
    ) -> AsyncIterator[T]:
        """Pass a provider stream through; settle from the last usage seen when it ends normally.

        A stream that breaks off (the provider fails, the consumer stops early or is cancelled) or that never
        reports usage settles at the reservation. Ask the provider for usage in the stream (OpenAI:
        ``stream_options={"include_usage": true}``; Anthropic sends it in ``message_delta``).
        """
        usage: Any = None
        completed = False
        try:
            async for chunk in chunks:
                try:
                    seen = usage_of(chunk)
                except Exception:
                    seen = None
                if seen is not None:
                    usage = seen
                yield chunk
            completed = True
        finally:
            if completed:
                await self.governor.settle(admission.reservation, usage)
            else:
                await self.governor.abort(admission.reservation, reason="stream_interrupted")

    def _emit(self, action: str, actor: str, detail: dict[str, Any]) -> None:
        if self._audit is not None:
            self._audit.emit(
                AuditEvent(
                    category="llm", action=action, actor=actor, detail=detail, timestamp=self.governor.clock.now()
                )
            )
