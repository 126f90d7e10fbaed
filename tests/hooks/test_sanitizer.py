"""The sanitizer as a whole: API and config, overlap resolution, placeholders, nested values, worst-case inputs."""

from __future__ import annotations

import dataclasses
import itertools
import random
import string
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path

import pydantic
import pytest

from hooks.sanitize import (
    DEFAULT_SECRET_KINDS,
    PII_KINDS,
    SECRET_KINDS,
    TOO_DEEP,
    Finding,
    Sanitizer,
    SanitizerConfig,
    SanitizeResult,
)
from hooks.sanitize.sanitizer import resolve_overlaps

REPO = Path(__file__).resolve().parents[2]
ALNUM = string.ascii_letters + string.digits


def rand(alphabet: str, length: int, seed: int = 0) -> str:
    rng = random.Random(f"{alphabet}{length}{seed}")
    return "".join(rng.choice(alphabet) for _ in range(length))


GITHUB_TOKEN = "ghp_" + rand(ALNUM, 36)
AWS_KEY_ID = "AKIA" + rand(string.ascii_uppercase + "234567", 16)
EMAIL = "jane.doe@example.org"
PHONE = "+1 415 555 0134"
CARD = "4111 1111 1111 1111"
SSN = "123-45-6788"
IBAN = "GB82 WEST 1234 5698 7654 32"
IP = "192.168.10.24"

SAMPLE = (
    f"token {GITHUB_TOKEN} and key {AWS_KEY_ID}; write to {EMAIL} or call {PHONE}. "
    f"Card {CARD}, SSN {SSN}, IBAN {IBAN}, host {IP}. postgres://app:Sup3r-s3cret@db.internal/prod"
)
VALUES = [GITHUB_TOKEN, AWS_KEY_ID, EMAIL, PHONE, CARD, SSN, IBAN, IP, "Sup3r-s3cret"]


# --------------------------------------------------------------------------------------------------------- API, config


def test_types_are_frozen() -> None:
    finding = Finding("pii.email", 0, 3)
    with pytest.raises(dataclasses.FrozenInstanceError):
        finding.start = 1  # type: ignore[misc]
    result = Sanitizer().sanitize(SAMPLE)
    assert isinstance(result, SanitizeResult)
    assert isinstance(result.counts, Mapping)
    with pytest.raises(TypeError):
        result.counts["pii.email"] = 0  # type: ignore[index]


def test_config_defaults_and_validation() -> None:
    config = SanitizerConfig()
    assert config.secrets and config.pii
    assert config.pii_kinds == PII_KINDS
    assert config.secret_kinds == DEFAULT_SECRET_KINDS <= SECRET_KINDS
    assert config.placeholder == "[REDACTED:{kind}]"
    with pytest.raises(pydantic.ValidationError):
        SanitizerConfig(unknown=True)  # type: ignore[call-arg]
    with pytest.raises(pydantic.ValidationError):
        SanitizerConfig(pii_kinds=frozenset({"pii.emial"}))
    with pytest.raises(pydantic.ValidationError):
        SanitizerConfig(secret_kinds=frozenset({"secret.nope"}))
    with pytest.raises(pydantic.ValidationError):
        SanitizerConfig(placeholder="")
    with pytest.raises(pydantic.ValidationError):
        config.pii = False  # type: ignore[misc]
    assert SanitizerConfig.model_validate({"pii_kinds": ["pii.email"]}).pii_kinds == frozenset({"pii.email"})


def test_scan_is_sorted_and_non_overlapping() -> None:
    findings = Sanitizer().scan(SAMPLE)
    assert findings == sorted(findings, key=lambda f: f.start)
    for before, after in itertools.pairwise(findings):
        assert before.end <= after.start
    assert {f.kind for f in findings} == {
        "secret.github_token",
        "secret.aws_access_key",
        "secret.connection_string",
        "pii.email",
        "pii.phone",
        "pii.credit_card",
        "pii.us_ssn",
        "pii.iban",
        "pii.ip_address",
    }
    for finding in findings:
        assert SAMPLE[finding.start : finding.end] in VALUES


def test_sanitize_replaces_with_typed_placeholders_and_counts() -> None:
    result = Sanitizer().sanitize(SAMPLE)
    for value in VALUES:
        assert value not in result.text
    assert "[REDACTED:secret.github_token]" in result.text
    assert "[REDACTED:pii.iban]" in result.text
    assert "@db.internal/prod" in result.text  # the host of a connection string stays readable
    assert dict(result.counts) == {
        "secret.github_token": 1,
        "secret.aws_access_key": 1,
        "secret.connection_string": 1,
        "pii.email": 1,
        "pii.phone": 1,
        "pii.credit_card": 1,
        "pii.us_ssn": 1,
        "pii.iban": 1,
        "pii.ip_address": 1,
    }


def test_clean_text_is_returned_unchanged() -> None:
    text = "The deployment finished in 42 s; 3 pods restarted (see runbook v1.2.3)."
    result = Sanitizer().sanitize(text)
    assert result.text is text
    assert dict(result.counts) == {}
    assert Sanitizer().sanitize("").text == ""


def test_custom_placeholder_and_disabled_detectors() -> None:
    sanitizer = Sanitizer(SanitizerConfig(placeholder="<{kind}>"))
    assert sanitizer.sanitize(f"mail {EMAIL}").text == "mail <pii.email>"
    assert Sanitizer(SanitizerConfig(placeholder="***")).sanitize(f"mail {EMAIL}").text == "mail ***"
    no_pii = Sanitizer(SanitizerConfig(pii=False)).sanitize(SAMPLE)
    assert EMAIL in no_pii.text and GITHUB_TOKEN not in no_pii.text
    no_secrets = Sanitizer(SanitizerConfig(secrets=False)).sanitize(SAMPLE)
    assert GITHUB_TOKEN in no_secrets.text and EMAIL not in no_secrets.text
    only_email = Sanitizer(SanitizerConfig(secrets=False, pii_kinds=frozenset({"pii.email"}))).sanitize(SAMPLE)
    # without the secret detectors, "Sup3r-s3cret@db.internal" of the connection string reads as an address
    assert dict(only_email.counts) == {"pii.email": 2}


def test_secret_beats_overlapping_pii() -> None:
    text = "postgres://bob:s3cretpw@db.example.com/app"  # "s3cretpw@db.example.com" also looks like an email
    findings = Sanitizer().scan(text)
    assert [(f.kind, text[f.start : f.end]) for f in findings] == [("secret.connection_string", "s3cretpw")]


def test_overlap_resolution_order() -> None:
    spans = [
        ("pii.phone", 0, 10),
        ("pii.iban", 0, 20),
        ("secret.password", 15, 25),
        ("pii.email", 30, 40),
        ("secret.generic_high_entropy", 50, 60),
        ("secret.github_token", 50, 60),
        ("pii.ip_address", 70, 70),
    ]
    assert resolve_overlaps(spans) == [
        ("pii.phone", 0, 10),  # the IBAN was longer but overlapped the secret; the phone still fits
        ("secret.password", 15, 25),
        ("pii.email", 30, 40),
        ("secret.github_token", 50, 60),  # same span: the specific kind wins over the generic one
    ]
    assert resolve_overlaps([("pii.phone", 0, 8), ("pii.credit_card", 0, 16)]) == [("pii.credit_card", 0, 16)]


@pytest.mark.parametrize("template", ["[REDACTED:{kind}]", "{kind}", "x", "[{kind}:{kind}]"])
def test_placeholders_never_leak_the_value(template: str) -> None:
    text = Sanitizer(SanitizerConfig(placeholder=template)).sanitize(SAMPLE).text
    squeezed = text.replace(" ", "")
    for value in VALUES:
        assert value not in text
        core = value.replace(" ", "")
        for start in range(len(core) - 7):  # no 8-character piece of any value survives either
            assert core[start : start + 8] not in squeezed, (value, template)


def test_sanitize_is_idempotent_and_stateless() -> None:
    sanitizer = Sanitizer()
    once = sanitizer.sanitize(SAMPLE)
    assert sanitizer.sanitize(once.text).text == once.text
    assert dict(sanitizer.sanitize(once.text).counts) == {}
    assert sanitizer.sanitize(SAMPLE) == once


# ---------------------------------------------------------------------------------------------------- sanitize_value


def test_sanitize_value_walks_json_like_values() -> None:
    value = {
        "user": {"email": EMAIL, "phones": [PHONE, "n/a"], "card": CARD},
        "hosts": (IP, "example.com"),
        "count": 3,
        "ok": True,
        "ratio": 0.5,
        "none": None,
        f"{EMAIL}": "keys are left as they are",
    }
    clean, counts = Sanitizer().sanitize_value(value)
    assert clean == {
        "user": {
            "email": "[REDACTED:pii.email]",
            "phones": ["[REDACTED:pii.phone]", "n/a"],
            "card": "[REDACTED:pii.credit_card]",
        },
        "hosts": ("[REDACTED:pii.ip_address]", "example.com"),
        "count": 3,
        "ok": True,
        "ratio": 0.5,
        "none": None,
        f"{EMAIL}": "keys are left as they are",
    }
    assert counts == {"pii.email": 1, "pii.phone": 1, "pii.credit_card": 1, "pii.ip_address": 1}
    assert value["user"]["email"] == EMAIL  # type: ignore[index]  # the input is not modified


def test_sanitize_value_keyed_secrets_and_context() -> None:
    value = {
        "password": "postgres",
        "api_key": rand(ALNUM, 32),
        "headers": {"Authorization": "Bearer " + rand(ALNUM, 40)},
        "token": None,
        "password_hint": "the dog's name",
        "phone": "418 2273",
        "order_id": "418 2273",
        "notes": f"rotate {GITHUB_TOKEN}",
    }
    clean, counts = Sanitizer().sanitize_value(value)
    assert clean == {
        "password": "[REDACTED:secret.password]",
        "api_key": "[REDACTED:secret.generic_high_entropy]",
        "headers": {"Authorization": "[REDACTED:secret.bearer_token]"},
        "token": None,
        "password_hint": "the dog's name",
        "phone": "[REDACTED:pii.phone]",  # the key is context for a bare digit group
        "order_id": "418 2273",
        "notes": "rotate [REDACTED:secret.github_token]",
    }
    assert counts == {
        "secret.password": 1,
        "secret.generic_high_entropy": 1,
        "secret.bearer_token": 1,
        "pii.phone": 1,
        "secret.github_token": 1,
    }


def test_sanitize_value_integers() -> None:
    card_number = int(CARD.replace(" ", ""))
    clean, counts = Sanitizer().sanitize_value({"card": card_number, "n": 10**12 + 7, "small": 42, "flag": True})
    assert clean == {"card": "[REDACTED:pii.credit_card]", "n": 10**12 + 7, "small": 42, "flag": True}
    assert counts == {"pii.credit_card": 1}


def test_sanitize_value_bounds_depth() -> None:
    deep: object = "leaf"
    for _ in range(5000):  # far deeper than the recursion limit: must not blow up
        deep = [deep]
    clean, counts = Sanitizer(SanitizerConfig(max_depth=4)).sanitize_value(deep)
    assert clean == [[[["[REDACTED:too-deep]"]]]]
    assert counts == {TOO_DEEP: 1}
    clean, counts = Sanitizer().sanitize_value({"a": {"b": [EMAIL]}})
    assert clean == {"a": {"b": ["[REDACTED:pii.email]"]}} and counts == {"pii.email": 1}


def test_sanitize_value_scalars_and_unknown_objects() -> None:
    sanitizer = Sanitizer()
    assert sanitizer.sanitize_value(EMAIL) == ("[REDACTED:pii.email]", {"pii.email": 1})
    assert sanitizer.sanitize_value(None) == (None, {})
    marker = object()
    assert sanitizer.sanitize_value(marker) == (marker, {})
    assert sanitizer.sanitize_value(b"bytes are not walked") == (b"bytes are not walked", {})


# ----------------------------------------------------------------------------------------------- worst-case inputs

N = 100_000
_rng = random.Random(7)
PATHOLOGICAL = {
    "digits": "7" * N,
    "random digits": "".join(_rng.choice(string.digits) for _ in range(N)),
    "at signs": "@" * N,
    "letters": "a" * N,
    "base64": "".join(_rng.choice(ALNUM + "+/") for _ in range(N)),
    "dotted words": "a." * (N // 2),
    "dotted digits": "1." * (N // 2),
    "spaced digits": "1 " * (N // 2),
    "spaced pairs": "12 " * (N // 3),
    "colons": ":" * N,
    "hex colons": "a:" * (N // 2),
    "dashes and digits": "1-" * (N // 2),
    "parentheses": "(" * N,
    "jwt prefixes": "eyJ" * (N // 3),
    "jwt-ish": "eyJabcdef." * (N // 10),
    "password=": "password=" * (N // 9),
    "authorization:": "authorization:" * (N // 14),
    "bearer": "bearer " * (N // 7),
    "scheme separators": "://" * (N // 3),
    "url userinfo": "http://a:b@" * (N // 11),
    "long email": "a." * (N // 4) + "@" + "b." * (N // 4) + "com",
    "pem without end": "-----BEGIN PRIVATE KEY-----\n" + "A" * N,
    "pem headers": "-----BEGIN RSA PRIVATE KEY-----\n" + "Proc-Type" * (N // 9),
    "curl flags": ' -u "' * (N // 5),
    "azure marker": "Q~" * (N // 2),
    "pipes": "|" * N,
    "key chain": "a" * N + "token=" + rand(ALNUM, 24),
    "ssn table": "123-45-6788 " * (N // 12),
    "phone table": "555 123 4567 " * (N // 13),
    "iban heads": "GB82 " * (N // 5),
    "upper+digits": "A1234567" * (N // 8),
    "timestamps": "2024-01-01 12 " * (N // 14),
    "quotes": 'token: "' * (N // 8),
    "xml": "<password>" * (N // 10),
    "mixed separators": "1 .-/()" * (N // 7),
}


@pytest.mark.parametrize("name", list(PATHOLOGICAL))
def test_worst_case_inputs_finish_quickly(name: str) -> None:
    text = PATHOLOGICAL[name]
    begin = time.perf_counter()
    Sanitizer().sanitize(text)
    elapsed = time.perf_counter() - begin
    assert elapsed < 1.0, f"{name}: {elapsed:.2f} s for {len(text)} chars"


def test_10kb_tool_output_is_fast() -> None:
    """A loose bound (the CI machine is noisy); scripts/eval_sanitizer.py --latency reports the real figures."""
    text = (SAMPLE + " " + "lorem ipsum dolor sit amet 2024-05-01 12:00 status=200 " * 20) * 4
    text = text[:10_240]
    sanitizer = Sanitizer()
    sanitizer.sanitize(text)
    begin = time.perf_counter()
    for _ in range(20):
        sanitizer.sanitize(text)
    assert (time.perf_counter() - begin) / 20 < 0.05


# ------------------------------------------------------------------------------------------------------- hygiene


def test_package_imports_no_pulumi_and_reads_no_files() -> None:
    code = (
        "import builtins, sys\n"
        "opened = []\n"
        "real_open = builtins.open\n"
        "builtins.open = lambda *a, **k: (opened.append(a[0]), real_open(*a, **k))[1]\n"
        "import hooks.sanitize\n"
        "hooks.sanitize.Sanitizer().sanitize('x@example.org')\n"
        "assert not any(m == 'pulumi' or m.startswith('pulumi.') for m in sys.modules), 'pulumi imported'\n"
        "assert not opened, opened\n"
    )
    subprocess.run([sys.executable, "-c", code], cwd=REPO, check=True, timeout=60)


def test_runtime_code_never_points_at_the_corpora() -> None:
    for path in (REPO / "hooks" / "sanitize").glob("*.py"):
        source = path.read_text()
        assert "corpora" not in source and "../shared" not in source and "/shared/" not in source, path
