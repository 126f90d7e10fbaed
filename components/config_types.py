"""Scalar config types and the strict base model shared by every config group (pure pydantic, no Pulumi).

Each type validates one kind of value and, when it fails, says what is expected, e.g.
``is not a Kubernetes quantity, e.g. "2Gi" or "500m"``.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel
from pydantic_core import PydanticCustomError

from components.quantity import QuantityError, parse_quantity
from components.supported import NEWEST_KUBERNETES_MINOR, OLDEST_KUBERNETES_MINOR

#: Pulumi config namespace of every key.
CONFIG_NAMESPACE = "bakerst"

_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_LABEL_NAME = re.compile(r"^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)$")
_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_RESERVED_NAMESPACES = frozenset({"default", "kube-system", "kube-public", "kube-node-lease"})

#: Labels the project sets itself; ``commonLabels`` may not override them.
RESERVED_LABEL_KEYS = frozenset(
    {
        "app.kubernetes.io/managed-by",
        "app.kubernetes.io/part-of",
        "app.kubernetes.io/component",
        "bakerst.io/environment",
    }
)


class CrossFieldError(ValueError):
    """A constraint between fields failed; ``key`` is the dotted key to blame."""

    def __init__(self, key: str, value: object, reason: str) -> None:
        super().__init__(f"{key}: {reason}")
        self.key = key
        self.value = value
        self.reason = reason


# --------------------------------------------------------------------------------------
# Scalar types with messages that say what is expected
# --------------------------------------------------------------------------------------


def _quantity(value: str) -> str:
    try:
        parse_quantity(value)
    except QuantityError:
        raise PydanticCustomError("k8s_quantity", 'is not a Kubernetes quantity, e.g. "2Gi" or "500m"') from None
    return value


def _dns_label(value: str) -> str:
    if len(value) > 63 or not _DNS_LABEL.match(value):
        raise PydanticCustomError(
            "dns_label",
            'is not a DNS-1123 label (lower-case letters, digits and "-", at most 63), e.g. "bakerst-tasks"',
        )
    return value


def _namespace(value: str) -> str:
    _dns_label(value)
    if value in _RESERVED_NAMESPACES:
        raise PydanticCustomError(
            "reserved_namespace",
            'is a namespace Kubernetes reserves; choose a dedicated one, e.g. "bakerst-tasks"',
        )
    return value


def _label_key(key: str) -> str:
    prefix, _, name = key.rpartition("/")
    if (
        not name
        or len(name) > 63
        or not _LABEL_NAME.match(name)
        or (prefix and (len(prefix) > 253 or not _DNS_SUBDOMAIN.match(prefix)))
    ):
        raise PydanticCustomError("label_key", 'is not a Kubernetes label key, e.g. "team" or "example.com/team"')
    return key


def _label_value(value: str) -> str:
    if len(value) > 63 or not _LABEL_VALUE.match(value):
        raise PydanticCustomError(
            "label_value",
            'is not a Kubernetes label value (at most 63 letters, digits, "-", "_", "."), e.g. "payments"',
        )
    return value


def _pss_version(value: str) -> str:
    match = re.fullmatch(r"v1\.(\d+)", value)
    if match is None or not OLDEST_KUBERNETES_MINOR <= int(match[1]) <= NEWEST_KUBERNETES_MINOR:
        raise PydanticCustomError(
            "pss_version",
            "is not a pinned Pod Security version this project supports "
            f'(v1.{OLDEST_KUBERNETES_MINOR} to v1.{NEWEST_KUBERNETES_MINOR}; "latest" is not pinned), '
            f'e.g. "v1.{OLDEST_KUBERNETES_MINOR}"',
        )
    return value


Quantity = Annotated[str, AfterValidator(_quantity)]
DnsLabel = Annotated[str, AfterValidator(_dns_label)]
NamespaceName = Annotated[str, AfterValidator(_namespace)]
LabelKey = Annotated[str, AfterValidator(_label_key)]
LabelValue = Annotated[str, AfterValidator(_label_value)]
Labels = dict[LabelKey, LabelValue]
PodSecurityVersion = Annotated[str, AfterValidator(_pss_version)]
Port = Annotated[int, Field(ge=1, le=65535)]


class StrictModel(BaseModel):
    """Base: camelCase keys as in Pulumi config, unknown keys rejected, values frozen."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="forbid",
        frozen=True,
        validate_default=True,
    )


# --------------------------------------------------------------------------------------
# Supply chain and secrets
# --------------------------------------------------------------------------------------

_REGISTRY = r"(?:localhost|[a-z0-9]([-a-z0-9]*[a-z0-9])?(?:\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)+)(?::[0-9]{1,5})?"
_REPOSITORY = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*"
_DIGEST_REF = re.compile(rf"^(?P<registry>{_REGISTRY})/(?P<repository>{_REPOSITORY})@sha256:[0-9a-f]{{64}}$")
_REGISTRY_HOST = re.compile(rf"^{_REGISTRY}$")
_GO_DURATION = re.compile(r"^(?:0|(?:[0-9]+(?:\.[0-9]+)?(?:ns|us|µs|ms|s|m|h))+)$")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _digest_ref(value: str) -> str:
    if _DIGEST_REF.match(value) is None:
        if "@sha256:" not in value:
            raise PydanticCustomError(
                "digest_ref",
                'is not pinned by digest (a tag can be moved); use "registry.example/repo@sha256:<64 hex>"',
            )
        raise PydanticCustomError(
            "digest_ref",
            'is not a registry-qualified digest reference, e.g. "registry.example/bakerst/brain@sha256:<64 hex>"',
        )
    return value


def registry_of(reference: str) -> str:
    """The registry host (and port) of a digest reference validated by ``DigestImageRef``."""
    match = _DIGEST_REF.match(reference)
    if match is None:
        raise ValueError(f"{reference!r} is not a digest reference")
    return match["registry"]


def _registry_host(value: str) -> str:
    if _REGISTRY_HOST.match(value) is None:
        raise PydanticCustomError(
            "registry_host", 'is not a registry host (with a dot, optionally a port), e.g. "registry.example:5000"'
        )
    return value


def _https_url(value: str) -> str:
    if not re.match(r"^https://[^\s/$.?#][^\s]*$", value):
        raise PydanticCustomError("https_url", 'is not an https:// URL, e.g. "https://vault.example:8200"')
    return value


def _go_duration(value: str) -> str:
    if _GO_DURATION.match(value) is None:
        raise PydanticCustomError("go_duration", 'is not a duration, e.g. "1h", "15m" or "1h30m"')
    return value


def _env_name(value: str) -> str:
    if _ENV_NAME.match(value) is None:
        raise PydanticCustomError("env_name", 'is not an environment variable name, e.g. "ANTHROPIC_API_KEY"')
    return value


def _dns_subdomain(value: str) -> str:
    if len(value) > 253 or _DNS_SUBDOMAIN.match(value) is None:
        raise PydanticCustomError("dns_subdomain", 'is not a Kubernetes object name, e.g. "bakerst-brain-secrets"')
    return value


def _pem_public_key(value: str) -> str:
    text = value.strip()
    if not (text.startswith("-----BEGIN PUBLIC KEY-----") and text.endswith("-----END PUBLIC KEY-----")):
        raise PydanticCustomError(
            "pem_public_key", "is not a PEM public key (-----BEGIN PUBLIC KEY----- ... -----END PUBLIC KEY-----)"
        )
    return value


DigestImageRef = Annotated[str, AfterValidator(_digest_ref)]
RegistryHost = Annotated[str, AfterValidator(_registry_host)]
HttpsUrl = Annotated[str, AfterValidator(_https_url)]
GoDuration = Annotated[str, AfterValidator(_go_duration)]
EnvVarName = Annotated[str, AfterValidator(_env_name)]
ObjectName = Annotated[str, AfterValidator(_dns_subdomain)]
PemPublicKey = Annotated[str, AfterValidator(_pem_public_key)]
