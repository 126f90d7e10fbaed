"""Load the upstream Baker Street manifests (through the provider's kustomize support) and check them
against the stack config before any resource is registered.

This is the program's I/O rim for the upstream base: it resolves ``bakerst:baseDir`` relative to the
project directory (Pulumi runs programs there), expands it with the same invoke that
``kustomize.Directory`` uses, and turns every upstream image without a digest-pinned replacement into
one config error that lists them all.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pulumi

from components.app_hardening import brain_workloads, missing_images
from components.config_errors import ConfigIssue, StackConfigError
from components.hooks_sidecar import writer_state_key
from components.stack_config import CONFIG_NAMESPACE, StackConfig

KUSTOMIZE_INVOKE = "kubernetes:kustomize:directory"
BRAIN_POD_LABEL = ("app", "brain")


@dataclass(frozen=True)
class UpstreamBase:
    """The upstream kustomize directory and the objects it expands to (as upstream wrote them)."""

    directory: str
    objects: tuple[dict[str, Any], ...]


def resolve_base_dir(base_dir: str) -> Path:
    """``base_dir`` as an absolute path, checked to be a kustomize directory."""
    path = Path(base_dir).expanduser()
    resolved = path if path.is_absolute() else Path.cwd() / path
    if not resolved.is_dir():
        raise StackConfigError(
            [
                ConfigIssue(
                    f"{CONFIG_NAMESPACE}:baseDir",
                    base_dir,
                    f"does not exist (resolved to {resolved}); point it at upstream Baker Street's k8s/ directory",
                )
            ]
        )
    if not any((resolved / name).is_file() for name in ("kustomization.yaml", "kustomization.yml", "Kustomization")):
        raise StackConfigError(
            [ConfigIssue(f"{CONFIG_NAMESPACE}:baseDir", base_dir, f"has no kustomization.yaml (in {resolved})")]
        )
    return resolved.resolve()


def expand(directory: Path) -> list[dict[str, Any]]:
    """The objects a kustomize directory expands to, as the provider computes them."""
    result = pulumi.runtime.invoke(KUSTOMIZE_INVOKE, {"directory": str(directory)})
    return [obj for obj in (result.value or {}).get("result", []) if obj]


def load_upstream(config: StackConfig) -> UpstreamBase | None:
    """The upstream base for this stack, or None when the stack does not deploy the app."""
    if config.base_dir is None:
        return None
    directory = resolve_base_dir(config.base_dir)
    objects = expand(directory)
    missing = missing_images(objects, config.images)
    if config.hooks_sidecar.enabled and config.hooks_sidecar.image not in config.images:
        missing = sorted([*missing, config.hooks_sidecar.image])  # the hooks service image (hooksSidecar.image)
    if missing:
        raise StackConfigError(
            [
                ConfigIssue(
                    f"{CONFIG_NAMESPACE}:images",
                    missing,
                    f"lacks {len(missing)} image{'s' if len(missing) != 1 else ''}; add a digest-pinned "
                    "reference for each, e.g. "
                    f'"{missing[0]}": "registry.example/bakerst/NAME@sha256:<64 hex>"',
                )
            ]
        )
    _check_hooks_writer_states(config, objects)
    return UpstreamBase(directory=str(directory), objects=tuple(objects))


def _check_hooks_writer_states(config: StackConfig, objects: list[dict[str, Any]]) -> None:
    """Each brain Deployment's hooks sidecar needs its own audit chain state in the hooks Secret."""
    sidecar = config.hooks_sidecar
    service = config.external_secrets.services.get(sidecar.secrets_service)
    if not sidecar.enabled or service is None:
        return  # StackConfig already refused an enabled sidecar without its Secret
    deployments = brain_workloads(objects, BRAIN_POD_LABEL)
    if not deployments:
        raise StackConfigError(
            [ConfigIssue(f"{CONFIG_NAMESPACE}:hooksSidecar.enabled", True, "finds no brain Deployment in baseDir")]
        )
    missing = [writer_state_key(d) for d in deployments if writer_state_key(d) not in service.data]
    if missing:
        raise StackConfigError(
            [
                ConfigIssue(
                    f"{CONFIG_NAMESPACE}:externalSecrets.services.{sidecar.secrets_service}.data",
                    sorted(service.data),
                    f"lacks {', '.join(missing)}: each brain Deployment ({', '.join(deployments)}) writes its own "
                    "audit chain, from its own `bakerst-hardened audit keygen` writer/state.json",
                )
            ]
        )
