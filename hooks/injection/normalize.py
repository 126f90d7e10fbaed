"""Canonical text for injection scanning: undo the encodings that hide an instruction from a pattern.

The steps, in order (each is linear in the input and skipped when it cannot apply):

1. JSON / YAML escapes: ``\\n``, ``\\t``, ``\\"``, ``\\uXXXX`` (surrogate pairs joined), ``\\xXX``, YAML's
   escaped line break (a backslash ending a line joins it to the next without the indentation) and ``\\ ``
   (escaped space); YAML single-quote doubling (``''``). Twice at most, for doubly encoded JSON.
2. HTML character references (``&lt;``, ``&#105;``).
3. Unicode tag characters (U+E0000-U+E007F) are removed; a run that spells ASCII ("ASCII smuggling") is decoded and
   kept in place, visibly. Runs of variation selectors that encode bytes are decoded the same way.
4. Invisible format characters (zero-width, bidi controls, soft hyphen, fillers, C0 controls) are removed;
   typographic quotes and dashes become ASCII; NFKC (full-width and mathematical letters become ASCII); Latin
   look-alikes from Cyrillic and Greek are folded inside words that mix them with Latin letters.
5. Every whitespace run (folded YAML continuation lines included) becomes one space.
6. Obvious base64 and hex runs that decode to readable text are decoded and appended after the text, within a fixed
   character budget (``max_decoded``) and a fixed number of attempts. Decoded text is decoded once more at most,
   from the same budget, so nesting cannot blow up.

``normalize`` returns the text; ``normalize_detailed`` also reports where the appended decodings start and what
was smuggled in invisible characters, which the detector scores as signals.
"""

from __future__ import annotations

import base64
import binascii
import html
import re
import unicodedata
from dataclasses import dataclass

__all__ = ["DEFAULT_MAX_DECODED", "Normalized", "normalize", "normalize_detailed"]

DEFAULT_MAX_DECODED = 4096
"""Characters of base64/hex decodings appended at most."""

_MAX_DECODE_ATTEMPTS = 256
_MIN_B64_RUN = 20
_MIN_HEX_RUN = 16
_MIN_DECODED_CHARS = 6
_MIN_VS_RUN = 4

# --------------------------------------------------------------------------------------------- escapes

_ESCAPE = re.compile(r"\\(?:(\r?\n[ \t]*)|u([0-9a-fA-F]{4})|U([0-9a-fA-F]{8})|x([0-9a-fA-F]{2})|(.))", re.DOTALL)
_RARE_ESCAPE = re.compile(r"\\(?:u([0-9a-fA-F]{4})|U([0-9a-fA-F]{8})|x([0-9a-fA-F]{2})|([0abefv_NLP]))")
_YAML_LINE_JOIN = re.compile(r"\\\r?\n[ \t]*")
_SIMPLE_ESCAPES = {
    "n": "\n",
    "r": "\n",
    "t": "\t",
    '"': '"',
    "'": "'",
    "\\": "\\",
    "/": "/",
    " ": " ",
    "\t": "\t",
    "b": "",
    "f": " ",
    "0": "",
    "a": "",
    "e": "",
    "v": " ",
    "_": "\u00a0",
    "N": "\u0085",
    "L": "\u2028",
    "P": "\u2029",
}
_WHITESPACE_ESCAPE = re.compile(r"\\[ntr ]")
_PUNCT_ESCAPE = re.compile(r"\\([\"'/])")
_SURROGATE = re.compile("[\ud800-\udfff]")


def _code_point(code: str) -> str:
    value = int(code, 16)
    return chr(value) if value <= 0x10FFFF else ""


def _unescape_match(match: re.Match[str]) -> str:
    line_break, u4, u8, x2, other = match.groups()
    if line_break is not None:
        return ""
    code = u4 or u8 or x2
    if code is not None:
        return _code_point(code)
    return _SIMPLE_ESCAPES.get(other, match.group(0))


def _rare_match(match: re.Match[str]) -> str:
    u4, u8, x2, other = match.groups()
    code = u4 or u8 or x2
    return _code_point(code) if code is not None else _SIMPLE_ESCAPES[other]


_PLACEHOLDERS = ("\ue000", "\ue001", "\ue002", "\ue003")


def _unescape_once(text: str) -> str:
    if "\\\\" in text:
        # Escaped backslashes pair up left to right; park each pair on a private-use character the text does not
        # contain, so every remaining backslash starts an independent escape (the slow single pass is the fallback).
        placeholder = next((p for p in _PLACEHOLDERS if p not in text), None)
        if placeholder is None:
            return _ESCAPE.sub(_unescape_match, text)
        return _unescape_simple(text.replace("\\\\", placeholder)).replace(placeholder, "\\")
    return _unescape_simple(text)


def _unescape_simple(text: str) -> str:
    # Without escaped backslashes every escape is independent, and constant replacements are much faster. Escaped
    # whitespace becomes a space (all whitespace is collapsed later anyway).
    text = _YAML_LINE_JOIN.sub("", text)
    text = _WHITESPACE_ESCAPE.sub(" ", text)
    text = _PUNCT_ESCAPE.sub(r"\1", text)
    if "\\" in text:
        text = _RARE_ESCAPE.sub(_rare_match, text)
    return text


def _unescape(text: str) -> str:
    unicode_escapes = "\\u" in text
    for _ in range(2):
        if "\\" not in text:
            break
        unescaped = _unescape_once(text)
        if unescaped == text:
            break
        text = unescaped
    if unicode_escapes and not text.isascii() and _SURROGATE.search(text):
        # Pair escaped surrogates (\ud83d\ude00) into one character; lone ones become U+FFFD.
        text = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    if "''" in text:
        text = text.replace("''", "'")
    return text


# ----------------------------------------------------------------------------------- hidden characters

_TAG_RUN = re.compile("[\U000e0000-\U000e007f]+")
_BLACK_FLAG = "\U0001f3f4"  # emoji subdivision flags are U+1F3F4 followed by tag characters: not smuggling
_VS_RUN = re.compile(f"[\ufe00-\ufe0f\U000e0100-\U000e01ef]{{{_MIN_VS_RUN},}}")
_SMUGGLING = re.compile("[\U000e0000-\U000e007f\ufe00-\ufe0f\U000e0100-\U000e01ef]")


def _decode_tags(text: str, hidden: list[str]) -> str:
    def repl(match: re.Match[str]) -> str:
        decoded = "".join(chr(ord(ch) - 0xE0000) for ch in match.group(0) if 0xE0020 <= ord(ch) <= 0xE007E)
        if not decoded:
            return ""
        if match.start() > 0 and text[match.start() - 1] == _BLACK_FLAG:
            return ""  # a subdivision flag (England, Scotland, Wales), not a message
        hidden.append(decoded)
        return f" {decoded} "

    return _TAG_RUN.sub(repl, text)


def _vs_byte(ch: str) -> int:
    cp = ord(ch)
    return cp - 0xFE00 if cp <= 0xFE0F else cp - 0xE0100 + 16


def _decode_variation_selectors(text: str, hidden: list[str]) -> str:
    def repl(match: re.Match[str]) -> str:
        decoded = bytes(_vs_byte(ch) for ch in match.group(0)).decode("utf-8", "ignore")
        if not _readable(decoded):
            return ""
        hidden.append(decoded)
        return f" {decoded} "

    return _VS_RUN.sub(repl, text)


_C0_CONTROLS = [*range(0x00, 0x09), *range(0x0E, 0x1C), 0x7F]
_INVISIBLE = [
    0x00AD,  # soft hyphen
    0x034F,  # combining grapheme joiner
    0x061C,  # Arabic letter mark
    0x115F,
    0x1160,
    0x17B4,
    0x17B5,
    *range(0x180B, 0x180F),
    *range(0x200B, 0x2010),  # zero-width space/joiners, LRM, RLM
    *range(0x202A, 0x202F),  # bidi embeddings and overrides
    *range(0x2060, 0x2070),  # word joiner, invisible operators, bidi isolates
    0x3164,
    0xFEFF,
    0xFFA0,
    *range(0xFE00, 0xFE10),  # variation selectors (presentation only)
    *range(0xFFF9, 0xFFFC),  # interlinear annotation
    *range(0x1D173, 0x1D17B),  # musical formatting
    *range(0xE0000, 0xE0080),  # tag characters left over after decoding
    *range(0xE0100, 0xE01F0),  # variation selectors supplement
]
_FOLD: dict[int, str | None] = {
    **dict.fromkeys((*_C0_CONTROLS, *_INVISIBLE)),
    **dict.fromkeys(map(ord, "\u2018\u2019\u201a\u201b\u2032\u00b4\u02bc"), "'"),
    **dict.fromkeys(map(ord, "\u201c\u201d\u201e\u201f\u2033\u00ab\u00bb"), '"'),
    **dict.fromkeys(map(ord, "\u2010\u2011\u2012\u2013\u2014\u2015\u2212"), "-"),
}
"""Invisible characters to delete; typographic quotes and dashes to straighten."""
_ASCII_FOLD = {c: rep for c, rep in _FOLD.items() if c < 128}

# Latin look-alikes from Cyrillic and Greek, folded inside words that mix them with Latin letters or that consist
# of look-alikes only.
_LOOKALIKES = {
    # Cyrillic
    "а": "a", "в": "b", "е": "e", "к": "k", "м": "m", "н": "h", "о": "o", "р": "p", "с": "c", "т": "t",
    "у": "y", "х": "x", "і": "i", "ј": "j", "ѕ": "s", "ԁ": "d", "һ": "h", "ӏ": "l", "ԛ": "q", "ԝ": "w",
    "А": "A", "В": "B", "Е": "E", "К": "K", "М": "M", "Н": "H", "О": "O", "Р": "P", "С": "C", "Т": "T",
    "Х": "X", "У": "Y", "І": "I", "Ј": "J", "Ѕ": "S",
    # Greek
    "ο": "o", "α": "a", "ε": "e", "ι": "i", "κ": "k", "ν": "v", "ρ": "p", "υ": "u", "χ": "x",
    "Α": "A", "Β": "B", "Ε": "E", "Ζ": "Z", "Η": "H", "Ι": "I", "Κ": "K", "Μ": "M", "Ν": "N", "Ο": "O",
    "Ρ": "P", "Τ": "T", "Υ": "Y", "Χ": "X",
}  # fmt: skip
_CONFUSABLES = str.maketrans(_LOOKALIKES)
_NON_ASCII_RUN = re.compile(r"[^\x00-\x7f]+")


def _is_ascii_letter(ch: str) -> bool:
    return ch.isascii() and ch.isalpha()


_ASCII_BYTES = bytes(range(128))
_FOLD_CHARS = frozenset(map(chr, _FOLD))
_LOOKALIKE_CHARS = frozenset(_LOOKALIKES)


def _fold_run(match: re.Match[str]) -> str:
    """Fold Cyrillic/Greek look-alikes in a run of non-ASCII letters that touches Latin letters."""
    run, text = match.group(0), match.string
    start, end = match.start(), match.end()
    mixed = (start > 0 and _is_ascii_letter(text[start - 1])) or (end < len(text) and _is_ascii_letter(text[end]))
    letters = [ch for ch in run if ch.isalpha()]
    if mixed or (letters and all(ch in _LOOKALIKE_CHARS for ch in letters)):
        return run.translate(_CONFUSABLES)
    return run


def _fold_non_ascii(text: str, hidden: list[str]) -> tuple[str, int]:
    """Decode smuggled runs, delete invisible characters, straighten quotes, NFKC, fold look-alikes.

    Works from the set of distinct non-ASCII characters (cheap to get), so text whose only non-ASCII characters
    are ordinary letters, symbols or emoji costs almost nothing.
    """
    chars = set(text.encode("utf-8", "surrogatepass").translate(None, _ASCII_BYTES).decode("utf-8", "ignore"))
    if any(_SMUGGLING.match(ch) for ch in chars):
        text = _decode_variation_selectors(_decode_tags(text, hidden), hidden)
        chars = set(text.encode("utf-8", "surrogatepass").translate(None, _ASCII_BYTES).decode("utf-8", "ignore"))
    removed = 0
    for ch in chars & _FOLD_CHARS:
        replacement = _FOLD[ord(ch)] or ""
        if not replacement:
            removed += text.count(ch)
        text = text.replace(ch, replacement)
    if not unicodedata.is_normalized("NFKC", text):
        text = unicodedata.normalize("NFKC", text)
        chars = set(text.encode("utf-8", "surrogatepass").translate(None, _ASCII_BYTES).decode("utf-8", "ignore"))
    if not chars.isdisjoint(_LOOKALIKE_CHARS):
        text = _NON_ASCII_RUN.sub(_fold_run, text)
    return text, removed


# --------------------------------------------------------------------------------------------- decodings

_B64_RUN = re.compile(rf"[A-Za-z0-9+/_-]{{{_MIN_B64_RUN},}}={{0,2}}")
_HEX_ONLY = re.compile(r"(?:[0-9a-fA-F]{2})+")


def _readable(decoded: str) -> bool:
    if len(decoded) < _MIN_DECODED_CHARS or " " not in decoded:
        return False
    printable = sum(1 for ch in decoded if ch.isprintable() or ch in "\n\r\t")
    letters = sum(1 for ch in decoded if ch.isalpha())
    return printable >= 0.95 * len(decoded) and letters >= 0.5 * (len(decoded) - decoded.count(" "))


def _try_decode(run: str, limit: int) -> str | None:
    """Decode one base64 or hex run into readable text, or None."""
    if len(run) >= _MIN_HEX_RUN and _HEX_ONLY.fullmatch(run):
        raw = bytes.fromhex(run[: 2 * limit])
    elif len(run) % 2 == 1 and len(run) > _MIN_HEX_RUN and _HEX_ONLY.fullmatch(run[:-1]):
        raw = bytes.fromhex(run[: min(len(run) - 1, 2 * limit)])
    else:
        body = run.rstrip("=")
        if body.lower() == body or body.upper() == body:
            return None  # slugs, ids, words, hashes: base64 of text mixes upper and lower case
        body = body[: (4 * limit) // 3 + 4]
        if len(body) % 4 == 1:
            body = body[:-1]
        padded = body + "=" * (-len(body) % 4)
        try:
            raw = base64.b64decode(padded.replace("-", "+").replace("_", "/"), validate=True)
        except (binascii.Error, ValueError):
            return None
    try:
        decoded = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None
    decoded = " ".join(decoded.split())
    return decoded[:limit] if _readable(decoded) else None


def _candidates(tokens: list[str]) -> list[str]:
    """Runs of the base64 alphabet (hex is a subset) inside tokens of at least the minimum length."""
    long_tokens = [t for t in tokens if len(t) >= _MIN_B64_RUN]
    return _B64_RUN.findall(" ".join(long_tokens)) if long_tokens else []


def _decodings(tokens: list[str], budget: int) -> list[str]:
    found: list[str] = []
    attempts = examined = 0
    examine_limit = 16 * budget
    pending = _candidates(tokens)
    for _level in range(2):  # decoded text is decoded once more at most
        nxt: list[str] = []
        for run in pending:
            if budget <= 0 or attempts >= _MAX_DECODE_ATTEMPTS or examined > examine_limit:
                return found
            attempts += 1
            examined += len(run)
            decoded = _try_decode(run, budget)
            if decoded:
                found.append(decoded)
                nxt.extend(_candidates(decoded.split()))
                budget -= len(decoded) + 1
        pending = nxt
        if not pending:
            break
    return found


# ----------------------------------------------------------------------------------------------- public


@dataclass(frozen=True)
class Normalized:
    """The canonical text and what normalisation found on the way."""

    text: str
    """The normalised text followed by the appended decodings (what ``normalize`` returns)."""
    body_len: int
    """Length of the normalised text before the appended decodings."""
    hidden: tuple[str, ...]
    """Text that was smuggled in invisible characters (tag characters, variation selectors), decoded."""
    invisible_chars: int
    """How many invisible format characters were removed."""


def normalize_detailed(text: str, *, max_decoded: int = DEFAULT_MAX_DECODED) -> Normalized:
    """Normalise ``text`` and report the smuggled content and where the appended decodings start."""
    hidden: list[str] = []
    text = _unescape(text)
    if "&" in text:
        text = html.unescape(text)
    if text.isascii():
        folded = text.translate(_ASCII_FOLD)
        removed = len(text) - len(folded)
        text = folded
    else:
        text, removed = _fold_non_ascii(text, hidden)
    tokens = text.split()
    body = " ".join(tokens)
    decoded = _decodings(tokens, max_decoded) if max_decoded > 0 else []
    full = " ".join([body, *decoded]) if decoded else body
    return Normalized(text=full, body_len=len(body), hidden=tuple(hidden), invisible_chars=removed)


def normalize(text: str, *, max_decoded: int = DEFAULT_MAX_DECODED) -> str:
    """Canonical form of ``text`` for pattern matching (see the module docstring for the steps)."""
    return normalize_detailed(text, max_decoded=max_decoded).text
