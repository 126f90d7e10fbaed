"""HardenedPlatform: composes the enterprise layer's components from one validated ``StackConfig``.

Data flows one way: ``StackConfig`` -> component args -> components -> Kubernetes objects.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

import pulumi

from components.admission_policies import AdmissionPolicies, AdmissionPoliciesArgs
from components.app_hardening import HardeningSettings, brain_workloads
from components.baker_street_app import BakerStreetApp, BakerStreetAppArgs
from components.brain_task_access import BrainTaskAccess, BrainTaskAccessArgs
from components.external_secrets import ExternalSecrets, ExternalSecretsArgs
from components.hooks_runtime import HooksRuntime, HooksRuntimeArgs, service_document
from components.hooks_sidecar import AUDIT_KEYS_DIR, HooksSidecar, HooksSidecarArgs, SidecarSettings
from components.labels import standard_labels
from components.ordering import Dependencies, LateDependencies
from components.stack_config import StackConfig
from components.task_namespace import TaskNamespace, TaskNamespaceArgs
from components.task_network_policies import TaskNetworkPolicies, TaskNetworkPoliciesArgs
from components.upstream import UpstreamBase
from hooks.guardrails.config import GuardrailConfig


@dataclass(frozen=True)
class HardenedPlatformArgs:
    """Inputs of ``HardenedPlatform``: the whole validated stack config, and the checked upstream base."""

    config: StackConfig
    upstream: UpstreamBase | None = None
    """The upstream app to deploy (``components.upstream.load_upstream``); None deploys no app."""
    guardrails: GuardrailConfig | None = None
    """The guardrail chain (``components.hooks_runtime.load_guardrails``); None: the default chain."""


def sidecar_settings(cfg: StackConfig, guardrails: GuardrailConfig | None = None) -> SidecarSettings | None:
    """What the hooks sidecar in the brain pods needs, or None when the stack runs none."""
    sidecar = cfg.hooks_sidecar
    if not sidecar.enabled:
        return None
    secrets = cfg.external_secrets.services[sidecar.secrets_service]  # checked by StackConfig
    paths = [cfg.audit.spool_dir, *(str(PurePosixPath(s.path).parent) for s in cfg.audit.sinks if s.type == "file")]
    return SidecarSettings(
        image=sidecar.image,
        port=sidecar.port,
        config_map=cfg.hooks_runtime.config_map,
        secret=secrets.target_secret,
        application_token_env=sidecar.auth.application_token_env,
        token_envs=tuple(sidecar.auth.token_envs()),
        writable_paths=tuple(paths),
        cpu=sidecar.resources.cpu,
        memory=sidecar.resources.memory,
        approval_timeout_seconds=(guardrails or GuardrailConfig()).approval.timeout_seconds,
    )


def hardening_settings(
    cfg: StackConfig, labels: dict[str, str], guardrails: GuardrailConfig | None = None
) -> HardeningSettings:
    """How the upstream objects are hardened, from the stack config (and the guardrail chain's approval timeout)."""
    return HardeningSettings(
        hooks_sidecar=sidecar_settings(cfg, guardrails),
        images=cfg.images,
        app_namespace=cfg.app_namespace,
        task_namespace=cfg.task_namespace,
        pod_security_level=cfg.pod_security.app_namespace_level,
        pod_security_version=cfg.pod_security.version,
        labels=labels,
        image_pull_policy=cfg.app_hardening.image_pull_policy,
        token_service_accounts=frozenset(cfg.app_hardening.token_service_accounts),
        sysadmin_access=cfg.app_hardening.sysadmin_access,
        run_as_user=cfg.app_hardening.run_as_user,
        writable_paths={k: tuple(v) for k, v in cfg.app_hardening.writable_paths.items()},
    )


class HardenedPlatform(pulumi.ComponentResource):
    """The task isolation, network isolation and narrowed RBAC around a Baker Street install."""

    def __init__(self, name: str, args: HardenedPlatformArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("bakerst:platform:HardenedPlatform", name, {}, opts)
        cfg = args.config
        labels = standard_labels(cfg.environment, cfg.common_labels)
        net = cfg.network_isolation

        self.app: BakerStreetApp | None = None
        state_claims = LateDependencies()  # the hooks sidecar's claims: the brain Deployments depend on them
        if args.upstream is not None:
            self.app = BakerStreetApp(
                f"{name}-app",
                BakerStreetAppArgs(
                    directory=args.upstream.directory,
                    settings=hardening_settings(cfg, labels, args.guardrails),
                    brain_depends_on=state_claims.output if cfg.hooks_sidecar.enabled else (),
                ),
                opts=pulumi.ResourceOptions(parent=self),
            )
        # Objects in the app namespace wait for the app (which creates that namespace): the components, and
        # each object placed in the app namespace through its own depends_on (components.ordering).
        after_app = pulumi.ResourceOptions(parent=self, depends_on=[self.app] if self.app is not None else [])
        app_ns: Dependencies = self.app.namespace_resources(cfg.app_namespace) if self.app is not None else ()

        self.task_namespace = TaskNamespace(
            f"{name}-tasks",
            TaskNamespaceArgs(
                name=cfg.task_namespace,
                pod_security_version=cfg.pod_security.version,
                quota=cfg.task_quota,
                limits=cfg.task_limits,
                service_account=cfg.task_service_account,
                labels=labels,
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.network_policies = TaskNetworkPolicies(
            f"{name}-task-network",
            TaskNetworkPoliciesArgs(
                task_namespace=self.task_namespace.namespace_name,
                task_namespace_name=cfg.task_namespace,
                app_namespace=cfg.app_namespace,
                nats_pod_labels=net.nats_pod_labels,
                nats_port=net.nats_port,
                dns_namespace=net.dns_namespace,
                dns_pod_labels=net.dns_pod_labels,
                admin_network_policy=net.admin_network_policy,
                admin_network_policy_priority=net.admin_network_policy_priority,
                labels=labels,
                app_namespace_dependencies=app_ns,
            ),
            opts=after_app,
        )
        self.brain_access = BrainTaskAccess(
            f"{name}-brain-access",
            BrainTaskAccessArgs(
                task_namespace=self.task_namespace.namespace_name,
                app_namespace=cfg.app_namespace,
                brain_service_account=cfg.brain_access.service_account,
                app_namespace_grants=cfg.brain_access.app_namespace_grants,
                labels=labels,
                app_namespace_dependencies=app_ns,
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )

        self.external_secrets: ExternalSecrets | None = None
        if cfg.secret_store is not None:
            self.external_secrets = ExternalSecrets(
                f"{name}-secrets",
                ExternalSecretsArgs(
                    store=cfg.secret_store,
                    secrets=cfg.external_secrets,
                    app_namespace=cfg.app_namespace,
                    labels=labels,
                    app_namespace_dependencies=app_ns,
                ),
                opts=after_app,
            )
        self.admission: AdmissionPolicies | None = None
        if cfg.image_signature is not None:
            self.admission = AdmissionPolicies(
                f"{name}-admission",
                AdmissionPoliciesArgs(
                    namespaces=[cfg.app_namespace, cfg.task_namespace],
                    registries=cfg.registries,
                    signature=cfg.image_signature,
                    failure_action=cfg.admission.failure_action,
                    background=cfg.admission.background,
                    pod_security_version=cfg.pod_security.version,
                    required_labels={
                        "app.kubernetes.io/part-of": labels["app.kubernetes.io/part-of"],
                        "app.kubernetes.io/managed-by": labels["app.kubernetes.io/managed-by"],
                        "bakerst.io/environment": labels["bakerst.io/environment"],
                    },
                    labels=labels,
                ),
                opts=pulumi.ResourceOptions(parent=self),
            )

        self.hooks_runtime = HooksRuntime(
            f"{name}-hooks",
            HooksRuntimeArgs(
                name=cfg.hooks_runtime.config_map,
                namespace=cfg.app_namespace,
                audit=cfg.audit,
                rate_limits=cfg.rate_limits,
                budgets=cfg.budgets,
                model_prices=cfg.model_prices,
                guardrails=args.guardrails if args.guardrails is not None else GuardrailConfig(),
                labels=labels,
                service=service_document(cfg.hooks_sidecar, AUDIT_KEYS_DIR) if cfg.hooks_sidecar.enabled else None,
                app_namespace_dependencies=app_ns,
            ),
            opts=after_app,
        )
        self.hooks_sidecar: HooksSidecar | None = None
        if cfg.hooks_sidecar.enabled and args.upstream is not None:
            sidecar = cfg.hooks_sidecar
            self.hooks_sidecar = HooksSidecar(
                f"{name}-hooks-sidecar",
                HooksSidecarArgs(
                    namespace=cfg.app_namespace,
                    deployments=brain_workloads(args.upstream.objects),
                    port=sidecar.port,
                    brain_pod_labels={"app": "brain"},
                    ingress_namespace=sidecar.approvals_ingress_namespace,
                    state_size=sidecar.state_size,
                    storage_class=sidecar.storage_class,
                    labels=labels,
                    app_namespace_dependencies=app_ns,
                ),
                # Not after the app component (that would make the claims dependents of the brain Deployments and
                # delete them first, while pvc-protection holds a claim in use): its objects wait for the app
                # namespace alone, and the brain Deployments depend on the claims (state_claims).
                opts=pulumi.ResourceOptions(parent=self),
            )
        state_claims.set(self.hooks_sidecar.claims if self.hooks_sidecar is not None else [])

        self.exports: dict[str, Any] = {
            "environment": cfg.environment,
            "appNamespace": cfg.app_namespace,
            "taskNamespace": self.task_namespace.namespace_name,
            "taskServiceAccount": self.task_namespace.service_account_name,
            "brainTaskRole": self.brain_access.task_role_name,
            "taskNetworkPolicies": self.network_policies.policy_names,
            "appDeployed": self.app is not None,
            "secretStore": cfg.secret_store.name if cfg.secret_store is not None else None,
            "secretProvider": cfg.secret_store.provider if cfg.secret_store is not None else None,
            "admissionPolicies": self.admission.policy_names if self.admission is not None else [],
            "admissionFailureAction": cfg.admission.failure_action,
            # Runtime governance settings, for the hooks runtime and the stack policies.
            "rateLimits": cfg.rate_limits.model_dump(by_alias=True, mode="json"),
            "budgets": cfg.budgets.model_dump(by_alias=True, mode="json"),
            "hooksConfigMap": self.hooks_runtime.config_map_name,
            "auditSinks": [sink.type for sink in cfg.audit.sinks],
            "hooksSidecar": cfg.hooks_sidecar.enabled,
        }
        self.register_outputs(self.exports)
