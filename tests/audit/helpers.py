"""Shared helpers for the audit tests: key dirs, synthetic trails, tampering on lines."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from hooks.audit.canonical import canonical_bytes
from hooks.audit.checkpoint import TrailWriter
from hooks.audit.keys import keygen, load_signing_key, load_verifier, writer_dir
from hooks.audit.taxonomy import make_event
from hooks.audit.verify import Report, verify_lines
from hooks.types import AuditEvent


def recent(seconds_ago: float = 60.0) -> datetime:
    """A moment just before now. Receivers compare timestamps with their clock (Loki refuses samples older than
    7 days), so events are stamped relative to now, never with a written date: the suite must pass on any day."""
    return datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=seconds_ago)


def event(i: int, ts: datetime | None = None) -> AuditEvent:
    return make_event(
        "tool.executed",
        f"user-{i % 7}",
        {"tool": "shell", "call_id": f"call-{i}", "input": {"cmd": f"ls -la /tmp/{i}", "n": i}},
        timestamp=ts or recent(),
    )


def new_keys(tmp: Path) -> Path:
    keygen(tmp / "keys", log_id="test/log")
    return tmp / "keys"


def writer(keys: Path) -> TrailWriter:
    name, signer = load_signing_key(keys)
    return TrailWriter.load(writer_dir(keys) / "state.json", signer, name)


def build_trail(
    keys: Path, n_events: int, batch: int = 100, *, gap_after_batch: int | None = None, final: bool = True
) -> list[bytes]:
    """Canonical record lines for ``n_events`` events in flushes of ``batch``, one checkpoint per flush."""
    w = writer(keys)
    lines: list[bytes] = []
    now = recent(3600)
    batches = (n_events + batch - 1) // batch
    for b in range(batches):
        now += timedelta(seconds=5)
        if gap_after_batch is not None and b == gap_after_batch + 1:
            now += timedelta(seconds=300)
        evs = [event(i, now) for i in range(b * batch, min(n_events, (b + 1) * batch))]
        recs = w.write_batch(evs, final=final and b == batches - 1, now=now)
        lines.extend(canonical_bytes(r) for r in recs)
    return lines


def verify(keys: Path, lines: list[bytes], **kwargs: Any) -> Report:
    seed, _, public = load_verifier(keys)
    return verify_lines([(0, i + 1, line) for i, line in enumerate(lines)], seed, public, **kwargs)


def record(line: bytes) -> dict[str, Any]:
    value = json.loads(line)
    assert isinstance(value, dict)
    return value


def is_checkpoint(line: bytes) -> bool:
    return bool(record(line)["action"] == "audit.checkpoint")
