"""A real rsyslogd on a free loopback port, in a temp dir: imptcp with octet-counted framing, %msg% to a file."""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

CONF = """
global(workDirectory="{work}" maxMessageSize="64k")
module(load="imptcp")
input(type="imptcp" address="127.0.0.1" port="{port}" ruleset="audit")
template(name="msgonly" type="string" string="%msg%\\n")
ruleset(name="audit") {{
  action(type="omfile" file="{out}" template="msgonly" flushOnTXEnd="on" asyncWriting="off")
}}
"""


@dataclass
class Rsyslog:
    port: int
    out: Path
    process: subprocess.Popen[bytes]

    def lines(self) -> list[bytes]:
        return [line for line in self.out.read_bytes().splitlines() if line.strip()] if self.out.exists() else []

    def wait_for(self, count: int, timeout: float = 20.0) -> list[bytes]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            got = self.lines()
            if len(got) >= count:
                return got
            time.sleep(0.02)
        return self.lines()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def available() -> str | None:
    return shutil.which("rsyslogd") or ("/usr/sbin/rsyslogd" if Path("/usr/sbin/rsyslogd").exists() else None)


@contextlib.contextmanager
def rsyslog(tmp: Path, port: int | None = None) -> Iterator[Rsyslog]:
    binary = available()
    assert binary is not None
    work = tmp / "rsyslog"
    work.mkdir()
    port = port or free_port()
    out = work / "received.jsonl"
    conf = work / "rsyslog.conf"
    conf.write_text(CONF.format(work=work, port=port, out=out))
    check = subprocess.run([binary, "-N1", "-f", str(conf)], capture_output=True, text=True, check=False)
    if check.returncode != 0:
        raise RuntimeError(f"rsyslog config rejected: {check.stderr}")
    process = subprocess.Popen(
        [binary, "-n", "-f", str(conf), "-i", str(work / "rsyslogd.pid")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    err = process.stderr.read().decode() if process.stderr else ""
                    raise RuntimeError(f"rsyslogd did not start: {err}") from None
                time.sleep(0.02)
        yield Rsyslog(port, out, process)
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
