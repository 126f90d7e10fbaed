"""Compliant fixtures, one per kind of object the policies read; each test changes one field at a time."""

from __future__ import annotations

from typing import Any

import yaml

APP_NS = "bakerst"
TASK_NS = "bakerst-tasks"
REGISTRY = "registry.example.internal"
IMAGE = f"{REGISTRY}/bakerst/brain@sha256:{'a' * 64}"
LABELS = {"app.kubernetes.io/part-of": "baker-street", "app.kubernetes.io/managed-by": "pulumi"}


def namespace(name: str = APP_NS, level: str = "restricted", task: bool = False) -> dict[str, Any]:
    labels = dict(LABELS)
    if task:
        labels["app.kubernetes.io/component"] = "task-namespace"
    for mode in ("enforce", "audit", "warn"):
        labels[f"pod-security.kubernetes.io/{mode}"] = level
        labels[f"pod-security.kubernetes.io/{mode}-version"] = "v1.30"
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": labels}}


def container(name: str = "brain", image: str = IMAGE) -> dict[str, Any]:
    return {
        "name": name,
        "image": image,
        "env": [{"name": "PORT", "value": "3000"}, {"name": "DATA_DIR", "value": "/data"}],
        "envFrom": [{"secretRef": {"name": "bakerst-brain-secrets"}}],
        "ports": [{"containerPort": 3000}],
        "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"cpu": "500m", "memory": "512Mi"}},
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "capabilities": {"drop": ["ALL"]},
        },
    }


def deployment(name: str = "brain", namespace_name: str = APP_NS, image: str = IMAGE) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": namespace_name, "labels": dict(LABELS)},
        "spec": {
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {
                    "serviceAccountName": name,
                    "securityContext": {
                        "runAsNonRoot": True,
                        "runAsUser": 1000,
                        "fsGroup": 1000,
                        "seccompProfile": {"type": "RuntimeDefault"},
                    },
                    "initContainers": [],
                    "containers": [container(name, image)],
                    "volumes": [
                        {"name": "tmp", "emptyDir": {}},
                        {"name": "config", "configMap": {"name": "brain-config"}},
                    ],
                },
            },
        },
    }


def network_policy(name: str, namespace_name: str, spec: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": name, "namespace": namespace_name},
        "spec": spec,
    }


def deny_all(namespace_name: str, types: tuple[str, ...] = ("Ingress", "Egress")) -> dict[str, Any]:
    return network_policy("default-deny", namespace_name, {"podSelector": {}, "policyTypes": list(types)})


def task_egress() -> dict[str, Any]:
    def peer(ns: str, labels: dict[str, str]) -> dict[str, Any]:
        return {
            "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": ns}},
            "podSelector": {"matchLabels": labels},
        }

    return network_policy(
        "allow-egress-nats-dns",
        TASK_NS,
        {
            "podSelector": {},
            "policyTypes": ["Egress"],
            "egress": [
                {"to": [peer(APP_NS, {"app": "nats"})], "ports": [{"port": 4222, "protocol": "TCP"}]},
                {
                    "to": [peer("kube-system", {"k8s-app": "kube-dns"})],
                    "ports": [{"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "TCP"}],
                },
            ],
        },
    )


def admin_network_policy() -> dict[str, Any]:
    return {
        "apiVersion": "policy.networking.k8s.io/v1alpha1",
        "kind": "AdminNetworkPolicy",
        "metadata": {"name": "bakerst-tasks-isolation"},
        "spec": {
            "priority": 20,
            "subject": {"namespaces": {"matchLabels": {"kubernetes.io/metadata.name": TASK_NS}}},
            "egress": [
                {
                    "name": "deny-app",
                    "action": "Deny",
                    "to": [{"namespaces": {"matchLabels": {"kubernetes.io/metadata.name": APP_NS}}}],
                }
            ],
        },
    }


def _match() -> dict[str, Any]:
    return {"any": [{"resources": {"kinds": ["Pod"], "namespaces": [APP_NS, TASK_NS]}}]}


def attestors() -> list[dict[str, Any]]:
    return [
        {
            "count": 1,
            "entries": [{"keyless": {"issuer": "https://token.actions.githubusercontent.com", "subject": "ci"}}],
        }
    ]


def signature_policy() -> dict[str, Any]:
    return {
        "apiVersion": "kyverno.io/v1",
        "kind": "ClusterPolicy",
        "metadata": {"name": "require-image-signature"},
        "spec": {
            "background": True,
            "rules": [
                {
                    "name": "verify-image-signatures",
                    "match": _match(),
                    "verifyImages": [
                        {
                            "imageReferences": [f"{REGISTRY}/*"],
                            "failureAction": "Enforce",
                            "mutateDigest": True,
                            "verifyDigest": True,
                            "required": True,
                            "attestors": attestors(),
                            "attestations": [{"type": "https://cyclonedx.org/bom", "attestors": attestors()}],
                        }
                    ],
                }
            ],
        },
    }


def registries_policy() -> dict[str, Any]:
    return {
        "apiVersion": "kyverno.io/v1",
        "kind": "ClusterPolicy",
        "metadata": {"name": "restrict-registries"},
        "spec": {
            "rules": [
                {
                    "name": "allowed-registries",
                    "match": _match(),
                    "validate": {
                        "failureAction": "Enforce",
                        "message": "images from allowed registries only",
                        "pattern": {
                            "spec": {
                                "containers": [{"image": f"{REGISTRY}/*"}],
                                "=(initContainers)": [{"image": f"{REGISTRY}/*"}],
                                "=(ephemeralContainers)": [{"image": f"{REGISTRY}/*"}],
                            }
                        },
                    },
                }
            ]
        },
    }


def pod_security_policy() -> dict[str, Any]:
    return {
        "apiVersion": "kyverno.io/v1",
        "kind": "ClusterPolicy",
        "metadata": {"name": "pod-security-restricted"},
        "spec": {
            "rules": [
                {
                    "name": "restricted",
                    "match": _match(),
                    "validate": {
                        "failureAction": "Enforce",
                        "podSecurity": {"level": "restricted", "version": "v1.30"},
                    },
                }
            ]
        },
    }


def role(name: str = "brain-task-manager", namespace_name: str = TASK_NS) -> dict[str, Any]:
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "Role",
        "metadata": {"name": name, "namespace": namespace_name},
        "rules": [
            {"apiGroups": ["batch"], "resources": ["jobs"], "verbs": ["create", "get", "list", "watch", "delete"]},
            {"apiGroups": [""], "resources": ["pods", "pods/log"], "verbs": ["get", "list", "watch"]},
        ],
    }


def role_binding(
    subject_name: str = "brain", subject_ns: str = APP_NS, role_name: str = "brain-task-manager"
) -> dict[str, Any]:
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "RoleBinding",
        "metadata": {"name": role_name, "namespace": TASK_NS},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": role_name},
        "subjects": [{"kind": "ServiceAccount", "name": subject_name, "namespace": subject_ns}],
    }


def task_service_account() -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": {"name": "bakerst-task", "namespace": TASK_NS},
        "automountServiceAccountToken": False,
    }


def external_secret(target: str = "bakerst-brain-secrets") -> dict[str, Any]:
    return {
        "apiVersion": "external-secrets.io/v1",
        "kind": "ExternalSecret",
        "metadata": {"name": target, "namespace": APP_NS},
        "spec": {
            "secretStoreRef": {"kind": "ClusterSecretStore", "name": "bakerst-secret-store"},
            "target": {"name": target, "creationPolicy": "Owner"},
            "data": [{"secretKey": "AUTH_TOKEN", "remoteRef": {"key": "bakerst/brain", "property": "AUTH_TOKEN"}}],
        },
    }


def quota() -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ResourceQuota",
        "metadata": {"name": "task-quota", "namespace": TASK_NS},
        "spec": {
            "hard": {
                "requests.cpu": "4",
                "limits.cpu": "4",
                "requests.memory": "2Gi",
                "limits.memory": "2Gi",
                "pods": "10",
                "count/jobs.batch": "10",
            }
        },
    }


def limit_range() -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "LimitRange",
        "metadata": {"name": "task-limits", "namespace": TASK_NS},
        "spec": {
            "limits": [
                {
                    "type": "Container",
                    "default": {"cpu": "500m", "memory": "512Mi"},
                    "defaultRequest": {"cpu": "100m", "memory": "128Mi"},
                    "max": {"cpu": "1", "memory": "1Gi"},
                }
            ]
        },
    }


AUDIT = {
    "tamperEvidence": True,
    "flushIntervalSeconds": 5,
    "checkpointIntervalSeconds": 60,
    "sinks": [
        {"type": "loki", "url": "https://loki.example/loki/api/v1/push"},
        {"type": "syslog", "host": "siem.example", "port": 6514, "tls": True},
        {"type": "file", "path": "/var/log/bakerst/audit.jsonl"},
    ],
}
GOVERNANCE = {
    "rateLimits": {"perUserPerMinute": 30, "globalPerMinute": 200, "failureMode": "closed"},
    "budgets": {"dailyUsd": "50", "monthlyUsd": "1000", "alertThreshold": "0.8", "fallbackStrategy": "downgrade"},
    "models": {"big": {"inputUsdPerMtok": "3", "outputUsdPerMtok": "15", "fallback": "small"},
               "small": {"inputUsdPerMtok": "0.5", "outputUsdPerMtok": "1"}},
}  # fmt: skip
GUARDRAILS = {
    "checks": ["injection", "schema", "risk", "approval", "sanitization"],
    "block_level": "critical",
    "injection": {"threshold": 0.5},
    "approval": {"level": "high", "timeout_seconds": 300},
    "limits": {"check_timeout_ms": 250},
    "sanitizer": {"secrets": True, "pii": True},
}


def hooks_config(
    audit: dict[str, Any] | None = None,
    governance: dict[str, Any] | None = None,
    guardrails: dict[str, Any] | None = None,
) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": "bakerst-hooks",
            "namespace": APP_NS,
            "labels": {**LABELS, "app.kubernetes.io/component": "hooks-runtime-config"},
        },
        "data": {
            "audit.yaml": yaml.safe_dump(AUDIT if audit is None else audit),
            "governance.yaml": yaml.safe_dump(GOVERNANCE if governance is None else governance),
            "guardrails.yaml": yaml.safe_dump(GUARDRAILS if guardrails is None else guardrails),
            "service.yaml": yaml.safe_dump(SERVICE),
        },
    }


HOOKS_SECRET = "bakerst-hooks-secrets"
SERVICE = {
    "service": {"auditKeys": "/var/lib/bakerst/hooks/audit-keys", "auth": {"applicationTokenEnv": "HOOKS_APP_TOKEN",
                "approvers": [{"name": "alice", "tokenEnv": "HOOKS_APPROVER_ALICE"}], "approverGroups": []}},
    "audit": "audit.yaml", "governance": "governance.yaml", "guardrails": "guardrails.yaml",
}  # fmt: skip


def _secret_env(name: str, key: str | None = None) -> dict[str, Any]:
    return {"name": name, "valueFrom": {"secretKeyRef": {"name": HOOKS_SECRET, "key": key or name}}}


def with_hooks_sidecar(obj: dict[str, Any]) -> dict[str, Any]:
    """The brain Deployment with the hooks service as a native sidecar and the adapter loaded."""
    spec = obj["spec"]["template"]["spec"]
    spec["initContainers"] = [
        {
            **container("hooks"),
            "env": [_secret_env("HOOKS_APP_TOKEN"), _secret_env("HOOKS_APPROVER_ALICE")],
            "envFrom": [],
            "restartPolicy": "Always",
            "command": ["bakerst-hardened", "hooks", "serve", "--config", "/etc/bakerst-hooks/service.yaml"],
        }
    ]
    spec["volumes"].append({"name": "hooks-config", "configMap": {"name": "bakerst-hooks"}})
    for brain in spec["containers"]:
        brain["env"] += [
            {"name": "NODE_OPTIONS", "value": "--import=/opt/bakerst-hooks/adapter/register.mjs"},
            {"name": "BAKERST_HOOKS_URL", "value": "http://127.0.0.1:8181"},
            _secret_env("BAKERST_HOOKS_TOKEN", "HOOKS_APP_TOKEN"),
        ]
    return obj


def compliant_stack() -> list[dict[str, Any]]:
    """A small stack that passes every policy of the pack."""
    return [
        namespace(APP_NS),
        namespace(TASK_NS, task=True),
        deny_all(APP_NS, ("Ingress",)),
        deny_all(TASK_NS),
        task_egress(),
        admin_network_policy(),
        with_hooks_sidecar(deployment()),
        role(),
        role_binding(),
        task_service_account(),
        external_secret(),
        external_secret(HOOKS_SECRET),
        quota(),
        limit_range(),
        signature_policy(),
        registries_policy(),
        pod_security_policy(),
        hooks_config(),
    ]
