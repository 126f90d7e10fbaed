"""Prometheus metrics of one service instance, in a registry of its own (no process-wide globals).

Counters and histograms are updated by the request handlers; the gauges that mirror other objects (audit queue
depth, dead-letter queue size, budget use, pending approvals) are read when ``/metrics`` is scraped.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4

CONTENT_TYPE = CONTENT_TYPE_PLAIN_0_0_4
_LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0, 60.0, 600.0)


class ServiceMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.decisions = Counter(
            "hooks_guardrail_decisions",
            "Guardrail decisions by phase (before/after), outcome and deciding rule.",
            ["phase", "outcome", "rule"],
            registry=r,
        )
        self.latency = Histogram(
            "hooks_request_duration_seconds",
            "Time to answer a request, by route (held calls include the wait for a person).",
            ["route"],
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.audit_events = Counter(
            "hooks_audit_events_received", "Application audit events received, by how they were recorded.",
            ["recorded_as"], registry=r,
        )  # fmt: skip
        self.auth_rejections = Counter(
            "hooks_auth_rejections", "Requests refused for a missing or wrong token.", ["reason"], registry=r
        )
        self.llm_admissions = Counter(
            "hooks_llm_admissions", "LLM admissions by outcome (admitted, downgraded, rate_limited, budget, error).",
            ["outcome"], registry=r,
        )  # fmt: skip
        self.audit_queue_depth = Gauge(
            "hooks_audit_queue_depth", "Audit events waiting in memory to be chained and spooled.", registry=r
        )
        self.audit_dlq_batches = Gauge(
            "hooks_audit_dlq_batches", "Batches in a shipper's dead-letter queue, not replayed yet.", ["sink"],
            registry=r,
        )  # fmt: skip
        self.audit_sink = Gauge(
            "hooks_audit_sink_counter", "The audit sink's own counters (emitted, dropped, spooled ...).", ["counter"],
            registry=r,
        )  # fmt: skip
        self.budget_spent = Gauge(
            "hooks_budget_spent_micro_usd", "Settled + reserved spend in the current period (micro-USD).", ["scope"],
            registry=r,
        )  # fmt: skip
        self.budget_limit = Gauge(
            "hooks_budget_limit_micro_usd", "The configured budget of the period (micro-USD).", ["scope"], registry=r
        )
        self.approvals_pending = Gauge("hooks_approvals_pending", "Held calls waiting for a person.", registry=r)

    def exposition(self) -> bytes:
        return generate_latest(self.registry)
