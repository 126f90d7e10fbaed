"""The on-disk queue (write-ahead log of MAC'd batches), per-sink delivery cursors and the dead-letter queue.

Segment files ``seg-<first seq>.wal`` hold frames ``first seq (8 B BE) ‖ last seq (8 B BE) ‖ length (4 B BE) ‖
CRC-32 (4 B BE) ‖ payload`` where the payload is the batch's canonical record lines joined by ``\\n``. Every append
is fsync'd before the writer's state moves on. On open, a torn or corrupt tail frame (crash mid-write) is cut off.
``cursor-<sink>`` holds the last seq delivered to that sink (fsync'd, atomic rename): batches after it stay in
the queue and are replayed in order when the sink comes back. ``dlq-<sink>.wal`` (same framing, fsync'd) holds
the batch a sink refused permanently (e.g. 400/401/403) followed by every later batch for that sink, parked
behind it so the sink still receives sequence numbers in order; ``dlq-<sink>.head`` (fsync'd, atomic rename)
holds the last seq of the dead-letter queue already replayed, so a crash mid-replay resends at most the batch in
flight. A fully replayed dead-letter file is deleted. Segments every sink has delivered (or parked) are deleted.
"""

from __future__ import annotations

import bisect
import json
import os
import struct
import threading
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

_HEADER = struct.Struct(">QQII")
SEGMENT_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class Batch:
    first: int
    last: int
    lines: list[bytes]


@dataclass(frozen=True)
class DeadLetterReason:
    """Why a sink refused a batch for good (its answer), recorded when the batch was dead-lettered."""

    first: int
    last: int
    reason: str


@dataclass(frozen=True)
class _Entry:
    first: int
    last: int
    path: Path
    offset: int
    length: int


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _last(entry: _Entry) -> int:
    return entry.last


def _write_int(path: Path, value: int) -> None:
    """Write ``value`` to ``path`` atomically and durably (temp file, fsync, rename, fsync of the directory)."""
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w") as fh:
        fh.write(str(value))
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    _fsync_dir(path.parent)


def encode_frame(batch: Batch) -> bytes:
    payload = b"\n".join(batch.lines)
    return _HEADER.pack(batch.first, batch.last, len(payload), zlib.crc32(payload)) + payload


def read_frames(path: Path) -> Iterator[tuple[int, int, Batch]]:
    """(offset, frame length, batch) for each intact frame; stops at the first torn or corrupt one.

    Streams the file one frame at a time, so a large dead-letter queue is never held in memory whole.
    """
    with open(path, "rb") as fh:
        offset = 0
        while True:
            header = fh.read(_HEADER.size)
            if len(header) < _HEADER.size:
                return
            first, last, length, crc = _HEADER.unpack(header)
            payload = fh.read(length)
            if len(payload) < length or zlib.crc32(payload) != crc:
                return
            yield offset, _HEADER.size + length, Batch(first, last, payload.split(b"\n") if payload else [])
            offset += _HEADER.size + length


class Spool:
    def __init__(self, directory: Path, segment_bytes: int = SEGMENT_BYTES) -> None:
        self.dir = Path(directory)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.segment_bytes = segment_bytes
        self._lock = threading.Lock()
        self.changed = threading.Condition(self._lock)
        self._index: list[_Entry] = []
        self._fd: int | None = None
        self._seg: Path | None = None
        self._seg_size = 0
        self._recover()

    # -- recovery --

    def _recover(self) -> None:
        for seg in sorted(self.dir.glob("seg-*.wal")):
            good = 0
            for offset, length, batch in read_frames(seg):
                self._index.append(_Entry(batch.first, batch.last, seg, offset, length))
                good = offset + length
            if good < seg.stat().st_size:  # torn tail from a crash mid-append: cut it off
                with open(seg, "r+b") as fh:
                    fh.truncate(good)
                    os.fsync(fh.fileno())

    @property
    def last_seq(self) -> int:
        return self._index[-1].last if self._index else -1

    def batches_from(self, first: int) -> list[Batch]:
        with self._lock:
            entries = [e for e in self._index if e.first >= first]
        return [self._load(e) for e in entries]

    # -- writing --

    def append(self, batch: Batch) -> None:
        self.append_many([batch])

    def append_many(self, batches: list[Batch]) -> None:
        """Append and fsync batches with one write (group commit); on OSError (e.g. ENOSPC) nothing is added."""
        frames = [encode_frame(b) for b in batches]
        with self._lock:
            if self._fd is None or self._seg_size >= self.segment_bytes:
                self._open_segment(batches[0].first)
            assert self._fd is not None
            assert self._seg is not None
            offset = self._seg_size
            try:
                view = memoryview(b"".join(frames))
                while view:
                    view = view[os.write(self._fd, view) :]
                os.fsync(self._fd)
            except OSError:
                os.ftruncate(self._fd, offset)
                raise
            for batch, frame in zip(batches, frames, strict=True):
                self._index.append(_Entry(batch.first, batch.last, self._seg, offset, len(frame)))
                offset += len(frame)
            self._seg_size = offset
            self.changed.notify_all()

    def _open_segment(self, first: int) -> None:
        if self._fd is not None:
            os.close(self._fd)
        self._seg = self.dir / f"seg-{first:020d}.wal"
        self._fd = os.open(self._seg, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        self._seg_size = os.fstat(self._fd).st_size
        _fsync_dir(self.dir)

    def _load(self, entry: _Entry) -> Batch:
        with open(entry.path, "rb") as fh:
            fh.seek(entry.offset)
            data = fh.read(entry.length)
        first, last, length, _ = _HEADER.unpack_from(data, 0)
        payload = data[_HEADER.size : _HEADER.size + length]
        return Batch(first, last, payload.split(b"\n") if payload else [])

    def next_after(self, seq: int) -> Batch | None:
        with self._lock:
            at = bisect.bisect_right(self._index, seq, key=_last)
            entry = self._index[at] if at < len(self._index) else None
        return self._load(entry) if entry is not None else None

    def batches_after(self, seq: int, limit: int) -> list[Batch]:
        """Up to ``limit`` consecutive batches whose last seq is above ``seq``, in order."""
        with self._lock:
            at = bisect.bisect_right(self._index, seq, key=_last)
            entries = self._index[at : at + limit]
        return [self._load(e) for e in entries]

    # -- cursors, DLQ, GC --

    def cursor(self, sink: str) -> int:
        path = self.dir / f"cursor-{sink}"
        return int(path.read_text()) if path.exists() else -1

    def set_cursor(self, sink: str, seq: int) -> None:
        _write_int(self.dir / f"cursor-{sink}", seq)

    def dead_letter(self, sink: str, batch: Batch, reason: str | None = None) -> None:
        """Append ``batch`` to the sink's dead-letter queue; ``reason`` (the sink's refusal) is kept beside it."""
        if reason is not None:
            self._record_reason(sink, batch, reason)
        self.dead_letter_many(sink, [batch])

    def _record_reason(self, sink: str, batch: Batch, reason: str) -> None:
        line = json.dumps({"first": batch.first, "last": batch.last, "reason": reason}, ensure_ascii=False)
        path = self.dir / f"dlq-{sink}.reasons"
        with open(path, "ab") as fh:
            fh.write(line.encode() + b"\n")
            fh.flush()
            os.fsync(fh.fileno())

    def dead_letter_reasons(self, sink: str) -> list[DeadLetterReason]:
        """Why the sink refused the dead-letter batches not replayed yet, oldest first (parked batches have none)."""
        path = self.dir / f"dlq-{sink}.reasons"
        if not path.exists():
            return []
        head = self.dead_letter_head(sink)
        found: list[DeadLetterReason] = []
        for raw in path.read_bytes().splitlines():
            try:
                item = json.loads(raw)
                reason = DeadLetterReason(int(item["first"]), int(item["last"]), str(item["reason"]))
            except (ValueError, KeyError, TypeError):
                continue  # a torn last line after a crash: the batch itself is still in the queue
            if reason.last > head:
                found.append(reason)
        return found

    def dead_letter_many(self, sink: str, batches: list[Batch]) -> None:
        """Append batches to the sink's dead-letter queue with one write and one fsync (before any cursor moves)."""
        path = self.dir / f"dlq-{sink}.wal"
        created = not path.exists()
        with open(path, "ab") as fh:
            fh.write(b"".join(encode_frame(b) for b in batches))
            fh.flush()
            os.fsync(fh.fileno())
        if created:
            _fsync_dir(self.dir)

    def dead_letters(self, sink: str) -> list[Batch]:
        """The dead-letter batches not replayed yet, in order."""
        return list(self.iter_dead_letters(sink))

    def iter_dead_letters(self, sink: str) -> Iterator[Batch]:
        """Like :meth:`dead_letters`, streamed from disk one batch at a time."""
        path = self.dir / f"dlq-{sink}.wal"
        if not path.exists():
            return
        head = self.dead_letter_head(sink)
        for _, _, batch in read_frames(path):
            if batch.last > head:
                yield batch

    def last_dead_letter(self, sink: str) -> int:
        """The last seq in this sink's dead-letter queue not replayed yet (-1 when it is empty)."""
        last = -1
        for batch in self.iter_dead_letters(sink):
            last = batch.last
        return last

    def dead_letter_head(self, sink: str) -> int:
        """The last seq of this sink's dead-letter queue already replayed (-1 if none)."""
        path = self.dir / f"dlq-{sink}.head"
        return int(path.read_text()) if path.exists() else -1

    def set_dead_letter_head(self, sink: str, seq: int, *, rest: bool | None = None) -> None:
        """Record that the dead-letter queue was replayed up to ``seq``; delete the file once all of it was.

        ``rest`` says whether batches after ``seq`` remain (None: read the file to find out).
        """
        _write_int(self.dir / f"dlq-{sink}.head", seq)
        path = self.dir / f"dlq-{sink}.wal"
        if rest is None:
            rest = path.exists() and any(b.last > seq for _, _, b in read_frames(path))
        if not rest and path.exists():
            path.unlink()
            (self.dir / f"dlq-{sink}.reasons").unlink(missing_ok=True)
            _fsync_dir(self.dir)

    def clear_dead_letters(self, sink: str, count: int) -> None:
        """Mark the first ``count`` pending dead-letter batches as replayed."""
        pending = self.dead_letters(sink)
        if count > 0 and pending:
            self.set_dead_letter_head(sink, pending[min(count, len(pending)) - 1].last)

    def collect(self, delivered: int) -> None:
        """Delete whole segments whose batches are all at or below ``delivered`` (the minimum over sinks)."""
        with self._lock:
            segments: dict[Path, int] = {}
            for e in self._index:
                segments[e.path] = max(segments.get(e.path, -1), e.last)
            gone = {seg for seg, last in segments.items() if last <= delivered and seg != self._seg}
            if not gone:
                return
            for seg in gone:
                seg.unlink(missing_ok=True)
            self._index = [e for e in self._index if e.path not in gone]

    def close(self) -> None:
        with self._lock:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None
