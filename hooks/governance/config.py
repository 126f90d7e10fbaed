"""Runtime configuration of rate limits and budgets (pydantic, YAML-loadable, environment overrides).

Defaults match the stack config (``bakerst:rateLimits``, ``bakerst:budgets``). Keys may be written in
snake_case or in the stack's camelCase. The environment variables ``RATE_LIMIT_PER_USER``,
``RATE_LIMIT_GLOBAL``, ``COST_LIMIT_DAILY``, ``COST_LIMIT_MONTHLY`` and ``COST_FALLBACK_STRATEGY`` override
the file; a bad value is an error naming the variable. This module does not import ``components``: the hooks
runtime stays independent of the deployment code.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic.alias_generators import to_camel

from hooks.governance.money import usd_to_micros
from hooks.governance.pricing import ModelPrice, PriceTable, PricingError

FallbackStrategy = Literal["downgrade", "deny"]


class GovernanceConfigError(ValueError):
    """The configuration or an override cannot be used; the message names the key or variable."""


class _Strict(BaseModel):
    model_config = ConfigDict(
        extra="forbid", frozen=True, populate_by_name=True, alias_generator=to_camel, allow_inf_nan=False
    )


class RateLimitSettings(_Strict):
    per_user_per_minute: int = Field(default=30, ge=1, le=100_000, description="Requests per user per minute.")
    global_per_minute: int = Field(default=200, ge=1, le=10_000_000, description="Requests per minute, all users.")
    failure_mode: Literal["closed", "open"] = Field(
        default="closed", description="When the backend is unreachable: refuse (`closed`) or admit (`open`)."
    )
    exempt_paths: tuple[str, ...] = Field(
        default=("/healthz", "/readyz", "/livez", "/metrics"), description="Paths the ASGI middleware never limits."
    )


class BudgetSettings(_Strict):
    daily_usd: Decimal = Field(default=Decimal(50), gt=0, le=10_000_000, decimal_places=6)
    monthly_usd: Decimal = Field(default=Decimal(1000), gt=0, le=100_000_000, decimal_places=6)
    per_user_daily_usd: Decimal | None = Field(default=None, gt=0, le=10_000_000, decimal_places=6)
    per_user_monthly_usd: Decimal | None = Field(default=None, gt=0, le=100_000_000, decimal_places=6)
    alert_threshold: Decimal = Field(default=Decimal("0.8"), gt=0, lt=1, decimal_places=3)
    fallback_strategy: FallbackStrategy = "downgrade"
    default_max_output_tokens: int = Field(
        default=4096, ge=1, le=10_000_000, description="Output cap reserved for when a call sets none."
    )
    reservation_ttl_seconds: int = Field(
        default=900, ge=1, le=86_400, description="A reservation never settled stays charged and is forgotten."
    )

    def limits_micros(self) -> dict[tuple[str, str], int]:
        """``{(scope kind, period): limit}`` in micro-USD for every configured budget."""
        out = {("global", "day"): usd_to_micros(self.daily_usd), ("global", "month"): usd_to_micros(self.monthly_usd)}
        if self.per_user_daily_usd is not None:
            out["user", "day"] = usd_to_micros(self.per_user_daily_usd)
        if self.per_user_monthly_usd is not None:
            out["user", "month"] = usd_to_micros(self.per_user_monthly_usd)
        return out


class AlertSettings(_Strict):
    log: bool = Field(default=True, description="Log every budget alert (warning / critical).")
    webhook_url: str | None = Field(default=None, description="POST every budget alert as JSON here.")

    @field_validator("webhook_url")
    @classmethod
    def _http(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("https://", "http://")):
            raise ValueError("must be an http(s) URL")
        return value


class GovernanceConfig(_Strict):
    rate_limits: RateLimitSettings = Field(default_factory=RateLimitSettings)
    budgets: BudgetSettings = Field(default_factory=BudgetSettings)
    alerts: AlertSettings = Field(default_factory=AlertSettings)
    models: dict[str, ModelPrice] = Field(default_factory=dict, description="Price table and downgrade chains.")
    redis_url: str | None = Field(default=None, description="Shared state for several replicas; None = in-process.")
    key_prefix: str = Field(default="bakerst:gov", min_length=1, pattern=r"^[A-Za-z0-9:_.-]+$")

    @model_validator(mode="after")
    def _chains(self) -> GovernanceConfig:
        try:
            PriceTable(self.models)
        except PricingError as exc:
            raise ValueError(str(exc)) from None
        return self

    @field_validator("redis_url")
    @classmethod
    def _redis_scheme(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("must start with redis://, rediss:// or unix://")
        return value

    def price_table(self) -> PriceTable:
        return PriceTable(self.models)


def _int_env(name: str, raw: str, low: int, high: int) -> int:
    text = raw.strip()
    if not text.isdigit() or not low <= int(text) <= high:
        raise GovernanceConfigError(f"{name}={raw!r}: expected a whole number from {low} to {high}")
    return int(text)


def _usd_env(name: str, raw: str, high: int) -> Decimal:
    try:
        value = Decimal(raw.strip())
    except InvalidOperation:
        value = Decimal("NaN")
    if not value.is_finite() or not 0 < value <= high or value.as_tuple().exponent < -6:  # type: ignore[operator]
        raise GovernanceConfigError(
            f"{name}={raw!r}: expected a USD amount above 0 and at most {high}, with at most 6 decimals"
        )
    return value


def _overrides(env: Mapping[str, str]) -> dict[str, dict[str, Any]]:
    rate: dict[str, Any] = {}
    budget: dict[str, Any] = {}
    if (raw := env.get("RATE_LIMIT_PER_USER")) is not None:
        rate["per_user_per_minute"] = _int_env("RATE_LIMIT_PER_USER", raw, 1, 100_000)
    if (raw := env.get("RATE_LIMIT_GLOBAL")) is not None:
        rate["global_per_minute"] = _int_env("RATE_LIMIT_GLOBAL", raw, 1, 10_000_000)
    if (raw := env.get("COST_LIMIT_DAILY")) is not None:
        budget["daily_usd"] = _usd_env("COST_LIMIT_DAILY", raw, 10_000_000)
    if (raw := env.get("COST_LIMIT_MONTHLY")) is not None:
        budget["monthly_usd"] = _usd_env("COST_LIMIT_MONTHLY", raw, 100_000_000)
    if (raw := env.get("COST_FALLBACK_STRATEGY")) is not None:
        if raw.strip() not in ("downgrade", "deny"):
            raise GovernanceConfigError(f"COST_FALLBACK_STRATEGY={raw!r}: expected 'downgrade' or 'deny'")
        budget["fallback_strategy"] = raw.strip()
    return {"rate_limits": rate, "budgets": budget}


def _merge(base: dict[str, Any], section: str, values: dict[str, Any]) -> None:
    if not values:
        return
    current = base.get(section)
    if current is None:
        current = {}
    if not isinstance(current, dict):
        raise GovernanceConfigError(f"{section}: expected a mapping, got {type(current).__name__}")
    # Drop the camelCase spelling of an overridden key so the override wins whichever way the file wrote it.
    merged = {k: v for k, v in current.items() if k not in {to_camel(name) for name in values}}
    base[section] = {**merged, **values}


def build_governance_config(
    raw: Mapping[str, Any] | None = None, env: Mapping[str, str] | None = None
) -> GovernanceConfig:
    """Validate ``raw`` (the parsed YAML) with the environment overrides applied."""
    data: dict[str, Any] = dict(raw or {})
    overrides = _overrides(os.environ if env is None else env)
    for section, values in overrides.items():
        key = section if section in data or to_camel(section) not in data else to_camel(section)
        _merge(data, key, values)
    try:
        return GovernanceConfig.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or '(top level)'}: {err['msg']}" for err in exc.errors()
        )
        raise GovernanceConfigError(f"invalid governance configuration: {problems}") from None


def load_governance_config(path: str | Path | None = None, env: Mapping[str, str] | None = None) -> GovernanceConfig:
    """Read the YAML file at ``path`` (or start from the defaults) and apply the environment overrides."""
    raw: Any = {}
    if path is not None:
        try:
            raw = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise GovernanceConfigError(f"cannot read governance configuration {path}: {exc}") from None
        if not isinstance(raw, dict):
            raise GovernanceConfigError(f"{path}: the top level must be a mapping")
    return build_governance_config(raw, env)
