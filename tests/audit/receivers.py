"""In-process receivers for the HTTP SIEM APIs that cannot be installed here, following their documented contract.

* Loki ``POST /loki/api/v1/push``: JSON (optionally gzip), ``{"streams":[{"stream":{labels},"values":[[ns, line,
  {metadata}]]}]}``; 204 on success; 400 for a line over ``max_line_size`` (256 KB), > 15 labels, a timestamp
  older than 7 days or more than 10 minutes in the future, or a malformed body; 429 when over the per-request
  burst (``ingestion_burst_size_mb``, 6 MB).
* Splunk HEC ``POST /services/collector/event``: ``Authorization: Splunk <token>`` (401 code 2 missing, 403 code 4
  invalid), concatenated JSON objects, each needing ``event`` (400 code 12, or code 6 with
  ``invalid-event-number``); 413 over ``max_content_length``; ``X-Splunk-Request-Channel`` required when acks are
  on (400 code 10); response ``{"text":"Success","code":0,"ackId":n}``; ``POST /services/collector/ack?channel=``
  with ``{"acks":[...]}`` answers ``{"acks":{"n":bool}}`` (true after ``ack_after_polls`` polls); a busy
  server answers 503 ``{"text":"Server is busy","code":9}``.
* Datadog ``POST /api/v2/logs``: ``DD-API-KEY`` (401 missing, 403 wrong), JSON array ≤ 1000 entries (400 above),
  ≤ 5 MB uncompressed (413 above), each log ≤ 1 MB (accepted and truncated, as Datadog does); 202 on success.

``script`` holds forced responses (status, optional Retry-After) consumed one per request before normal
processing: that is how the tests make a receiver fail intermittently or be down for a while.
"""

from __future__ import annotations

import gzip
import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

LOKI_MAX_LINE = 256 * 1024
LOKI_BURST = 6 * 1024 * 1024
LOKI_MAX_LABELS = 15
LOKI_MAX_AGE_NS = 7 * 86400 * 10**9  # reject_old_samples_max_age (168h)
LOKI_MAX_FUTURE_NS = 600 * 10**9  # creation_grace_period (10m)
HEC_MAX_CONTENT = 1_000_000
DD_MAX_REQUEST = 5 * 1024 * 1024
DD_MAX_ENTRIES = 1000
DD_MAX_LOG = 1_000_000


@dataclass
class State:
    token: str = "hec-token"
    api_key: str = "dd-key"
    script: list[int] = field(default_factory=list)
    retry_after: str | None = None
    busy: int = 0
    """Splunk: answer this many event posts with 503 code 9 (server busy)."""
    refuse: int | None = None
    """While set, answer every request with this status (e.g. 400: the sink refuses for good, for a while)."""
    delay: float = 0.0
    """Seconds to sleep before answering each request (to make a replay slow enough to interrupt)."""
    now_ns: Callable[[], int] = time.time_ns
    """The receiver's clock (epoch ns), which Loki's age rule compares with: a test may move it (e.g. to make a
    batch look as if it waited in the spool longer than Loki keeps accepting samples)."""
    ack_after_polls: int = 1
    requests: list[tuple[str, int, int]] = field(default_factory=list)
    """(path, status, body bytes) of every request."""
    loki_lines: list[str] = field(default_factory=list)
    hec_events: list[dict[str, Any]] = field(default_factory=list)
    dd_messages: list[str] = field(default_factory=list)
    _acks: dict[int, int] = field(default_factory=dict)
    _pending_hec: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    _next_ack: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


class _Handler(BaseHTTPRequestHandler):
    state: State

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _reply(self, status: int, body: Any = None, headers: dict[str, str] | None = None) -> None:
        data = b"" if body is None else json.dumps(body).encode()
        self.send_response(status)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        if data:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        raw = self.rfile.read(length)
        if self.headers.get("Content-Encoding") == "gzip":
            raw = gzip.decompress(raw)
        url = urlparse(self.path)
        state = self.state
        if state.delay:
            time.sleep(state.delay)
        with state.lock:
            forced = state.script.pop(0) if state.script else state.refuse
        if forced is not None:
            headers = {"Retry-After": state.retry_after} if state.retry_after else None
            self._record(url.path, forced, raw)
            self._reply(forced, {"text": "forced", "code": 8}, headers)
            return
        if url.path == "/loki/api/v1/push":
            self._loki(raw)
        elif url.path in {"/services/collector/event", "/services/collector"}:
            self._hec(raw)
        elif url.path == "/services/collector/ack":
            self._hec_ack(raw, parse_qs(url.query))
        elif url.path == "/api/v2/logs":
            self._datadog(raw)
        else:
            self._reply(404, {"error": "not found"})

    def _record(self, path: str, status: int, raw: bytes) -> None:
        with self.state.lock:
            self.state.requests.append((path, status, len(raw)))

    # -- Loki --

    def _loki(self, raw: bytes) -> None:
        if len(raw) > LOKI_BURST:
            self._record("loki", 429, raw)
            self._reply(429, {"error": "ingestion rate limit exceeded"})
            return
        try:
            streams = json.loads(raw)["streams"]
            now = self.state.now_ns()
            lines = []
            for stream in streams:
                if len(stream["stream"]) > LOKI_MAX_LABELS:
                    raise ValueError("too many labels")
                for value in stream["values"]:
                    ts, line = int(value[0]), value[1]
                    if not isinstance(line, str) or len(line.encode()) > LOKI_MAX_LINE:
                        raise ValueError("line too long")
                    if ts < now - LOKI_MAX_AGE_NS:
                        raise ValueError(f"entry has timestamp too old: {ts}, oldest acceptable timestamp is: "
                                         f"{now - LOKI_MAX_AGE_NS}")  # fmt: skip
                    if ts > now + LOKI_MAX_FUTURE_NS:
                        raise ValueError(f"entry has timestamp too new: {ts}")
                    lines.append((ts, line))
        except (ValueError, KeyError, TypeError, IndexError) as exc:
            self._record("loki", 400, raw)
            self._reply(400, {"error": str(exc)})
            return
        with self.state.lock:
            self.state.loki_lines.extend(line for _, line in lines)
        self._record("loki", 204, raw)
        self._reply(204)

    # -- Splunk HEC --

    def _hec(self, raw: bytes) -> None:
        state = self.state
        auth = self.headers.get("Authorization")
        if not auth:
            self._reply(401, {"text": "Token is required", "code": 2})
            return
        if auth != f"Splunk {state.token}":
            self._reply(403, {"text": "Invalid token", "code": 4})
            return
        if len(raw) > HEC_MAX_CONTENT:
            self._record("hec", 413, raw)
            self._reply(413, {"text": "Content too large", "code": 8})
            return
        with state.lock:
            busy = state.busy > 0
            state.busy -= 1 if busy else 0
        if busy:
            self._record("hec", 503, raw)
            self._reply(503, {"text": "Server is busy", "code": 9})
            return
        channel = self.headers.get("X-Splunk-Request-Channel")
        if not channel:
            self._reply(400, {"text": "Data channel is missing", "code": 10})
            return
        events: list[dict[str, Any]] = []
        decoder = json.JSONDecoder()
        text, pos, number = raw.decode(), 0, 0
        while True:
            while pos < len(text) and text[pos].isspace():
                pos += 1
            if pos >= len(text):
                break
            try:
                obj, pos = decoder.raw_decode(text, pos)
            except ValueError:
                self._reply(400, {"text": "Invalid data format", "code": 6, "invalid-event-number": number})
                return
            if not isinstance(obj, dict) or "event" not in obj:
                self._reply(400, {"text": "Event field is required", "code": 12, "invalid-event-number": number})
                return
            events.append(obj)
            number += 1
        if not events:
            self._reply(400, {"text": "No data", "code": 5})
            return
        with state.lock:
            ack = state._next_ack
            state._next_ack += 1
            state._acks[ack] = 0
            state._pending_hec[ack] = events
        self._record("hec", 200, raw)
        self._reply(200, {"text": "Success", "code": 0, "ackId": ack})

    def _hec_ack(self, raw: bytes, query: dict[str, list[str]]) -> None:
        state = self.state
        if not query.get("channel") and not self.headers.get("X-Splunk-Request-Channel"):
            self._reply(400, {"text": "Data channel is missing", "code": 10})
            return
        asked = json.loads(raw).get("acks", [])
        answer: dict[str, bool] = {}
        with state.lock:
            for ack in asked:
                if ack not in state._acks:
                    answer[str(ack)] = False
                    continue
                state._acks[ack] += 1
                done = state._acks[ack] >= state.ack_after_polls
                if done and ack in state._pending_hec:
                    state.hec_events.extend(state._pending_hec.pop(ack))  # indexed now
                answer[str(ack)] = done
        self._reply(200, {"acks": answer})

    # -- Datadog --

    def _datadog(self, raw: bytes) -> None:
        key = self.headers.get("DD-API-KEY")
        if not key:
            self._reply(401, {"errors": ["Unauthorized"]})
            return
        if key != self.state.api_key:
            self._reply(403, {"errors": ["Forbidden"]})
            return
        if len(raw) > DD_MAX_REQUEST:
            self._record("datadog", 413, raw)
            self._reply(413, {"errors": ["Payload too large"]})
            return
        try:
            body = json.loads(raw)
            entries = body if isinstance(body, list) else [body]
            if len(entries) > DD_MAX_ENTRIES:
                raise ValueError("too many entries")
            messages = [str(e["message"]).encode()[:DD_MAX_LOG].decode(errors="ignore") for e in entries]
        except (ValueError, KeyError, TypeError) as exc:
            self._record("datadog", 400, raw)
            self._reply(400, {"errors": [str(exc)]})
            return
        with self.state.lock:
            self.state.dd_messages.extend(messages)
        self._record("datadog", 202, raw)
        self._reply(202, {})


@contextmanager
def receiver(state: State | None = None) -> Iterator[tuple[str, State]]:
    """Serve all three APIs on a free loopback port; yields (base URL, state)."""
    state = state or State()
    handler = type("Handler", (_Handler,), {"state": state})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
