"""Validators used by the detectors: Luhn, card IIN ranges, IBAN mod-97, US SSN rules, Shannon entropy.

Pure functions over short strings; nothing here looks at surrounding text.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from types import MappingProxyType

__all__ = [
    "IBAN_LENGTHS",
    "card_network",
    "iban_valid",
    "luhn_valid",
    "shannon_entropy",
    "ssn_valid",
]


def luhn_valid(digits: str) -> bool:
    """Luhn (mod-10) check over a string of ASCII digits (no separators)."""
    if not digits or not digits.isascii() or not digits.isdigit():
        return False
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = ord(char) - 48
        if index % 2:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


# (first digits low, first digits high, allowed lengths, network). Prefix ranges compare on the same number of
# leading digits as the bounds have. Sources: the card networks' published IIN tables (ISO/IEC 7812 assignments).
_VISA_LENGTHS = frozenset({13, 16, 19})
_LONG = frozenset(range(16, 20))
_IIN_RANGES: tuple[tuple[str, str, frozenset[int], str], ...] = (
    ("4", "4", _VISA_LENGTHS, "visa"),
    ("51", "55", frozenset({16}), "mastercard"),
    ("2221", "2720", frozenset({16}), "mastercard"),
    ("34", "34", frozenset({15}), "amex"),
    ("37", "37", frozenset({15}), "amex"),
    ("6011", "6011", _LONG, "discover"),
    ("644", "649", _LONG, "discover"),
    ("65", "65", _LONG, "discover"),
    ("62", "62", _LONG, "unionpay"),
    ("300", "305", frozenset(range(14, 20)), "diners"),
    ("3095", "3095", frozenset(range(14, 20)), "diners"),
    ("36", "36", frozenset(range(14, 20)), "diners"),
    ("38", "39", frozenset(range(14, 20)), "diners"),
    ("3528", "3589", _LONG, "jcb"),
    ("1800", "1800", frozenset({15}), "jcb"),
    ("2131", "2131", frozenset({15}), "jcb"),
    ("2200", "2204", _LONG, "mir"),
    ("50", "50", frozenset(range(12, 20)), "maestro"),
    ("56", "69", frozenset(range(12, 20)), "maestro"),
)


def card_network(digits: str) -> str | None:
    """The card network whose IIN range and length ``digits`` fits, or None. Does not check Luhn."""
    length = len(digits)
    if length < 12 or length > 19 or not digits.isdigit():
        return None
    for low, high, lengths, network in _IIN_RANGES:
        if length in lengths and low <= digits[: len(low)] <= high:
            return network
    return None


# ISO 13616 IBAN lengths per country (the SWIFT IBAN registry).
IBAN_LENGTHS: Mapping[str, int] = MappingProxyType(
    {
        "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22, "BI": 27,
        "BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DJ": 27, "DK": 18, "DO": 28,
        "EE": 20, "EG": 29, "ES": 24, "FI": 18, "FK": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23,
        "GL": 18, "GR": 27, "GT": 28, "HN": 28, "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26,
        "IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LC": 32, "LI": 21, "LT": 20, "LU": 20, "LV": 21,
        "LY": 25, "MC": 27, "MD": 24, "ME": 22, "MK": 19, "MN": 20, "MR": 27, "MT": 31, "MU": 30, "NI": 28,
        "NL": 18, "NO": 15, "OM": 23, "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22,
        "RU": 33, "SA": 24, "SC": 31, "SD": 18, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "SO": 23, "ST": 25,
        "SV": 28, "TL": 23, "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20, "YE": 30,
    }
)  # fmt: skip


def iban_valid(iban: str) -> bool:
    """Country length table + ISO 7064 mod-97-10 over a compact IBAN (letters any case, no spaces)."""
    iban = iban.upper()
    if len(iban) < 15 or not iban.isascii() or not iban.isalnum():
        return False
    if IBAN_LENGTHS.get(iban[:2]) != len(iban) or not iban[2:4].isdigit():
        return False
    rearranged = iban[4:] + iban[:4]
    remainder = 0
    for char in rearranged:
        # Digits stay, letters become 10..35; fold into the running remainder one or two digits at a time.
        value = ord(char) - 48 if char.isdigit() else ord(char) - 55
        remainder = (remainder * (100 if value > 9 else 10) + value) % 97
    return remainder == 1


# Numbers that satisfy the structural rules but are publicly known non-personal (advertising, documentation).
_SSN_KNOWN_INVALID = frozenset({"078051120", "219099999", "123456789"})


def ssn_valid(area: str, group: str, serial: str) -> bool:
    """US SSN structural rules: area not 000/666/9xx, group not 00, serial not 0000, not one repeated digit."""
    if len(area) != 3 or len(group) != 2 or len(serial) != 4:
        return False
    if not (area + group + serial).isdigit():
        return False
    if area in ("000", "666") or area[0] == "9" or group == "00" or serial == "0000":
        return False
    joined = area + group + serial
    return len(set(joined)) > 1 and joined not in _SSN_KNOWN_INVALID


def shannon_entropy(value: str) -> float:
    """Shannon entropy in bits per character of ``value`` (0.0 for the empty string)."""
    length = len(value)
    entropy = 0.0
    for char in set(value):
        share = value.count(char) / length
        entropy -= share * math.log2(share)
    return entropy
