"""The post-deploy probe reads the cluster with kubectl (a fake here): unavailable workloads, policies not ready,
failing policy reports, and the images that actually run."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from bakerst_hardened.deploy.tools import ToolResult
from bakerst_hardened.deploy.verify import KubectlProbe

DIGEST = "sha256:" + "b" * 64


def _items(*items: dict[str, Any]) -> str:
    return json.dumps({"items": list(items)})


@dataclass
class FakeKubectl:
    answers: dict[str, str]
    calls: list[tuple[str, ...]] = field(default_factory=list)

    def run(
        self, tool: str, args: Sequence[str], *, env: Mapping[str, str] | None = None, timeout: float = 600
    ) -> ToolResult:
        del env, timeout
        assert tool == "kubectl"
        self.calls.append(tuple(args))
        key = " ".join(a for a in args if a not in {"get", "-o", "json", "-n"})
        return ToolResult((tool, *args), 0, self.answers.get(key, _items()), "")


def test_problems_name_each_unhealthy_object() -> None:
    kubectl = FakeKubectl(
        {
            "deployments,statefulsets bakerst": _items(
                {
                    "kind": "Deployment",
                    "metadata": {"name": "brain"},
                    "spec": {"replicas": 2},
                    "status": {"availableReplicas": 1},
                },
                {
                    "kind": "Deployment",
                    "metadata": {"name": "ui"},
                    "spec": {"replicas": 1},
                    "status": {"availableReplicas": 1},
                },
            ),
            "policyreports.wgpolicyk8s.io bakerst": _items(
                {"metadata": {"name": "pod-brain"}, "summary": {"pass": 3, "fail": 1}},
                {"metadata": {"name": "pod-ui"}, "summary": {"pass": 4}},
            ),
            "clusterpolicies.kyverno.io": _items(
                {
                    "metadata": {"name": "require-image-signature"},
                    "status": {"conditions": [{"type": "Ready", "status": "True"}]},
                },
                {
                    "metadata": {"name": "restrict-registries"},
                    "status": {"conditions": [{"type": "Ready", "status": "False"}]},
                },
            ),
        }
    )
    problems = KubectlProbe(kubectl, ["bakerst", "bakerst-tasks"]).problems()
    assert problems == [
        "Deployment/brain in bakerst: 1/2 available",
        "policy report pod-brain in bakerst: 1 failing result(s)",
        "Kyverno ClusterPolicy restrict-registries is not ready",
    ]


def test_running_images_are_the_resolved_digests() -> None:
    kubectl = FakeKubectl(
        {
            "pods bakerst": _items(
                {
                    "status": {
                        "containerStatuses": [
                            {
                                "image": "registry.example/bakerst/brain:x",
                                "imageID": f"registry.example/bakerst/brain@{DIGEST}",
                            },
                            {"image": "registry.example/bakerst/ui@" + DIGEST},
                        ]
                    }
                }
            )
        }
    )
    assert KubectlProbe(kubectl, ["bakerst"]).running_images() == [
        f"registry.example/bakerst/brain@{DIGEST}",
        f"registry.example/bakerst/ui@{DIGEST}",
    ]
