"""Splunk HTTP Event Collector (``POST /services/collector/event``) with indexer acknowledgement.

Body: concatenated JSON objects ``{"time": <epoch s.µs>, "host", "source", "sourcetype": "_json", "index"?,
"fields": {"category", "log_id"}, "event": <the record object, byte for byte>}``. Header
``Authorization: Splunk <HEC token>`` (a token allowed to write one index only) and, with ``use_ack``,
``X-Splunk-Request-Channel: <GUID>``: a batch counts as delivered only when ``POST /services/collector/ack``
reports its ``ackId`` true (a 200 alone means "queued", not indexed). Requests ≤ 900 KB (Splunk Cloud's
``max_content_length`` is ~1 MB); 413 splits. HEC code 9 / HTTP 503 (server busy), 429 and 5xx are retried;
an ack that stays false past ``ack_timeout`` makes the batch retried (duplicates visible by seq). Code 6
(invalid data format, ``invalid-event-number``) and 400/401/403 are refused for good (dead-letter).
"""

from __future__ import annotations

import json
import socket
import time
import uuid
from collections.abc import Sequence
from datetime import datetime

import httpx

from hooks.audit.shippers.base import TransientError, split_lines
from hooks.audit.shippers.http import check, post_split

MAX_REQUEST = 900 * 1024


def _epoch(ts: str) -> bytes:
    # "2026-11-24T12:00:05.123456Z" -> seconds with 6 decimals, written as text (no float rounding).
    moment = datetime.fromisoformat(ts.replace("Z", "+00:00"))
    return f"{int(moment.timestamp())}.{moment.microsecond:06d}".encode()


class SplunkHecShipper:
    def __init__(
        self,
        url: str,
        token: str,
        *,
        index: str | None = None,
        use_ack: bool = True,
        ack_poll: float = 0.5,
        ack_timeout: float = 60.0,
        max_request: int = MAX_REQUEST,
        timeout: float = 10.0,
        client: httpx.Client | None = None,
        name: str = "splunk",
    ) -> None:
        self.base = url.rstrip("/")
        self.name = name
        self.index = index
        self.use_ack = use_ack
        self.ack_poll = ack_poll
        self.ack_timeout = ack_timeout
        self.max_request = max_request
        self.channel = str(uuid.uuid4())
        self.host = socket.gethostname()
        self._client = client or httpx.Client(timeout=timeout)
        self._headers = {"Authorization": f"Splunk {token}", "Content-Type": "application/json"}
        if use_ack:
            self._headers["X-Splunk-Request-Channel"] = self.channel
        self._pending: list[int] = []

    def _envelope(self, line: bytes) -> bytes:
        rec = json.loads(line)
        meta = {"host": self.host, "source": "bakerst-audit", "sourcetype": "_json",
                "fields": {"category": rec["category"], "log_id": rec["log_id"]}}  # fmt: skip
        if self.index:
            meta["index"] = self.index
        head = json.dumps(meta, separators=(",", ":")).encode()
        return b'{"time":' + _epoch(rec["ts"]) + b"," + head[1:-1] + b',"event":' + line + b"}"

    def body(self, lines: Sequence[bytes]) -> bytes:
        return b"\n".join(self._envelope(line) for line in lines)

    def _post(self, lines: Sequence[bytes]) -> httpx.Response:
        response = self._client.post(self.base + "/services/collector/event", content=self.body(lines),
                                     headers=self._headers)  # fmt: skip
        if response.status_code == 200 and self.use_ack:
            ack = response.json().get("ackId")
            if isinstance(ack, int):
                self._pending.append(ack)
        return response

    def send(self, lines: Sequence[bytes]) -> None:
        self._pending = []
        for chunk in split_lines(lines, max_bytes=self.max_request, max_count=100_000, overhead=200):
            post_split(chunk, self._post, self.name)
        if self.use_ack:
            self._wait_acks()

    def _wait_acks(self) -> None:
        deadline = time.monotonic() + self.ack_timeout
        waiting = set(self._pending)
        while waiting:
            try:
                response = self._client.post(
                    self.base + "/services/collector/ack",
                    params={"channel": self.channel},
                    json={"acks": sorted(waiting)},
                    headers=self._headers,
                )
            except httpx.HTTPError as exc:
                raise TransientError(f"{self.name} ack: {exc}") from exc
            check(response, f"{self.name} ack")
            acks = response.json().get("acks", {})
            waiting -= {int(k) for k, v in acks.items() if v is True}
            if not waiting:
                return
            if time.monotonic() > deadline:
                raise TransientError(f"{self.name}: acks {sorted(waiting)} not indexed after {self.ack_timeout} s")
            time.sleep(self.ack_poll)

    def close(self) -> None:
        self._client.close()
