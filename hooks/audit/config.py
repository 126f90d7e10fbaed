"""Runtime configuration of the audit trail: where events go and how tamper evidence is kept.

One pydantic model, loadable from YAML (the ``audit.yaml`` key of the hooks ConfigMap the stack renders) and used
as the type of the stack's ``bakerst:audit`` key, so the deployment and the runtime read one schema. Keys are
camelCase (snake_case accepted). Credentials are never part of it: a sink names the environment variable that
holds its token, and :func:`build_shippers` reads it, failing with the variable's name when it is unset.
"""

from __future__ import annotations

import os
import ssl
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError
from pydantic.alias_generators import to_camel

from hooks.audit.shippers.base import Shipper
from hooks.config_errors import invalid_message


class AuditConfigError(ValueError):
    """The audit configuration cannot be used; the message names the key or variable."""


class _Strict(BaseModel):
    model_config = ConfigDict(
        extra="forbid", frozen=True, populate_by_name=True, alias_generator=to_camel, allow_inf_nan=False
    )


def _http_url(value: str) -> str:
    if not value.startswith(("https://", "http://")) or len(value) < 10:
        raise ValueError("must be an http(s) URL, e.g. https://loki.example/loki/api/v1/push")
    return value


HttpUrl = Annotated[str, AfterValidator(_http_url)]


class LokiSink(_Strict):
    """Grafana Loki push API (JSON)."""

    type: Literal["loki"]
    url: HttpUrl = Field(description="Push endpoint, e.g. `https://loki.example/loki/api/v1/push`.")
    tenant: str | None = Field(default=None, description="`X-Scope-OrgID` tenant.")


class SplunkSink(_Strict):
    """Splunk HTTP Event Collector, with indexer acknowledgement."""

    type: Literal["splunk"]
    url: HttpUrl = Field(description="HEC base URL, e.g. `https://splunk.example:8088`.")
    token_env: str = Field(default="SPLUNK_HEC_TOKEN", pattern=r"^[A-Z_][A-Z0-9_]*$", description="Token variable.")
    index: str | None = Field(default=None, description="Target index (default: the token's).")


class DatadogSink(_Strict):
    """Datadog Logs intake v2."""

    type: Literal["datadog"]
    url: HttpUrl = Field(
        default="https://http-intake.logs.datadoghq.com/api/v2/logs", description="Intake URL of your site."
    )
    api_key_env: str = Field(default="DD_API_KEY", pattern=r"^[A-Z_][A-Z0-9_]*$", description="API key variable.")


class SyslogSink(_Strict):
    """RFC 5424 over TCP, octet-counted framing; TLS per RFC 5425."""

    type: Literal["syslog"]
    host: str = Field(min_length=1, description="Receiver host name or address.")
    port: int = Field(default=6514, ge=1, le=65535, description="Receiver port (6514 = syslog over TLS).")
    tls: bool = Field(default=True, description="Wrap the connection in TLS (verified against the system CAs).")


class FileSink(_Strict):
    """A local append-only JSON Lines file (a fallback, not a remote copy)."""

    type: Literal["file"]
    path: str = Field(min_length=1, description="File path inside the container.")


AuditSinkConfig = Annotated[LokiSink | SplunkSink | DatadogSink | SyslogSink | FileSink, Field(discriminator="type")]

#: Sink types that put a copy of the trail outside the workload's reach.
REMOTE_SINK_TYPES = frozenset({"loki", "splunk", "datadog", "syslog"})


def sink_is_remote(sink: Mapping[str, Any] | BaseModel) -> bool:
    data = sink.model_dump() if isinstance(sink, BaseModel) else dict(sink)
    return data.get("type") in REMOTE_SINK_TYPES


def sink_uses_tls(sink: Mapping[str, Any] | BaseModel) -> bool:
    data = sink.model_dump() if isinstance(sink, BaseModel) else dict(sink)
    if data.get("type") == "syslog":
        return bool(data.get("tls", True))
    return str(data.get("url", "")).startswith("https://")


class AuditRuntimeConfig(_Strict):
    """The audit trail of the hooks runtime."""

    tamper_evidence: bool = Field(
        default=True, description="HMAC chain with key ratchet, Merkle roots and signed checkpoints on every record."
    )
    flush_interval_seconds: float = Field(
        default=5.0, gt=0, le=60, description="Longest time an event waits in memory before it is chained and spooled."
    )
    flush_events: int = Field(default=100, ge=1, le=100_000, description="Flush as soon as this many events wait.")
    checkpoint_interval_seconds: float = Field(
        default=60.0, gt=0, le=3600, description="Signed checkpoint at least this often, even when idle."
    )
    spool_dir: str = Field(default="/var/lib/bakerst/audit", min_length=1, description="On-disk spool and DLQ.")
    sinks: list[AuditSinkConfig] = Field(
        default_factory=list, description="Where the trail is shipped (loki, splunk, datadog, syslog, file)."
    )

    def remote_sinks(self) -> list[AuditSinkConfig]:
        return [s for s in self.sinks if sink_is_remote(s)]


def parse_audit_config(data: Any, source: str = "audit config") -> AuditRuntimeConfig:
    try:
        return AuditRuntimeConfig.model_validate(data or {})
    except ValidationError as exc:
        raise AuditConfigError(invalid_message(source, exc)) from None


def load_audit_config(path: Path) -> AuditRuntimeConfig:
    """Read and validate an ``audit.yaml``."""
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise AuditConfigError(f"{path}: cannot read the audit config: {exc}") from None
    return parse_audit_config(data, str(path))


def _env(env: Mapping[str, str], name: str, sink: str) -> str:
    value = env.get(name, "")
    if not value:
        raise AuditConfigError(f"{sink} sink: environment variable {name} is unset or empty; set it to the token")
    return value


def build_shippers(cfg: AuditRuntimeConfig, env: Mapping[str, str] | None = None) -> list[Shipper]:
    """One shipper per configured sink (credentials from ``env``, default ``os.environ``)."""
    from hooks.audit.shippers.datadog import DatadogShipper
    from hooks.audit.shippers.file import FileShipper
    from hooks.audit.shippers.loki import LokiShipper
    from hooks.audit.shippers.splunk import SplunkHecShipper
    from hooks.audit.shippers.syslog import SyslogShipper

    env = os.environ if env is None else env
    shippers: list[Shipper] = []
    for sink in cfg.sinks:
        if isinstance(sink, LokiSink):
            shippers.append(LokiShipper(sink.url, tenant=sink.tenant))
        elif isinstance(sink, SplunkSink):
            shippers.append(SplunkHecShipper(sink.url, _env(env, sink.token_env, "splunk"), index=sink.index))
        elif isinstance(sink, DatadogSink):
            shippers.append(DatadogShipper(sink.url, _env(env, sink.api_key_env, "datadog")))
        elif isinstance(sink, SyslogSink):
            context = ssl.create_default_context() if sink.tls else None
            shippers.append(SyslogShipper(sink.host, sink.port, tls=context))
        else:
            shippers.append(FileShipper(Path(sink.path)))
    return shippers
