"""Health, readiness, metrics exposition, and the checked-in OpenAPI document kept equal to the served one."""

from __future__ import annotations

import json
from pathlib import Path

import httpx

from hooks.service.serve import offline_openapi
from tests.service.conftest import Service

OPENAPI = Path(__file__).resolve().parents[2] / "docs" / "hooks-openapi.json"


def test_health_and_readiness(service: Service) -> None:
    with httpx.Client(base_url=service.url) as anon:
        assert anon.get("/healthz").json() == {"status": "ok"}
        r = anon.get("/readyz")
        assert r.status_code == 200
        assert r.json() == {"ready": True, "checks": {"spool": True, "approvals": True}}


def test_not_ready_while_the_spool_cannot_be_written(service: Service) -> None:
    spool = service.tmp / "spool"
    spool.chmod(0o500)
    try:
        with httpx.Client(base_url=service.url) as anon:
            r = anon.get("/readyz")
        if r.status_code == 200:  # running as root: permissions do not stop writes
            return
        assert r.status_code == 503
        assert r.json()["checks"]["spool"] is False
    finally:
        spool.chmod(0o700)


def test_metrics_exposition(service: Service) -> None:
    with service.client() as c:
        c.post("/v1/guardrail/before", json={"conversationId": "c", "toolName": "nope", "toolInput": {}})
        c.post("/v1/llm/admit", json={"userId": "u", "model": "small", "promptTokens": 5})
    with httpx.Client(base_url=service.url) as anon:
        r = anon.get("/metrics")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/plain")
    text = r.text
    assert 'hooks_guardrail_decisions_total{outcome="deny",phase="before",rule="unknown-tool"} 1.0' in text
    assert 'hooks_request_duration_seconds_bucket{le="+Inf",route="/v1/guardrail/before"}' in text
    assert "hooks_audit_queue_depth " in text
    assert 'hooks_audit_dlq_batches{sink="' in text
    assert 'hooks_budget_spent_micro_usd{scope="global/day"}' in text
    assert 'hooks_budget_limit_micro_usd{scope="global/day"} 5e+07' in text
    assert "hooks_approvals_pending 0.0" in text
    assert 'hooks_llm_admissions_total{outcome="admitted"} 1.0' in text


def test_openapi_document_is_checked_in_and_served(service: Service) -> None:
    with httpx.Client(base_url=service.url) as anon:
        served = anon.get("/openapi.json").json()
    checked_in = OPENAPI.read_text(encoding="utf-8")
    assert json.loads(checked_in) == served, "regenerate: bakerst-hardened hooks openapi --out docs/hooks-openapi.json"
    assert offline_openapi() == checked_in
