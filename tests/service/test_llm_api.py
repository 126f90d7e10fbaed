"""LLM admission and settlement over HTTP: reservation, downgrade, 429 and 503 with Retry-After."""

from __future__ import annotations

from pathlib import Path

from tests.service.conftest import Service


def test_admit_then_settle(service: Service) -> None:
    with service.client() as c:
        r = c.post("/v1/llm/admit", json={"userId": "u1", "model": "big", "promptTokens": 1000, "maxOutputTokens": 500})
        assert r.status_code == 200, r.text
        admitted = r.json()
        assert admitted["model"] == "big"
        assert admitted["downgraded"] is False
        assert admitted["reservedMicroUsd"] == 1000 * 3 + 500 * 15
        r = c.post("/v1/llm/settle", json={"reservationId": admitted["reservationId"],
                                           "usage": {"input_tokens": 1000, "output_tokens": 100}})  # fmt: skip
        assert r.status_code == 200
        assert r.json() == {"chargedMicroUsd": 1000 * 3 + 100 * 15, "source": "usage", "applied": True}
        again = c.post("/v1/llm/settle", json={"reservationId": admitted["reservationId"]})
        assert again.status_code == 404
        unknown = c.post("/v1/llm/admit", json={"userId": "u1", "model": "gpt-unpriced", "promptTokens": 1})
        assert unknown.status_code == 422
        assert unknown.json()["fields"][0]["field"] == "model"


def test_rate_limit_is_429_with_retry_after(tmp_path: Path) -> None:
    svc = Service(tmp_path, per_user=2).start()
    try:
        with svc.client() as c:
            body = {"userId": "u9", "model": "small", "promptTokens": 10}
            assert [c.post("/v1/llm/admit", json=body).status_code for _ in range(2)] == [200, 200]
            r = c.post("/v1/llm/admit", json=body)
            assert r.status_code == 429
            assert int(r.headers["Retry-After"]) >= 1
            assert r.json()["error"] == "rate_limited"
    finally:
        svc.stop()


def test_budget_downgrade_then_503_with_retry_after(tmp_path: Path) -> None:
    svc = Service(tmp_path, daily_usd="0.01").start()
    try:
        with svc.client() as c:
            # big: 1000*3 + 2000*15 = 33000 micro-USD > 10000; small: 1000*0.5 + 2000*1 = 2500 fits
            body = {"userId": "u1", "model": "big", "promptTokens": 1000, "maxOutputTokens": 2000}
            r = c.post("/v1/llm/admit", json=body)
            assert r.status_code == 200
            assert r.json()["model"] == "small"
            assert r.json()["downgraded"] is True
            codes = [c.post("/v1/llm/admit", json=body).status_code for _ in range(4)]
            assert codes[-1] == 503
            r = c.post("/v1/llm/admit", json=body)
            assert r.status_code == 503
            assert r.json()["error"] == "budget_exhausted"
            assert int(r.headers["Retry-After"]) >= 1
    finally:
        svc.stop()
