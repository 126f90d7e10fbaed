"""File sink: JSON lines, opened append-only (O_APPEND, never truncated or read), fsync per flush."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from hooks.audit.shippers.base import TransientError


class FileShipper:
    coalesce = True
    """The sink keeps lines in the order sent: the delivery thread may send several batches at once."""

    def __init__(self, path: Path, name: str | None = None) -> None:
        self.path = Path(path)
        self.name = name or f"file-{self.path.name}"
        self._fd: int | None = None

    def _open(self) -> int:
        if self._fd is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
            if os.fstat(self._fd).st_size:
                # A crash (power loss) could have left a torn last line: start ours on a fresh line.
                os.write(self._fd, b"\n")
        return self._fd

    def send(self, lines: Sequence[bytes]) -> None:
        data = b"".join(line + b"\n" for line in lines)
        try:
            fd = self._open()
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        except OSError as exc:  # e.g. ENOSPC: loud, retried, kept in the spool
            self.close()
            raise TransientError(f"{self.path}: {exc}") from exc

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
