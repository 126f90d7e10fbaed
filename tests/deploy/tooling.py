"""Real supply-chain tools for the tests: found like the deploy command finds them, skipped with a reason when
absent (CI builds them with ``scripts/tools build``), a loopback registry and images built without Docker."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import tarfile
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from bakerst_hardened.deploy.tools import TOOLS, find_tool

ENV = {
    **os.environ,
    "SYFT_CHECK_FOR_APP_UPDATE": "false",
    "COSIGN_PASSWORD": "",
    "TRIVY_DISABLE_VEX_NOTICE": "true",
}

#: An Alpine-looking root file system: the package database trivy and syft read, and the release file.
ALPINE_RELEASE = "3.19.1"
APK_INSTALLED = (
    "C:Q1aGVsbG8gd29ybGQ=\nP:musl\nV:1.2.4-r2\nA:x86_64\nS:383152\nI:622592\nT:the musl c library\nL:MIT\n\n"
)


def require_real_clock(config: pytest.Config) -> None:
    """Skip under ``--clock-shift-days``: the Pulumi Automation API's in-process gRPC server does not start while
    time-machine moves the wall clock (it waits forever). The engine tests are not date-sensitive; the ones that
    are (allow-list expiry, the test-made trivy database) still run with the clock moved."""
    from tests.clock_shift import shift_days

    if shift_days(config):
        pytest.skip("the Pulumi engine's gRPC server does not start under a moved wall clock (not date-sensitive)")


def require_tools(*names: str) -> dict[str, Path]:
    """The named tools' binaries, or skip the test naming what is missing and how to get it."""
    found = {name: find_tool(name) for name in names}
    missing = [name for name, path in found.items() if path is None]
    if missing:
        pytest.skip(
            "supply-chain tool(s) not found: " + "; ".join(f"{name} ({TOOLS[name].how_to_get})" for name in missing)
        )
    return {name: path for name, path in found.items() if path is not None}


def run(
    tool: Path, args: Sequence[str], env: Mapping[str, str] | None = None, check: bool = True
) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [str(tool), *args], capture_output=True, text=True, env={**ENV, **(env or {})}, timeout=600, check=False
    )
    if check and done.returncode != 0:
        raise AssertionError(f"{tool.name} {' '.join(args)} exited {done.returncode}: {done.stderr[-2000:]}")
    return done


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def registry(crane: Path, disk: Path) -> Iterator[str]:
    """``crane registry serve`` on loopback with its blobs on ``disk``; yields ``127.0.0.1:PORT``."""
    disk.mkdir(parents=True, exist_ok=True)
    port = free_port()
    log = (disk.parent / "registry.log").open("w")
    proc = subprocess.Popen(
        [str(crane), "registry", "serve", "--address", f"127.0.0.1:{port}", "--disk", str(disk)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
                break
            if proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"crane registry did not start: {(disk.parent / 'registry.log').read_text()}")
            time.sleep(0.1)
        yield f"127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        log.close()


def _layer(root: Path, files: Mapping[str, str], out: Path) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    with tarfile.open(out, "w") as tar:
        for name in sorted(files):
            info = tar.gettarinfo(str(root / name), arcname=name)
            info.mtime, info.uid, info.gid, info.uname, info.gname = 0, 0, 0, "", ""
            with (root / name).open("rb") as handle:
                tar.addfile(info, handle)
    return out


@dataclass(frozen=True)
class BuiltImage:
    tag: str
    digest: str

    @property
    def by_digest(self) -> str:
        return f"{self.tag.rsplit(':', 1)[0]}@{self.digest}"


def build_image(crane: Path, tag: str, work: Path, extra: Mapping[str, str] | None = None) -> BuiltImage:
    """An Alpine-looking image with one apk package (musl), built with ``crane append`` (no Docker)."""
    work.mkdir(parents=True, exist_ok=True)
    files = {
        "etc/alpine-release": ALPINE_RELEASE + "\n",
        "etc/os-release": f'NAME="Alpine Linux"\nID=alpine\nVERSION_ID={ALPINE_RELEASE}\n',
        "lib/apk/db/installed": APK_INSTALLED,
        **(extra or {}),
    }
    layer = _layer(work / "rootfs", files, work / "layer.tar")
    run(crane, ["append", "--oci-empty-base", "-f", str(layer), "-t", tag])
    run(crane, ["mutate", "--set-platform", "linux/amd64", "--entrypoint", "/bin/true", "-t", tag, tag])
    digest = run(crane, ["digest", tag]).stdout.strip()
    return BuiltImage(tag, digest)


@dataclass(frozen=True)
class KeyPair:
    private: Path
    public: Path

    @property
    def public_pem(self) -> str:
        return self.public.read_text(encoding="utf-8")


def key_pair(cosign: Path, directory: Path) -> KeyPair:
    directory.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        [str(cosign), "generate-key-pair"],
        capture_output=True,
        text=True,
        env=ENV,
        cwd=directory,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return KeyPair(directory / "cosign.key", directory / "cosign.pub")
