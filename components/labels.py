"""The labels the project puts on every object it creates."""

from __future__ import annotations

from collections.abc import Mapping

PART_OF = "baker-street"
MANAGED_BY = "pulumi"


def standard_labels(environment: str, common: Mapping[str, str]) -> dict[str, str]:
    """Labels shared by every object of a stack: the user's ``commonLabels`` plus the project's own."""
    return {
        **dict(common),
        "app.kubernetes.io/part-of": PART_OF,
        "app.kubernetes.io/managed-by": MANAGED_BY,
        "bakerst.io/environment": environment,
    }


def component_labels(base: Mapping[str, str], component: str) -> dict[str, str]:
    """``base`` plus ``app.kubernetes.io/component``."""
    return {**dict(base), "app.kubernetes.io/component": component}


def namespace_selector(namespace: str) -> dict[str, dict[str, str]]:
    """A label selector for one namespace by the label Kubernetes sets on every namespace."""
    return {"matchLabels": {"kubernetes.io/metadata.name": namespace}}
