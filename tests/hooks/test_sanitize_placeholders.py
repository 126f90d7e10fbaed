"""Generic high-entropy values: typed filler (long sequential runs) and mixed-case hex are not secrets; random
values of the same shape still are."""

from __future__ import annotations

import random
import string

import pytest

from hooks.sanitize.secrets import GENERIC, _has_sequential_run, scan_secrets


def _kinds(text: str) -> set[str]:
    return {kind for kind, _, _ in scan_secrets(text)}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("tok123456789012345678ab", True),  # digits, cyclic 9 -> 0
        ("abcdefghijklmnop", True),
        ("ZYXWVUTSRQPO", True),  # descending, any case
        ("9876543210987", True),
        ("12345678-ABCD-ABCD-ABCD-1234567890AB", False),  # runs shorter than 12 are left to the other tests
        ("5cb4a5f04cd412fe946667b17f0129ba", False),
        ("", False),
    ],
)
def test_sequential_runs(value: str, expected: bool) -> None:
    assert _has_sequential_run(value) is expected


@pytest.mark.parametrize(
    "text",
    [
        "SERVICE_TOKEN=svc123456789012345678a9bc01234defg5",
        "api_key: 'abcdefghijklmnopqrstuvwx42'",
        "vendor_api_key: acdeFf05b1a6d4c890237bf08c5e6e8d2b4d0f2e",  # hex in both cases: typed by hand
    ],
)
def test_typed_filler_is_not_a_generic_secret(text: str) -> None:
    assert GENERIC not in _kinds(text)


def test_random_values_of_the_same_shapes_are_still_secrets() -> None:
    rng = random.Random(11)
    for _ in range(200):
        hex_value = "".join(rng.choice("0123456789abcdef") for _ in range(40))
        b62_value = "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(32))
        assert GENERIC in _kinds(f"vendor_api_key: {hex_value}"), hex_value
        assert GENERIC in _kinds(f"vendor_api_key: {hex_value.upper()}"), hex_value
        assert GENERIC in _kinds(f"SERVICE_TOKEN={b62_value}"), b62_value


def test_a_long_value_is_checked_in_linear_time() -> None:
    value = "0123456789" * 400  # 4,000 characters, one long run
    assert _has_sequential_run(value)
    assert not _has_sequential_run("0a" * 2_000)
