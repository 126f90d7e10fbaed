"""BakerStreetApp: the upstream Baker Street manifests, deployed hardened and unmodified on disk.

The upstream kustomize directory goes through pulumi-kubernetes' kustomize support; a transformation
(``app_hardening.harden``) rewrites each object in memory before it is registered. Nothing under the
upstream directory is written.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.app_hardening import HardeningSettings, harden

#: What a transformation turns an object into to leave it out (pulumi-kubernetes registers no List items).
OMITTED = {"apiVersion": "v1", "kind": "List", "items": []}


@dataclass(frozen=True)
class BakerStreetAppArgs:
    """Inputs of ``BakerStreetApp``."""

    directory: str
    """Absolute path of the upstream kustomize directory (already checked by ``components.upstream``)."""
    settings: HardeningSettings
    """How each object is hardened."""


def hardening_transformation(settings: HardeningSettings) -> Any:
    """A pulumi-kubernetes transformation applying ``harden`` in place (it must mutate ``obj``)."""

    def transform(obj: dict[str, Any], opts: pulumi.ResourceOptions) -> None:  # noqa: ARG001 - SDK signature
        hardened = harden(obj, settings)
        obj.clear()
        obj.update(hardened if hardened is not None else dict(OMITTED))

    return transform


class BakerStreetApp(pulumi.ComponentResource):
    """Upstream Baker Street through kustomize, with every object hardened by a transformation."""

    directory: k8s.kustomize.Directory

    def __init__(self, name: str, args: BakerStreetAppArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("bakerst:app:BakerStreetApp", name, {}, opts)
        self.directory = k8s.kustomize.Directory(
            f"{name}-upstream",
            directory=args.directory,
            transformations=[hardening_transformation(args.settings)],
            resource_prefix=name,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs({"directory": args.directory})
