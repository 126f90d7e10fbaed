"""Approvals in Redis: they survive a restart of the service, a retried call finds its decision, and /readyz
reports Redis being down."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.governance.conftest import RedisServer
from tests.service.conftest import ALICE_TOKEN, Background, Service, wait_for_pending

pytestmark = pytest.mark.server

CALL = {"conversationId": "conv-r", "userId": "u1", "toolName": "send_money", "toolInput": {"amount": 3}}


@pytest.fixture
def redis(tmp_path: Path) -> Iterator[RedisServer]:
    (tmp_path / "redis").mkdir()
    server = RedisServer(tmp_path / "redis", aof=True)
    server.start()
    yield server
    server.stop()


def test_approvals_survive_a_restart_and_the_retried_call_uses_the_decision(tmp_path: Path, redis: RedisServer) -> None:
    svc = Service(tmp_path / "svc", redis_url=redis.url).start()
    held = Background(svc, "/v1/guardrail/before", CALL)
    held.start()
    with svc.client(ALICE_TOKEN) as alice:
        (pending,) = wait_for_pending(alice)
    svc.stop()  # the held call is cut off with the old process
    held.join(30)

    svc.start()  # a new process: the request is still there
    try:
        with svc.client(ALICE_TOKEN) as alice:
            (again,) = wait_for_pending(alice)
            assert again["id"] == pending["id"]
            # the brain retries the same call: it waits on the same request, no second one is made
            retry = Background(svc, "/v1/guardrail/before", CALL)
            retry.start()
            time.sleep(0.5)
            assert [p["id"] for p in alice.get("/v1/approvals").json()["approvals"]] == [pending["id"]]
            assert alice.post(f"/v1/approvals/{pending['id']}/approve", json={"comment": "ok"}).status_code == 200
        body = retry.result().json()
        assert body == {"allow": True, "rule": "risk.high", "approvalId": pending["id"], "callId": body["callId"]}
        with svc.client(ALICE_TOKEN) as alice:
            got = alice.get(f"/v1/approvals/{pending['id']}").json()
            assert got["status"] == "approved"
            assert got["comment"] == "ok"
            assert got["decidedBy"] == "alice"
        # the approval was used: the same call again asks again
        third = Background(svc, "/v1/guardrail/before", CALL)
        third.start()
        with svc.client(ALICE_TOKEN) as alice:
            (fresh,) = wait_for_pending(alice)
            assert fresh["id"] != pending["id"]
            alice.post(f"/v1/approvals/{fresh['id']}/deny", json={"comment": "once is enough"})
        assert third.result().json()["allow"] is False
    finally:
        svc.stop()


def test_a_decision_made_on_another_replica_reaches_the_held_call(tmp_path: Path, redis: RedisServer) -> None:
    one = Service(tmp_path / "one", redis_url=redis.url).start()
    two = Service(tmp_path / "two", redis_url=redis.url).start()
    try:
        held = Background(one, "/v1/guardrail/before", CALL)
        held.start()
        with two.client(ALICE_TOKEN) as alice:
            (pending,) = wait_for_pending(alice)
            assert alice.post(f"/v1/approvals/{pending['id']}/approve").status_code == 200
        assert held.result().json()["allow"] is True
    finally:
        one.stop()
        two.stop()


def test_not_ready_while_redis_is_down(tmp_path: Path, redis: RedisServer) -> None:
    svc = Service(tmp_path / "svc", redis_url=redis.url).start()
    try:
        with httpx.Client(base_url=svc.url, timeout=30) as anon:
            ok = anon.get("/readyz")
            assert ok.status_code == 200
            assert ok.json()["checks"] == {"spool": True, "redis": True, "approvals": True}
            redis.stop()
            down = anon.get("/readyz")
            assert down.status_code == 503
            assert down.json()["checks"]["redis"] is False
            assert down.json()["ready"] is False
        # a held call cannot be recorded without the store: refused, with the reason
        with svc.client() as c:
            body = c.post("/v1/guardrail/before", json=CALL).json()
        assert body["allow"] is False
        assert body["rule"] == "approval.error"
        # governance follows its failure mode (closed here): no LLM call is admitted without the shared counters
        with svc.client() as c:
            admit = c.post("/v1/llm/admit", json={"userId": "u1", "model": "big", "promptTokens": 10})
        assert admit.status_code == 503, admit.text
        assert "Retry-After" in admit.headers
        with svc.client(ALICE_TOKEN) as alice:
            listing = alice.get("/v1/approvals")
        assert listing.status_code == 503
        assert listing.json()["error"] == "approvals_unavailable"
        assert listing.headers["Retry-After"] == "5"
    finally:
        svc.stop()


def test_admit_on_one_replica_settle_on_another(tmp_path: Path, redis: RedisServer) -> None:
    one = Service(tmp_path / "one", redis_url=redis.url).start()
    two = Service(tmp_path / "two", redis_url=redis.url).start()
    try:
        with one.client() as a, two.client() as b:
            admitted = a.post("/v1/llm/admit", json={"userId": "u1", "model": "small", "promptTokens": 100}).json()
            body = {
                "reservationId": admitted["reservationId"],
                "usage": {"prompt_tokens": 100, "completion_tokens": 10},
            }
            r = b.post("/v1/llm/settle", json=body)
            assert r.status_code == 200, r.text
            assert r.json() == {"chargedMicroUsd": 60, "source": "usage", "applied": True}
            assert a.post("/v1/llm/settle", json=body).status_code == 404  # settled once
    finally:
        one.stop()
        two.stop()
