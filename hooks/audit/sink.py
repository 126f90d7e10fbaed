"""TamperEvidentAuditSink: ``emit`` enqueues; a background thread MACs, checkpoints and spools; one delivery
thread per shipper replays the spool to its destination.

Pipeline: ``emit`` (bounded in-memory list, O(1), no I/O, no crypto) → writer thread every ``flush_interval``
seconds or ``flush_events`` events: validate + sanitize, MAC chain, signed checkpoint, key ratchet, append
the batch to the on-disk spool (fsync) and save the writer state (fsync) → delivery threads: send each
batch in order, retry with exponential backoff + full jitter forever (the spool is the buffer), move a batch
the destination refuses for good to that shipper's dead-letter queue (DLQ) and park every later batch behind it
(on disk), probe the sink with backoff and, once it takes the DLQ head, replay the DLQ in order before resuming
from the spool, so each sink receives sequence numbers in order; advance the shipper's cursor only after
delivery or parking (fsync'd), so a kill -9 at any point only causes visible redelivery. A full queue or a
failed spool write is logged at ERROR, counted, and the count goes into the next checkpoint's ``dropped`` field
(and an ``admin.audit_dropped`` record).
"""

from __future__ import annotations

import functools
import json
import logging
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from hooks.audit.canonical import check_canonical
from hooks.audit.checkpoint import TrailWriter, note_hash
from hooks.audit.keys import load_signing_key, writer_dir
from hooks.audit.merkle import leaf_hash
from hooks.audit.shippers.base import PermanentError, RetryPolicy, Shipper, TransientError
from hooks.audit.spool import Batch, Spool
from hooks.audit.taxonomy import CHECKPOINT_ACTION, SchemaError, default_sanitizer, identity, make_event, validate
from hooks.types import AuditEvent

log = logging.getLogger("hooks.audit")


class TamperEvidentAuditSink:
    """An :class:`hooks.types.AuditSink` with no read path. Call :meth:`close` at shutdown (final checkpoint)."""

    def __init__(
        self,
        keys: Path,
        spool_dir: Path,
        shippers: Sequence[Shipper],
        *,
        flush_interval: float = 5.0,
        flush_events: int = 100,
        heartbeat: float = 60.0,
        queue_max: int = 10_000,
        retry: RetryPolicy | None = None,
        sanitize: Callable[[Any], Any] | None = None,
        strict: bool = True,
        group_commit: int = 32,
        delivery_coalesce: int = 16,
    ) -> None:
        self.flush_interval = flush_interval
        self.flush_events = flush_events
        self.heartbeat = heartbeat
        self.queue_max = queue_max
        self.retry = retry or RetryPolicy()
        self.sanitize = default_sanitizer() if sanitize is None else sanitize
        self.strict = strict
        self.group_commit = group_commit
        self.delivery_coalesce = max(1, delivery_coalesce)
        self.shippers = list(shippers)
        wdir = writer_dir(Path(keys))
        self._state_path = wdir / "state.json"
        name, signer = load_signing_key(wdir)
        self.spool = Spool(spool_dir)
        self.writer = TrailWriter.load(self._state_path, signer, name)
        self._roll_forward()
        self.metrics: dict[str, int] = {
            "emitted": 0, "dropped_queue_full": 0, "rejected_schema": 0, "spool_errors": 0, "batches_spooled": 0,
            "checkpoints": 0, "delivery_retries": 0, "dead_lettered": 0, "parked": 0, "dlq_replayed": 0,
            "dlq_probe_failures": 0,
        }  # fmt: skip
        self._buf: list[AuditEvent] = []
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._flush_req = 0
        self._flush_done = threading.Condition()
        self._flushed = 0
        self._dropped_pending = 0
        self._pending: list[Batch] = []
        self._closing = False
        self._stop_delivery = threading.Event()
        self._last_checkpoint = time.monotonic()
        self._delivered: dict[str, int] = {s.name: self.spool.cursor(s.name) for s in self.shippers}
        self._dlq_pending: set[str] = {s.name for s in self.shippers if self.spool.last_dead_letter(s.name) >= 0}
        self._writer_thread = threading.Thread(target=self._write_loop, name="audit-writer", daemon=True)
        self._delivery_threads = [
            threading.Thread(target=self._deliver_loop, args=(s,), name=f"audit-ship-{s.name}", daemon=True)
            for s in self.shippers
        ]
        self._writer_thread.start()
        for t in self._delivery_threads:
            t.start()

    # -- hot path --

    def emit(self, event: AuditEvent) -> None:
        with self._lock:
            if len(self._buf) >= self.queue_max or self._closing:
                self._dropped_pending += 1
                self.metrics["dropped_queue_full"] += 1
                full = True
            else:
                self._buf.append(event)
                self.metrics["emitted"] += 1
                full = False
                if len(self._buf) >= self.flush_events:
                    self._wake.set()
        if full:
            log.error("audit queue full (%d events): event %s dropped and counted", self.queue_max, event.action)

    def queue_depth(self) -> int:
        """Events emitted and not yet chained and spooled (for metrics)."""
        with self._lock:
            return len(self._buf)

    # -- control --

    def flush(self, timeout: float | None = None) -> bool:
        """Spool everything emitted so far (MAC'd, checkpointed, fsync'd) and return; delivery continues."""
        with self._flush_done:
            self._flush_req += 1
            target = self._flush_req
            self._wake.set()
            return self._flush_done.wait_for(lambda: self._flushed >= target, timeout)

    def close(self, timeout: float = 30.0) -> bool:
        """Final checkpoint, then wait up to ``timeout`` s for every shipper; True when all delivered.

        A sink with dead letters counts as delivered only once its dead-letter queue was replayed; what is left
        stays on disk and is replayed by the next start (or :meth:`replay_dead_letters`).
        """
        with self._lock:
            self._closing = True
        self._wake.set()
        self._writer_thread.join(timeout)
        deadline = time.monotonic() + timeout
        last = self.spool.last_seq
        with self.spool.changed:
            self.spool.changed.wait_for(lambda: self._all_delivered(last), max(0.0, deadline - time.monotonic()))
            done = self._all_delivered(last)
        self._stop_delivery.set()
        with self.spool.changed:
            self.spool.changed.notify_all()
        for t in self._delivery_threads:
            t.join(max(0.1, deadline - time.monotonic()))
        for s in self.shippers:
            s.close()
        self.spool.close()
        self.writer.chain.erase()
        if not done:
            log.error("audit: shutdown with undelivered batches; they stay in %s for the next start", self.spool.dir)
        return done

    def _all_delivered(self, last: int) -> bool:
        return not self._dlq_pending and all(v >= last for v in self._delivered.values())

    # -- writer thread --

    def _roll_forward(self) -> None:
        """Apply spooled batches the saved state does not reflect yet (crash between spool and state save)."""
        for batch in self.spool.batches_from(self.writer.chain.seq):
            if batch.first != self.writer.chain.seq:
                break
            cp: dict[str, Any] | None = None
            for line in batch.lines:
                self.writer.frontier.append(leaf_hash(line))
                cp = _loads(line)
            assert cp is not None
            assert cp["action"] == CHECKPOINT_ACTION
            self.writer.chain.seq = batch.last + 1
            self.writer.chain.prev = bytes.fromhex(cp["mac"])
            self.writer.prev_checkpoint = note_hash(cp["detail"])
            self.writer.dropped_total = int(cp["detail"]["dropped"])
            self.writer.chain.ratchet()
            self.writer.save(self._state_path)

    def _write_loop(self) -> None:
        while True:
            self._wake.wait(timeout=min(self.flush_interval, self.heartbeat))
            self._wake.clear()
            with self._lock:
                closing = self._closing
            with self._flush_done:
                target = self._flush_req
            try:
                finished, backlog = self._flush_once(final=closing)
            except Exception:  # never let the thread die silently
                log.exception("audit writer failed; will retry")
                time.sleep(0.5)
                continue
            if backlog:
                self._wake.set()
                continue
            with self._flush_done:
                self._flushed = target
                self._flush_done.notify_all()
            if finished:
                return

    def _flush_once(self, final: bool) -> tuple[bool, bool]:
        """Write one group of batches; returns (final checkpoint written, events still queued)."""
        if self._pending and not self._spool(self._pending):
            time.sleep(min(1.0, self.flush_interval))
            return False, True
        idle = time.monotonic() - self._last_checkpoint >= self.heartbeat
        requested = self._flush_req != self._flushed
        batches: list[Batch] = []
        wrote_final = False
        remaining = 0
        while len(batches) < self.group_commit:
            with self._lock:
                events, self._buf = self._buf[: self.flush_events], self._buf[self.flush_events :]
                dropped, self._dropped_pending = self._dropped_pending, 0
                remaining = len(self._buf)
            if not (events or dropped or (not batches and (idle or final or requested))):
                break
            wrote_final = final and remaining == 0
            batches.append(self._make_batch(events, dropped, final=wrote_final))
            if remaining == 0:
                break
        if batches and not self._spool(batches):
            return False, True
        return wrote_final, remaining > 0

    def _make_batch(self, events: list[AuditEvent], dropped: int, final: bool) -> Batch:
        good: list[AuditEvent] = []
        for original in events:
            event = original
            try:
                if self.sanitize is not identity:
                    event = AuditEvent(event.category, event.action, event.actor, self.sanitize(dict(event.detail)),
                                       event.timestamp)  # fmt: skip
                if self.strict:
                    validate(event)
                check_canonical(event.detail)
                check_canonical(event.actor)
                good.append(event)
            except (SchemaError, ValueError) as exc:
                self.metrics["rejected_schema"] += 1
                log.error("audit event rejected (%s); recorded as a drop", exc)
                dropped += 1
        if dropped:
            good.append(make_event("admin.audit_dropped", "audit", {"dropped": dropped, "reason": "queue/schema"}))
        records, lines = self.writer.write_batch_lines(good, dropped=dropped, final=final, checked=False)
        self.metrics["checkpoints"] += 1
        self._last_checkpoint = time.monotonic()
        return Batch(records[0]["seq"], records[-1]["seq"], lines)

    def _spool(self, batches: list[Batch]) -> bool:
        try:
            self.spool.append_many(batches)
        except OSError as exc:
            self.metrics["spool_errors"] += 1
            self._pending = batches
            log.error("audit spool write failed (%s): seq %d-%d kept in memory, retrying", exc,
                      batches[0].first, batches[-1].last)  # fmt: skip
            return False
        self._pending = []
        self.metrics["batches_spooled"] += len(batches)
        self.writer.save(self._state_path)
        return True

    # -- delivery threads --

    def _deliver_loop(self, shipper: Shipper) -> None:
        while not self._stop_delivery.is_set():
            try:
                self._deliver(shipper)
            except Exception:  # never let a delivery thread die silently; restart from the persisted state
                log.exception("audit: delivery to %s failed; restarting from its cursor", shipper.name)
                self._stop_delivery.wait(0.5)
            else:
                return

    def _deliver(self, shipper: Shipper) -> None:
        """Deliver the spool in order; while the sink's dead-letter queue is non-empty, park new batches behind it.

        A batch the sink refuses for good starts the dead-letter queue. Every later batch is appended to that queue
        (on disk, fsync'd, before the cursor moves) instead of being sent, and the queue's head is retried with
        exponential backoff and full jitter (the recovery probe). Once the sink takes it, the queue is replayed in
        order and normal delivery resumes where the cursor is, so the sink receives sequence numbers in order.
        """
        name = shipper.name
        cursor = self.spool.cursor(name)
        dlq_last = self.spool.last_dead_letter(name)
        probe_attempt = 0
        next_probe = 0.0
        # Several batches per send only for sinks that keep lines in the order given (file, syslog); Loki, for
        # instance, regroups a push by stream, which would interleave two batches' checkpoints.
        coalesce = self.delivery_coalesce if getattr(shipper, "coalesce", False) else 1
        while not self._stop_delivery.is_set():
            if dlq_last >= 0:  # dead-letter mode
                cursor, dlq_last = self._park(name, cursor, dlq_last)
                if time.monotonic() >= next_probe:
                    if self._replay(shipper):
                        probe_attempt = 0
                        dlq_last = -1
                        continue
                    probe_attempt += 1
                    next_probe = time.monotonic() + self.retry.delay(probe_attempt)
                with self.spool.changed:
                    self.spool.changed.wait_for(
                        functools.partial(self._has_after, cursor), timeout=max(0.0, next_probe - time.monotonic())
                    )
                continue
            batches = self.spool.batches_after(cursor, coalesce)
            if not batches:
                with self.spool.changed:
                    self.spool.changed.wait_for(functools.partial(self._has_after, cursor), timeout=1.0)
                continue
            delivered, refused = self._send_in_order(shipper, cursor, batches)
            if not delivered:
                return  # stopping
            if refused is not None:
                dlq_last = refused.last
                next_probe = time.monotonic() + self.retry.delay(1)
                probe_attempt = 1
            cursor = batches[-1].last if refused is None else refused.last
            self._advance(name, cursor)

    def _send_in_order(self, shipper: Shipper, cursor: int, batches: list[Batch]) -> tuple[bool, Batch | None]:
        """Send ``batches`` (several at once when there is a backlog), retrying transient failures.

        Returns (False, None) when stopped before delivery; else (True, the first batch refused for good, after
        dead-lettering it, or None). Later batches of the group stay in the spool, to be parked behind it.
        """
        lines = [ln for b in batches for ln in (b.lines if b.first > cursor else _after(b.lines, cursor))]
        attempt = 0
        while not self._stop_delivery.is_set():
            try:
                shipper.send(lines)
                return True, None
            except PermanentError as exc:
                if len(batches) > 1:  # find the batch it refuses; those before it are (re)delivered in order
                    for one in batches:
                        delivered, refused = self._send_in_order(shipper, cursor, [one])
                        if not delivered or refused is not None:
                            return delivered, refused
                        cursor = one.last
                        self._advance(shipper.name, cursor)
                    return True, None
                batch = batches[0]
                if batch.first <= cursor:
                    batch = Batch(cursor + 1, batch.last, lines)
                log.error("audit: %s refused batch %d-%d for good (%s): dead-lettered; later batches are parked "
                          "behind it until the sink takes it", shipper.name, batch.first, batch.last, exc)  # fmt: skip
                self.spool.dead_letter(shipper.name, batch, reason=str(exc))
                self.metrics["dead_lettered"] += 1
                with self.spool.changed:
                    self._dlq_pending.add(shipper.name)
                return True, batch
            except Exception as exc:
                attempt += 1
                self.metrics["delivery_retries"] += 1
                delay = self.retry.delay(attempt, exc.retry_after if isinstance(exc, TransientError) else None)
                log.warning("audit: %s failed (%s); retry %d in %.2f s", shipper.name, exc, attempt, delay)
                self._stop_delivery.wait(delay)
        return False, None

    def _park(self, name: str, cursor: int, dlq_last: int) -> tuple[int, int]:
        """Move every spooled batch after ``cursor`` behind the dead-letter queue; returns (cursor, dlq last)."""
        while True:
            batches = self.spool.batches_after(cursor, self.delivery_coalesce)
            if not batches:
                return cursor, dlq_last
            # After a crash between the DLQ append and the cursor save, skip what is already parked.
            fresh = [b if b.first > cursor else Batch(cursor + 1, b.last, _after(b.lines, cursor))
                     for b in batches if b.last > dlq_last]  # fmt: skip
            if fresh:
                self.spool.dead_letter_many(name, fresh)
                self.metrics["parked"] += len(fresh)
                dlq_last = fresh[-1].last
            cursor = batches[-1].last
            self._advance(name, cursor)

    def _replay(self, shipper: Shipper) -> bool:
        """Probe/replay: send the dead-letter queue in order; True once it is empty."""
        last = self.spool.last_dead_letter(shipper.name)
        for batch in self.spool.iter_dead_letters(shipper.name):
            if self._stop_delivery.is_set():
                return False
            try:
                shipper.send(batch.lines)
            except Exception as exc:
                self.metrics["dlq_probe_failures"] += 1
                log.warning("audit: %s still refuses dead-lettered batch %d-%d (%s); will retry",
                            shipper.name, batch.first, batch.last, exc)  # fmt: skip
                return False
            self.spool.set_dead_letter_head(shipper.name, batch.last, rest=batch.last < last)
            self.metrics["dlq_replayed"] += 1
        log.warning("audit: %s recovered; dead-letter queue replayed in order", shipper.name)
        with self.spool.changed:
            self._dlq_pending.discard(shipper.name)
            self.spool.changed.notify_all()
        return True

    def _advance(self, name: str, cursor: int) -> None:
        self.spool.set_cursor(name, cursor)
        with self.spool.changed:
            self._delivered[name] = cursor
            self.spool.changed.notify_all()
        self.spool.collect(min(self._delivered.values()))

    def _has_after(self, seq: int) -> bool:
        return self._stop_delivery.is_set() or self.spool.last_seq > seq

    def replay_dead_letters(self, shipper: Shipper) -> int:
        """Send this shipper's dead-lettered batches in order; returns how many were delivered (stops at a failure).

        The delivery threads do this on their own (recovery probe with backoff); this is for an operator with a
        fixed shipper (e.g. a new token) after :meth:`close`.
        """
        sent = 0
        last = self.spool.last_dead_letter(shipper.name)
        for batch in self.spool.iter_dead_letters(shipper.name):
            try:
                shipper.send(batch.lines)
            except (TransientError, PermanentError) as exc:
                log.error("audit: DLQ replay to %s stopped at batch %d (%s)", shipper.name, batch.first, exc)
                return sent
            sent += 1
            self.spool.set_dead_letter_head(shipper.name, batch.last, rest=batch.last < last)
        self._dlq_pending.discard(shipper.name)
        return sent


def _after(lines: list[bytes], cursor: int) -> list[bytes]:
    return [ln for ln in lines if _loads(ln)["seq"] > cursor]


def _loads(line: bytes) -> dict[str, Any]:
    value = json.loads(line)
    assert isinstance(value, dict)
    return value
