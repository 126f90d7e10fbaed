"""HooksSidecar: the hooks service in the brain's pod, and what the pod needs around it.

Two halves, data flowing one way:

* ``add_hooks_sidecar`` (pure, no Pulumi) is called by the app hardening transformation for every brain pod. It
  adds a native sidecar (an init container with ``restartPolicy: Always``, so it starts before the brain and stops
  after it, flushing the audit spool) running ``bakerst-hardened hooks serve``; an init container that copies the
  TypeScript adapter into a shared volume; one that installs the audit writer's key material on the state volume
  (never over a chain that already moved on); and it points the brain at both (``NODE_OPTIONS=--import=...``, the
  service URL, the application token from the hooks Secret).
* ``HooksSidecar`` (the component) creates what those pods reference: one PersistentVolumeClaim per brain
  Deployment for the audit spool and chain state (it survives container and pod restarts; the brain Deployments
  use ``Recreate``), the approvals Service, and a NetworkPolicy that opens the service port to the configured
  ingress namespace only (upstream's own ``brain-policy`` keeps every other port closed to everything else).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.labels import component_labels, namespace_selector
from components.ordering import Dependencies, after

COMPONENT = "hooks-service"
SIDECAR = "hooks"
ADAPTER_INIT = "hooks-adapter"
KEYS_INIT = "hooks-audit-keys"
#: Where the adapter lives in the hooks image, and where the brain container sees it (same path).
ADAPTER_DIR = "/opt/bakerst-hooks/adapter"
ADAPTER_ENTRY = f"{ADAPTER_DIR}/register.mjs"
CONFIG_DIR = "/etc/bakerst-hooks"
WRITER_KEY_DIR = "/etc/bakerst-hooks-writer"
STATE_DIR = "/var/lib/bakerst"
AUDIT_KEYS_DIR = f"{STATE_DIR}/hooks/audit-keys"
SERVICE_CONFIG_KEY = "service.yaml"
#: Environment the adapter reads in the brain container.
URL_ENV = "BAKERST_HOOKS_URL"
TOKEN_ENV = "BAKERST_HOOKS_TOKEN"
BEFORE_TIMEOUT_ENV = "BAKERST_HOOKS_BEFORE_TIMEOUT_MS"
#: How much longer than the approval timeout the adapter waits for a held call's answer.
BEFORE_TIMEOUT_MARGIN_S = 30
CHECKPOINT_KEY = "AUDIT_CHECKPOINT_KEY"
VOLUMES = {"adapter": "hooks-adapter", "config": "hooks-config", "state": "hooks-state", "writer": "hooks-writer-key"}


def writer_state_key(deployment: str) -> str:
    """The hooks Secret key holding one brain Deployment's initial chain state (``writer/state.json``)."""
    return "AUDIT_WRITER_STATE_" + re.sub(r"[^A-Z0-9]", "_", deployment.upper())


def state_claim(deployment: str) -> str:
    """The PersistentVolumeClaim of one brain Deployment's hooks state (deterministic, ≤ 63 characters)."""
    return f"{deployment}-hooks-state"[:63].rstrip("-")


@dataclass(frozen=True)
class SidecarSettings:
    """What ``add_hooks_sidecar`` needs (from ``bakerst:hooksSidecar`` and the stack's audit paths)."""

    image: str
    """Key in ``bakerst:images`` (the hardening pass pins it by digest like every other image)."""
    port: int
    config_map: str
    """The HooksRuntime ConfigMap (audit.yaml, governance.yaml, guardrails.yaml, service.yaml)."""
    secret: str
    """The Secret (from an ExternalSecret) with the tokens and the audit writer's key material."""
    application_token_env: str
    token_envs: tuple[str, ...]
    """Every token variable the service reads (application first)."""
    writable_paths: tuple[str, ...] = ()
    """Directories the audit config writes to (spool, file sinks); each is backed by the state volume."""
    cpu: str = "250m"
    memory: str = "256Mi"
    approval_timeout_seconds: float = 300.0
    """The guardrail chain's approval timeout: the adapter's wait for ``/v1/guardrail/before`` must outlast it."""


def _container_env(settings: SidecarSettings) -> list[dict[str, Any]]:
    return [
        {"name": env, "valueFrom": {"secretKeyRef": {"name": settings.secret, "key": env}}}
        for env in settings.token_envs
    ]


def _state_mounts(settings: SidecarSettings) -> list[dict[str, Any]]:
    """The state volume at ``STATE_DIR``, and again (sub-path) at each writable path outside it."""
    mounts = [{"name": VOLUMES["state"], "mountPath": STATE_DIR}]
    for path in sorted(set(settings.writable_paths)):
        if PurePosixPath(path).is_relative_to(STATE_DIR):
            continue
        sub_path = "paths/" + re.sub(r"[^A-Za-z0-9._-]+", "-", path.strip("/"))
        mounts.append({"name": VOLUMES["state"], "mountPath": path, "subPath": sub_path})
    return mounts


def _probe(path: str, port: int, **timing: int) -> dict[str, Any]:
    return {"httpGet": {"path": path, "port": port}, **timing}


def sidecar_containers(settings: SidecarSettings) -> list[dict[str, Any]]:
    """The three init containers, in the order they must run: adapter copy, writer keys, the service."""
    resources = {
        "requests": {"cpu": settings.cpu, "memory": settings.memory},
        "limits": {"cpu": settings.cpu, "memory": settings.memory},
    }
    small = {"requests": {"cpu": "50m", "memory": "64Mi"}, "limits": {"cpu": "100m", "memory": "64Mi"}}
    return [
        {
            "name": ADAPTER_INIT,
            "image": settings.image,
            "command": ["cp", "-R", f"{ADAPTER_DIR}/.", "/adapter/"],
            "volumeMounts": [{"name": VOLUMES["adapter"], "mountPath": "/adapter"}],
            "resources": small,
        },
        {
            "name": KEYS_INIT,
            "image": settings.image,
            "command": [
                "bakerst-hardened",
                "audit",
                "install-writer",
                "--from",
                WRITER_KEY_DIR,
                "--to",
                AUDIT_KEYS_DIR,
            ],
            "volumeMounts": [
                {"name": VOLUMES["writer"], "mountPath": WRITER_KEY_DIR, "readOnly": True},
                {"name": VOLUMES["state"], "mountPath": STATE_DIR},
            ],
            "resources": small,
        },
        {
            "name": SIDECAR,
            "image": settings.image,
            "restartPolicy": "Always",
            "command": [
                "bakerst-hardened",
                "hooks",
                "serve",
                "--config",
                f"{CONFIG_DIR}/{SERVICE_CONFIG_KEY}",
                "--host",
                "0.0.0.0",
                "--port",
                str(settings.port),
            ],
            "ports": [{"name": "hooks", "containerPort": settings.port, "protocol": "TCP"}],
            "env": _container_env(settings),
            "volumeMounts": [
                {"name": VOLUMES["config"], "mountPath": CONFIG_DIR, "readOnly": True},
                *_state_mounts(settings),
            ],
            "startupProbe": _probe("/healthz", settings.port, periodSeconds=2, failureThreshold=30),
            "readinessProbe": _probe("/readyz", settings.port, periodSeconds=5, failureThreshold=2),
            "livenessProbe": _probe("/healthz", settings.port, periodSeconds=10, failureThreshold=3),
            "resources": resources,
        },
    ]


def add_hooks_sidecar(deployment: str, pod_spec: dict[str, Any], settings: SidecarSettings) -> None:
    """Put the hooks service, the adapter and their volumes into one brain pod spec (in place)."""
    names = {c.get("name") for c in pod_spec.get("initContainers") or []}
    if SIDECAR in names:
        return  # already there (the transformation may see an object twice)
    pod_spec["initContainers"] = [*sidecar_containers(settings), *(pod_spec.get("initContainers") or [])]
    pod_spec.setdefault("volumes", []).extend(
        [
            {"name": VOLUMES["adapter"], "emptyDir": {"sizeLimit": "64Mi"}},
            {"name": VOLUMES["config"], "configMap": {"name": settings.config_map}},
            {"name": VOLUMES["state"], "persistentVolumeClaim": {"claimName": state_claim(deployment)}},
            {
                "name": VOLUMES["writer"],
                "secret": {
                    "secretName": settings.secret,
                    "defaultMode": 0o400,
                    "items": [
                        {"key": CHECKPOINT_KEY, "path": "checkpoint.key"},
                        {"key": writer_state_key(deployment), "path": "state.json"},
                    ],
                },
            },
        ]
    )
    for container in pod_spec.get("containers") or []:
        _point_at_hooks(container, settings)


def _point_at_hooks(container: dict[str, Any], settings: SidecarSettings) -> None:
    env = [e for e in container.get("env") or [] if e.get("name") not in {URL_ENV, TOKEN_ENV, BEFORE_TIMEOUT_ENV}]
    node_options = next((e for e in env if e.get("name") == "NODE_OPTIONS"), None)
    flag = f"--import={ADAPTER_ENTRY}"
    if node_options is None:
        env.append({"name": "NODE_OPTIONS", "value": flag})
    elif flag not in str(node_options.get("value", "")):
        node_options["value"] = f"{node_options.get('value', '')} {flag}".strip()
    env.append({"name": URL_ENV, "value": f"http://127.0.0.1:{settings.port}"})
    wait_ms = int((settings.approval_timeout_seconds + BEFORE_TIMEOUT_MARGIN_S) * 1000)
    env.append({"name": BEFORE_TIMEOUT_ENV, "value": str(wait_ms)})
    env.append(
        {
            "name": TOKEN_ENV,
            "valueFrom": {"secretKeyRef": {"name": settings.secret, "key": settings.application_token_env}},
        }
    )
    container["env"] = env
    mounts = [m for m in container.get("volumeMounts") or [] if m.get("name") != VOLUMES["adapter"]]
    mounts.append({"name": VOLUMES["adapter"], "mountPath": ADAPTER_DIR, "readOnly": True})
    container["volumeMounts"] = mounts


# ----------------------------------------------------------------------------------------------- the component


@dataclass(frozen=True)
class HooksSidecarArgs:
    """Inputs of ``HooksSidecar``."""

    namespace: str
    """The app namespace."""
    deployments: Sequence[str]
    """The brain Deployments (each gets a state claim)."""
    port: int
    brain_pod_labels: Mapping[str, str]
    ingress_namespace: str | None
    """Namespace allowed to reach the approvals page (None: no one outside the pod)."""
    state_size: str
    storage_class: str | None
    labels: Mapping[str, str]
    app_namespace_dependencies: Dependencies = ()
    """What creates the app namespace (``BakerStreetApp.namespace_resources``): every object here waits for it."""


class HooksSidecar(pulumi.ComponentResource):
    """State claims, the approvals Service and its NetworkPolicy for the hooks sidecar in the brain pods."""

    def __init__(self, name: str, args: HooksSidecarArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("bakerst:hooks:HooksSidecar", name, {}, opts)
        labels = component_labels(args.labels, COMPONENT)
        child = pulumi.ResourceOptions(parent=self, depends_on=after(args.app_namespace_dependencies))
        self.claims = [
            k8s.core.v1.PersistentVolumeClaim(
                f"{name}-{deployment}-state",
                metadata=k8s.meta.v1.ObjectMetaArgs(
                    name=state_claim(deployment), namespace=args.namespace, labels=labels
                ),
                spec=k8s.core.v1.PersistentVolumeClaimSpecArgs(
                    access_modes=["ReadWriteOnce"],
                    resources=k8s.core.v1.VolumeResourceRequirementsArgs(requests={"storage": args.state_size}),
                    storage_class_name=args.storage_class,
                ),
                opts=child,
            )
            for deployment in sorted(args.deployments)
        ]
        self.service = k8s.core.v1.Service(
            f"{name}-approvals",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name="bakerst-hooks-approvals", namespace=args.namespace, labels=labels
            ),
            spec=k8s.core.v1.ServiceSpecArgs(
                selector=dict(args.brain_pod_labels),
                ports=[k8s.core.v1.ServicePortArgs(name="hooks", port=args.port, target_port="hooks", protocol="TCP")],
            ),
            opts=child,
        )
        ingress = []
        if args.ingress_namespace is not None:
            ingress.append(
                k8s.networking.v1.NetworkPolicyIngressRuleArgs(
                    from_=[
                        k8s.networking.v1.NetworkPolicyPeerArgs(
                            namespace_selector=k8s.meta.v1.LabelSelectorArgs(
                                match_labels=namespace_selector(args.ingress_namespace)["matchLabels"]
                            )
                        )
                    ],
                    ports=[k8s.networking.v1.NetworkPolicyPortArgs(port=args.port, protocol="TCP")],
                )
            )
        self.network_policy = k8s.networking.v1.NetworkPolicy(
            f"{name}-approvals-ingress",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name="bakerst-hooks-approvals", namespace=args.namespace, labels=labels
            ),
            spec=k8s.networking.v1.NetworkPolicySpecArgs(
                pod_selector=k8s.meta.v1.LabelSelectorArgs(match_labels=dict(args.brain_pod_labels)),
                policy_types=["Ingress"],
                ingress=ingress,
            ),
            opts=child,
        )
        self.service_name: pulumi.Output[str] = self.service.metadata.apply(lambda m: m.name or "")
        self.register_outputs({"serviceName": self.service_name, "claims": [state_claim(d) for d in args.deployments]})
