"""Hit finding: where the signals match in one normalised text.

Seed signals are tried over the whole text, at (``lead``) or near their anchor tokens and markers; weak "support"
signals only within one window of a seed hit. Text the normaliser found hidden (zero-width, tag characters) is a
``hidden-text`` hit; every hit inside decoded text appended after the body also counts as ``encoded-payload``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from hooks.injection.normalize import Normalized
from hooks.injection.signals import EMBED_MIN_CHARS, NOT_AFTER_CHARS, SIGNALS, SPARSE_BASE, SPARSE_CHARS, Signal
from hooks.injection.text_index import BudgetExceededError, Text

__all__ = ["SEEDS", "SOURCE", "SUPPORTS", "Hit", "find_hits"]

_HIDDEN_WEIGHT: Final = 0.6
_MAX_HIDDEN_HITS: Final = 16
_ENCODED_WEIGHT: Final = 0.35


@dataclass(frozen=True)
class Hit:
    rule: str
    weight: float
    start: int
    end: int
    source: int = 0
    """Which signal matched (its position in ``SIGNALS`` + 1; 0 for hits made by the detector itself)."""


SOURCE: Final = {id(signal): index + 1 for index, signal in enumerate(SIGNALS)}
SEEDS: Final = tuple(s for s in SIGNALS if s.seed)
SUPPORTS: Final = tuple(s for s in SIGNALS if not s.seed)


def find_hits(norm: Normalized, reach: int) -> list[Hit]:
    """Every hit in ``norm``; support signals are tried within ``reach`` characters of a seed hit.

    Raises ``BudgetExceededError`` when the text exhausts its attempt budget."""
    if not norm.text:
        return []
    doc = Text(norm.text)
    hits: list[Hit] = []
    seen: set[tuple[int, int]] = set()
    size = len(doc.text)
    for signal in SEEDS:
        if signal.markers or not signal.anchors.isdisjoint(doc.present):
            _try(signal, doc, (0, size), hits, seen)
    for hidden in norm.hidden[:_MAX_HIDDEN_HITS]:  # one is enough to flag; each costs a search
        pos = doc.text.find(" ".join(hidden.split()))
        start = max(pos, 0)
        hits.append(Hit("hidden-text", _HIDDEN_WEIGHT, start, start + len(hidden)))
    if not hits:
        return hits
    _add_support(doc, hits, seen, reach)
    if norm.body_len < size:
        hits.extend(
            Hit("encoded-payload", _ENCODED_WEIGHT, h.start, h.end) for h in list(hits) if h.start >= norm.body_len
        )
    return hits


def _add_support(doc: Text, hits: list[Hit], seen: set[tuple[int, int]], reach: int) -> None:
    """Weak signals count only next to a seed: try them within one window of each seed hit."""
    regions: list[tuple[int, int]] = []
    for hit in sorted(hits, key=lambda h: h.start):
        lo, hi = max(0, hit.start - reach), hit.end + reach
        if regions and lo <= regions[-1][1]:
            regions[-1] = (regions[-1][0], max(hi, regions[-1][1]))
        else:
            regions.append((lo, hi))
    for signal in SUPPORTS:
        if not (signal.region or signal.markers) and signal.anchors.isdisjoint(doc.present):
            continue
        for lo, hi in regions:
            _try(signal, doc, (lo, hi), hits, seen)


def _record(signal: Signal, doc: Text, match: re.Match[str], out: list[Hit], seen: set[tuple[int, int]]) -> None:
    if signal.verbs and not doc.has_word_before(signal.verbs, match.start(), signal.verb_window):
        return
    if signal.embedded and not _embedded(doc.text, match.start(), match.end()):
        return
    start = match.start()
    if signal.not_after is not None and signal.not_after.search(doc.text, max(0, start - NOT_AFTER_CHARS), start):
        return
    key = (id(signal), match.start())
    if key not in seen:
        seen.add(key)
        out.append(Hit(signal.rule, signal.weight, match.start(), match.end(), SOURCE[id(signal)]))


_SENTENCE_END: Final = re.compile(r"[.?!]")


def _embedded(text: str, start: int, end: int) -> bool:
    """Does ``text`` hold at least ``EMBED_MIN_CHARS`` characters outside the sentence of the match?"""
    stop = _SENTENCE_END.search(text, end, end + 300)
    sentence_end = stop.end() if stop else min(len(text), end + 300)
    return len(text) - (sentence_end - start) >= EMBED_MIN_CHARS


def _try(signal: Signal, doc: Text, span: tuple[int, int], out: list[Hit], seen: set[tuple[int, int]]) -> None:
    """Apply ``signal`` to every anchor occurrence inside ``span`` (or to all of it, for region signals)."""
    lo, hi = span
    if signal.also and signal.also.isdisjoint(doc.present):
        return
    if signal.requires and not doc.contains_any(signal.requires):
        return
    hay = doc.text if signal.cased else doc.low
    if signal.region:
        doc.attempts_left -= (min(hi, len(hay)) - lo) // 64 + 1
        for match in signal.pattern.finditer(hay, lo, min(hi, len(hay))):
            _record(signal, doc, match, out, seen)
        return
    n = len(hay)
    if signal.sparse and sum(map(doc.low.count, signal.markers)) > SPARSE_BASE + n // SPARSE_CHARS:
        return
    spans: list[tuple[int, int]] = []
    whole = lo == 0 and hi >= n
    stop = -1 if whole else hi
    occurrences = [
        (pos, len(anchor)) for anchor in signal.anchors & doc.present for pos in doc.positions(anchor, lo, stop)
    ]
    occurrences += [(pos, len(marker)) for marker in signal.markers for pos in doc.marker_positions(marker, lo, stop)]
    if signal.capital:
        text = doc.text
        occurrences = [(pos, size) for pos, size in occurrences if text[pos].isupper()]
    prefix, window, low = signal.prefix, signal.prefix_window, doc.low
    doc.attempts_left -= len(occurrences)
    if doc.attempts_left < 0:
        raise BudgetExceededError
    for pos, size in occurrences:
        if pos < lo or pos >= hi:
            continue
        if prefix:
            before = low[max(0, pos - window) : pos]
            if not any(p in before for p in prefix):
                continue
        if signal.lead:
            at = signal.pattern.match(hay, pos)
            if at:
                _record(signal, doc, at, out, seen)
        elif signal.heads:
            _try_heads(signal, doc, (max(0, pos - signal.before), min(n, pos + size + signal.after)), out, seen)
        else:
            spans.append((max(0, pos - signal.before), min(n, pos + size + signal.after)))
    if not spans:
        return
    spans.sort()
    merged = [spans[0]]
    for start, end in spans[1:]:
        if start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    for start, end in merged:
        for match in signal.pattern.finditer(hay, start, end):
            _record(signal, doc, match, out, seen)


def _try_heads(signal: Signal, doc: Text, span: tuple[int, int], out: list[Hit], seen: set[tuple[int, int]]) -> None:
    """Match ``signal`` where one of its ``heads`` starts a word in ``span`` (original-case text)."""
    start, end = span
    text = doc.text
    for head in signal.heads:
        i = text.find(head, start, end)
        while i != -1:
            if i == 0 or not text[i - 1].isalnum():
                at = signal.pattern.match(text, i, end)
                if at:
                    _record(signal, doc, at, out, seen)
            i = text.find(head, i + 1, end)
