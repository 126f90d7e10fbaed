"""The writer's fast paths accept, reject and produce exactly what the general code does."""

from __future__ import annotations

import enum
from collections import OrderedDict
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from hooks.audit.canonical import CanonicalError, _check_general, check_canonical
from hooks.audit.taxonomy import _obviously_clean, default_sanitizer, format_ts
from hooks.sanitize.sanitizer import Sanitizer


class Level(enum.IntEnum):
    HIGH = 3


class Name(str):
    pass


CASES: list[Any] = [
    None, True, 0, -(10**30), "x", "é", Level.HIGH, Name("k"),
    {"a": 1, "b": [1, "x", None, {"c": True}]}, {Name("k"): 1}, {"é": 1}, {1: "x"}, {"a": 1.5}, [1, [2, [3.0]]],
    ({"a": (1, 2)},), OrderedDict(a=1), {"a": OrderedDict(b=2.0)}, {"a": {1, 2}}, 1.0, b"bytes", {"a": b"x"},
]  # fmt: skip


def _outcome(check: Any, value: Any) -> str | None:
    try:
        check(value, "$")
    except CanonicalError as exc:
        return str(exc)
    return None


@pytest.mark.parametrize("value", CASES)
def test_check_canonical_matches_the_general_walk(value: Any) -> None:
    assert _outcome(check_canonical, value) == _outcome(_check_general, value)


def _old_format(ts: datetime) -> str:
    if ts.tzinfo is None:
        ts = ts.replace(tzinfo=UTC)
    return ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@pytest.mark.parametrize("tz", [None, UTC, timezone(timedelta(hours=5, minutes=30)), timezone(timedelta(hours=-8))])
@pytest.mark.parametrize("micro", [0, 7, 999_999])
@pytest.mark.parametrize("year", [1, 999, 1000, 2026, 9999])
def test_format_ts_matches_strftime(tz: timezone | None, micro: int, year: int) -> None:
    ts = datetime(year, 6, 15, 23, 59, 58, micro, tzinfo=tz)
    assert format_ts(ts) == _old_format(ts)


VALUES: list[Any] = [
    None, True, False, 0, 12, -(10**8) + 1, 10**8 - 1, 10**8, -(10**8), 4111111111111111, "", "ab", "12345",
    "abcde", "abcdef", "4111111111111111", "a@b.io", "sk-live-0123456789abcdef0123", "ls -la /tmp/1",
    {"password": "abc"}, {"n": 5}, ["a@b.io"],
]  # fmt: skip


@pytest.mark.parametrize("value", VALUES)
def test_obviously_clean_values_are_ones_the_sanitizer_leaves_alone(value: Any) -> None:
    if _obviously_clean(value):
        out, counts = Sanitizer().sanitize_value(value)
        assert out == value
        assert type(out) is type(value)
        assert counts == {}


def test_detail_sanitizer_still_redacts_inputs() -> None:
    sanitize = default_sanitizer()
    secret = "hunter2-" + "x7Q"
    detail = sanitize({"tool": "x", "input": {"password": secret, "n": 3}, "reason": "mail a@b.io", "error": 7})
    assert secret not in str(detail)
    assert "a@b.io" not in detail["reason"]
    assert detail["input"]["n"] == 3
    assert detail["error"] == 7
