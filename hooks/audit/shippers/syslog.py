"""Syslog sink: RFC 5424 messages over TCP with RFC 6587 octet-counting framing, optional TLS (RFC 5425).

Each record becomes ``<110>1 TS HOST bakerst-audit PID ACTION [audit@32473 seq="N"] JSON`` (facility 13
``log audit``, severity 6; checkpoints severity 5). ``max_message`` defaults to 8192 octets (what RFC 5425
receivers SHOULD accept); raise it only with the receiver's ``maxMessageSize``. A larger record is refused
(dead-lettered) rather than truncated, since a truncated record cannot verify. TCP has no application ack:
a record is "delivered" when the kernel accepted it (use TLS + a reliable receiver queue for stronger).
"""

from __future__ import annotations

import json
import os
import socket
import ssl
from collections.abc import Sequence

from hooks.audit.shippers.base import PermanentError, TransientError

_SD_ID = "audit@32473"


def _header_value(value: str, limit: int) -> str:
    clean = "".join(c for c in value if 33 <= ord(c) <= 126)
    return clean[:limit] or "-"


def format_message(line: bytes, hostname: str, app: str = "bakerst-audit", procid: str = "-") -> bytes:
    rec = json.loads(line)
    severity = 5 if rec.get("action") == "audit.checkpoint" else 6
    pri = 13 * 8 + severity
    header = (
        f"<{pri}>1 {rec.get('ts', '-')} {_header_value(hostname, 255)} {_header_value(app, 48)} "
        f"{_header_value(procid, 128)} {_header_value(str(rec.get('action', '-')), 32)} "
        f'[{_SD_ID} seq="{int(rec["seq"])}"] '
    )
    return header.encode("ascii") + line


class SyslogShipper:
    coalesce = True
    """The sink keeps lines in the order sent: the delivery thread may send several batches at once."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        tls: ssl.SSLContext | None = None,
        max_message: int = 8192,
        timeout: float = 10.0,
        name: str | None = None,
    ) -> None:
        self.host, self.port = host, port
        self.tls = tls
        self.max_message = max_message
        self.timeout = timeout
        self.name = name or f"syslog-{host}-{port}"
        self.hostname = socket.gethostname()
        self.procid = str(os.getpid())
        self._sock: socket.socket | None = None

    def send(self, lines: Sequence[bytes]) -> None:
        frames = []
        for line in lines:
            msg = format_message(line, self.hostname, procid=self.procid)
            if len(msg) > self.max_message:
                raise PermanentError(f"syslog message of {len(msg)} octets exceeds max_message={self.max_message}")
            frames.append(str(len(msg)).encode() + b" " + msg)
        try:
            sock = self._connect()
            sock.sendall(b"".join(frames))
            self._drain(sock)
        except OSError as exc:
            self.close()
            raise TransientError(f"syslog {self.host}:{self.port}: {exc}") from exc

    def _drain(self, sock: socket.socket) -> None:
        """Read and discard whatever the receiver sent (TLS 1.3 session tickets, alerts).

        Unread bytes in our receive buffer make the kernel answer our close with a RST, and a RST makes the
        receiver discard data it has not read yet: the tail of the last batch would be lost.
        """
        sock.setblocking(False)
        try:
            while sock.recv(65536):
                pass
        except (BlockingIOError, ssl.SSLWantReadError, ssl.SSLWantWriteError):
            pass
        finally:
            sock.settimeout(self.timeout)

    def _connect(self) -> socket.socket:
        if self._sock is None:
            sock = socket.create_connection((self.host, self.port), timeout=self.timeout)
            if self.tls is not None:
                sock = self.tls.wrap_socket(sock, server_hostname=self.host)
            self._sock = sock
        return self._sock

    def close(self) -> None:
        """Close gracefully: TLS close_notify, half-close, drain until the receiver closes (bounded), then close."""
        sock, self._sock = self._sock, None
        if sock is None:
            return
        try:
            sock.settimeout(2.0)
            if isinstance(sock, ssl.SSLSocket):
                sock = sock.unwrap()
            sock.shutdown(socket.SHUT_WR)
            while sock.recv(65536):
                pass
        except OSError:
            pass
        finally:
            sock.close()
