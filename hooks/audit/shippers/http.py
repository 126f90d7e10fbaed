"""Common HTTP delivery: status mapping (retry / split / refuse) and recursive halving on 413."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import httpx

from hooks.audit.shippers.base import PermanentError, TransientError

RETRY_STATUS = frozenset({408, 429, 500, 502, 503, 504})


def retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        return None


def check(response: httpx.Response, what: str) -> None:
    """Raise for anything but 2xx: TransientError for 408/429/5xx, PermanentError otherwise (413 handled by caller)."""
    if 200 <= response.status_code < 300:
        return
    message = f"{what}: HTTP {response.status_code} {response.text[:200]}"
    if response.status_code in RETRY_STATUS or response.status_code >= 500:
        raise TransientError(message, retry_after(response))
    raise PermanentError(message)


def post_split(lines: Sequence[bytes], post: Callable[[Sequence[bytes]], httpx.Response], what: str) -> None:
    """POST ``lines``; on 413 split in halves and retry each (a single refused line is a PermanentError)."""
    try:
        response = post(lines)
    except httpx.HTTPError as exc:
        raise TransientError(f"{what}: {exc}") from exc
    if response.status_code == 413 and len(lines) > 1:
        half = len(lines) // 2
        post_split(lines[:half], post, what)
        post_split(lines[half:], post, what)
        return
    check(response, what)
