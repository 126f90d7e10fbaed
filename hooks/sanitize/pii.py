"""PII detectors: email, phone, credit card (Luhn + IIN), US SSN (validity rules), IBAN (length table + mod-97), IP.

Numbers are found by one scan for digit runs (digits with ``space . - / ( )`` between them); each run is split into
whitespace-separated chunks and the longest leading group of chunks that validates as one of the numeric kinds is
reported. Emails are found from each ``@``, IPv6 addresses from each ``::`` or ``:h:h:``. No regex nests unbounded
quantifiers; the runs they start from are bounded or anchored on a literal.

Decisions:

- card: 12-19 digits (bare, or in groups split by one kind of separator) that pass Luhn and fall in a known IIN range
  with that network's lengths, or pass Luhn after a card word ("card", "cc", "visa" ...). A Luhn-invalid
  card-shaped number ("1234-5678-1234-5678") is not redacted.
- phone: strong formats need no context (``+<country>``; NANP with separators or parentheses; ``(area) ...``; a
  trunk ``0`` with 10-11 digits in groups). Other digit groups and bare 10-11 digit numbers need a phone word before
  them ("call me on", "Phone:", "Fax:") or a label after ("office", "fax"); dates, ISO timestamps and ``/`` are out.
- SSN: ``ddd-dd-dddd`` / ``ddd dd dddd`` passing the SSA rules anywhere; 9 bare digits only after "SSN".
- IBAN: compact or in groups of four; uppercase anywhere, lowercase only when the text mentions "IBAN".
- IP: IPv4 with valid octets, not part of a longer dotted number (``v1.2.3.4``, ``1.2.3.4.5``); IPv6 as validated
  by :mod:`ipaddress`. Loopback / unspecified / broadcast addresses are not personal and are kept.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable

from hooks.sanitize.checksums import IBAN_LENGTHS, card_network, iban_valid, luhn_valid, ssn_valid

__all__ = ["PII_KINDS", "Span", "scan_pii"]

Span = tuple[str, int, int]

EMAIL = "pii.email"
PHONE = "pii.phone"
CREDIT_CARD = "pii.credit_card"
US_SSN = "pii.us_ssn"
IBAN = "pii.iban"
IP_ADDRESS = "pii.ip_address"
PII_KINDS: frozenset[str] = frozenset({EMAIL, PHONE, CREDIT_CARD, US_SSN, IBAN, IP_ADDRESS})

_WORD = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_")

# --------------------------------------------------------------------------------------------------------------------
# Email: local part scanned backwards from "@", domain matched forwards.

_LOCAL_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._%+-")
_DOMAIN = re.compile(r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.){1,8}([A-Za-z]{2,24})(?![A-Za-z0-9-])")
# "logo@2x.png", "pkg@1.2.js": a file name, not an address
_FILE_TLDS = frozenset(
    {"png", "jpg", "jpeg", "gif", "svg", "webp", "ico", "bmp", "js", "mjs", "ts", "css", "map", "json", "txt", "md"}
)


def _scan_email(text: str, out: list[Span]) -> None:
    at = text.find("@")
    while at >= 0:
        if not at or text[at - 1] not in _LOCAL_CHARS:
            at = text.find("@", at + 1)
            continue
        start = at
        while start > 0 and at - start < 64 and text[start - 1] in _LOCAL_CHARS:
            start -= 1
        while start < at and text[start] in ".-":  # a local part does not start with these
            start += 1
        domain = _DOMAIN.match(text, at + 1)
        if start < at and domain and domain.group(1).lower() not in _FILE_TLDS and text[at - 1] != ".":
            end = domain.end()
            out.append((EMAIL, start, end))
            at = text.find("@", end)
        else:
            at = text.find("@", at + 1)


# --------------------------------------------------------------------------------------------------------------------
# Numbers.

# Starts with a character class (not an optional one), so that re skips quickly to the next candidate character.
_NUMERIC = re.compile(r"[+(0-9][0-9().\-/ ]{6,}")
_CHUNK = re.compile(r"\S+")
_NUMERIC_KINDS = frozenset({PHONE, CREDIT_CARD, US_SSN})
_UPPER_OR_DIGIT = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
_NOT_PERSONAL_IPV4 = frozenset({"0.0.0.0", "127.0.0.1", "255.255.255.255"})
_NON_DIGITS = str.maketrans("", "", " ().-/+")
_EXTENSION = re.compile(r"[ ]?(?:x|ext\.?|extension|#)[ ]?[0-9]{1,6}(?![0-9A-Za-z])", re.IGNORECASE)

_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_IPV4 = re.compile(_OCTET + r"(?:\." + _OCTET + "){3}")
_SSN = re.compile(r"([0-9]{3})([- ])([0-9]{2})\2([0-9]{4})")
_CARD = re.compile(r"[0-9]{12,19}|[0-9]{3,6}(?:([ -])[0-9]{3,6})(?:\1[0-9]{1,6}){1,4}")
_NANP = re.compile(r"(?:\+?1[-. ]?|00?1[-. ])?(?:\([2-9][0-9]{2}\)[-. ]?|[2-9][0-9]{2}[-. ])[0-9]{3}[-. ][0-9]{4}")
_AREA_IN_PARENS = re.compile(r"\+?[0-9]{0,3}[ ]?\([0-9]{1,5}\)[ ]?[0-9]{2,5}(?:[-. ][0-9]{2,5}){0,3}")
_INTERNATIONAL = re.compile(r"\+[0-9]{1,15}(?:[ .-]?\([0-9]{1,5}\)[ ]?[0-9]{1,8})?(?:[ .-][0-9]{1,8}){0,5}")
_TRUNK = re.compile(r"0[0-9]{1,4}(?:[-. ][0-9]{2,8}){1,4}")
_GROUPED = re.compile(r"[0-9]{1,5}(?:[-. ][0-9]{2,8}){1,5}|[0-9]{10,11}")
_DATE = re.compile(
    r"(?:19|20)[0-9]{2}([-/.])(?:0?[1-9]|1[0-2])\1(?:0?[1-9]|[12][0-9]|3[01])"
    r"|(?:0?[1-9]|[12][0-9]|3[01])([-/.])(?:0?[1-9]|[12][0-9]|3[01])\2(?:19|20)?[0-9]{2}"
)
# Words that introduce a phone number in prose ("call me on", "my phone number is") and labels that must sit right
# before it ("Fax: ", "Mobile:\n", "tel. ").
_PHONE_BEFORE = re.compile(
    r"\b(?:phone|phones|telephone|call|calls|calling|called|dial|sms|text|texts|whatsapp|contact|reach)\b"
    r"[^0-9\n]{0,24}\n?$"
    r"|\b(?:tel|mobile|mob|cell|cellphone|fax|desk|office|landline|hotline|ph|home|work)\b"
    r"[ \t]*(?:[.:#]|no\.?|number)?[ \t]*\n?[ \t]*$"
)
_PHONE_AFTER = re.compile(r"[ ]?[-(]?[ ]?(?:office|fax|mobile|cell|home|work|phone|tel)\b", re.IGNORECASE)
_SSN_CONTEXT = re.compile(r"\b(?:ssn|ss#|social security|social sec|taxpayer)\b[^0-9]{0,24}$")
_CARD_CONTEXT = re.compile(
    r"\b(?:card|cards|cc|credit|debit|visa|amex|mastercard|maestro|discover|jcb|diners|unionpay|pan)\b[^0-9]{0,24}$"
)


class _Scan:
    """Per-call state: the text, the enabled kinds, the output, and lazily computed lowercase text / flags."""

    __slots__ = ("_iban_word", "_lower", "_ssn_words", "enabled", "out", "text")

    def __init__(self, text: str, enabled: frozenset[str], out: list[Span]) -> None:
        self.text = text
        self.enabled = enabled
        self.out = out
        self._lower = ""
        self._ssn_words: bool | None = None
        self._iban_word: bool | None = None

    def lower(self) -> str:
        if not self._lower:
            self._lower = self.text.lower() if self.text.isascii() else self.text.translate(_ASCII_LOWER)
        return self._lower

    def ssn_words(self) -> bool:
        if self._ssn_words is None:
            lowered = self.lower()
            self._ssn_words = any(word in lowered for word in ("ssn", "ss#", "social sec", "taxpayer"))
        return self._ssn_words

    def iban_word(self) -> bool:
        if self._iban_word is None:
            self._iban_word = "iban" in self.lower()
        return self._iban_word

    def before(self, start: int, width: int) -> str:
        return self.lower()[max(0, start - width) : start]


_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def _phone(scan: _Scan, candidate: str, start: int, end: int, *, digits: int, weak_ok: bool = True) -> bool:
    """Strong formats are phones on their own; plain digit groups need a phone word next to them (``weak_ok``:
    the candidate starts or ends its run of numbers, so a word can be next to it)."""
    if not 7 <= digits <= 15:
        return False
    first = candidate[0]
    if first == "+":
        return digits >= 8 and _INTERNATIONAL.fullmatch(candidate) is not None
    if _NANP.fullmatch(candidate) or (first == "(" and _AREA_IN_PARENS.fullmatch(candidate)):
        return True
    if first != "0" and not weak_ok:
        return False
    if "/" in candidate or any(_DATE.fullmatch(chunk) for chunk in candidate.split()):
        return False
    if first == "0" and 10 <= digits <= 11 and _TRUNK.fullmatch(candidate):
        return True
    if not weak_ok or digits > 12 or not _GROUPED.fullmatch(candidate):
        return False
    return _phone_context(scan, start, end)


def _phone_context(scan: _Scan, start: int, end: int) -> bool:
    before = scan.before(start, 48)
    if before != before.upper() and _PHONE_BEFORE.search(before):  # (lowercased text: no letters, no words)
        return True
    return _PHONE_AFTER.match(scan.text, end) is not None


def _card(scan: _Scan, candidate: str, start: int) -> bool:
    """Luhn-valid and either inside a known IIN range (with that network's lengths) or introduced as a card."""
    if not _CARD.fullmatch(candidate):
        return False
    digits = candidate.replace(" ", "").replace("-", "")
    if len(set(digits)) == 1 or not luhn_valid(digits):
        return False
    if card_network(digits) is not None:
        return True
    return _CARD_CONTEXT.search(scan.before(start, 40)) is not None


def _ssn(scan: _Scan, candidate: str, start: int) -> bool:
    match = _SSN.fullmatch(candidate)
    if match:
        return ssn_valid(match.group(1), match.group(3), match.group(4))
    if len(candidate) == 9 and candidate.isdigit() and scan.ssn_words():
        return _SSN_CONTEXT.search(scan.before(start, 40)) is not None and ssn_valid(
            candidate[:3], candidate[3:5], candidate[5:]
        )
    return False


def _classify(scan: _Scan, candidate: str, start: int, end: int, *, digits: int, weak_ok: bool) -> str | None:
    enabled = scan.enabled
    if digits == 9 and US_SSN in enabled and _ssn(scan, candidate, start):
        return US_SSN
    if 12 <= digits <= 19 and CREDIT_CARD in enabled and _card(scan, candidate, start):
        return CREDIT_CARD
    if PHONE in enabled and _phone(scan, candidate, start, end, digits=digits, weak_ok=weak_ok):
        return PHONE
    return None


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    """Strip separators the run picked up at its edges (a sentence's full stop, an unbalanced parenthesis)."""
    while end > start and text[end - 1] in " .-/(":
        end -= 1
    while end > start and text[end - 1] == ")" and text.count("(", start, end) < text.count(")", start, end):
        end -= 1
    while start < end and text[start] in " .-/)":
        start += 1
    if start < end and text[start] == "(" and text.count(")", start, end) == 0:
        start += 1
    return start, end


def _scan_numbers(scan: _Scan) -> None:
    text, enabled, out = scan.text, scan.enabled, scan.out
    length = len(text)
    word = _WORD
    want_ip = IP_ADDRESS in enabled
    want_numbers = bool(enabled & _NUMERIC_KINDS)
    want_iban = IBAN in enabled
    seen_iban: set[int] = set()
    for match in _NUMERIC.finditer(text):
        run_start = match.start()
        if run_start:
            before = text[run_start - 1]
            if before in word:
                # glued to a word: an identifier or a hash (skipped), or the middle of a compact IBAN
                if want_iban and before.isalpha() and (before.isupper() or scan.iban_word()):
                    _scan_iban(text, run_start, match.end(), seen_iban, out)
                continue
            if (
                want_iban
                and before == " "
                and run_start >= 5
                and text[run_start - 2] in _UPPER_OR_DIGIT
                and _scan_iban(text, run_start, match.end(), seen_iban, out) >= match.end() - 1
            ):
                continue  # spaced IBAN ("GB82 WEST 1234 5698 7654 32") covering the whole run
        run = match.group().rstrip(" .-/(")
        if run[4:5] == "-" and run[7:8] == "-" and len(run) >= 10:
            run_start += len(run) - len(run[10:].lstrip(" "))  # an ISO date (2024-05-01 12:30): never one of ours
            run = run[10:].lstrip(" ")
        if len(run) < 7:
            continue
        run_end = run_start + len(run)
        if want_ip and "." in run and run.count(".") >= 3:
            if " " not in run:
                if (  # the common case inline: one dotted quad on its own
                    _IPV4.fullmatch(run)
                    and not (run_start and text[run_start - 1] == ".")
                    and run not in _NOT_PERSONAL_IPV4
                ):
                    out.append((IP_ADDRESS, run_start, run_end))
                    continue
                if _scan_ipv4(text, run_start, run_end, out):
                    continue
            else:
                for chunk in _CHUNK.finditer(text, run_start, run_end):
                    _scan_ipv4(text, *_trim(text, *chunk.span()), out)
        if not want_numbers:
            continue
        if run.isdigit():  # one bare number: a card (12-19), or with context an SSN (9) / phone (10-11)
            digits = len(run)
            if digits < 9 or digits > 19 or (run_end < length and text[run_end] in word):
                continue
            if digits == 9:
                if US_SSN in enabled and scan.ssn_words() and _ssn(scan, run, run_start):
                    out.append((US_SSN, run_start, run_end))
            elif digits >= 12:
                if CREDIT_CARD in enabled and _card(scan, run, run_start):
                    out.append((CREDIT_CARD, run_start, run_end))
            elif PHONE in enabled and _phone_context(scan, run_start, run_end):
                out.append((PHONE, run_start, run_end))
            continue
        if len(run.translate(_NON_DIGITS)) >= 7:
            _scan_groups(scan, run_start, run_end)


def _scan_groups(scan: _Scan, run_start: int, run_end: int) -> None:
    """The longest leading groups of whitespace-separated chunks (at most 6) that classify, left to right."""
    text = scan.text
    chunks = [_trim(text, *chunk.span()) for chunk in _CHUNK.finditer(text, run_start, run_end)]
    chunks = [(start, end) for start, end in chunks if end > start]
    counts = [len(text[start:end].translate(_NON_DIGITS)) for start, end in chunks]
    index = 0
    while index < len(chunks):
        for stop in range(min(len(chunks), index + 6), index, -1):
            digits = sum(counts[index:stop])
            if digits < 7 or digits > 19:
                continue
            start, end = chunks[index][0], chunks[stop - 1][1]
            if end < len(text) and text[end] in _WORD and not _EXTENSION.match(text, end):
                continue
            weak_ok = index == 0 or stop == len(chunks)  # a phone word can only sit before/after the run
            kind = _classify(scan, text[start:end], start, end, digits=digits, weak_ok=weak_ok)
            if kind is None:
                continue
            if kind == PHONE:
                extension = _EXTENSION.match(text, end)
                if extension:
                    end = extension.end()
            scan.out.append((kind, start, end))
            index = stop - 1
            break
        index += 1


def _scan_ipv4(text: str, start: int, end: int, out: list[Span]) -> bool:
    match = _IPV4.match(text, start, end)
    if not match:
        return False
    stop = match.end()
    if stop < end and text[stop] != "/":  # CIDR suffix allowed; 1.2.3.4.5 / 1.2.3.45a are not addresses
        return False
    if start and (text[start - 1] in _WORD or text[start - 1] == "."):
        return False  # v1.2.3.4 / x.1.2.3.4
    if match.group() in _NOT_PERSONAL_IPV4:
        return False
    out.append((IP_ADDRESS, start, stop))
    return True


_IBAN = re.compile(r"[A-Za-z]{2}[0-9]{2}(?:[ ]?[A-Za-z0-9]{1,4}){3,9}")


def _scan_iban(text: str, run_start: int, run_end: int, seen: set[int], out: list[Span]) -> int:
    """IBANs around a digit run (compact or in groups of four); returns the end of the last one found, or -1."""
    found_end = -1
    window_start = max(0, run_start - 40)
    for match in _IBAN.finditer(text, window_start, min(len(text), run_end + 8)):
        start = match.start()
        if start in seen or (start and text[start - 1] in _WORD):
            continue
        country = text[start : start + 2].upper()
        length = IBAN_LENGTHS.get(country)
        if length is None:
            continue
        compact: list[str] = []
        end = start
        for position in range(start, match.end()):
            if text[position] != " ":
                compact.append(text[position])
                if len(compact) == length:
                    end = position + 1
                    break
        if len(compact) != length or (end < len(text) and text[end] in _WORD):
            continue
        if iban_valid("".join(compact)):
            seen.add(start)
            out.append((IBAN, start, end))
            found_end = max(found_end, end)
    return found_end


# --------------------------------------------------------------------------------------------------------------------
# IPv6: anchored on "::" or ":h:h:", expanded over hex digits, colons and dots, validated by ipaddress.

_IPV6_ANCHOR = re.compile(r":(?::|[0-9A-Fa-f]{1,4}:[0-9A-Fa-f]{1,4}:)")
_IPV6_CHARS = frozenset("0123456789abcdefABCDEF:.")


def _scan_ipv6(text: str, out: list[Span]) -> None:
    resume = 0
    for match in _IPV6_ANCHOR.finditer(text):
        if match.start() < resume:
            continue
        start = match.start()
        while start > 0 and text[start - 1] in _IPV6_CHARS and match.start() - start < 40:
            start -= 1
        end = match.end()
        while end < len(text) and text[end] in _IPV6_CHARS and end - start < 45:
            end += 1
        while end > start and text[end - 1] == ".":
            end -= 1
        resume = end
        if (start and text[start - 1] in _WORD) or (end < len(text) and text[end] in _WORD):
            continue
        candidate = text[start:end]
        if candidate.count(":") < 2 or sum(1 for group in candidate.split(":") if group) < 2:
            continue
        try:
            address = ipaddress.IPv6Address(candidate)
        except ValueError:
            continue
        if not (address.is_loopback or address.is_unspecified):
            out.append((IP_ADDRESS, start, end))


# --------------------------------------------------------------------------------------------------------------------


_PII_ANCHOR = re.compile(r"[0-9@:]")  # every PII kind contains a digit, an "@" or (IPv6) a ":"


def scan_pii(text: str, kinds: Iterable[str] | None = None) -> list[Span]:
    """Every PII span in ``text`` (possibly overlapping; the sanitizer resolves overlaps)."""
    enabled = PII_KINDS if kinds is None else frozenset(kinds) & PII_KINDS
    if not text or not enabled or (len(text) < 128 and not _PII_ANCHOR.search(text)):
        return []
    out: list[Span] = []
    if EMAIL in enabled and "@" in text:
        _scan_email(text, out)
    if enabled - {EMAIL}:
        _scan_numbers(_Scan(text, enabled, out))
    if IP_ADDRESS in enabled and ":" in text:
        _scan_ipv6(text, out)
    return [span for span in out if span[0] in enabled]
