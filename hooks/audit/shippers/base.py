"""The shipper contract, retry policy (exponential backoff with full jitter) and limit-aware batch splitting."""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable


class TransientError(Exception):
    """Retry later (connection refused, timeout, 408/429/5xx). ``retry_after`` in seconds when the peer said."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class PermanentError(Exception):
    """The destination refuses this batch for good (400/401/403, oversized record): dead-letter it."""


@runtime_checkable
class Shipper(Protocol):
    name: str

    def send(self, lines: Sequence[bytes]) -> None:
        """Deliver every line (canonical record JSON) or raise; may split into several requests."""
        ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class RetryPolicy:
    initial: float = 1.0
    cap: float = 30.0
    multiplier: float = 2.0

    def delay(self, attempt: int, retry_after: float | None = None, rng: random.Random | None = None) -> float:
        """Full jitter: uniform(0, min(cap, initial * multiplier**(attempt-1))); at least ``retry_after``."""
        ceiling = min(self.cap, self.initial * self.multiplier ** min(max(0, attempt - 1), 64))
        delay = (rng or random).uniform(0, ceiling)
        if retry_after is not None:
            delay = max(delay, min(retry_after, self.cap))
        return delay


def json_string_length(line: bytes) -> int:
    """Bytes ``line`` takes once embedded as a JSON string (quotes and backslashes escaped)."""
    return len(line) + 2 + line.count(b'"') + line.count(b"\\")


def split_lines(
    lines: Sequence[bytes],
    *,
    max_bytes: int,
    max_count: int,
    overhead: int = 0,
    max_line: int | None = None,
    measure: Callable[[bytes], int] = len,
) -> list[list[bytes]]:
    """Greedy split keeping each chunk within ``max_count`` lines and ``max_bytes`` (``measure(line) + overhead``).

    A line longer than ``max_line`` (or than ``max_bytes`` on its own) raises :class:`PermanentError`.
    """
    chunks: list[list[bytes]] = []
    current: list[bytes] = []
    size = 0
    for line in lines:
        cost = measure(line) + overhead
        if (max_line is not None and measure(line) > max_line) or cost > max_bytes:
            raise PermanentError(f"record of {len(line)} bytes exceeds the destination's limit")
        if current and (len(current) >= max_count or size + cost > max_bytes):
            chunks.append(current)
            current, size = [], 0
        current.append(line)
        size += cost
    if current:
        chunks.append(current)
    return chunks
