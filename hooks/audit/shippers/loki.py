"""Grafana Loki push API (``POST /loki/api/v1/push``, JSON body, 204 on success).

One stream per category (labels ``service`` and ``category``: low cardinality); each value is
``[ts in epoch ns as a string, canonical record line, {"seq": "...", "log_id": "..."}]`` (structured metadata).
Limits: line ≤ 256 KB (``max_line_size``; a larger record is refused, not truncated), request ≤ 1 MB by default
(under the 6 MB per-tenant burst), ≤ 15 labels. Loki rejects samples older than 7 days: a batch kept in the
queue longer than that is refused (400) and dead-lettered; replay it into a tenant with a larger
``reject_old_samples_max_age``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime

import httpx

from hooks.audit.shippers.base import json_string_length, split_lines
from hooks.audit.shippers.http import post_split

MAX_LINE = 256 * 1024
MAX_REQUEST = 1024 * 1024


def _ns(ts: str) -> str:
    moment = datetime.fromisoformat(ts.replace("Z", "+00:00"))
    return str(int(moment.timestamp()) * 1_000_000_000 + moment.microsecond * 1000)


class LokiShipper:
    def __init__(
        self,
        url: str,
        *,
        tenant: str | None = None,
        headers: dict[str, str] | None = None,
        service: str = "bakerst-audit",
        max_request: int = MAX_REQUEST,
        timeout: float = 10.0,
        client: httpx.Client | None = None,
        name: str = "loki",
    ) -> None:
        self.url = url.rstrip("/") + "/loki/api/v1/push"
        self.name = name
        self.service = service
        self.max_request = max_request
        extra = dict(headers or {})
        if tenant:
            extra["X-Scope-OrgID"] = tenant
        self._client = client or httpx.Client(timeout=timeout)
        self._headers = {"Content-Type": "application/json", **extra}

    def body(self, lines: Sequence[bytes]) -> bytes:
        streams: dict[str, list[list[object]]] = {}
        for line in lines:
            rec = json.loads(line)
            streams.setdefault(str(rec["category"]), []).append(
                [_ns(rec["ts"]), line.decode(), {"seq": str(rec["seq"]), "log_id": str(rec["log_id"])}]
            )
        payload = {
            "streams": [
                {"stream": {"service": self.service, "category": category}, "values": values}
                for category, values in streams.items()
            ]
        }
        return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()

    def _post(self, lines: Sequence[bytes]) -> httpx.Response:
        return self._client.post(self.url, content=self.body(lines), headers=self._headers)

    def send(self, lines: Sequence[bytes]) -> None:
        # ~150 bytes of JSON around each line (timestamp, metadata, quoting); quotes in lines are escaped.
        for chunk in split_lines(
            lines,
            max_bytes=self.max_request,
            max_count=100_000,
            overhead=120,
            max_line=MAX_LINE,
            measure=json_string_length,
        ):
            post_split(chunk, self._post, self.name)

    def close(self) -> None:
        self._client.close()
