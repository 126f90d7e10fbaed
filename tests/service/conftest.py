"""The hooks service on loopback: uvicorn in a thread on a free port, real sink, chain and governance; httpx clients."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from hooks.audit.keys import keygen
from hooks.service.app import create_app
from hooks.service.config import parse_service_config, resolve_tokens
from hooks.service.runtime import Runtime, build_runtime

APP_TOKEN = "app-token-0123456789"
ALICE_TOKEN = "alice-token-0123456789"
ONCALL_TOKEN = "oncall-token-0123456789"
ENV = {"T_APP": APP_TOKEN, "T_ALICE": ALICE_TOKEN, "T_ONCALL": ONCALL_TOKEN}

GUARDRAILS: dict[str, Any] = {
    "approval": {"level": "high", "timeout_seconds": 30},
    "tools": {
        "search": {"schema": {"type": "object", "properties": {"query": {"type": "string", "maxLength": 500}},
                              "required": ["query"]}},
        "send_money": {
            "risk": "high",
            "schema": {"type": "object", "properties": {"amount": {"type": "number"}, "to": {"type": "string"}},
                       "required": ["amount"]},
        },
    },
}  # fmt: skip


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def service_config(tmp: Path, **overrides: Any) -> dict[str, Any]:
    guardrails = json.loads(json.dumps(GUARDRAILS))
    if "approval_timeout" in overrides:
        guardrails["approval"]["timeout_seconds"] = overrides.pop("approval_timeout")
    governance: dict[str, Any] = {
        "rateLimits": {"perUserPerMinute": overrides.pop("per_user", 100), "globalPerMinute": 1000},
        "budgets": {"dailyUsd": overrides.pop("daily_usd", "50"), "monthlyUsd": "1000"},
        "models": {
            "big": {"inputUsdPerMtok": "3", "outputUsdPerMtok": "15", "fallback": "small"},
            "small": {"inputUsdPerMtok": "0.5", "outputUsdPerMtok": "1"},
        },
        "alerts": {"log": False},
    }
    if (redis_url := overrides.pop("redis_url", None)) is not None:
        governance["redisUrl"] = redis_url
    return {
        "service": {
            "auditKeys": str(tmp / "keys"),
            "maxBodyBytes": overrides.pop("max_body", 65_536),
            "auth": {
                "applicationTokenEnv": "T_APP",
                "approvers": [{"name": "alice", "tokenEnv": "T_ALICE"}],
                "approverGroups": [{"name": "oncall", "tokenEnv": "T_ONCALL", "members": ["bob", "carol"]}],
            },
            "approvals": {"pollIntervalMs": 50},
        },
        "audit": {
            "flushIntervalSeconds": 0.2,
            "spoolDir": str(tmp / "spool"),
            "sinks": [{"type": "file", "path": str(tmp / "trail.jsonl")}],
        },
        "governance": governance,
        "guardrails": guardrails,
    }


class Service:
    """One service instance; ``start`` / ``stop`` may be repeated (a restart keeps the same state directory)."""

    def __init__(self, tmp: Path, *, mutate: Callable[[Runtime], None] | None = None, **overrides: Any) -> None:
        self.tmp = tmp
        self.mutate = mutate
        if not (tmp / "keys").exists():
            keygen(tmp / "keys")
        self.data = service_config(tmp, **overrides)
        self.server: uvicorn.Server | None = None
        self.thread: threading.Thread | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def trail(self) -> Path:
        return self.tmp / "trail.jsonl"

    def start(self) -> Service:
        config = parse_service_config(self.data, base=self.tmp, env=ENV)
        credentials = resolve_tokens(config.service.auth, ENV)

        def build() -> Runtime:
            runtime = build_runtime(config, credentials)
            if self.mutate is not None:
                self.mutate(runtime)
            return runtime

        app = create_app(build, max_body_bytes=config.service.max_body_bytes)
        self.port = self.port or free_port()  # a restart keeps the address, as a pod's sidecar does
        self.server = uvicorn.Server(
            uvicorn.Config(
                app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="on", timeout_graceful_shutdown=1
            )
        )
        self.thread = threading.Thread(target=self.server.run, name="hooks-service", daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the hooks service did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        if self.server is not None and self.thread is not None:
            self.server.should_exit = True
            self.thread.join(30)
            assert not self.thread.is_alive(), "the hooks service did not stop"
        self.server = None
        self.thread = None

    def client(self, token: str | None = APP_TOKEN, **headers: str) -> httpx.Client:
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        return httpx.Client(base_url=self.url, headers=headers, timeout=60)

    def records(self) -> list[dict[str, Any]]:
        if not self.trail.exists():
            return []
        return [json.loads(line) for line in self.trail.read_text().splitlines() if line.strip()]


@pytest.fixture
def service(tmp_path: Path) -> Iterator[Service]:
    svc = Service(tmp_path).start()
    yield svc
    svc.stop()


def wait_for_pending(client: httpx.Client, count: int = 1, timeout: float = 20) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pending: list[dict[str, Any]] = client.get("/v1/approvals").json()["approvals"]
        if len(pending) >= count:
            return pending
        time.sleep(0.05)
    raise AssertionError("no pending approval appeared")


class Background(threading.Thread):
    """Run one HTTP call in a thread (a held call waits for a person)."""

    def __init__(self, svc: Service, path: str, body: dict[str, Any]) -> None:
        super().__init__(daemon=True)
        self.svc, self.path, self.body = svc, path, body
        self.response: httpx.Response | None = None
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            with self.svc.client() as c:
                self.response = c.post(self.path, json=self.body)
        except BaseException as exc:
            self.error = exc

    def result(self, timeout: float = 30) -> httpx.Response:
        self.join(timeout)
        assert self.response is not None, f"no response ({self.error!r})"
        return self.response


def until(condition: Any, timeout: float = 30.0) -> Any:
    """Poll ``condition`` until it returns something truthy (returned), or fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("condition not reached")


@pytest.fixture
def browser() -> Iterator[Any]:
    """Debian's headless Chromium driven by its matching chromium-driver (Selenium); skips when not installed."""
    import shutil

    chromium, driver_path = shutil.which("chromium"), shutil.which("chromedriver")
    if chromium is None or driver_path is None:
        pytest.skip("chromium and chromium-driver are not installed (apt-get install chromium chromium-driver)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service as DriverService

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--window-size=1500,760", "--force-device-scale-factor=1"):  # fmt: skip
        options.add_argument(flag)
    driver = webdriver.Chrome(service=DriverService(executable_path=driver_path), options=options)
    try:
        yield driver
    finally:
        driver.quit()
