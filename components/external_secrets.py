"""ExternalSecrets: one ClusterSecretStore (Vault, AWS Secrets Manager or Azure Key Vault) and one
ExternalSecret per consuming service, so no secret value ever passes through config or state.

``bakerst-secrets`` is deliberately absent: the brain rewrites it at run time, and an ESO owner
would overwrite those edits (config validation refuses it as a target).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.app_config import ExternalSecretsConfig, SecretStoreConfig, ServiceAccountRef
from components.labels import component_labels
from components.ordering import Dependencies, after

API_VERSION = "external-secrets.io/v1"


@dataclass(frozen=True)
class ExternalSecretsArgs:
    """Inputs of ``ExternalSecrets``."""

    store: SecretStoreConfig
    secrets: ExternalSecretsConfig
    app_namespace: str
    """Namespace of the consuming services (the only namespace allowed to use the store)."""
    labels: Mapping[str, str]
    app_namespace_dependencies: Dependencies = ()
    """What creates the app namespace (``BakerStreetApp.namespace_resources``): each ExternalSecret waits for it."""


def _sa_ref(ref: ServiceAccountRef) -> dict[str, str]:
    return {"name": ref.name, "namespace": ref.namespace}


def provider_spec(store: SecretStoreConfig) -> dict[str, Any]:
    """The ``spec.provider`` block for the one configured provider."""
    if store.vault is not None:
        kubernetes_auth: dict[str, Any] = {"mountPath": store.vault.auth_mount_path, "role": store.vault.role}
        if store.vault.service_account is not None:
            kubernetes_auth["serviceAccountRef"] = _sa_ref(store.vault.service_account)
        return {
            "vault": {
                "server": store.vault.server,
                "path": store.vault.path,
                "version": store.vault.version,
                "auth": {"kubernetes": kubernetes_auth},
            }
        }
    if store.aws is not None:
        aws: dict[str, Any] = {"service": "SecretsManager", "region": store.aws.region}
        if store.aws.role is not None:
            aws["role"] = store.aws.role
        if store.aws.service_account is not None:
            aws["auth"] = {"jwt": {"serviceAccountRef": _sa_ref(store.aws.service_account)}}
        return {"aws": aws}
    assert store.azure is not None  # exactly one provider is guaranteed by SecretStoreConfig
    azure: dict[str, Any] = {
        "vaultUrl": store.azure.vault_url,
        "authType": "WorkloadIdentity",
        "serviceAccountRef": _sa_ref(store.azure.service_account),
    }
    if store.azure.tenant_id is not None:
        azure["tenantId"] = store.azure.tenant_id
    return {"azurekv": azure}


class ExternalSecrets(pulumi.ComponentResource):
    """The ClusterSecretStore and one ExternalSecret per consuming service."""

    store_name: pulumi.Output[str]

    def __init__(self, name: str, args: ExternalSecretsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("bakerst:secrets:ExternalSecrets", name, {}, opts)
        labels = component_labels(args.labels, "external-secrets")
        self.store = k8s.apiextensions.CustomResource(
            f"{name}-store",
            api_version=API_VERSION,
            kind="ClusterSecretStore",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=args.store.name, labels=labels),
            spec={
                # Only the app namespace may read through this cluster-wide store.
                "conditions": [{"namespaces": [args.app_namespace]}],
                "provider": provider_spec(args.store),
            },
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.external_secrets: dict[str, k8s.apiextensions.CustomResource] = {}
        for service, secrets in sorted(args.secrets.services.items()):
            self.external_secrets[service] = k8s.apiextensions.CustomResource(
                f"{name}-{service}",
                api_version=API_VERSION,
                kind="ExternalSecret",
                metadata=k8s.meta.v1.ObjectMetaArgs(
                    name=secrets.target_secret, namespace=args.app_namespace, labels=labels
                ),
                spec={
                    "refreshInterval": args.secrets.refresh_interval,
                    "secretStoreRef": {"kind": "ClusterSecretStore", "name": args.store.name},
                    "target": {
                        "name": secrets.target_secret,
                        "creationPolicy": "Owner",
                        "deletionPolicy": "Retain",
                        "template": {"metadata": {"labels": dict(labels)}},
                    },
                    "data": [
                        {
                            "secretKey": key,
                            "remoteRef": {"key": ref.key, **({"property": ref.property} if ref.property else {})},
                        }
                        for key, ref in sorted(secrets.data.items())
                    ],
                },
                opts=pulumi.ResourceOptions(parent=self, depends_on=after(args.app_namespace_dependencies, self.store)),
            )
        self.store_name = pulumi.Output.from_input(args.store.name)
        self.register_outputs({"storeName": self.store_name})
