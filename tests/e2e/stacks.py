"""The project as a user runs it: a fresh copy, Pulumi's Automation API, a local file backend.

The copy holds the working tree's files (``git ls-files``: nothing ignored, no ``policies/venv``); its
``.venv`` is a link to the project's virtualenv (the program's dependencies, as ``scripts/bootstrap`` makes
them); the policy pack gets its own ``policies/venv`` from ``policies/requirements.txt`` (a copy of the lock)
through ``pulumi install`` in ``policies/``, exactly as a user installs it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pulumi import automation as auto

from tests.e2e.cluster import REPO_ROOT, SHARED

UPSTREAM_K8S = SHARED / "upstream" / "baker-street" / "k8s"
PASSPHRASE = "e2e-only-passphrase"


def resource_of(urn: str) -> str:
    """``type::name`` of a URN, the type without its parents' (as the offline report names it); '' for the stack."""
    if not urn:
        return ""
    qualified_type, name = urn.split("::")[-2:]
    type_ = qualified_type.split("$")[-1]
    return "" if type_ == "pulumi:pulumi:Stack" else f"{type_}::{name}"


@dataclass(frozen=True)
class PolicyResult:
    """One policy violation reported by the engine."""

    policy: str
    enforcement: str
    resource: str  # ``type::name`` of the URN ('' for the stack)
    message: str


@dataclass
class Run:
    """What one preview/up/destroy reported: policy violations, diagnostics, the summary, the error if any."""

    policies: list[PolicyResult] = field(default_factory=list)
    diagnostics: list[tuple[str, str]] = field(default_factory=list)  # (severity, message), every severity
    changes: dict[str, int] = field(default_factory=dict)
    error: str = ""
    seconds: float = 0.0

    def on_event(self, event: auto.EngineEvent) -> None:
        if event.policy_event is not None:
            pe = event.policy_event
            resource = resource_of(pe.resource_urn or "")
            self.policies.append(PolicyResult(pe.policy_name, pe.enforcement_level, resource, pe.message))
        if event.diagnostic_event is not None:
            # The provider reports a refused creation it retries at severity "info":
            # `Retry #0; creation failed: namespaces "bakerst" not found`.
            self.diagnostics.append((event.diagnostic_event.severity, event.diagnostic_event.message.strip()))

    def failing(self, enforcement: str) -> dict[str, list[str]]:
        """Policy name to the sorted resources it reported, for one enforcement level."""
        out: dict[str, list[str]] = {}
        for p in self.policies:
            if p.enforcement == enforcement:
                out.setdefault(p.policy, []).append(p.resource)
        return {k: sorted(v) for k, v in sorted(out.items())}


@dataclass
class Project:
    directory: Path
    backend: Path
    env: dict[str, str]
    timings: dict[str, float] = field(default_factory=dict)

    @classmethod
    def fresh_copy(cls, directory: Path, backend: Path, tools_env: Mapping[str, str], kubeconfig: Path) -> Project:
        listed = subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=REPO_ROOT,
            capture_output=True,
            check=True,
        ).stdout.split(b"\0")
        for raw in listed:
            if not raw:
                continue
            source = REPO_ROOT / raw.decode()
            if source.is_file():
                target = directory / raw.decode()
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, target)
        (directory / ".venv").symlink_to(REPO_ROOT / ".venv")
        backend.mkdir(parents=True, exist_ok=True)
        home = directory.parent / "pulumi-home"
        env = {
            **tools_env,
            "PULUMI_BACKEND_URL": backend.as_uri(),
            "PULUMI_CONFIG_PASSPHRASE": PASSPHRASE,
            "PULUMI_SKIP_UPDATE_CHECK": "true",
            "PULUMI_HOME": str(home),  # no plugin or credential of the machine's ~/.pulumi
            "KUBECONFIG": str(kubeconfig),
        }
        return cls(directory, backend, env)

    def pulumi(self, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["pulumi", *args],
            cwd=cwd or self.directory,
            env=self.env,
            capture_output=True,
            text=True,
            check=False,
            timeout=900,
        )

    def pulumi_command(self) -> auto.PulumiCommand:
        """The built CLI (``<cache>/pulumi-<version>/bin/pulumi``); the SDK checks its version against its minimum."""
        for directory in self.env["BSH_TOOLS_BIN"].split(os.pathsep):
            if (Path(directory) / "pulumi").is_file():
                return auto.PulumiCommand(root=str(Path(directory).parent))
        raise RuntimeError(f"no pulumi in {self.env['BSH_TOOLS_BIN']}")

    def install_policy_pack(self) -> None:
        """``cd policies && pulumi install``: the CLI creates ``policies/venv`` from ``policies/requirements.txt``
        (a copy of ``requirements.lock``: pip checks every hash)."""
        proc = self.pulumi("install", cwd=self.directory / "policies")
        if proc.returncode != 0 or not (self.directory / "policies" / "venv" / "bin" / "python").exists():
            raise RuntimeError(
                f"`pulumi install` in policies/ failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
            )

    def stack(self, name: str, source: str = "enterprise", config: Mapping[str, str] | None = None) -> auto.Stack:
        """Stack ``name`` with the settings of ``Pulumi.<source>.yaml``, ``bakerst:baseDir`` and ``config`` on top."""
        stack_file = self.directory / f"Pulumi.{name}.yaml"
        if name != source and not stack_file.exists():
            shutil.copy(self.directory / f"Pulumi.{source}.yaml", stack_file)
        opts = auto.LocalWorkspaceOptions(env_vars=dict(self.env), pulumi_command=self.pulumi_command())
        stack = auto.create_or_select_stack(stack_name=name, work_dir=str(self.directory), opts=opts)
        values = {"bakerst:baseDir": str(UPSTREAM_K8S), **(config or {})}
        stack.set_all_config({k: auto.ConfigValue(value=v) for k, v in values.items()})
        return stack

    def policy_args(self, source: str) -> dict[str, Any]:
        return {
            "policy_packs": [str(self.directory / "policies")],
            "policy_pack_configs": [str(self.directory / "policies" / "config" / f"{source}.json")],
        }

    def preview(self, stack: auto.Stack, source: str, policies: bool = True) -> Run:
        run = Run()
        started = time.monotonic()
        try:
            result = stack.preview(on_event=run.on_event, **(self.policy_args(source) if policies else {}))
            run.changes = {str(k): int(v) for k, v in (result.change_summary or {}).items()}
        except auto.CommandError as exc:
            run.error = str(exc)
        run.seconds = time.monotonic() - started
        self.timings[f"preview {stack.name}"] = run.seconds
        return run

    def up(self, stack: auto.Stack, source: str, policies: bool = True) -> Run:
        run = Run()
        started = time.monotonic()
        try:
            result = stack.up(on_event=run.on_event, **(self.policy_args(source) if policies else {}))
            run.changes = {str(k): int(v) for k, v in (result.summary.resource_changes or {}).items()}
        except auto.CommandError as exc:
            run.error = str(exc)
        run.seconds = time.monotonic() - started
        key = f"up {stack.name}"
        self.timings[key if key not in self.timings else f"{key} ({len(self.timings)})"] = run.seconds
        return run

    def destroy(self, stack: auto.Stack) -> Run:
        run = Run()
        started = time.monotonic()
        try:
            result = stack.destroy(on_event=run.on_event)
            run.changes = {str(k): int(v) for k, v in (result.summary.resource_changes or {}).items()}
        except auto.CommandError as exc:
            run.error = str(exc)
        run.seconds = time.monotonic() - started
        self.timings[f"destroy {stack.name}"] = run.seconds
        return run
