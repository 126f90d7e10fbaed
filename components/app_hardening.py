"""Harden one upstream Kubernetes object on its way to the cluster (pure functions, no Pulumi).

The upstream manifests are never edited: ``harden`` takes a parsed object and returns a hardened
copy (or ``None`` to leave the object out), and ``BakerStreetApp`` applies it as a pulumi-kubernetes
transformation. What it does, in order:

* leaves out the upstream Role/RoleBinding the hardened layer replaces (the brain's broad Role);
* narrows the sysadmin Role to read-only (unless configured ``upstream``);
* puts Pod Security labels on the app Namespace;
* for every pod template: removes init containers that run as root (the upstream ``chown`` ones;
  ``fsGroup`` already makes the data volume writable), makes pod and containers satisfy Pod Security
  ``restricted``, pins every image by digest, sets the pull policy, mounts emptyDirs where a read-only
  root filesystem needs a writable path, takes the API token away from pods that do not call the API,
  and gives the brain ``TASK_NAMESPACE`` (and, when configured, the hooks sidecar: ``hooks_sidecar``);
* turns off token automounting on ServiceAccounts that do not need one;
* labels every object (and pod template) with the project's labels.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from components.hooks_sidecar import SidecarSettings, add_hooks_sidecar
from components.task_namespace import pod_security_labels

WORKLOAD_KINDS = frozenset({"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob", "Pod"})
CONTAINER_FIELDS = ("initContainers", "containers", "ephemeralContainers")
ALLOWED_ADDED_CAPABILITIES = frozenset({"NET_BIND_SERVICE"})
REMOVED_INIT_ANNOTATION = "bakerst.io/removed-init-containers"
CHECKOV_TOKEN_SKIP = "CKV_K8S_38=calls the Kubernetes API through its narrowed RBAC and needs its token"

#: Read-only rules that replace the upstream sysadmin Role (health monitoring).
SYSADMIN_READ_ONLY_RULES: tuple[dict[str, Any], ...] = (
    {"apiGroups": [""], "resources": ["pods", "pods/log", "events", "services", "configmaps"],
     "verbs": ["get", "list", "watch"]},
    {"apiGroups": ["apps"], "resources": ["deployments", "statefulsets"], "verbs": ["get", "list", "watch"]},
    {"apiGroups": ["batch"], "resources": ["jobs"], "verbs": ["get", "list", "watch"]},
)  # fmt: skip


@dataclass(frozen=True)
class HardeningSettings:
    """Everything ``harden`` needs, derived from the stack config."""

    images: Mapping[str, str]
    app_namespace: str
    task_namespace: str
    pod_security_level: str
    pod_security_version: str
    labels: Mapping[str, str]
    image_pull_policy: str = "Always"
    token_service_accounts: frozenset[str] = frozenset({"brain", "sysadmin"})
    sysadmin_access: str = "read-only"
    run_as_user: int = 1000
    writable_paths: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    replaced_rbac: frozenset[tuple[str, str]] = frozenset({("Role", "brain-secrets"), ("RoleBinding", "brain-secrets")})
    brain_pod_label: tuple[str, str] = ("app", "brain")
    hooks_sidecar: SidecarSettings | None = None
    """When set, every brain pod gets the hooks service as a native sidecar and loads the adapter."""


class MissingImagesError(ValueError):
    """Upstream images with no digest-pinned replacement in config."""

    def __init__(self, images: Iterable[str]) -> None:
        self.images = sorted(set(images))
        super().__init__(f"no digest-pinned image configured for: {', '.join(self.images)}")


# ------------------------------------------------------------------------------------------------ navigation


def pod_template(obj: Mapping[str, Any]) -> dict[str, Any] | None:
    """The pod template (metadata + spec) of a workload object, or None."""
    kind = obj.get("kind")
    if kind not in WORKLOAD_KINDS:
        return None
    spec = obj.get("spec") or {}
    if kind == "Pod":
        return obj  # type: ignore[return-value]
    if kind == "CronJob":
        spec = (spec.get("jobTemplate") or {}).get("spec") or {}
    template = spec.get("template")
    return template if isinstance(template, dict) else None


def containers_of(pod_spec: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    for name in CONTAINER_FIELDS:
        yield from pod_spec.get(name) or []


def runs_as_root(container: Mapping[str, Any]) -> bool:
    """True for a container that explicitly runs as root (uid 0 or runAsNonRoot false)."""
    context = container.get("securityContext") or {}
    return context.get("runAsUser") == 0 or context.get("runAsNonRoot") is False


def upstream_images(objects: Iterable[Mapping[str, Any]]) -> set[str]:
    """Every image the hardened objects will still run (root init containers are removed, so not counted)."""
    images: set[str] = set()
    for obj in objects:
        template = pod_template(obj)
        if template is None:
            continue
        spec = template.get("spec") or {}
        for field_name in CONTAINER_FIELDS:
            for container in spec.get(field_name) or []:
                if field_name == "initContainers" and runs_as_root(container):
                    continue
                images.add(container["image"])
    return images


def brain_workloads(objects: Iterable[Mapping[str, Any]], label: tuple[str, str] = ("app", "brain")) -> list[str]:
    """Names of the workloads whose pods are the brain's (upstream: brain-blue and brain-green), sorted."""
    names = set()
    for obj in objects:
        template = pod_template(obj)
        if template is not None and ((template.get("metadata") or {}).get("labels") or {}).get(label[0]) == label[1]:
            names.add(str((obj.get("metadata") or {}).get("name", "")))
    return sorted(names)


def missing_images(objects: Iterable[Mapping[str, Any]], images: Mapping[str, str]) -> list[str]:
    """Upstream images that have no entry in ``images``, sorted."""
    return sorted(upstream_images(objects) - set(images))


# ------------------------------------------------------------------------------------------------- hardening


def harden(obj: Mapping[str, Any], settings: HardeningSettings) -> dict[str, Any] | None:
    """A hardened copy of ``obj``, or None when the object is replaced by the hardened layer."""
    out = copy.deepcopy(dict(obj))
    kind = out.get("kind", "")
    metadata = out.setdefault("metadata", {})
    if (kind, metadata.get("name")) in settings.replaced_rbac:
        return None
    if kind == "Role" and metadata.get("name") == "sysadmin" and settings.sysadmin_access == "read-only":
        out["rules"] = copy.deepcopy(list(SYSADMIN_READ_ONLY_RULES))
    if kind == "Namespace" and metadata.get("name") == settings.app_namespace:
        metadata["labels"] = {
            **(metadata.get("labels") or {}),
            **pod_security_labels(settings.pod_security_level, settings.pod_security_version),
        }
    if kind == "ServiceAccount" and metadata.get("name") not in settings.token_service_accounts:
        out["automountServiceAccountToken"] = False
    template = pod_template(out)
    if template is not None:
        _harden_pod(out, template, settings)
    _label(metadata, settings, component=_component_name(out))
    return out


def _component_name(obj: Mapping[str, Any]) -> str:
    labels = (obj.get("metadata") or {}).get("labels") or {}
    return str(labels.get("app") or obj.get("kind", "object").lower())


def _label(metadata: dict[str, Any], settings: HardeningSettings, component: str) -> None:
    metadata["labels"] = {
        **(metadata.get("labels") or {}),
        **settings.labels,
        "app.kubernetes.io/component": component,
    }


def _harden_pod(obj: dict[str, Any], template: dict[str, Any], settings: HardeningSettings) -> None:
    spec = template.setdefault("spec", {})
    template_metadata = template.setdefault("metadata", {})

    removed = [c["name"] for c in spec.get("initContainers") or [] if runs_as_root(c)]
    if removed:
        spec["initContainers"] = [c for c in spec["initContainers"] if not runs_as_root(c)]
        if not spec["initContainers"]:
            del spec["initContainers"]
        annotations = obj["metadata"].setdefault("annotations", {})
        annotations[REMOVED_INIT_ANNOTATION] = ",".join(removed)

    pod_context = spec.setdefault("securityContext", {})
    pod_context["runAsNonRoot"] = True
    if not pod_context.get("runAsUser"):
        pod_context["runAsUser"] = settings.run_as_user
        pod_context.setdefault("runAsGroup", settings.run_as_user)
        pod_context.setdefault("fsGroup", settings.run_as_user)
    if (pod_context.get("seccompProfile") or {}).get("type") not in ("RuntimeDefault", "Localhost"):
        pod_context["seccompProfile"] = {"type": "RuntimeDefault"}
    for host_field in ("hostNetwork", "hostPID", "hostIPC"):
        spec.pop(host_field, None)

    service_account = spec.get("serviceAccountName") or spec.get("serviceAccount") or "default"
    if service_account in settings.token_service_accounts:
        annotations = obj["metadata"].setdefault("annotations", {})
        annotations.setdefault("checkov.io/skip1", CHECKOV_TOKEN_SKIP)
    else:
        spec["automountServiceAccountToken"] = False

    is_brain = (template_metadata.get("labels") or {}).get(settings.brain_pod_label[0]) == settings.brain_pod_label[1]
    if is_brain and settings.hooks_sidecar is not None:
        add_hooks_sidecar(str(obj["metadata"].get("name", "")), spec, settings.hooks_sidecar)
    for container in containers_of(spec):
        _harden_container(container, spec, settings)
    for container in spec.get("containers") or [] if is_brain else []:
        env = [e for e in container.get("env") or [] if e.get("name") != "TASK_NAMESPACE"]
        env.append({"name": "TASK_NAMESPACE", "value": settings.task_namespace})
        container["env"] = env

    template_metadata["labels"] = {**(template_metadata.get("labels") or {}), **settings.labels}


def _harden_container(container: dict[str, Any], pod_spec: dict[str, Any], settings: HardeningSettings) -> None:
    image = container.get("image", "")
    if image not in settings.images:
        raise MissingImagesError([image])
    container["image"] = settings.images[image]
    container["imagePullPolicy"] = settings.image_pull_policy

    context = container.setdefault("securityContext", {})
    context["allowPrivilegeEscalation"] = False
    context["privileged"] = False
    context["readOnlyRootFilesystem"] = True
    if context.get("runAsNonRoot") is False:
        context["runAsNonRoot"] = True
    if context.get("runAsUser") == 0:
        del context["runAsUser"]
    if (context.get("seccompProfile") or {}).get("type") not in (None, "RuntimeDefault", "Localhost"):
        context["seccompProfile"] = {"type": "RuntimeDefault"}
    capabilities = context.setdefault("capabilities", {})
    capabilities["drop"] = ["ALL"]
    added = [c for c in capabilities.get("add") or [] if c in ALLOWED_ADDED_CAPABILITIES]
    if added:
        capabilities["add"] = added
    else:
        capabilities.pop("add", None)
    for port in container.get("ports") or []:
        port.pop("hostPort", None)

    mounted = {m.get("mountPath") for m in container.get("volumeMounts") or []}
    wanted = ["/tmp", *settings.writable_paths.get(container.get("name", ""), ())]
    for index, path in enumerate(p for p in wanted if p not in mounted):
        volume_name = f"bakerst-writable-{container['name']}-{index}"[:63].rstrip("-")
        container.setdefault("volumeMounts", []).append({"name": volume_name, "mountPath": path})
        pod_spec.setdefault("volumes", []).append({"name": volume_name, "emptyDir": {"sizeLimit": "256Mi"}})
