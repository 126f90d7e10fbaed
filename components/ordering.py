"""Creation order for objects placed in a namespace another component creates.

A component's ``depends_on`` is not inherited by its children: a ConfigMap parented to a component that
``depends_on`` the app is registered as soon as its own inputs resolve, and the API server refuses it with
``namespaces "<app>" not found`` while the namespace is still being created. So every object that lives in the
app namespace lists the app's Namespace resource in its own ``depends_on`` (``after``), and no creation relies
on the engine's retries.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any, TypeAlias, cast

import pulumi

Dependencies: TypeAlias = pulumi.Input[Sequence[pulumi.Input[pulumi.Resource]]]
"""What ``ResourceOptions.depends_on`` accepts: resources, or an output resolving to a list of them."""


def after(first: Dependencies, *more: pulumi.Resource) -> Dependencies:
    """``first`` (a list or an output of one, e.g. the app namespace's resources) followed by ``more``.

    Only the listed resources: an output also carries the resources it was computed from (for the app namespace,
    every object kustomize expanded, as far as they are known when the output is read), and ``depends_on``
    would take those too. That made a dependent wait for, and on destroy be deleted before, the whole app, at
    random: a state claim deleted before the pod using it is held by pvc-protection until the engine gives up.
    """
    if isinstance(first, Sequence):
        return [*first, *more]
    deps: pulumi.Output[Sequence[pulumi.Input[pulumi.Resource]]] = pulumi.Output.from_input(cast(Any, first))
    listed = deps.apply(lambda resolved: [*resolved, *more]) if more else deps
    # The same value, known-ness and secrecy, with no resources of its own (Output's constructor; None while
    # unknown in a preview, which depends_on reads as no dependency).
    return pulumi.Output(set(), cast(Any, listed.future()), listed.is_known(), listed.is_secret())


class LateDependencies:
    """Resources that exist only after a dependent was declared: an output that ``depends_on`` accepts now and
    that resolves to the resources once ``set`` is called (``set`` must be called before the program ends).

    The brain Deployments come from the upstream kustomize expansion, declared before the hooks sidecar's state
    claims, which themselves wait for that expansion's Namespace; the Deployments must still depend on the claims
    so that a destroy deletes them first (a claim in use is held by pvc-protection, and the engine would wait on
    it forever)."""

    def __init__(self) -> None:
        loop = asyncio.get_event_loop()
        self._resources: asyncio.Future[list[pulumi.Resource]] = loop.create_future()
        known: asyncio.Future[bool] = loop.create_future()
        known.set_result(True)
        self.output: pulumi.Output[list[pulumi.Resource]] = pulumi.Output(set(), self._resources, known)

    def set(self, resources: Sequence[pulumi.Resource]) -> None:
        if not self._resources.done():
            self._resources.set_result(list(resources))
