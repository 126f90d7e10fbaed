"""Configuration: defaults match the stack config, environment overrides, clear errors, price table validation."""

from __future__ import annotations

import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from hooks.governance.config import GovernanceConfigError, build_governance_config, load_governance_config
from hooks.governance.pricing import PriceTable, PricingError, UnknownModelError
from tests.governance.helpers import PRICES


def test_defaults_match_the_stack_config() -> None:
    from components.stack_config import BudgetsConfig, RateLimitsConfig

    config = build_governance_config({}, env={})
    assert config.rate_limits.per_user_per_minute == RateLimitsConfig().per_user_per_minute == 30
    assert config.rate_limits.global_per_minute == RateLimitsConfig().global_per_minute == 200
    stack = BudgetsConfig()
    assert (config.budgets.daily_usd, config.budgets.monthly_usd) == (stack.daily_usd, stack.monthly_usd)
    assert config.budgets.alert_threshold == stack.alert_threshold
    assert config.budgets.fallback_strategy == stack.fallback_strategy == "downgrade"
    assert config.budgets.limits_micros() == {("global", "day"): 50_000_000, ("global", "month"): 1_000_000_000}


def test_yaml_in_either_spelling_and_environment_overrides(tmp_path: Path) -> None:
    path = tmp_path / "governance.yaml"
    path.write_text(
        "rateLimits: {perUserPerMinute: 10, globalPerMinute: 100}\n"
        "budgets: {daily_usd: 5, monthlyUsd: 80.5, perUserDailyUsd: 1, fallbackStrategy: deny}\n"
        "models:\n  m: {inputUsdPerMtok: 1, output_usd_per_mtok: 2}\n"
    )
    plain = load_governance_config(path, env={})
    assert (plain.rate_limits.per_user_per_minute, plain.budgets.monthly_usd) == (10, Decimal("80.5"))
    assert plain.budgets.limits_micros()[("user", "day")] == 1_000_000
    env = {
        "RATE_LIMIT_PER_USER": "7",
        "RATE_LIMIT_GLOBAL": "70",
        "COST_LIMIT_DAILY": "12.34",
        "COST_LIMIT_MONTHLY": "99",
        "COST_FALLBACK_STRATEGY": "downgrade",
    }
    config = load_governance_config(path, env=env)
    assert (config.rate_limits.per_user_per_minute, config.rate_limits.global_per_minute) == (7, 70)
    assert (config.budgets.daily_usd, config.budgets.monthly_usd) == (Decimal("12.34"), Decimal(99))
    assert config.budgets.fallback_strategy == "downgrade"
    assert config.price_table().estimate("m", 1_000_000, 1_000_000) == 3_000_000


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("RATE_LIMIT_PER_USER", "abc"),
        ("RATE_LIMIT_PER_USER", "0"),
        ("RATE_LIMIT_PER_USER", "-3"),
        ("RATE_LIMIT_PER_USER", "2.5"),
        ("RATE_LIMIT_GLOBAL", ""),
        ("COST_LIMIT_DAILY", "fifty"),
        ("COST_LIMIT_DAILY", "-1"),
        ("COST_LIMIT_DAILY", "0"),
        ("COST_LIMIT_DAILY", "NaN"),
        ("COST_LIMIT_MONTHLY", "Infinity"),
        ("COST_LIMIT_MONTHLY", "0.0000001"),
        ("COST_FALLBACK_STRATEGY", "cheapest"),
    ],
)
def test_bad_environment_values_name_the_variable(name: str, value: str) -> None:
    with pytest.raises(GovernanceConfigError, match=name):
        build_governance_config({}, env={name: value})


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"rateLimits": {"perUserPerMinte": 3}}, "perUserPerMinte"),
        ({"budgets": {"dailyUsd": -5}}, "budgets.dailyUsd"),
        ({"budgets": {"alertThreshold": 1.5}}, "alertThreshold"),
        ({"redisUrl": "http://x"}, "redisUrl"),
    ],
)
def test_bad_file_values_name_the_key(raw: dict[str, Any], message: str) -> None:
    with pytest.raises(GovernanceConfigError, match=message):
        build_governance_config(raw, env={})


def test_unreadable_or_non_mapping_files_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(GovernanceConfigError, match="cannot read"):
        load_governance_config(tmp_path / "missing.yaml", env={})
    (tmp_path / "list.yaml").write_text("- a\n")
    with pytest.raises(GovernanceConfigError, match="must be a mapping"):
        load_governance_config(tmp_path / "list.yaml", env={})


def _table(**changes: dict[str, Any]) -> PriceTable:
    return PriceTable.from_mapping({**PRICES, **changes})


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"input_usd_per_mtok": -1, "output_usd_per_mtok": 1}, "greater than or equal to 0"),
        ({"input_usd_per_mtok": "cheap", "output_usd_per_mtok": 1}, "decimal"),
        ({"input_usd_per_mtok": True, "output_usd_per_mtok": 1}, "must be a number"),
        ({"input_usd_per_mtok": None, "output_usd_per_mtok": 1}, "must be a number"),
        ({"input_usd_per_mtok": [1], "output_usd_per_mtok": 1}, "must be a number"),
        ({"input_usd_per_mtok": "NaN", "output_usd_per_mtok": 1}, "finite"),
        ({"input_usd_per_mtok": float("inf"), "output_usd_per_mtok": 1}, "finite"),
        ({"input_usd_per_mtok": 1}, "outputUsdPerMtok"),
        ({"input_usd_per_mtok": 1, "output_usd_per_mtok": 1, "price": 3}, "price"),
    ],
)
def test_bad_prices_are_errors_naming_the_model(entry: dict[str, Any], message: str) -> None:
    with pytest.raises(PricingError, match=rf"model 'bad'(.|\n)*{message}"):
        _table(bad=entry)


def test_unknown_model_in_the_downgrade_chain() -> None:
    with pytest.raises(UnknownModelError, match="fallback of 'bad' 'ghost' is not in the price table"):
        _table(bad={"input_usd_per_mtok": 1, "output_usd_per_mtok": 1, "fallback": "ghost"})


@pytest.mark.parametrize(
    ("models", "loop"),
    [
        ({"a": {"input_usd_per_mtok": 1, "output_usd_per_mtok": 1, "fallback": "a"}}, "a -> a"),
        (
            {
                "a": {"input_usd_per_mtok": 1, "output_usd_per_mtok": 1, "fallback": "b"},
                "b": {"input_usd_per_mtok": 1, "output_usd_per_mtok": 1, "fallback": "c"},
                "c": {"input_usd_per_mtok": 1, "output_usd_per_mtok": 1, "fallback": "a"},
            },
            "a -> b -> c -> a",
        ),
    ],
)
def test_a_cycle_in_the_downgrade_chain_is_an_error(models: dict[str, Any], loop: str) -> None:
    with pytest.raises(PricingError, match=f"has a cycle: {loop}"):
        PriceTable.from_mapping(models)
    with pytest.raises(GovernanceConfigError, match="cycle"):
        build_governance_config({"models": models}, env={})


def test_a_dearer_fallback_is_an_error() -> None:
    with pytest.raises(PricingError, match="fallback 'big' of 'cheap' costs more"):
        _table(cheap={"input_usd_per_mtok": "0.25", "output_usd_per_mtok": "1.25", "fallback": "big"})


def test_chain_order() -> None:
    assert _table().chain("big") == ("big", "mid", "small")
    assert _table().chain("small") == ("small",)


@pytest.mark.slow
def test_the_governance_package_imports_neither_pulumi_nor_components() -> None:
    code = (
        "import sys, hooks.governance, hooks.governance.backends.redis\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('pulumi', 'components'))\n"
        "print(bad); sys.exit(1 if bad else 0)\n"
    )
    root = Path(__file__).resolve().parents[2]
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=root, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
