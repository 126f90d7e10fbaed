"""Request rate limits: per user and global, moving window, checked together before either is consumed.

The decision is a plain async function (``RateLimiter.check``); the ASGI middleware in ``hooks.governance.asgi``
is a thin shell around it. Backends (in-process, Redis) implement ``RateLimitBackend.acquire``, which must admit a
request into every window or into none, atomically.

Semantics: an exact moving window (a log of admission times, at most ``limit`` entries per key), so there is no
2x burst at a window boundary. A refused request consumes nothing.
"""

from __future__ import annotations

import logging
import math
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from hooks.governance.clock import Clock, SystemClock
from hooks.governance.config import RateLimitSettings
from hooks.types import AuditEvent, AuditSink

log = logging.getLogger(__name__)

WINDOW_MS = 60_000
BACKEND_RETRY_AFTER_S = 5


@dataclass(frozen=True)
class LimitSpec:
    """One window to admit a request into."""

    name: str
    """Policy name for headers and audit (``user``, ``global``)."""
    key: str
    """Storage key of the window."""
    limit: int
    window_ms: int


@dataclass(frozen=True)
class WindowState:
    name: str
    limit: int
    window_ms: int
    used: int
    """Entries in the window after the decision (including this request when admitted)."""
    reset_ms: int
    """Milliseconds until the oldest entry leaves the window (a slot frees up); 0 for an empty window."""

    @property
    def remaining(self) -> int:
        return max(0, self.limit - self.used)


@dataclass(frozen=True)
class AcquireResult:
    admitted: bool
    windows: tuple[WindowState, ...]


class RateLimitBackend(Protocol):
    async def acquire(self, specs: Sequence[LimitSpec], request_id: str) -> AcquireResult:
        """Admit into every window of ``specs`` if each has room, else into none; atomic across all of them."""
        ...


class BackendUnavailableError(RuntimeError):
    """The shared store could not be reached or answered nonsense."""


@dataclass(frozen=True)
class RateLimitDecision:
    allowed: bool
    status: int
    """200 when allowed, 429 over a limit, 503 when the backend failed closed."""
    blocked: tuple[str, ...]
    retry_after: int
    """Seconds (rounded up, at least 1) before a retry can succeed; 0 when allowed."""
    windows: tuple[WindowState, ...]

    def headers(self) -> list[tuple[str, str]]:
        """``RateLimit-Policy`` and ``RateLimit`` (draft-ietf-httpapi-ratelimit-headers-10), plus ``Retry-After``."""
        out: list[tuple[str, str]] = []
        if self.windows:
            policies = ", ".join(f'"{w.name}";q={w.limit};w={w.window_ms // 1000}' for w in self.windows)
            # The most constraining window: least remaining, then the longest wait.
            tight = min(self.windows, key=lambda w: (w.remaining, -w.reset_ms))
            reset = math.ceil(tight.reset_ms / 1000) if tight.reset_ms else 0
            out += [("RateLimit-Policy", policies), ("RateLimit", f'"{tight.name}";r={tight.remaining};t={reset}')]
        if not self.allowed:
            out.append(("Retry-After", str(self.retry_after)))
        return out


def _retry_after(windows: Sequence[WindowState]) -> int:
    waits = [w.reset_ms for w in windows if w.remaining == 0]
    return max(1, math.ceil(max(waits, default=1000) / 1000))


class RateLimiter:
    """Per-user and global request limits over one backend."""

    def __init__(
        self,
        settings: RateLimitSettings,
        backend: RateLimitBackend,
        *,
        audit: AuditSink | None = None,
        clock: Clock | None = None,
        key_prefix: str = "bakerst:gov",
    ) -> None:
        self.settings = settings
        self._backend = backend
        self._audit = audit
        self._clock = clock or SystemClock()
        self._prefix = key_prefix

    def specs(self, user_id: str) -> tuple[LimitSpec, LimitSpec]:
        s = self.settings
        return (
            LimitSpec("user", f"{{{self._prefix}}}:rl:user:{user_id}", s.per_user_per_minute, WINDOW_MS),
            LimitSpec("global", f"{{{self._prefix}}}:rl:global", s.global_per_minute, WINDOW_MS),
        )

    async def check(self, user_id: str, *, path: str = "") -> RateLimitDecision:
        """Admit one request for ``user_id`` (consuming one slot in each window) or refuse it (consuming none)."""
        if not user_id:
            raise ValueError("rate limiting needs a non-empty principal (user id or client address)")
        try:
            result = await self._backend.acquire(self.specs(user_id), uuid.uuid4().hex)
        except Exception as exc:  # the store is down: fail as configured, and say so in the audit trail
            open_ = self.settings.failure_mode == "open"
            log.error("rate-limit backend failed (%s); failing %s", exc, "open" if open_ else "closed")
            self._emit(
                "llm.governance_backend_error",
                user_id,
                {"error": repr(exc), "failure_mode": "open" if open_ else "closed", "path": path},
            )
            if open_:
                return RateLimitDecision(True, 200, (), 0, ())
            return RateLimitDecision(False, 503, ("backend",), BACKEND_RETRY_AFTER_S, ())
        if result.admitted:
            return RateLimitDecision(True, 200, (), 0, result.windows)
        blocked = tuple(w.name for w in result.windows if w.remaining == 0)
        decision = RateLimitDecision(False, 429, blocked, _retry_after(result.windows), result.windows)
        self._emit(
            "llm.rate_limited",
            user_id,
            {
                "blocked": list(blocked),
                "retry_after": decision.retry_after,
                "limits": {w.name: w.limit for w in result.windows},
                "path": path,
            },
        )
        return decision

    def _emit(self, action: str, actor: str, detail: dict[str, object]) -> None:
        if self._audit is not None:
            self._audit.emit(
                AuditEvent(category="llm", action=action, actor=actor, detail=detail, timestamp=self._clock.now())
            )
