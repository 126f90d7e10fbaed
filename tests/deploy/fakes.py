"""A fake of the tool runner: a tiny registry, scanner and signer in memory, recording every call."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bakerst_hardened.deploy.tools import ToolResult
from bakerst_hardened.stack_file import StackSettings

PUBLIC_KEY = "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEfakefakefake\n-----END PUBLIC KEY-----\n"
OTHER_KEY = "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEotherother\n-----END PUBLIC KEY-----\n"
VERSIONS = {
    "crane": "v0.22.1\n",
    "cosign": "GitVersion:    v3.1.3\nGitCommit:  abc\nGoVersion:    go1.25.1\n",
    "syft": "Application:   syft\nVersion:       1.57.2\n",
    "trivy": "Version: 0.74.0\n",
    "kubectl-kyverno": "Version: 1.18.2\n",
    "pulumi": "v3.274.0\n",
    "kubectl": "Client Version: v1.32.4\nKustomize Version: v5.5.0\n",
}


def digest_of(name: str) -> str:
    return "sha256:" + (name.encode().hex() * 64)[:64]


@dataclass(frozen=True)
class Vuln:
    package: str
    vulnerability: str
    severity: str


@dataclass
class FakeWorld:
    """What the tools would see: images by reference, signatures, attestations, advisories."""

    images: dict[str, str] = field(default_factory=dict)
    signed: set[str] = field(default_factory=set)
    attested: set[str] = field(default_factory=set)
    vulns: list[Vuln] = field(default_factory=list)
    public_key: str = PUBLIC_KEY
    versions: dict[str, str] = field(default_factory=lambda: dict(VERSIONS))
    trivy_error: str | None = None
    calls: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)

    def snapshot(self) -> tuple[dict[str, str], set[str], set[str]]:
        return dict(self.images), set(self.signed), set(self.attested)

    def commands(self, tool: str | None = None) -> list[str]:
        """``tool subcommand`` of every call, in order (optionally one tool's only)."""
        return [f"{t} {a[0] if a else ''}".strip() for t, a in self.calls if tool is None or t == tool]


@dataclass
class FakeRunner:
    world: FakeWorld

    def run(
        self, tool: str, args: Sequence[str], *, env: Mapping[str, str] | None = None, timeout: float = 600
    ) -> ToolResult:
        del env, timeout
        self.world.calls.append((tool, tuple(args)))
        handler = getattr(self, "_" + tool.replace("-", "_"))
        code, out, err = handler(list(args))
        return ToolResult((tool, *args), code, out, err)

    def _version(self, tool: str) -> tuple[int, str, str]:
        return 0, self.world.versions[tool], ""

    def _crane(self, args: list[str]) -> tuple[int, str, str]:
        w = self.world
        if args == ["version"]:
            return self._version("crane")
        if args[0] == "digest":
            ref = args[1]
            digest = w.images.get(ref)
            return (0, digest + "\n", "") if digest else (1, "", f"MANIFEST_UNKNOWN: {ref}")
        if args[0] == "copy":
            source, target = args[1], args[2]
            digest = source.split("@")[1]
            w.images[target] = digest
            return 0, "", ""
        raise AssertionError(f"unexpected crane {args}")

    def _pulumi(self, args: list[str]) -> tuple[int, str, str]:
        assert args == ["version"], args
        return self._version("pulumi")

    def _kubectl(self, args: list[str]) -> tuple[int, str, str]:
        assert args == ["version", "--client"], args
        return self._version("kubectl")

    def _trivy(self, args: list[str]) -> tuple[int, str, str]:
        if args == ["--version"]:
            return self._version("trivy")
        if self.world.trivy_error:
            return 1, "", self.world.trivy_error
        vulns = [
            {
                "VulnerabilityID": v.vulnerability,
                "PkgName": v.package,
                "InstalledVersion": "1.0",
                "Severity": v.severity,
            }
            for v in self.world.vulns
        ]
        report = {"ArtifactName": args[-1], "Results": [{"Target": "t", "Vulnerabilities": vulns}]}
        return 0, json.dumps(report), ""

    def _syft(self, args: list[str]) -> tuple[int, str, str]:
        if args == ["version"]:
            return self._version("syft")
        target = args[args.index("-o") + 1].split("=", 1)[1]
        Path(target).write_text(json.dumps({"bomFormat": "CycloneDX", "components": [{"name": "musl"}]}))
        return 0, "", ""

    def _cosign(self, args: list[str]) -> tuple[int, str, str]:
        w = self.world
        if args == ["version"]:
            return self._version("cosign")
        command, ref = args[0], args[-1]
        if command == "public-key":
            return 0, w.public_key, ""
        if command == "sign":
            w.signed.add(ref)
            return 0, "", ""
        if command == "attest":
            w.attested.add(ref)
            return 0, "", ""
        if command in {"verify", "verify-attestation"}:
            key = Path(args[args.index("--key") + 1]).read_text() if "--key" in args else None
            store = w.signed if command == "verify" else w.attested
            if ref in store and (key is None or "".join(key.split()) == "".join(w.public_key.split())):
                return 0, "[]", ""
            return (10 if command == "verify" else 1), "", "Error: no signatures found"
        raise AssertionError(f"unexpected cosign {args}")


@dataclass
class FakeDeployer:
    calls: list[tuple[str, dict[str, str]]] = field(default_factory=list)

    def preview(self, stack: str, images: Mapping[str, str]) -> str:
        del stack
        self.calls.append(("preview", dict(images)))
        return "preview: 3 to create"

    def up(self, stack: str, images: Mapping[str, str]) -> str:
        del stack
        self.calls.append(("up", dict(images)))
        return "up: 3 created"


@dataclass
class FakeProbe:
    images: list[str]
    problem_list: list[str] = field(default_factory=list)

    def problems(self) -> list[str]:
        return list(self.problem_list)

    def running_images(self) -> list[str]:
        return list(self.images)


def stack_settings(tmp: Path, **overrides: object) -> StackSettings:
    """A key-based stack with two images from an upstream registry, in wire form."""
    config: dict[str, object] = {
        "bakerst:images": {
            "app:1": "registry.bakerst.internal/bakerst/app@" + "sha256:" + "0" * 64,
            "nats:2.10-alpine": "registry.bakerst.internal/mirror/nats@" + "sha256:" + "0" * 64,
        },
        "bakerst:registries": ["registry.bakerst.internal"],
        "bakerst:imageSignature": {"keys": {"publicKeys": [PUBLIC_KEY], "ignoreTlog": True}},
        "bakerst-deploy:sources": {
            "app:1": "upstream.example/app:1",
            "nats:2.10-alpine": "docker.io/library/nats:2.10",
        },
        "bakerst-deploy:signing": {"key": "cosign.key"},
    }
    config.update(overrides)
    wire = {k: v if isinstance(v, str) else json.dumps(v) for k, v in config.items() if v is not None}
    return StackSettings("bakerst-hardened", "test", wire, tmp / "Pulumi.test.yaml")


def world_for_stack() -> FakeWorld:
    return FakeWorld(
        images={"upstream.example/app:1": digest_of("app"), "docker.io/library/nats:2.10": digest_of("nats")}
    )
