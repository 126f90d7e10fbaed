"""Audit sinks. ``MemoryAuditSink`` serves tests and demos; ``TamperEvidentAuditSink`` is the production trail.

The tamper-evident sink is imported lazily (it needs ``cryptography``) so ``import hooks.audit`` stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hooks.audit.memory import MemoryAuditSink

if TYPE_CHECKING:
    from hooks.audit.sink import TamperEvidentAuditSink

__all__ = ["MemoryAuditSink", "TamperEvidentAuditSink"]


def __getattr__(name: str) -> Any:
    if name == "TamperEvidentAuditSink":
        from hooks.audit.sink import TamperEvidentAuditSink

        return TamperEvidentAuditSink
    raise AttributeError(name)
