"""Datadog logs intake v2 (``POST /api/v2/logs``, JSON array, 202 Accepted).

Each entry: ``{"ddsource", "service", "hostname", "ddtags": "category:<c>,log_id:<id>", "message": <record line>}``.
Limits per request: ≤ 1000 entries, ≤ 5 MB uncompressed (we stay under 4.25 MB), ≤ 1 MB per log (Datadog
would accept and truncate a larger log; we refuse it instead, since a truncated record cannot verify);
timestamps ≤ 18 h old (records are sent with their own ``ts`` only inside the message). 408/429/5xx are retried,
413 splits, 400/401/403 dead-letter. The API key should be a write-only (logs intake) key.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Sequence

import httpx

from hooks.audit.shippers.base import json_string_length, split_lines
from hooks.audit.shippers.http import post_split

MAX_ENTRIES = 1000
MAX_REQUEST = 4_250_000
MAX_LOG = 1_000_000


class DatadogShipper:
    def __init__(
        self,
        url: str,
        api_key: str,
        *,
        service: str = "bakerst-audit",
        max_request: int = MAX_REQUEST,
        max_entries: int = MAX_ENTRIES,
        timeout: float = 10.0,
        client: httpx.Client | None = None,
        name: str = "datadog",
    ) -> None:
        self.url = url.rstrip("/") + "/api/v2/logs"
        self.name = name
        self.service = service
        self.max_request = max_request
        self.max_entries = max_entries
        self.hostname = socket.gethostname()
        self._client = client or httpx.Client(timeout=timeout)
        self._headers = {"DD-API-KEY": api_key, "Content-Type": "application/json"}

    def body(self, lines: Sequence[bytes]) -> bytes:
        entries = []
        for line in lines:
            rec = json.loads(line)
            entries.append(
                {
                    "ddsource": "bakerst",
                    "service": self.service,
                    "hostname": self.hostname,
                    "ddtags": f"category:{rec['category']},log_id:{rec['log_id']}",
                    "message": line.decode(),
                }
            )
        return json.dumps(entries, ensure_ascii=False, separators=(",", ":")).encode()

    def _post(self, lines: Sequence[bytes]) -> httpx.Response:
        return self._client.post(self.url, content=self.body(lines), headers=self._headers)

    def send(self, lines: Sequence[bytes]) -> None:
        chunks = split_lines(
            lines,
            max_bytes=self.max_request,
            max_count=self.max_entries,
            overhead=250,
            max_line=MAX_LOG,
            measure=json_string_length,
        )
        for chunk in chunks:
            post_split(chunk, self._post, self.name)

    def close(self) -> None:
        self._client.close()
