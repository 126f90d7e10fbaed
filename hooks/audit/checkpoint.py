"""Ed25519-signed checkpoints (C2SP signed-note body) and the trail writer that emits them.

Checkpoint note body (signed bytes)::

    <log_id>
    <tree size>
    <base64 RFC 6962 root over the leaves of records 0..size-1>
    epoch <e> lastmac <hex> time <unix s> prev <base64 SHA-256 of the previous note> dropped <n> final <0|1>

The checkpoint is itself a chained record (``category=admin``, ``action=audit.checkpoint``, ``seq`` = tree
size) whose ``detail`` carries the body fields, ``key_id`` and ``sig``; it is shipped like any record.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from hooks.audit.chain import ZERO_MAC, ChainState
from hooks.audit.keys import key_id
from hooks.audit.merkle import MerkleFrontier, leaf_hash
from hooks.audit.taxonomy import CHECKPOINT_ACTION, format_ts
from hooks.types import AuditEvent

NO_PREV = base64.b64encode(bytes(32)).decode()


def note_body(detail: dict[str, Any]) -> bytes:
    return (
        f"{detail['origin']}\n{detail['tree_size']}\n{detail['root']}\n"
        f"epoch {detail['epoch']} lastmac {detail['last_mac']} time {detail['time']} prev {detail['prev']} "
        f"dropped {detail['dropped']} final {1 if detail['final'] else 0}\n"
    ).encode()


def note_hash(detail: dict[str, Any]) -> str:
    return base64.b64encode(hashlib.sha256(note_body(detail) + detail["sig"].encode()).digest()).decode()


def verify_signature(detail: dict[str, Any], public: Ed25519PublicKey) -> bool:
    try:
        public.verify(base64.b64decode(detail["sig"]), note_body(detail))
    except (InvalidSignature, ValueError, KeyError):
        return False
    return True


class TrailWriter:
    """Turns batches of events into MAC'd records, appends a signed checkpoint, then ratchets the key."""

    def __init__(
        self,
        chain: ChainState,
        signer: Ed25519PrivateKey,
        key_name: str,
        frontier: MerkleFrontier | None = None,
        prev_checkpoint: str = NO_PREV,
    ) -> None:
        self.chain = chain
        self._signer = signer
        self._key_id = base64.b64encode(key_id(key_name, signer.public_key())).decode()
        self.frontier = frontier or MerkleFrontier()
        self.prev_checkpoint = prev_checkpoint
        self.dropped_total = 0

    def write_batch(
        self, events: Iterable[AuditEvent], *, dropped: int = 0, final: bool = False, now: datetime | None = None
    ) -> list[dict[str, Any]]:
        return self.write_batch_lines(events, dropped=dropped, final=final, now=now)[0]

    def write_batch_lines(
        self,
        events: Iterable[AuditEvent],
        *,
        dropped: int = 0,
        final: bool = False,
        now: datetime | None = None,
        checked: bool = True,
    ) -> tuple[list[dict[str, Any]], list[bytes]]:
        """Records of the batch plus its checkpoint, and their canonical lines (the Merkle leaf inputs)."""
        records: list[dict[str, Any]] = []
        lines: list[bytes] = []
        for event in events:
            record, line = self.chain.append_line(
                {
                    "ts": format_ts(event.timestamp),
                    "category": event.category,
                    "action": event.action,
                    "actor": event.actor,
                    "detail": dict(event.detail),
                },
                checked=checked,
            )
            records.append(record)
            lines.append(line)
            self.frontier.append(leaf_hash(line))
        self.dropped_total += dropped
        now = now or datetime.now(UTC)
        detail: dict[str, Any] = {
            "origin": self.chain.log_id,
            "tree_size": self.chain.seq,
            "root": base64.b64encode(self.frontier.root()).decode(),
            "epoch": self.chain.epoch,
            "last_mac": self.chain.prev.hex() if self.chain.seq else ZERO_MAC.hex(),
            "time": int(now.timestamp()),
            "prev": self.prev_checkpoint,
            "dropped": self.dropped_total,
            "final": final,
            "key_id": self._key_id,
        }
        detail["sig"] = base64.b64encode(self._signer.sign(note_body(detail))).decode()
        cp, line = self.chain.append_line(
            {"ts": format_ts(now), "category": "admin", "action": CHECKPOINT_ACTION, "actor": "audit", "detail": detail}
        )
        self.frontier.append(leaf_hash(line))
        self.prev_checkpoint = note_hash(detail)
        self.chain.ratchet()
        records.append(cp)
        lines.append(line)
        return records, lines

    # -- persistence (the state file holds only the current epoch key, never older ones) --

    def state_json(self) -> dict[str, Any]:
        return {
            "log_id": self.chain.log_id,
            "seq": self.chain.seq,
            "epoch": self.chain.epoch,
            "key": self.chain.key_hex(),
            "prev": self.chain.prev.hex(),
            "frontier": self.frontier.to_json(),
            "prev_checkpoint": self.prev_checkpoint,
            "dropped_total": self.dropped_total,
        }

    def save(self, path: Path) -> None:
        tmp = path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.write(fd, json.dumps(self.state_json()).encode())
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
        dfd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)

    @classmethod
    def load(cls, path: Path, signer: Ed25519PrivateKey, key_name: str) -> TrailWriter:
        doc = json.loads(path.read_text())
        chain = ChainState(
            doc["log_id"], bytes.fromhex(doc["key"]), doc["seq"], doc["epoch"], bytes.fromhex(doc["prev"])
        )
        frontier = MerkleFrontier.from_json(doc["frontier"]) if "frontier" in doc else MerkleFrontier()
        writer = cls(chain, signer, key_name, frontier, doc.get("prev_checkpoint", NO_PREV))
        writer.dropped_total = int(doc.get("dropped_total", 0))
        return writer
