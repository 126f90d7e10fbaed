"""Verification: cosign checks of signed digests, and the post-deploy state of the cluster.

The cluster side sits behind ``ClusterProbe`` (``KubectlProbe`` reads the live objects with kubectl): every
workload available, every Kyverno policy ready, no failing policy report, and every image that runs verified
again with cosign against the stack's identity.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from bakerst_hardened.deploy.cosign import identity_flags, public_key_files, read_flags
from bakerst_hardened.deploy.sbom import FORMATS
from bakerst_hardened.deploy.stages import StageFailed
from bakerst_hardened.deploy.tools import ToolRunner
from components.app_config import ImageSignatureConfig


def verify_image(
    runner: ToolRunner, signature: ImageSignatureConfig, reference: str, *, attestation: bool = True
) -> list[str]:
    """Problems with ``reference``'s signature (and SBOM attestation, when the stack requires one)."""
    problems = []
    with public_key_files(signature) as keys:
        candidates: list[Path | None] = list(keys) or [None]
        for command, extra in (
            ("verify", []),
            *(
                [("verify-attestation", ["--type", FORMATS[signature.sbom_attestation][0]])]
                if attestation and signature.sbom_attestation != "none"
                else []
            ),
        ):
            outcomes = [
                runner.run(
                    "cosign", [command, *identity_flags(signature, key), *read_flags(reference), *extra, reference]
                )
                for key in candidates
            ]
            if not any(result.ok for result in outcomes):
                problems.append(f"cosign {command} {reference}: {outcomes[-1].last_lines(2)}")
    return problems


class ClusterProbe(Protocol):
    """Reads the deployed state (mutates nothing)."""

    def problems(self) -> list[str]:
        """Workloads not available, Kyverno policies not ready, failing policy report results."""
        ...

    def running_images(self) -> list[str]:
        """Every image reference of every running container in the stack's namespaces."""
        ...


@dataclass
class KubectlProbe:
    """``kubectl get -o json`` over the stack's namespaces."""

    runner: ToolRunner
    namespaces: Sequence[str]

    def _get(self, *args: str) -> list[dict[str, Any]]:
        result = self.runner.run("kubectl", ["get", *args, "-o", "json"])
        if not result.ok:
            raise StageFailed(f"kubectl get {' '.join(args)}: {result.last_lines(2)}")
        items = json.loads(result.stdout).get("items", [])
        return [item for item in items if isinstance(item, dict)]

    def problems(self) -> list[str]:
        found = []
        for namespace in self.namespaces:
            for item in self._get("deployments,statefulsets", "-n", namespace):
                name = f"{item['kind']}/{item['metadata']['name']} in {namespace}"
                want = item.get("spec", {}).get("replicas", 1)
                have = (
                    item.get("status", {}).get("availableReplicas") or item.get("status", {}).get("readyReplicas") or 0
                )
                if have < want:
                    found.append(f"{name}: {have}/{want} available")
            for report in self._get("policyreports.wgpolicyk8s.io", "-n", namespace):
                failing = (report.get("summary") or {}).get("fail", 0) + (report.get("summary") or {}).get("error", 0)
                if failing:
                    found.append(
                        f"policy report {report['metadata']['name']} in {namespace}: {failing} failing result(s)"
                    )
        for policy in self._get("clusterpolicies.kyverno.io"):
            conditions = (policy.get("status") or {}).get("conditions") or []
            if not any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions):
                found.append(f"Kyverno ClusterPolicy {policy['metadata']['name']} is not ready")
        return found

    def running_images(self) -> list[str]:
        images = set()
        for namespace in self.namespaces:
            for pod in self._get("pods", "-n", namespace):
                for status in (pod.get("status") or {}).get("containerStatuses") or []:
                    images.add(str(status.get("imageID") or status.get("image")).removeprefix("docker-pullable://"))
        return sorted(images)


def verify_deployment(
    runner: ToolRunner, probe: ClusterProbe, signature: ImageSignatureConfig, registries: Sequence[str]
) -> str:
    problems = probe.problems()
    images = probe.running_images()
    ours = [image for image in images if any(image.startswith(f"{registry}/") for registry in registries)]
    for image in ours:
        problems += verify_image(runner, signature, image)
    if problems:
        raise StageFailed("; ".join(problems))
    return f"workloads available, policies ready, no failing report; {len(ours)} running image(s) verified with cosign"
