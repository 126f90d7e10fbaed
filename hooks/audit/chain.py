"""The record MAC chain with a one-way key ratchet.

A record is the canonical JSON object ``{v, log_id, seq, epoch, ts, category, action, actor, detail, prev, mac}``.
``mac`` = HMAC-SHA256(K_epoch, ``b"audit-v1"`` ‖ len(log_id) (2 B BE) ‖ log_id ‖ seq (8 B BE) ‖ epoch (4 B BE)
‖ prev (32 B) ‖ SHA-256(canon(record without prev and mac))). ``seq`` is contiguous from 0 per log; ``prev`` is
the previous record's MAC (32 zero bytes for seq 0). After each flush the key ratchets one way:
K_{e+1} = HMAC-SHA256(K_e, ``b"ratchet-v1"`` ‖ (e+1) (4 B BE)); the old key is overwritten in place.
"""

from __future__ import annotations

import hashlib
import hmac
import struct
from typing import Any

from hooks.audit.canonical import canonical_bytes

VERSION = 1
ZERO_MAC = bytes(32)
_MAC_PREFIX = b"audit-v1"
_RATCHET_PREFIX = b"ratchet-v1"
MAC_FIELDS = ("prev", "mac")


def next_key(key: bytes | bytearray, new_epoch: int) -> bytes:
    return hmac.digest(bytes(key), _RATCHET_PREFIX + struct.pack(">I", new_epoch), "sha256")


def key_for_epoch(seed: bytes, epoch: int) -> bytes:
    key = seed
    for e in range(1, epoch + 1):
        key = next_key(key, e)
    return key


def event_hash(record: dict[str, Any]) -> bytes:
    body = {k: v for k, v in record.items() if k not in MAC_FIELDS}
    return hashlib.sha256(canonical_bytes(body, checked=False)).digest()


def compute_mac(  # noqa: PLR0917 (the MAC input, field by field)
    key: bytes | bytearray, log_id: str, seq: int, epoch: int, prev: bytes, ev_hash: bytes
) -> bytes:
    lid = log_id.encode("utf-8")
    msg = _MAC_PREFIX + struct.pack(">H", len(lid)) + lid + struct.pack(">QI", seq, epoch) + prev + ev_hash
    return hmac.digest(bytes(key), msg, "sha256")


def record_mac(key: bytes | bytearray, record: dict[str, Any]) -> bytes:
    return compute_mac(
        key, record["log_id"], record["seq"], record["epoch"], bytes.fromhex(record["prev"]), event_hash(record)
    )


class ChainState:
    """The writer's chain position and current epoch key (kept in a bytearray, zeroed on ratchet)."""

    def __init__(self, log_id: str, key: bytes, seq: int = 0, epoch: int = 0, prev: bytes = ZERO_MAC) -> None:
        self.log_id = log_id
        self._key = bytearray(key)
        self.seq = seq
        self.epoch = epoch
        self.prev = prev

    def append(self, body: dict[str, Any], *, checked: bool = True) -> dict[str, Any]:
        """MAC ``body`` (ts, category, action, actor, detail) into the next record and return it."""
        return self.append_line(body, checked=checked)[0]

    def append_line(self, body: dict[str, Any], *, checked: bool = True) -> tuple[dict[str, Any], bytes]:
        """The next record and its canonical line. ``checked=False`` skips the encodability walk (caller did it).

        The line is the canonical body with ``"mac"`` and ``"prev"`` spliced in before the top-level ``"seq"`` (the
        keys sort ``log_id < mac < prev < seq``; only ``ts`` and ``v`` follow, so the last ``,"seq":`` is it).
        """
        record: dict[str, Any] = {"v": VERSION, "log_id": self.log_id, "seq": self.seq, "epoch": self.epoch}
        record.update(body)
        encoded = canonical_bytes(record, checked=checked)
        ev_hash = hashlib.sha256(encoded).digest()
        mac = compute_mac(self._key, self.log_id, self.seq, self.epoch, self.prev, ev_hash)
        record["prev"] = self.prev.hex()
        record["mac"] = mac.hex()
        at = encoded.rfind(b',"seq":')
        line = b"".join((encoded[:at], b',"mac":"', mac.hex().encode(), b'","prev":"', self.prev.hex().encode(),
                         b'"', encoded[at:]))  # fmt: skip
        self.prev = mac
        self.seq += 1
        return record, line

    def ratchet(self) -> None:
        new = next_key(self._key, self.epoch + 1)
        for i in range(len(self._key)):
            self._key[i] = 0
        self._key[:] = new
        self.epoch += 1

    def key_hex(self) -> str:
        """For persisting the state file only (which holds nothing but the current key)."""
        return bytes(self._key).hex()

    def erase(self) -> None:
        for i in range(len(self._key)):
            self._key[i] = 0
