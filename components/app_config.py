"""Config groups for wrapping the upstream app: image signing, secret store, ExternalSecrets, admission, hardening.

Pure pydantic. Constraints that span groups (an image's registry must be allowed, say) live in
``stack_config``; each group here checks only itself.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from components.config_types import (
    CrossFieldError,
    DnsLabel,
    EnvVarName,
    GoDuration,
    HttpsUrl,
    NamespaceName,
    ObjectName,
    PemPublicKey,
    Port,
    Quantity,
    StrictModel,
)
from hooks.service.config import AuthSettings

#: The Secret the brain rewrites at run time: External Secrets must never own it.
RUNTIME_SECRET = "bakerst-secrets"


# --------------------------------------------------------------------------------------------- image signatures


class KeySignature(StrictModel):
    """Images signed with cosign key pairs: Kyverno checks against these public keys."""

    public_keys: list[PemPublicKey] = Field(min_length=1, description="PEM public keys (any one may have signed).")
    ignore_tlog: bool = Field(
        default=False,
        description="Signatures are not in a transparency log (air-gapped signing, `cosign sign --tlog-upload=false`): "
        "Kyverno skips the Rekor check (`rekor.ignoreTlog`) and `deploy` signs without uploading.",
    )
    ignore_sct: bool = Field(
        default=False,
        description="Kyverno skips the certificate transparency check (`ctlog.ignoreSCT`), needed when the "
        "transparency log is unreachable (air-gapped).",
    )


class KeylessSignature(StrictModel):
    """Images signed keyless (Sigstore): Kyverno checks the certificate's issuer and subject."""

    issuer: HttpsUrl = Field(description="OIDC issuer of the signing identity, e.g. the CI provider's token issuer.")
    subject: str | None = Field(default=None, description="Exact certificate subject (signing identity).")
    subject_reg_exp: str | None = Field(default=None, description="Regular expression for the subject.")
    rekor_url: HttpsUrl = Field(default="https://rekor.sigstore.dev", description="Transparency log to check.")

    @model_validator(mode="after")
    def _one_subject(self) -> KeylessSignature:
        if len(_given(self, subject="subject", subjectRegExp="subject_reg_exp")) != 1:
            raise CrossFieldError(
                "imageSignature.keyless",
                {"subject": self.subject, "subjectRegExp": self.subject_reg_exp},
                "needs exactly one of subject or subjectRegExp: without it any identity from the issuer "
                "would pass, e.g. subjectRegExp: '^https://github.com/ORG/REPO/.github/workflows/.+$'",
            )
        return self


def _given(model: StrictModel, **fields: str) -> list[str]:
    """The config keys (camelCase names of ``fields``) whose attribute is set (not None, not empty), in order."""
    return [key for key, attribute in fields.items() if getattr(model, attribute) not in (None, "")]


class ImageSignatureConfig(StrictModel):
    """How images are signed: exactly one of `keys` or `keyless`."""

    keys: KeySignature | None = Field(default=None, description="Cosign public keys.")
    keyless: KeylessSignature | None = Field(default=None, description="Keyless (Sigstore) identity.")
    sbom_attestation: Literal["cyclonedx", "spdx", "none"] = Field(
        default="cyclonedx",
        description="SBOM attestation every image must carry, signed by the same identity (`none`: not required).",
    )

    @model_validator(mode="after")
    def _exactly_one(self) -> ImageSignatureConfig:
        if len(_given(self, keys="keys", keyless="keyless")) != 1:
            raise CrossFieldError(
                "imageSignature",
                None,
                "needs exactly one of keys or keyless (both or neither given)",
            )
        return self


# ------------------------------------------------------------------------------------------------ secret store


class ServiceAccountRef(StrictModel):
    """A ServiceAccount the store authenticates as."""

    name: DnsLabel = Field(description="ServiceAccount name.")
    namespace: NamespaceName = Field(description="ServiceAccount namespace.")


class VaultStore(StrictModel):
    """HashiCorp Vault, Kubernetes auth."""

    server: HttpsUrl = Field(description="Vault address, e.g. `https://vault.example:8200`.")
    path: str = Field(default="secret", min_length=1, description="KV mount path.")
    version: Literal["v1", "v2"] = Field(default="v2", description="KV engine version.")
    auth_mount_path: str = Field(default="kubernetes", min_length=1, description="Kubernetes auth mount path.")
    role: str = Field(min_length=1, description="Vault role bound to the ServiceAccount.")
    service_account: ServiceAccountRef | None = Field(
        default=None, description="ServiceAccount whose token is presented (default: the ESO controller's)."
    )


class AwsStore(StrictModel):
    """AWS Secrets Manager: assume a role, or authenticate as a ServiceAccount (IRSA / JWT)."""

    region: str = Field(pattern=r"^[a-z]{2}(-[a-z]+)+-[0-9]$", description="AWS region, e.g. `eu-west-1`.")
    role: str | None = Field(
        default=None, pattern=r"^arn:aws[a-z-]*:iam::[0-9]{12}:role/.+$", description="IAM role ARN to assume."
    )
    service_account: ServiceAccountRef | None = Field(default=None, description="ServiceAccount for JWT auth.")

    @model_validator(mode="after")
    def _some_auth(self) -> AwsStore:
        if self.role is None and self.service_account is None:
            raise CrossFieldError(
                "secretStore.aws",
                None,
                "needs role (an IAM role ARN) or serviceAccount (JWT auth), or both",
            )
        return self


class AzureStore(StrictModel):
    """Azure Key Vault, workload identity."""

    vault_url: HttpsUrl = Field(description="Key Vault URL, e.g. `https://bakerst.vault.azure.net`.")
    service_account: ServiceAccountRef = Field(description="ServiceAccount federated with the Azure identity.")
    tenant_id: str | None = Field(default=None, description="Entra tenant ID (default: from the ServiceAccount).")


class SecretStoreConfig(StrictModel):
    """The one ClusterSecretStore: exactly one of `vault`, `aws`, `azure`."""

    name: DnsLabel = Field(default="bakerst-secret-store", description="ClusterSecretStore name.")
    vault: VaultStore | None = Field(default=None, description="HashiCorp Vault provider.")
    aws: AwsStore | None = Field(default=None, description="AWS Secrets Manager provider.")
    azure: AzureStore | None = Field(default=None, description="Azure Key Vault provider.")

    @model_validator(mode="after")
    def _exactly_one(self) -> SecretStoreConfig:
        given = _given(self, vault="vault", aws="aws", azure="azure")
        if len(given) != 1:
            problem = f"two secret providers at once ({', '.join(given)})" if given else "no secret provider"
            raise CrossFieldError("secretStore", given, f"has {problem}; choose exactly one of vault, aws, azure")
        return self

    @property
    def provider(self) -> str:
        return next(name for name in ("vault", "aws", "azure") if getattr(self, name) is not None)


# --------------------------------------------------------------------------------------------- ExternalSecrets


class RemoteRef(StrictModel):
    """Where one secret value lives in the store."""

    key: str = Field(min_length=1, description="Remote key (secret name or path in the store).")
    property: str | None = Field(default=None, description="Property inside the remote secret, if structured.")


class ServiceSecrets(StrictModel):
    """The Kubernetes Secret one service consumes, and where each of its keys comes from."""

    target_secret: ObjectName = Field(description="Name of the Kubernetes Secret ESO creates.")
    data: dict[EnvVarName, RemoteRef] = Field(min_length=1, description="Secret key (env var) to remote reference.")

    @field_validator("target_secret")
    @classmethod
    def _not_runtime_secret(cls, value: str) -> str:
        if value == RUNTIME_SECRET:
            raise PydanticCustomError(
                "secret_runtime_owned",
                "is rewritten by the brain at run time; External Secrets must not own it (ESO would overwrite "
                "the brain's edits). Leave it out of externalSecrets.services",
            )
        return value


def _service(target: str, keys: tuple[str, ...], service: str) -> ServiceSecrets:
    return ServiceSecrets(
        target_secret=target,
        data={key: RemoteRef(key=f"bakerst/{service}", property=key) for key in keys},
    )


def default_services() -> dict[str, ServiceSecrets]:
    """The upstream secret inventory, credentials only (non-secret settings stay in plain config)."""
    return {
        "brain": _service(
            "bakerst-brain-secrets",
            ("ANTHROPIC_API_KEY", "OPENAI_API_KEY", "OPENROUTER_API_KEY", "VOYAGE_API_KEY", "AUTH_TOKEN"),
            "brain",
        ),
        "worker": _service(
            "bakerst-worker-secrets", ("ANTHROPIC_API_KEY", "OPENAI_API_KEY", "OPENROUTER_API_KEY"), "worker"
        ),
        "gateway": _service(
            "bakerst-gateway-secrets", ("AUTH_TOKEN", "TELEGRAM_BOT_TOKEN", "DISCORD_BOT_TOKEN"), "gateway"
        ),
    }


#: Services that must get their secrets from an ExternalSecret.
REQUIRED_SECRET_CONSUMERS = ("brain", "worker", "gateway")


class ExternalSecretsConfig(StrictModel):
    """One ExternalSecret per consuming service, refreshed from the ClusterSecretStore."""

    refresh_interval: GoDuration = Field(default="1h", description="How often ESO re-reads the store.")
    services: dict[DnsLabel, ServiceSecrets] = Field(
        default_factory=default_services,
        description="Per service: the target Secret and explicit remote keys (brain, worker, gateway at least).",
    )

    @model_validator(mode="after")
    def _required_consumers(self) -> ExternalSecretsConfig:
        missing = [name for name in REQUIRED_SECRET_CONSUMERS if name not in self.services]
        if missing:
            raise CrossFieldError(
                "externalSecrets.services",
                sorted(self.services),
                f"lacks {', '.join(missing)}; every consuming service needs its ExternalSecret",
            )
        targets = [s.target_secret for s in self.services.values()]
        if len(set(targets)) != len(targets):
            raise CrossFieldError(
                "externalSecrets.services", targets, "gives two services the same targetSecret; ESO would fight"
            )
        return self


# ---------------------------------------------------------------------------------------- admission, hardening


class AdmissionConfig(StrictModel):
    """Kyverno ClusterPolicies: what a violation does, and background scanning."""

    failure_action: Literal["Enforce", "Audit"] = Field(
        default="Enforce", description="`Enforce` blocks a violating request; `Audit` only reports it."
    )
    background: bool = Field(default=True, description="Also scan existing resources and report violations.")


class AppHardeningConfig(StrictModel):
    """How the upstream manifests are hardened on their way to the cluster."""

    image_pull_policy: Literal["Always", "IfNotPresent"] = Field(
        default="Always", description="Pull policy for every container (upstream uses `Never`)."
    )
    token_service_accounts: list[DnsLabel] = Field(
        default_factory=lambda: ["brain", "sysadmin"],
        description="ServiceAccounts whose pods keep an API token (they call the Kubernetes API); all others get none.",
    )
    sysadmin_access: Literal["read-only", "upstream"] = Field(
        default="read-only",
        description="`read-only`: the sysadmin Role may only read pods, logs, events and workloads; "
        "`upstream`: keep its broad Role (creates Roles and Secrets: a privilege-escalation path).",
    )
    run_as_user: int = Field(
        default=1000, ge=1, le=2**31 - 1, description="UID (and GID, fsGroup) for pods that set none (nats, qdrant)."
    )
    writable_paths: dict[DnsLabel, list[str]] = Field(
        default_factory=lambda: {"qdrant": ["/qdrant/snapshots"]},
        description="Per container name, paths that get an emptyDir because the root filesystem is read-only "
        "(`/tmp` is added for every container that lacks it).",
    )


# ------------------------------------------------------------------------------------------------- hooks sidecar


class SidecarResources(StrictModel):
    """Requests and limits of the hooks service container (the same pair for both keeps it Guaranteed-like)."""

    cpu: Quantity = Field(default="250m", description="CPU request and limit, e.g. `250m`.")
    memory: Quantity = Field(default="256Mi", description="Memory request and limit, e.g. `256Mi`.")


class HooksSidecarConfig(StrictModel):
    """The hooks service in the brain pod: a native sidecar the brain's adapter calls at every tool and LLM call."""

    enabled: bool = Field(
        default=False,
        description="Run the hooks service beside the brain and load the adapter into it (`NODE_OPTIONS=--import`).",
    )
    image: str = Field(
        default="bakerst-hardened-hooks",
        min_length=1,
        description="Key in `images` whose digest-pinned reference is the hooks service image (it also carries "
        "the adapter, copied into the brain pod by an init container).",
    )
    port: Port = Field(default=8181, description="Port of the hooks service (API and approvals page).")
    secrets_service: DnsLabel = Field(
        default="hooks",
        description="Entry of `externalSecrets.services` whose Secret holds the tokens named in `auth`, the audit "
        "checkpoint key (`AUDIT_CHECKPOINT_KEY`) and each brain Deployment's chain state "
        "(`AUDIT_WRITER_STATE_<DEPLOYMENT>`, e.g. `AUDIT_WRITER_STATE_BRAIN_BLUE`).",
    )
    auth: AuthSettings = Field(
        default_factory=lambda: AuthSettings(application_token_env="HOOKS_APP_TOKEN"),
        description="Token variables of the application and the approvers (the hooks service's `service.auth`).",
    )
    approvals_ingress_namespace: NamespaceName | None = Field(
        default=None,
        description="Namespace (your ingress controller's) allowed to reach the approvals page; unset: none.",
    )
    state_size: Quantity = Field(
        default="1Gi", description="Size of each brain Deployment's PersistentVolumeClaim for the audit spool and keys."
    )
    storage_class: DnsLabel | None = Field(default=None, description="StorageClass of that claim (unset: default).")
    resources: SidecarResources = Field(default_factory=SidecarResources)
