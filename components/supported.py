"""The Kubernetes versions this project supports (one place; README and tests read it)."""

from __future__ import annotations

#: Oldest and newest Kubernetes minor version supported, inclusive.
OLDEST_KUBERNETES_MINOR = 30
NEWEST_KUBERNETES_MINOR = 35

SUPPORTED_KUBERNETES_VERSIONS: tuple[str, ...] = tuple(
    f"1.{minor}" for minor in range(OLDEST_KUBERNETES_MINOR, NEWEST_KUBERNETES_MINOR + 1)
)

#: Newest Pod Security version the Kyverno release this project targets (1.19) accepts in ``podSecurity.version``.
KYVERNO_NEWEST_PSS_MINOR = 32
