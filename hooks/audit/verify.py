"""Offline verification of an exported trail (JSON lines from any sink), with the verifier's key material.

Needs the Ed25519 public key and, for the per-record MAC checks, the MAC seed (K_0, held by the auditors), never the
writer's current key. With the public key alone (``seed=None``) every check but the MACs still runs, and a modified
record shows as a Merkle root mismatch at the next signed checkpoint. Findings, by kind: ``modified``, ``deleted``,
``reordered``, ``replayed``, ``wrong_epoch`` (record MAC'd with another epoch's key, e.g. a later stolen key),
``truncated``, ``unanchored_tail`` (records after the last checkpoint), ``cadence_gap``, ``bad_checkpoint``,
``dropped`` (the writer reports lost events), ``unparsable``. Identical duplicates that form a redelivery (a run re-
sent from an earlier seq up to the frontier, as after a crash or a retried batch) are counted, not reported:
delivery is at-least-once. Several files may be given (segments of one export, or copies of the same trail from
different sinks): a record that several files hold is one record, and a checkpoint any of them holds anchors the
others.
"""

from __future__ import annotations

import base64
import hmac
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from hooks.audit.canonical import canonical_bytes
from hooks.audit.chain import next_key, record_mac
from hooks.audit.checkpoint import NO_PREV, note_hash, verify_signature
from hooks.audit.merkle import MerkleFrontier, leaf_hash
from hooks.audit.taxonomy import CHECKPOINT_ACTION

KINDS = (
    "unparsable", "modified", "deleted", "reordered", "replayed", "wrong_epoch", "truncated",
    "unanchored_tail", "cadence_gap", "bad_checkpoint", "dropped",
)  # fmt: skip


@dataclass
class Finding:
    kind: str
    seqs: list[int]
    message: str

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "seqs": self.seqs, "message": self.message}


@dataclass
class Report:
    records: int = 0
    unique: int = 0
    duplicates: int = 0
    checkpoints: int = 0
    log_ids: list[str] = field(default_factory=list)
    public_only: bool = False
    """Verified without the MAC seed: signatures, Merkle roots, sequence and epochs only."""
    torn_writes: int = 0
    """Fragments a crash cut off mid-write whose whole record the same file holds later (redelivered): not a
    finding, since the fragment carries nothing the complete copy does not."""
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.findings

    def kinds(self) -> set[str]:
        return {f.kind for f in self.findings}

    def add(self, kind: str, seqs: list[int], message: str) -> None:
        self.findings.append(Finding(kind, seqs, message))

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "records": self.records,
            "unique": self.unique,
            "duplicates": self.duplicates,
            "checkpoints": self.checkpoints,
            "log_ids": self.log_ids,
            "public_only": self.public_only,
            "torn_writes": self.torn_writes,
            "findings": [f.to_json() for f in self.findings],
        }


def _ranges(seqs: list[int]) -> str:
    out: list[str] = []
    start = prev = None
    for s in sorted(seqs):
        if start is None:
            start = prev = s
        elif prev is not None and s == prev + 1:
            prev = s
        else:
            out.append(f"{start}" if start == prev else f"{start}-{prev}")
            start = prev = s
    if start is not None:
        out.append(f"{start}" if start == prev else f"{start}-{prev}")
    return ",".join(out)


class _Keys:
    def __init__(self, seed: bytes) -> None:
        self._keys = [seed]

    def get(self, epoch: int) -> bytes:
        while len(self._keys) <= epoch:
            self._keys.append(next_key(self._keys[-1], len(self._keys)))
        return self._keys[epoch]


def read_lines(paths: Iterable[Path]) -> list[tuple[int, int, bytes]]:
    """(file index, line number, raw line) for every non-empty line of every file."""
    out: list[tuple[int, int, bytes]] = []
    for index, path in enumerate(paths):
        with open(path, "rb") as fh:
            for number, raw in enumerate(fh, 1):
                line = raw.strip()
                if line:
                    out.append((index, number, line))
    return out


def verify_lines(  # noqa: PLR0915 (one pass per order; kept together for speed)
    lines: list[tuple[int, int, bytes]],
    seed: bytes | None,
    public: Ed25519PublicKey,
    *,
    live: bool = False,
    max_checkpoint_gap: int = 70,
    max_epoch_probe: int = 4096,
    # Total MAC attempts with later epochs' keys, to tell a later key from a modification.
) -> Report:
    report = Report(records=len(lines))
    by_seq: dict[int, dict[str, Any]] = {}
    raw_by_seq: dict[int, bytes] = {}
    log_ids: set[str] = set()
    reordered: list[int] = []
    replayed: list[int] = []
    conflicts: dict[int, list[dict[str, Any]]] = {}
    keys = _Keys(seed) if seed is not None else None
    report.public_only = seed is None

    # Pass 1: file order. Split each file into runs of consecutive seqs; classify what is out of order.
    per_file: dict[int, list[tuple[int, dict[str, Any], bytes]]] = {}
    unparsable: list[tuple[int, int, bytes]] = []
    for findex, number, raw in lines:
        try:
            rec = json.loads(raw)
            if not isinstance(rec, dict) or not isinstance(rec.get("seq"), int):
                raise ValueError("not a record")
        except ValueError:
            unparsable.append((findex, number, raw))
            continue
        per_file.setdefault(findex, []).append((number, rec, raw))
    for findex, number, raw in unparsable:
        fragment = raw.strip()
        following = [r for n, _, r in per_file.get(findex, []) if n > number]
        if fragment and any(r.startswith(fragment) and len(r) > len(fragment) for r in following):
            report.torn_writes += 1  # a write cut off by a crash; the same file holds the whole record later
        else:
            report.add("unparsable", [], f"file {findex} line {number}: not a JSON audit record")
    for entries in per_file.values():
        runs: list[list[tuple[dict[str, Any], bytes]]] = []
        for _, rec, raw in entries:
            if runs and runs[-1][-1][0]["seq"] + 1 == rec["seq"]:
                runs[-1].append((rec, raw))
            else:
                runs.append([(rec, raw)])
        high = -1
        in_file: set[int] = set()
        for run in runs:
            start, end = run[0][0]["seq"], run[-1][0]["seq"]
            redelivery = start <= high and end >= high
            for rec, raw in run:
                seq = rec["seq"]
                log_ids.add(str(rec.get("log_id")))
                seen_here = seq in in_file
                in_file.add(seq)
                if seq in raw_by_seq:
                    if raw_by_seq[seq] == raw or by_seq[seq] == rec:
                        report.duplicates += 1
                        if seen_here and not redelivery:  # copies in other files come from other sinks
                            replayed.append(seq)
                    else:
                        conflicts.setdefault(seq, [by_seq[seq]]).append(rec)
                    continue
                if seq < high:
                    reordered.append(seq)
                by_seq[seq] = rec
                raw_by_seq[seq] = raw
            high = max(high, end)
    report.log_ids = sorted(log_ids)
    if len(log_ids) > 1:
        report.add("modified", [], f"records from several logs mixed: {sorted(log_ids)}")
    if reordered:
        report.add("reordered", sorted(reordered), f"records out of order: seq {_ranges(reordered)}")
    if replayed:
        report.add("replayed", sorted(replayed), f"old records repeated outside a redelivery: seq {_ranges(replayed)}")

    def mac_ok(rec: dict[str, Any], epoch: int) -> bool:
        if keys is None:  # public-key-only verification: records are checked through the Merkle roots
            return True
        try:
            return hmac.compare_digest(record_mac(keys.get(epoch), rec), bytes.fromhex(rec["mac"]))
        except (KeyError, ValueError, TypeError, AttributeError):
            return False

    for seq, candidates in conflicts.items():
        genuine = [c for c in candidates if isinstance(c.get("epoch"), int) and mac_ok(c, c["epoch"])]
        if genuine:
            by_seq[seq] = genuine[0]
        report.add("modified", [seq], f"seq {seq}: {len(candidates)} different records with the same sequence number")

    # Pass 2: sequence order.
    report.unique = len(by_seq)
    seqs = sorted(by_seq)
    modified: list[int] = []
    wrong_epoch: list[int] = []
    deleted: list[int] = []
    tainted = False
    expected_epoch = 0
    prev_mac: str | None = None
    prev_cp: dict[str, Any] | None = None
    prev_cp_hash = NO_PREV
    max_dropped = 0
    max_epoch = max((r["epoch"] for r in by_seq.values() if isinstance(r.get("epoch"), int)), default=0)
    probe_budget = max_epoch_probe
    last_cp_seq = -1
    last_cp_final = False
    expect_seq = 0
    for seq in seqs:
        rec = by_seq[seq]
        gap = seq != expect_seq
        if gap:
            deleted.extend(range(expect_seq, seq))
            tainted = True
            prev_mac = None
        expect_seq = seq + 1
        epoch = rec.get("epoch")
        if not isinstance(epoch, int) or epoch < 0:
            modified.append(seq)
            tainted = True
            continue
        if gap and epoch >= expected_epoch:
            expected_epoch = epoch
        good = mac_ok(rec, epoch)
        if good and epoch != expected_epoch:
            wrong_epoch.append(seq)
            tainted = True
        elif not good:
            later = None
            if epoch == expected_epoch and keys is not None:
                probes = range(epoch + 1, min(max_epoch, epoch + probe_budget) + 1)
                probe_budget -= len(probes)
                later = next((e for e in probes if mac_ok(rec, e)), None)
            (wrong_epoch if later is not None else modified).append(seq)
            tainted = True
        elif prev_mac is not None and rec.get("prev") != prev_mac:
            modified.append(seq)
            tainted = True
        prev_mac = rec.get("mac") if isinstance(rec.get("mac"), str) else None
        if rec.get("action") != CHECKPOINT_ACTION or rec.get("category") != "admin":
            continue
        # A checkpoint record.
        report.checkpoints += 1
        detail = rec.get("detail")
        problems: list[str] = []
        if not isinstance(detail, dict):
            problems.append("no detail")
        else:
            if not verify_signature(detail, public):
                problems.append("signature does not verify")
            if detail.get("tree_size") != seq or detail.get("origin") != rec.get("log_id"):
                problems.append("tree size or origin does not match its position")
            if detail.get("epoch") != epoch:
                problems.append("epoch does not match the record's")
            if not tainted and prev_cp is not None and detail.get("prev") != prev_cp_hash:
                problems.append("previous-checkpoint hash does not match")
            dropped = detail.get("dropped")
            if isinstance(dropped, int) and dropped > max_dropped:
                max_dropped = dropped
            t = detail.get("time")
            if prev_cp is not None and isinstance(t, int) and t - int(prev_cp.get("time", t)) > max_checkpoint_gap:
                report.add(
                    "cadence_gap",
                    [int(prev_cp.get("tree_size", 0)), seq],
                    f"{t - int(prev_cp.get('time', t))} s between checkpoints at seq {prev_cp.get('tree_size')} "
                    f"and {seq} (limit {max_checkpoint_gap} s): checkpoints may have been suppressed",
                )
            prev_cp = detail
            try:
                prev_cp_hash = note_hash(detail)
            except (KeyError, AttributeError):
                prev_cp_hash = ""
            last_cp_final = bool(detail.get("final"))
        if problems:
            report.add("bad_checkpoint", [seq], f"checkpoint at seq {seq}: " + "; ".join(problems))
        last_cp_seq = seq
        expected_epoch = epoch + 1
    _check_roots(
        by_seq, seqs, report, tainted_from=min(modified + wrong_epoch + deleted, default=None), public_only=keys is None
    )
    if modified:
        report.add("modified", modified, f"MAC or chain link does not verify: seq {_ranges(modified)}")
    if wrong_epoch:
        report.add("wrong_epoch", wrong_epoch, f"MAC'd with another epoch's key: seq {_ranges(wrong_epoch)}")
    if deleted:
        report.add("deleted", deleted, f"missing records: seq {_ranges(deleted)}")
    if seqs and seqs[-1] > last_cp_seq:
        tail = list(range(last_cp_seq + 1, seqs[-1] + 1))
        report.add("unanchored_tail", tail, f"{len(tail)} records after the last checkpoint: seq {_ranges(tail)}")
    if seqs and not live and not (last_cp_seq == seqs[-1] and last_cp_final):
        report.add(
            "truncated",
            [seqs[-1] + 1],
            f"the trail does not end with a final checkpoint: records from seq {seqs[-1] + 1} on may have been "
            "cut (use --live for a log that is still being written)",
        )
    if not seqs:
        report.add("truncated", [0], "no records")
    if max_dropped:
        report.add("dropped", [], f"the writer reports {max_dropped} events dropped (queue or disk full)")
    return report


def _check_roots(
    by_seq: dict[int, dict[str, Any]],
    seqs: list[int],
    report: Report,
    tainted_from: int | None,
    *,
    public_only: bool = False,
) -> None:
    """Recompute the Merkle root at each checkpoint over the records before it (until the first damage).

    Without the MAC seed this is what detects a modified record: the first checkpoint whose root does not match
    brackets it between the previous checkpoint and itself.
    """
    frontier = MerkleFrontier()
    last_cp = -1
    for seq in seqs:
        if seq != frontier.size or (tainted_from is not None and seq >= tainted_from):
            return
        rec = by_seq[seq]
        if rec.get("action") == CHECKPOINT_ACTION and isinstance(rec.get("detail"), dict):
            root = base64.b64encode(frontier.root()).decode()
            if rec["detail"].get("root") != root:
                if public_only:
                    span = list(range(last_cp + 1, seq))
                    report.add("modified", span, f"a record in seq {_ranges(span)} differs from what the signed "
                               f"checkpoint at seq {seq} committed to (Merkle root mismatch)")  # fmt: skip
                    return
                report.add("bad_checkpoint", [seq], f"checkpoint at seq {seq}: Merkle root does not match the records")
            last_cp = seq
        frontier.append(leaf_hash(canonical_bytes(rec, checked=False)))


def verify_files(paths: list[Path], seed: bytes | None, public: Ed25519PublicKey, **kwargs: Any) -> Report:
    return verify_lines(read_lines(paths), seed, public, **kwargs)
