"""What a stack file says about its supply chain.

The images come from ``bakerst:images`` (upstream name to the enterprise registry's reference; the repository
part is where the image is mirrored) and the signing identity Kyverno verifies from ``bakerst:imageSignature``.
The deploy command's own keys live in their own namespace, ``bakerst-deploy:``, so the Pulumi program (which
refuses unknown ``bakerst:`` keys) never sees them::

    bakerst-deploy:sources:            # where each image comes from (a tag or a digest)
      "bakerst-brain:latest": ghcr.io/the-baker-street-project/bakerst-brain:1.4.0
    bakerst-deploy:scan:
      severities: [CRITICAL, HIGH]     # default
      allowList: deploy/allowlist.yaml # relative to the project directory
      dbRepository: registry.bakerst.internal/mirror/trivy-db:2   # or cacheDir: a directory holding db/trivy.db
    bakerst-deploy:signing:
      key: cosign.key                  # a file or a KMS reference (awskms://, gcpkms://, azurekms://, hashivault://)
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic.alias_generators import to_camel

from bakerst_hardened.stack_file import StackSettings
from components.app_config import ImageSignatureConfig

NAMESPACE = "bakerst-deploy"
SEVERITIES = ("CRITICAL", "HIGH", "MEDIUM", "LOW", "UNKNOWN")
Severity = Literal["CRITICAL", "HIGH", "MEDIUM", "LOW", "UNKNOWN"]
DEFAULT_SEVERITIES: tuple[Severity, ...] = ("CRITICAL", "HIGH")
KMS_PREFIXES = ("awskms://", "gcpkms://", "azurekms://", "hashivault://", "k8s://")


class DeploySettingsError(ValueError):
    """The stack's supply-chain settings are missing or invalid."""


class _Model(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid", frozen=True)


class ScanSettings(_Model):
    severities: list[Severity] = Field(default_factory=lambda: list(DEFAULT_SEVERITIES), min_length=1)
    allow_list: str | None = None
    db_repository: str | None = None
    cache_dir: str | None = None


class SigningSettings(_Model):
    key: str | None = Field(default=None, description="Private key file or KMS reference; keyless when absent.")


@dataclass(frozen=True)
class ImagePlan:
    """One image: where it comes from and the repository it is mirrored to."""

    name: str
    source: str
    target_repository: str


@dataclass(frozen=True)
class DeploySettings:
    project_dir: Path
    stack: str
    images: list[ImagePlan]
    signature: ImageSignatureConfig
    scan: ScanSettings
    signing: SigningSettings
    registries: list[str]
    namespaces: list[str]

    @property
    def allow_list_path(self) -> Path | None:
        return None if self.scan.allow_list is None else self.project_dir / self.scan.allow_list

    @property
    def key_is_kms(self) -> bool:
        return self.signing.key is not None and self.signing.key.startswith(KMS_PREFIXES)


def _json(config: Mapping[str, str], key: str, default: object) -> object:
    if key not in config:
        return default
    try:
        return json.loads(config[key])
    except json.JSONDecodeError:
        raise DeploySettingsError(f"{key} must be an object or list in the stack file") from None


def repository_of(reference: str) -> str:
    """``registry/repo@sha256:...`` or ``registry/repo:tag`` to ``registry/repo``."""
    name = reference.split("@", 1)[0]
    last = name.rsplit("/", 1)
    if ":" in last[-1]:
        name = name[: name.rfind(":")]
    return name


def deploy_settings(settings: StackSettings) -> DeploySettings:
    """Validate the stack's supply-chain settings, listing every problem at once."""
    config = settings.config
    problems: list[str] = []
    images = _json(config, "bakerst:images", {})
    sources = _json(config, f"{NAMESPACE}:sources", {})
    if not isinstance(images, dict) or not images:
        problems.append("bakerst:images is missing or empty: it names where each image is mirrored")
        images = {}
    if not isinstance(sources, dict):
        problems.append(f"{NAMESPACE}:sources must map each bakerst:images key to a source image")
        sources = {}
    plans = []
    for name, target in sorted(images.items()):
        source = sources.get(name)
        if not isinstance(source, str) or not source:
            problems.append(f"{NAMESPACE}:sources has no source image for {name!r} (a tag or a digest)")
            continue
        plans.append(ImagePlan(name, source, repository_of(str(target))))
    problems += [
        f"{NAMESPACE}:sources.{extra!r} is not a bakerst:images key" for extra in sorted(set(sources) - set(images))
    ]
    try:
        signature = ImageSignatureConfig.model_validate(_json(config, "bakerst:imageSignature", None))
        scan = ScanSettings.model_validate(_json(config, f"{NAMESPACE}:scan", {}))
        signing = SigningSettings.model_validate(_json(config, f"{NAMESPACE}:signing", {}))
    except ValidationError as exc:
        problems += [f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()]
    if problems:
        raise DeploySettingsError(f"stack {settings.stack!r}: " + "; ".join(problems))
    if signature.keys is not None and signing.key is None:
        raise DeploySettingsError(
            f"stack {settings.stack!r} verifies key-based signatures: set {NAMESPACE}:signing.key "
            "(a private key file or a KMS reference)"
        )
    registries = _json(config, "bakerst:registries", [])
    namespaces = [config.get("bakerst:appNamespace", "bakerst"), config.get("bakerst:taskNamespace", "bakerst-tasks")]
    return DeploySettings(
        settings.path.parent,
        settings.stack,
        plans,
        signature,
        scan,
        signing,
        [str(r) for r in registries] if isinstance(registries, list) else [],
        namespaces,
    )
