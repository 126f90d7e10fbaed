"""Fixtures for the governance tests: an injected clock, a real ``redis-server`` on loopback, backends."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import socket
import subprocess
import time
from collections.abc import AsyncIterator, Coroutine, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import pytest

from hooks.governance.backends.memory import MemoryBackend
from hooks.governance.clock import ManualClock
from tests.governance.helpers import moment

T = TypeVar("T")
WATCHDOG_S = 30


def run(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine with a watchdog (a hang fails the test instead of stalling the suite)."""
    return asyncio.run(asyncio.wait_for(coro, WATCHDOG_S))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class RedisServer:
    """A ``redis-server`` child process on a free loopback port, its data in ``directory``."""

    def __init__(self, directory: Path, *, aof: bool = False) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.skip("redis-server is not installed (Debian package redis-server; .ci/run installs it)")
        self.binary = binary
        self.directory = directory
        self.aof = aof
        self.port = _free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        args = [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.directory),
                "--save", "", "--daemonize", "no", "--logfile", str(self.directory / "redis.log")]  # fmt: skip
        args += ["--appendonly", "yes", "--appendfsync", "always"] if self.aof else ["--appendonly", "no"]
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                log = (self.directory / "redis.log").read_text(errors="replace")[-2000:]
                raise RuntimeError(f"redis-server exited with {self.proc.returncode}: {log}")
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as s:
                s.sendall(b"PING\r\n")
                if s.recv(16).startswith(b"+PONG"):
                    return
            time.sleep(0.02)
        self.stop()
        raise RuntimeError("redis-server did not answer PING within 10 s")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()  # SIGTERM: Redis flushes the AOF and exits
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc = None

    def flush(self) -> None:
        with socket.create_connection(("127.0.0.1", self.port), timeout=2) as s:
            s.sendall(b"FLUSHALL\r\n")
            assert s.recv(16).startswith(b"+OK")


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def redis_url(redis_server: RedisServer) -> str:
    redis_server.flush()
    return redis_server.url


def start() -> datetime:
    """Where the injected clock starts: 24 November next year, 12:00 UTC (see ``moment``)."""
    return moment(11, 24, 12)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(start())


BACKENDS = [pytest.param("memory", id="memory"), pytest.param("redis", id="redis", marks=pytest.mark.server)]


@pytest.fixture(params=BACKENDS)
def backend_kind(request: pytest.FixtureRequest) -> str:
    kind: str = request.param
    if kind == "redis":
        request.getfixturevalue("redis_url")
    return kind


@contextlib.asynccontextmanager
async def open_backend(kind: str, clock: ManualClock, url: str | None) -> AsyncIterator[Any]:
    """A backend of ``kind`` bound to the running event loop (Redis clients are per loop)."""
    if kind == "memory":
        yield MemoryBackend(clock)
        return
    from hooks.governance.backends.redis import RedisBackend

    assert url is not None
    backend = RedisBackend.from_url(url, clock)
    seconds, micros = await backend.client.time()
    redis_now = datetime.fromtimestamp(seconds + micros / 1e6, UTC)
    if clock.now() < redis_now - timedelta(days=1):
        await backend.aclose()
        pytest.fail(
            f"the injected clock ({clock.now().isoformat()}) is in Redis's past ({redis_now.isoformat()}). Redis "
            "applies counter expiry (PEXPIREAT) on its own clock, so such a test passes only until its written "
            "date plus 35 days. Place test moments with tests.governance.helpers.moment()."
        )
    try:
        yield backend
    finally:
        await backend.aclose()


@pytest.fixture
def url_for(request: pytest.FixtureRequest, backend_kind: str) -> str | None:
    return request.getfixturevalue("redis_url") if backend_kind == "redis" else None
