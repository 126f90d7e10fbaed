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

from components.app_hardening import HardeningSettings, brain_workloads, harden
from components.ordering import Dependencies, after

#: What a transformation turns an object into to leave it out (pulumi-kubernetes registers no List items).
OMITTED = {"apiVersion": "v1", "kind": "List", "items": []}


@dataclass(frozen=True)
class BakerStreetAppArgs:
    """Inputs of ``BakerStreetApp``."""

    directory: str
    """Absolute path of the upstream kustomize directory (already checked by ``components.upstream``)."""
    settings: HardeningSettings
    """How each object is hardened."""
    brain_depends_on: Dependencies = ()
    """What the brain's workloads wait for (the hooks sidecar's state claims), so a destroy deletes them first."""


def hardening_transformation(settings: HardeningSettings, brain_depends_on: Dependencies = ()) -> Any:
    """A pulumi-kubernetes transformation applying ``harden`` in place (it must mutate ``obj``); the brain's
    workloads also get ``brain_depends_on`` (the SDK hands each object its own copy of the options)."""

    def transform(obj: dict[str, Any], opts: pulumi.ResourceOptions) -> None:
        hardened = harden(obj, settings)
        obj.clear()
        obj.update(hardened if hardened is not None else dict(OMITTED))
        if brain_depends_on and hardened is not None and brain_workloads([hardened], settings.brain_pod_label):
            opts.depends_on = after(brain_depends_on)

    return transform


class BakerStreetApp(pulumi.ComponentResource):
    """Upstream Baker Street through kustomize, with every object hardened by a transformation."""

    directory: k8s.kustomize.Directory

    def __init__(self, name: str, args: BakerStreetAppArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("bakerst:app:BakerStreetApp", name, {}, opts)
        self.resource_prefix = name
        self.directory = k8s.kustomize.Directory(
            f"{name}-upstream",
            directory=args.directory,
            transformations=[hardening_transformation(args.settings, args.brain_depends_on)],
            resource_prefix=name,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs({"directory": args.directory})

    def namespace_resources(self, name: str) -> pulumi.Output[list[pulumi.Resource]]:
        """The upstream's Namespace ``name`` as a ``depends_on`` list (empty if the upstream does not create it).

        Objects placed in that namespace by other components list it in their own ``depends_on``
        (``components.ordering.after``): depending on this component is not enough, since its children are
        registered only once kustomize has run, and a component's ``depends_on`` is not inherited by children.
        """
        keys = {f"v1/Namespace:{name}", f"v1/Namespace:{self.resource_prefix}-{name}"}  # the SDK prefixes keys too
        return self.directory.resources.apply(lambda resources: [r for k, r in resources.items() if k in keys])
