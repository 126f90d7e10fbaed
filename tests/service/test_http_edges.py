"""Authentication and bad input: 401 with an auth.rejected audit record, 413, 400 and 422 naming the field."""

from __future__ import annotations

import httpx

from tests.service.conftest import Service

BEFORE = {"conversationId": "c", "toolName": "search", "toolInput": {"query": "q"}}


def test_missing_or_wrong_token_is_401_and_audited(service: Service) -> None:
    with httpx.Client(base_url=service.url) as anon:
        r = anon.post("/v1/guardrail/before", json=BEFORE)
        assert r.status_code == 401
        assert r.json()["error"] == "unauthorized"
    with service.client("not-the-token") as wrong:
        assert wrong.post("/v1/audit/events", json=[]).status_code == 401
    service.stop()
    rejected = [rec for rec in service.records() if rec["action"] == "auth.rejected"]
    reasons = sorted(rec["detail"]["reason"] for rec in rejected)
    assert reasons == ["invalid_token", "missing_token"]
    for rec in rejected:
        assert rec["detail"]["source_ip"] == "127.0.0.1"
        assert rec["actor"] == "127.0.0.1"
        assert rec["detail"]["path"] in ("/v1/guardrail/before", "/v1/audit/events")


def test_body_over_the_limit_is_413(service: Service) -> None:
    big = {**BEFORE, "toolInput": {"query": "x" * 70_000}}
    with service.client() as c:
        r = c.post("/v1/guardrail/before", json=big)
        assert r.status_code == 413
        assert r.json()["error"] == "body_too_large"

        def chunks() -> object:
            for _ in range(10):
                yield b"x" * 10_000

        r = c.post("/v1/guardrail/before", content=chunks())  # type: ignore[arg-type]
        assert r.status_code == 413


def test_malformed_json_is_400_with_the_reason(service: Service) -> None:
    with service.client() as c:
        r = c.post("/v1/guardrail/before", content=b'{"conversationId": ', headers={"content-type": "text/plain"})
    assert r.status_code == 400
    assert r.json()["error"] == "invalid_json"
    assert "JSON" in r.json()["message"]


def test_unknown_field_is_422_naming_it(service: Service) -> None:
    with service.client() as c:
        r = c.post("/v1/guardrail/before", json={**BEFORE, "toolArgs": {}})
        assert r.status_code == 422
        assert r.json()["error"] == "unknown_field"
        assert [f["field"] for f in r.json()["fields"]] == ["toolArgs"]
        r = c.post("/v1/guardrail/before", json={"conversationId": "c", "toolInput": {}})
        assert r.status_code == 422
        assert r.json()["fields"][0]["field"] == "toolName"
        r = c.post("/v1/guardrail/after", json={"context": {**BEFORE, "tool": 1}, "result": "x"})
        assert r.status_code == 422
        assert r.json()["fields"][0]["field"] == "context.tool"
