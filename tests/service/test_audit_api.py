"""Upstream's audit events, exactly as agent.ts and api.ts send them: accepted, recorded, and the trail verifies."""

from __future__ import annotations

from datetime import UTC, datetime

from bakerst_hardened.audit_cli import main as audit_main
from tests.service.conftest import Service

NOW = datetime.now(UTC).isoformat().replace("+00:00", "Z")
UPSTREAM = [
    {"timestamp": NOW, "category": "tool", "action": "blocked", "actor": "guardrail",
     "detail": {"tool": "dispatch_job", "reason": "policy violation"}},
    {"timestamp": NOW, "category": "tool", "action": "executed", "actor": "agent",
     "detail": {"tool": "memory_search", "jobId": "job-42"}},
    {"timestamp": NOW, "category": "auth", "action": "rejected", "actor": "10.1.2.3",
     "detail": {"path": "/chat", "reason": "missing_token"}},
]  # fmt: skip


def test_upstream_events_are_recorded_and_the_trail_verifies(service: Service) -> None:
    with service.client() as c:
        r = c.post("/v1/audit/events", json=UPSTREAM)
        assert r.status_code == 202, r.text
        assert [e["action"] for e in r.json()["recorded"]] == ["tool.blocked", "tool.executed", "auth.rejected"]
        assert all(e["problems"] == [] for e in r.json()["recorded"])
        # tool/executed with jobId undefined (JSON drops it) and one event alone, not in an array
        r = c.post("/v1/audit/events", json={"category": "tool", "action": "executed", "actor": "agent",
                                              "detail": {"tool": "list_jobs"}})  # fmt: skip
        assert r.status_code == 202
        # unfamiliar: an unknown action, an unknown category, an odd detail field, a float, a missing tool
        odd = [
            {"category": "secret", "action": "peeked", "actor": "agent", "detail": {"name": "x", "score": 0.5}},
            {"category": "ops", "action": "restarted", "actor": "brain", "detail": {}},
            {"category": "tool", "action": "executed", "actor": "agent", "detail": {"tool": "t", "pid": 7}},
            {"category": "tool", "action": "blocked", "actor": "", "detail": {"reason": "no tool given"}},
        ]
        r = c.post("/v1/audit/events", json=odd)
        assert r.status_code == 202
        recorded = r.json()["recorded"]
        assert [e["action"] for e in recorded] == ["secret.reported", "admin.reported", "tool.executed",
                                                   "tool.reported"]  # fmt: skip
        assert all(e["problems"] for e in recorded)
        assert "pid" in recorded[2]["problems"][0]
    service.stop()
    records = {(r["action"], r["actor"]): r for r in service.records()}
    blocked = records["tool.blocked", "guardrail"]["detail"]
    assert blocked == {"tool": "dispatch_job", "reason": "policy violation", "origin": "app", "reported_at": NOW}
    assert records["tool.executed", "agent"]["detail"]["origin"] == "app"
    rejected = records["auth.rejected", "10.1.2.3"]["detail"]
    assert rejected["path"] == "/chat"
    assert rejected["source_ip"] == "10.1.2.3"
    reported = records["secret.reported", "agent"]["detail"]
    assert reported["reported"] == {"name": "x", "score": "0.5"}
    assert reported["action"] == "peeked"
    assert records["tool.reported", "unknown"]["detail"]["reported"] == {"reason": "no tool given"}
    code = audit_main(["audit", "verify", str(service.trail), "--keys", str(service.tmp / "keys")])
    assert code == 0


def test_an_empty_array_is_refused(service: Service) -> None:
    with service.client() as c:
        r = c.post("/v1/audit/events", json=[])
    assert r.status_code == 422
