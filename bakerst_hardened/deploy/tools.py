"""The external tools the deploy command runs: where they come from, their versions, and how they are called.

None of them is packaged in Debian; ``scripts/tools build NAME`` builds each one from its Go module into a
per-version cache (``~/.cache/bakerst-hardened/tools/<name>-<version>/bin``). The command looks for a tool in
``$BAKERST_HARDENED_TOOLS`` (directories, ``:``-separated), then on ``PATH``, then in that cache
(``$BSH_TOOLS_CACHE`` when set, as for ``scripts/tools``).
"""

from __future__ import annotations

import mmap
import os
import re
import shutil
import subprocess
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

TOOLS_PATH_ENV = "BAKERST_HARDENED_TOOLS"
CACHE_ENV = "BSH_TOOLS_CACHE"
"""The cache root ``scripts/tools`` builds into (default ``~/.cache/bakerst-hardened/tools``)."""


def cache_root(environ: Mapping[str, str] | None = None) -> Path:
    environ = os.environ if environ is None else environ
    return Path(environ.get(CACHE_ENV) or Path.home() / ".cache" / "bakerst-hardened" / "tools")


#: "Version: 1.2.3", "GitVersion: v1.2.3", "Client Version: v1.2.3", or a bare "v1.2.3" line.
_VERSION_LINE = r"^\s*(?:Git|Client )?Version:?\s*v?(\d+\.\d+\.\d+)\b|^v?(\d+\.\d+\.\d+)\s*$"


@dataclass(frozen=True)
class ToolSpec:
    """One tool: the version this project is tested with, how to ask a binary its version, how to get it."""

    name: str
    version: str
    """Tested version (``MAJOR.MINOR.PATCH``); an older one, or another major, is refused."""
    module: str
    version_args: tuple[str, ...]
    main_module: str
    """The Go main module, whose version ``go install MODULE@VERSION`` records in the binary's build info."""
    hint: str | None = None
    """How to get it, when not from ``scripts/tools``."""

    @property
    def how_to_get(self) -> str:
        if self.hint:
            return self.hint
        return (
            f"build it with `scripts/tools build {self.name}` (Go module {self.module} v{self.version}), "
            f"or put a {self.name} v{self.version} binary on PATH or in ${TOOLS_PATH_ENV}"
        )


TOOLS: dict[str, ToolSpec] = {
    spec.name: spec
    for spec in (
        ToolSpec(
            "crane",
            "0.22.1",
            "github.com/google/go-containerregistry/cmd/crane",
            ("version",),
            "github.com/google/go-containerregistry",
        ),
        ToolSpec(
            "cosign", "3.1.3", "github.com/sigstore/cosign/v3/cmd/cosign", ("version",), "github.com/sigstore/cosign/v3"
        ),
        ToolSpec("syft", "1.57.2", "github.com/anchore/syft/cmd/syft", ("version",), "github.com/anchore/syft"),
        ToolSpec(
            "trivy",
            "0.74.0",
            "github.com/aquasecurity/trivy/cmd/trivy",
            ("--version",),
            "github.com/aquasecurity/trivy",
        ),
        # The Automation API drives the Pulumi CLI (the SDK is 3.272.0; scripts/tools builds the CLI).
        ToolSpec(
            "pulumi",
            "3.272.0",
            "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi",
            ("version",),
            "github.com/pulumi/pulumi/pkg/v3",
        ),
        # Post-deploy verification reads the cluster (the oldest supported Kubernetes minor).
        ToolSpec(
            "kubectl",
            "1.30.0",
            "k8s.io/kubectl",
            ("version", "--client"),
            "k8s.io/kubernetes",
            hint="install kubectl v1.30 or newer (Debian: apt-get install kubectl) and put it on PATH",
        ),
        ToolSpec(
            "kubectl-kyverno",
            "1.18.2",
            "github.com/kyverno/kyverno/cmd/cli/kubectl-kyverno",
            ("version",),
            "github.com/kyverno/kyverno",
        ),
    )
}

_BUILDINFO_MAGIC = b"\xff Go buildinf:"


def _varint(data: bytes | mmap.mmap, offset: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = data[offset]
        offset += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, offset
        shift += 7


def buildinfo_version(path: Path, main_module: str) -> str | None:
    """The main module's version from a Go binary's build info (what ``go version -m`` prints), without Go.

    ``go install MODULE@VERSION`` records it even when the tool's own ``version`` command was not given one at
    link time (syft and trivy print "[not provided]" / "dev" then). Go 1.18+ layout: a 32-byte header, then
    two varint-prefixed strings (the Go version and the module info).
    """
    try:
        with path.open("rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
            start = data.find(_BUILDINFO_MAGIC)
            if start < 0 or not data[start + 15] & 0x2:
                return None
            length, offset = _varint(data, start + 32)
            length, offset = _varint(data, offset + length)
            modinfo = bytes(data[offset : offset + length]).decode("utf-8", "replace")
    except (OSError, ValueError, IndexError):
        return None
    match = re.search(rf"^mod\t{re.escape(main_module)}\tv(\d+\.\d+\.\d+)\b", modinfo, re.MULTILINE)
    return match.group(1) if match else None


@dataclass(frozen=True)
class ToolResult:
    """What one tool invocation returned."""

    argv: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    def last_lines(self, count: int = 6) -> str:
        """The end of stderr (or stdout when stderr is empty), for error messages."""
        text = (self.stderr.strip() or self.stdout.strip()).splitlines()
        return " | ".join(line.strip() for line in text[-count:] if line.strip()) or f"exit {self.returncode}"


class ToolRunner(Protocol):
    """Runs one tool (by name) with arguments. The stages call tools only through this."""

    def run(
        self, tool: str, args: Sequence[str], *, env: Mapping[str, str] | None = None, timeout: float = 600
    ) -> ToolResult: ...


def _parse_version(text: str) -> str | None:
    for match in re.finditer(_VERSION_LINE, text, re.MULTILINE):
        return match.group(1) or match.group(2)
    return None


def _version_tuple(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def _cache_version(path: Path, name: str) -> str | None:
    """``<cache>/<name>-<version>/bin/<name>``: the version the project's build script put it under."""
    parent = path.parent.parent.name
    prefix = f"{name}-"
    return parent[len(prefix) :].lstrip("v") if path.parent.name == "bin" and parent.startswith(prefix) else None


def search_dirs(environ: Mapping[str, str] | None = None) -> list[Path]:
    """Where tools are looked for, in order (the cache directories last, newest version first)."""
    environ = os.environ if environ is None else environ
    dirs = [Path(p) for p in environ.get(TOOLS_PATH_ENV, "").split(os.pathsep) if p]
    dirs += [Path(p) for p in environ.get("PATH", "").split(os.pathsep) if p]
    root = cache_root(environ)
    if root.is_dir():
        dirs += sorted((p / "bin" for p in root.iterdir() if (p / "bin").is_dir()), reverse=True)
    return dirs


def find_tool(name: str, environ: Mapping[str, str] | None = None) -> Path | None:
    """The first executable called ``name`` in ``search_dirs``."""
    found = shutil.which(name, path=os.pathsep.join(str(d) for d in search_dirs(environ)))
    return Path(found) if found else None


@dataclass
class SubprocessRunner:
    """Runs the real binaries. ``env`` entries are added to this process's environment."""

    paths: dict[str, Path] = field(default_factory=dict)
    """Resolved binaries (``check_tools`` fills it); tools not in it are looked up with ``find_tool``."""
    base_env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))

    def resolve(self, tool: str) -> Path:
        path = self.paths.get(tool) or find_tool(tool, self.base_env)
        if path is None:
            spec = TOOLS.get(tool)
            raise FileNotFoundError(f"{tool} not found; {spec.how_to_get if spec else 'install it'}")
        self.paths[tool] = path
        return path

    def run(
        self, tool: str, args: Sequence[str], *, env: Mapping[str, str] | None = None, timeout: float = 600
    ) -> ToolResult:
        argv = (str(self.resolve(tool)), *args)
        full_env = {
            **self.base_env,
            "SYFT_CHECK_FOR_APP_UPDATE": "false",
            "TRIVY_DISABLE_VEX_NOTICE": "true",
            **(env or {}),
        }
        try:
            done = subprocess.run(
                argv,
                capture_output=True,
                text=True,
                env=full_env,
                timeout=timeout,
                check=False,
                stdin=subprocess.DEVNULL,
            )
        except subprocess.TimeoutExpired:
            return ToolResult(argv, 124, "", f"{tool} did not finish within {timeout:.0f} s")
        return ToolResult(argv, done.returncode, done.stdout, done.stderr)


@dataclass(frozen=True)
class ToolCheck:
    """One prerequisite: found where, which version, and whether it is acceptable."""

    name: str
    path: Path | None
    version: str | None
    problem: str | None

    @property
    def ok(self) -> bool:
        return self.problem is None


def check_tool(spec: ToolSpec, runner: ToolRunner, path: Path | None) -> ToolCheck:
    """Find ``spec``'s binary and check its version: same major, not older than the tested one."""
    if path is None:
        return ToolCheck(spec.name, None, None, f"{spec.name} not found; {spec.how_to_get}")
    result = runner.run(spec.name, spec.version_args, timeout=60)
    version = _parse_version(result.stdout + "\n" + result.stderr) if result.ok else None
    version = version or buildinfo_version(path, spec.main_module) or _cache_version(path, spec.name)
    if version is None:
        return ToolCheck(
            spec.name, path, None, f"{spec.name} at {path} does not report a version ({result.last_lines(2)})"
        )
    want, have = _version_tuple(spec.version), _version_tuple(version)
    if have[0] != want[0] or have < want:
        return ToolCheck(
            spec.name,
            path,
            version,
            f"{spec.name} at {path} is v{version}; this project needs v{spec.version} (same major, not older): "
            + spec.how_to_get,
        )
    return ToolCheck(spec.name, path, version, None)


def check_tools(
    names: Iterable[str], runner: ToolRunner, locate: Callable[[str], Path | None] = find_tool
) -> list[ToolCheck]:
    """Check every named tool (unknown names are a programming error)."""
    checks = []
    for name in names:
        path = locate(name)
        if isinstance(runner, SubprocessRunner) and path is not None:
            runner.paths[name] = path
        checks.append(check_tool(TOOLS[name], runner, path))
    return checks
