"""PII detectors and their validators: email, phone, card (Luhn + IIN), SSN rules, IBAN (mod-97), IPv4/IPv6.

The presidio-research corpus test reads ../shared at test time and skips when it is absent.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from hooks.sanitize.checksums import IBAN_LENGTHS, card_network, iban_valid, luhn_valid, shannon_entropy, ssn_valid
from hooks.sanitize.pii import PII_KINDS, scan_pii
from hooks.sanitize.sanitizer import Sanitizer

PRESIDIO = Path(__file__).resolve().parents[2].parent / "shared" / "corpora" / "presidio-research"


def found(text: str) -> set[tuple[str, str]]:
    return {(kind, text[start:end]) for kind, start, end in scan_pii(text)}


def kinds(text: str) -> set[str]:
    return {kind for kind, _, _ in scan_pii(text)}


def with_luhn_digit(prefix: str) -> str:
    """``prefix`` completed with the Luhn check digit."""
    for digit in "0123456789":
        if luhn_valid(prefix + digit):
            return prefix + digit
    raise AssertionError("unreachable")


def iban_with_check_digits(country: str, bban: str) -> str:
    for check in range(100):
        candidate = f"{country}{check:02d}{bban}"
        if iban_valid(candidate):
            return candidate
    raise AssertionError("unreachable")


# -------------------------------------------------------------------------------------------------------- checksums


@pytest.mark.parametrize(
    ("digits", "valid"),
    [("79927398713", True), ("4111111111111111", True), ("4111111111111112", False), ("0", True), ("", False)],
)
def test_luhn(digits: str, valid: bool) -> None:
    assert luhn_valid(digits) is valid


def test_luhn_rejects_non_digits() -> None:
    assert not luhn_valid("4111-1111-1111-1111")
    assert not luhn_valid("٤١١١١١١١١١١١١١١١")  # non-ASCII digits


@pytest.mark.parametrize(
    ("prefix", "length", "network"),
    [
        ("4", 16, "visa"),
        ("4", 13, "visa"),
        ("51", 16, "mastercard"),
        ("2221", 16, "mastercard"),
        ("2720", 16, "mastercard"),
        ("34", 15, "amex"),
        ("37", 15, "amex"),
        ("6011", 16, "discover"),
        ("65", 19, "discover"),
        ("3528", 16, "jcb"),
        ("3589", 19, "jcb"),
        ("1800", 15, "jcb"),
        ("300", 14, "diners"),
        ("36", 14, "diners"),
        ("6304", 12, "maestro"),
        ("2200", 16, "mir"),
    ],
)
def test_card_network(prefix: str, length: int, network: str) -> None:
    assert card_network(prefix + "0" * (length - len(prefix))) == network


@pytest.mark.parametrize(
    "digits",
    ["4" + "0" * 14, "34" + "0" * 14, "2721" + "0" * 12, "1234" + "0" * 12, "3527" + "0" * 12, "9" * 16, "4" * 20],
)
def test_card_network_rejects_wrong_range_or_length(digits: str) -> None:
    assert card_network(digits) is None


def test_iban_mod97_and_length_table() -> None:
    assert iban_valid("GB82WEST12345698765432")
    assert iban_valid("DE89370400440532013000")
    assert iban_valid("gb82west12345698765432")  # case-insensitive
    assert not iban_valid("GB83WEST12345698765432")  # check digits
    assert not iban_valid("GB82WEST1234569876543")  # length for GB is 22
    assert not iban_valid("ZZ82WEST12345698765432")  # unknown country
    assert not iban_valid("GB82 WEST 1234 5698 7654 32")  # compact form only
    assert IBAN_LENGTHS["DE"] == 22 and IBAN_LENGTHS["NO"] == 15 and IBAN_LENGTHS["MT"] == 31


@pytest.mark.parametrize(
    ("area", "group", "serial", "valid"),
    [
        ("123", "45", "6788", True),
        ("772", "10", "0001", True),
        ("000", "45", "6788", False),
        ("666", "45", "6788", False),
        ("900", "45", "6788", False),
        ("123", "00", "6788", False),
        ("123", "45", "0000", False),
        ("111", "11", "1111", False),
        ("078", "05", "1120", False),  # the Woolworth wallet number
        ("123", "45", "6789", False),  # the advertising placeholder
        ("12a", "45", "6788", False),
    ],
)
def test_ssn_rules(area: str, group: str, serial: str, valid: bool) -> None:
    assert ssn_valid(area, group, serial) is valid


def test_shannon_entropy() -> None:
    assert shannon_entropy("") == 0.0
    assert shannon_entropy("aaaa") == 0.0
    assert shannon_entropy("ab") == pytest.approx(1.0)
    assert shannon_entropy("0123456789abcdef") == pytest.approx(4.0)


# ------------------------------------------------------------------------------------------------------------ email


@pytest.mark.parametrize(
    "address", ["jane.doe@example.org", "a@b.co", "first.last+tag@mail.sub.example.co.uk", "x_y-z%1@host-1.io"]
)
def test_email(address: str) -> None:
    assert found(f"mail {address}, thanks") == {("pii.email", address)}


@pytest.mark.parametrize(
    "text",
    ["logo@2x.png", "user@localhost", "@mention only", "a@@b.com", "pkg@1.2.3", "email me at name at example dot com"],
)
def test_email_lookalikes(text: str) -> None:
    assert "pii.email" not in kinds(text)


# ------------------------------------------------------------------------------------------------------------ phone


@pytest.mark.parametrize(
    "phone",
    [
        "(415) 555-0134",
        "415-555-0134",
        "415.555.0134",
        "1-415-555-0134",
        "+1 415 555 0134",
        "+44 20 7946 0958",
        "+447700900123",
        "+41 (0)44 668 18 00",
        "+33 1 42 68 53 00",
        "020 7946 0958",
        "06 12 34 56 78",
        "0251 4470389",
        "(02) 9374 4000",
        "415-555-0134 x204",
        "(415)555-0134 ext. 12",
    ],
)
def test_phone_strong_formats(phone: str) -> None:
    assert found(f"see {phone} today") == {("pii.phone", phone)}


@pytest.mark.parametrize(
    ("text", "phone"),
    [
        ("Phone: 418 2273", "418 2273"),
        ("Mobile:\n614 920 387\n", "614 920 387"),
        ("Desk: 6172094415", "6172094415"),
        ("please call me on 8315 2046?", "8315 2046"),
        ("742 118 903 office", "742 118 903"),
        ("31-47-25-80 fax", "31-47-25-80"),
    ],
)
def test_phone_grouped_digits_with_context(text: str, phone: str) -> None:
    assert ("pii.phone", phone) in found(text)


@pytest.mark.parametrize(
    "text",
    [
        "released 2024-01-15 at 12:30:45",
        "2024-05-01 12:34:56,789 INFO started",
        "on 15.01.2024 and 01/15/2024",
        "version 1.2.3 and v10.15.7",
        "total $1,234,567.89",
        "order 1234567890 shipped",
        "id 123456789",
        "418 2273 widgets in stock",
        "office is at 17031 2202 Rissik St",
        "ISBN 978-3-16-148410-0",
        "coordinates 40.7128 -74.0060",
        "1 2 3 4 5 6 7 8 9 10",
    ],
)
def test_phone_lookalikes(text: str) -> None:
    assert "pii.phone" not in kinds(text)


# ------------------------------------------------------------------------------------------------------------- card

VISA = with_luhn_digit("411111111111111")
MASTERCARD = with_luhn_digit("555555555555444")
AMEX = with_luhn_digit("37828224631000")


@pytest.mark.parametrize(
    "card",
    [
        VISA,
        f"{VISA[:4]} {VISA[4:8]} {VISA[8:12]} {VISA[12:]}",
        f"{MASTERCARD[:4]}-{MASTERCARD[4:8]}-{MASTERCARD[8:12]}-{MASTERCARD[12:]}",
        f"{AMEX[:4]} {AMEX[4:10]} {AMEX[10:]}",
        with_luhn_digit("601100099990001"),
        with_luhn_digit("3530111333300000"[:15]),
        with_luhn_digit("63040000000"),  # 12-digit Maestro
    ],
)
def test_credit_card(card: str) -> None:
    assert found(f"paid with {card}.") == {("pii.credit_card", card)}


def test_card_inside_a_longer_row_of_groups() -> None:
    """Groups of four are split greedily: a valid card at the start of a longer row is still redacted."""
    grouped = f"{VISA[:4]} {VISA[4:8]} {VISA[8:12]} {VISA[12:]}"
    assert ("pii.credit_card", grouped) in found(f"{grouped} 1111 2222")


def test_card_outside_known_ranges_needs_context() -> None:
    unknown = with_luhn_digit("351012345678901")  # 35xx below JCB's 3528
    assert found(f"my card {unknown}") == {("pii.credit_card", unknown)}
    assert "pii.credit_card" not in kinds(f"row {unknown}")


@pytest.mark.parametrize(
    "text",
    [
        "4111111111111112",  # Luhn fails
        "1234 5678 1234 5678",  # Luhn fails (not redacted: see the module notes)
        "0000 0000 0000 0000",
        "ts=1700000000000",
        "9" * 16,
        "4" * 16,
        "41111111111111111111",  # 20 digits: no network
    ],
)
def test_credit_card_lookalikes(text: str) -> None:
    assert "pii.credit_card" not in kinds(text)


# -------------------------------------------------------------------------------------------------------------- SSN


@pytest.mark.parametrize("text", ["SSN 123-45-6788", "ssn: 772 10 0001", "social security number is 123456788"])
def test_ssn(text: str) -> None:
    assert "pii.us_ssn" in kinds(text)


@pytest.mark.parametrize(
    "text",
    ["000-12-3456", "666-12-3456", "912-34-5678", "123-00-4567", "123-45-0000", "id 123456788", "123-45-6789"],
)
def test_ssn_lookalikes(text: str) -> None:
    assert "pii.us_ssn" not in kinds(text)


# ------------------------------------------------------------------------------------------------------------- IBAN


@pytest.mark.parametrize(
    "iban",
    [
        "GB82WEST12345698765432",
        "GB82 WEST 1234 5698 7654 32",
        "DE89370400440532013000",
        "DE89 3704 0044 0532 0130 00",
        iban_with_check_digits("FR", "30006000011234567890189"),
        iban_with_check_digits("NO", "93860111794"),
    ],
)
def test_iban(iban: str) -> None:
    assert ("pii.iban", iban) in found(f"transfer to {iban} today")


def test_lowercase_iban_when_the_text_says_iban() -> None:
    assert ("pii.iban", "gb82west12345698765432") in found("my iban is gb82west12345698765432")


@pytest.mark.parametrize("text", ["GB83WEST12345698765432", "GB82WEST1234569876543", "XX82WEST12345698765432"])
def test_iban_lookalikes(text: str) -> None:
    assert "pii.iban" not in kinds(text)


# --------------------------------------------------------------------------------------------------------------- IP


@pytest.mark.parametrize(
    "address",
    [
        "192.168.10.24",
        "8.8.8.8",
        "255.255.255.0",
        "2001:db8::8a2e:370:7334",
        "fe80::1",
        "2001:0db8:85a3:0000:0000:8a2e:0370:7334",
    ],
)
def test_ip_addresses(address: str) -> None:
    assert found(f"from {address}.") == {("pii.ip_address", address)}


def test_cidr_keeps_the_prefix_length_visible() -> None:
    assert found("allow 10.20.0.0/16") == {("pii.ip_address", "10.20.0.0")}


@pytest.mark.parametrize(
    "text",
    [
        "256.1.1.1",
        "1.2.3",
        "v1.2.3.4",
        "1.2.3.4.5",
        "01.02.03.04",
        "127.0.0.1",
        "::1",
        "std::vector<int>",
        "00:1A:2B:3C:4D:5E",
        "12:30:45",
        "a::b::c",
    ],
)
def test_ip_lookalikes(text: str) -> None:
    assert "pii.ip_address" not in kinds(text)


def test_pii_kinds_filter() -> None:
    text = "jane@example.org 192.168.1.20"
    assert kinds(text) == {"pii.email", "pii.ip_address"}
    assert {kind for kind, _, _ in scan_pii(text, {"pii.email"})} == {"pii.email"}
    assert scan_pii(text, set()) == []
    assert len(PII_KINDS) == 6


# ----------------------------------------------------------------------------------------------- presidio corpus

ENTITY_OF_KIND = {
    "pii.email": "EMAIL_ADDRESS",
    "pii.phone": "PHONE_NUMBER",
    "pii.credit_card": "CREDIT_CARD",
    "pii.us_ssn": "US_SSN",
    "pii.iban": "IBAN_CODE",
    "pii.ip_address": "IP_ADDRESS",
}


@pytest.mark.skipif(
    not (PRESIDIO / "synth_dataset_v2.json").is_file(),
    reason="presidio-research corpus not found beside the repo (../shared/corpora/presidio-research)",
)
def test_presidio_synth_dataset_span_f2() -> None:
    """Span-level, one-to-one, same entity type and overlapping characters (see scripts/eval_sanitizer.py)."""
    sanitizer = Sanitizer()
    tp: Counter[str] = Counter()
    fp: Counter[str] = Counter()
    fn: Counter[str] = Counter()
    for sample in json.loads((PRESIDIO / "synth_dataset_v2.json").read_text()):
        text = sample["full_text"]
        gold = [
            (span["entity_type"], span["start_position"], span["end_position"])
            for span in sample["spans"]
            if span["entity_type"] in ENTITY_OF_KIND.values()
        ]
        pred = [(ENTITY_OF_KIND[f.kind], f.start, f.end) for f in sanitizer.scan(text) if f.kind in ENTITY_OF_KIND]
        used: set[int] = set()
        for entity, start, end in gold:
            match = next(
                (i for i, p in enumerate(pred) if i not in used and p[0] == entity and p[1] < end and start < p[2]),
                None,
            )
            if match is None:
                fn[entity] += 1
            else:
                used.add(match)
                tp[entity] += 1
        for index, (entity, _, _) in enumerate(pred):
            if index not in used:
                fp[entity] += 1

    def f2(t: int, f: int, n: int) -> float:
        precision, recall = t / (t + f) if t + f else 1.0, t / (t + n) if t + n else 1.0
        return 5 * precision * recall / (4 * precision + recall) if precision + recall else 0.0

    overall = f2(sum(tp.values()), sum(fp.values()), sum(fn.values()))
    assert overall >= 0.85, f"overall F2 {overall:.3f}"
    for entity in ENTITY_OF_KIND.values():
        assert f2(tp[entity], fp[entity], fn[entity]) >= 0.85, (
            f"{entity}: tp={tp[entity]} fp={fp[entity]} fn={fn[entity]}"
        )
