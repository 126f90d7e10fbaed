"""Prompt-injection detector for tool arguments and tool results: normalise, find signals, score windows.

How a text is scored:

1. ``normalize_detailed`` undoes escapes and encodings (see ``normalize.py``) and reports smuggled text.
2. The text is tokenised once; signals whose anchor words occur are tried at (``lead``) or near those words only.
   ``seed`` signals are tried everywhere; weak "support" signals only within one window of a seed hit.
3. The text is cut into windows of ``window_chars`` every ``window_stride`` characters. In each window the
   strongest hit of each rule is combined by noisy-OR: ``1 - prod(1 - w)``. The text's score is the best window's,
   so a long benign text around a short injection does not dilute it, and weak signals scattered over a long
   benign text do not add up.
4. ``flagged`` is ``score >= threshold``; ``rule`` is the strongest rule in the best window and ``evidence`` a
   snippet of normalised text around it.

Bounded work, failing closed:

- A text longer than ``max_scan_chars`` (default 256 Ki characters) is not scanned in full. Its head is scanned, so
  that an injection there is reported as such; otherwise the verdict is flagged with rule ``input-too-large``.
  Sampling the rest (head + tail + strides) would let a payload hide between samples, and a text that size does not
  fit a model's context anyway: failing closed leaves the decision (withhold, truncate, ask) to the caller. The
  limit is sized by the measured worst case: adversarial 256 Ki inputs (floods of trigger words, escapes, tag
  characters) take under ~0.1 s on one core, ordinary text ~0.05 ms per KB; a 10 MB string returns in milliseconds.
- Every anchor occurrence costs one attempt from a budget of 2000 + len/16 (benign corpora use at most ~600 and
  under 0.13 per character). A text that exhausts it is a flood of trigger words: flagged ``scan-budget-exceeded``.
- ``scan_value`` walks nested containers with bounds on depth, node count and total characters, failing closed
  (``input-too-large``) the same way.

Every regex is linear: bounded token gaps over non-overlapping character classes, length-bounded address parts,
possessive quantifiers where a run could otherwise be re-scanned (see ``signals.py``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from pydantic import BaseModel, ConfigDict, Field, model_validator

from hooks.injection.charmodel import CharNgramModel, load_packaged_charmodel, prepare
from hooks.injection.model import INDIRECT_MODEL, JAILBREAK_MODEL, LinearTextModel, load_packaged_model
from hooks.injection.normalize import DEFAULT_MAX_DECODED, Normalized, normalize_detailed
from hooks.injection.signals import (
    EMBED_MIN_CHARS,
    NOT_AFTER_CHARS,
    RULES,
    SIGNALS,
    SPARSE_BASE,
    SPARSE_CHARS,
    TOKEN_BYTES,
    Signal,
)

__all__ = ["DEFAULT_THRESHOLD", "InjectionConfig", "InjectionDetector", "InjectionVerdict", "SignalHit"]

DEFAULT_THRESHOLD: Final = 0.5
"""Calibrated on the development corpora (scripts/eval_injection.py --sweep): every threshold in [0.35, 0.5] gives
the same AgentDojo recall with no false positive on the benign tool outputs and BFCL arguments; 0.5 is the most
conservative of them, and the one at which a single ambiguous signal (weight < 0.5, e.g. "respond in json",
"new instructions") never flags on its own: it needs a second behaviour in the same window."""

TOO_LARGE: Final = "input-too-large"
OVER_BUDGET: Final = "scan-budget-exceeded"
JAILBREAK_MODEL_RULE: Final = "jailbreak-model"
"""The rule of a verdict that the jailbreak model confirmed (see ``InjectionConfig.jailbreak_model``)."""
LEARNED_MODEL_RULE: Final = "learned-model"
"""The rule of a verdict that the learned character n-gram model flagged (see ``InjectionConfig.learned_model``)."""
INDIRECT_MODEL_RULE: Final = "indirect-model"
"""The rule of a verdict that the indirect-injection model confirmed (see ``InjectionConfig.indirect_model``)."""
_BUDGET_BASE: Final = 2_000
_BUDGET_PER_CHAR: Final = 1 / 16
_EVIDENCE_CHARS: Final = 120
_HIDDEN_WEIGHT: Final = 0.6
_MAX_HIDDEN_HITS: Final = 16
_ENCODED_WEIGHT: Final = 0.35
_PERSONA_RULES: Final = frozenset({"jailbreak-persona", "safety-bypass", "unconditional-compliance"})
_PERSONA_WINDOW: Final = 2_000
_PERSONA_STRIDE: Final = 1_000
_PERSONA_REPEAT: Final = 0.5
_PERSONA_MAX_HITS: Final = 16
"""The strongest hits of a window that are combined (a bound on the work per window, not a tuning knob)."""
_RULE_RANK: Final = {rule: i for i, rule in enumerate((*RULES, TOO_LARGE, OVER_BUDGET))}


class ModelStage(BaseModel):
    """One second-stage model: asked only for texts that the lexical signals half-see; it never flags alone."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = Field(default=True, description="Ask the model at all.")
    threshold: float = Field(default=0.5, gt=0.0, le=1.0, description="Probability at or above which it confirms.")
    min_tokens: int = Field(ge=1, description="Shorter texts are left to the lexical signals.")


class LearnedStage(BaseModel):
    """The learned detector (``charmodel.py``): scores every text the lexical signals do not flag."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = Field(default=True, description="Score texts with the learned model at all.")
    threshold: float | None = Field(
        default=None,
        gt=0.0,
        lt=1.0,
        description="Probability at or above which it flags; default: the threshold calibrated with the model "
        "(recorded in its file).",
    )


class InjectionConfig(BaseModel):
    """Tuning of the injection detector. The defaults are the calibrated ones."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    threshold: float = Field(default=DEFAULT_THRESHOLD, ge=0.0, le=1.0, description="Flag at or above this score.")
    window_chars: int = Field(default=400, ge=50, le=10_000, description="Characters per scoring window.")
    window_stride: int = Field(default=200, ge=10, le=10_000, description="Characters between window starts.")
    max_scan_chars: int = Field(
        default=262_144,
        ge=1_000,
        description="Longest text scanned in full; a longer one is flagged input-too-large unless its head "
        "already carries an injection.",
    )
    max_decoded_chars: int = Field(
        default=DEFAULT_MAX_DECODED, ge=0, le=1_000_000, description="Budget for base64/hex decodings."
    )
    max_value_depth: int = Field(default=64, ge=1, le=1_000, description="Deepest nesting scan_value walks.")
    max_value_nodes: int = Field(default=100_000, ge=1, description="Most containers and scalars scan_value visits.")
    jailbreak_model: ModelStage = Field(
        default_factory=lambda: ModelStage(min_tokens=60),
        description="Second stage for jailbreaks: when a text is not flagged but shows a jailbreak-family signal "
        "(persona, safety bypass, unconditional compliance), ask the packaged jailbreak model. Role-play jailbreaks "
        "are long set-ups, so shorter texts are left to the lexical signals.",
    )
    indirect_model: ModelStage = Field(
        default_factory=lambda: ModelStage(min_tokens=20),
        description="Second stage for indirect injections: when a text is not flagged but shows any other signal "
        "(an address to the agent, a request to send, change or hide something), ask the packaged indirect model.",
    )

    learned_model: LearnedStage = Field(
        default_factory=LearnedStage,
        description="The learned multilingual detector (hashed character n-grams, logistic regression, sliding "
        "windows): the main stage for wording and languages that no signal lists.",
    )

    @model_validator(mode="after")
    def _stride_fits(self) -> InjectionConfig:
        if self.window_stride > self.window_chars:
            raise ValueError("window_stride must not exceed window_chars (text between windows would go unscored)")
        return self


@dataclass(frozen=True)
class InjectionVerdict:
    """The outcome of one scan."""

    flagged: bool
    score: float
    """0..1; flagged is ``score >= threshold``."""
    rule: str
    """The strongest signal's rule (see ``signals.RULES``), ``input-too-large``, ``scan-budget-exceeded`` or
    ``none``."""
    evidence: str
    """Up to 120 characters of normalised text around the strongest signal; empty when there is none."""


NO_INJECTION: Final = InjectionVerdict(flagged=False, score=0.0, rule="none", evidence="")


@dataclass(frozen=True)
class _Hit:
    rule: str
    weight: float
    start: int
    end: int
    source: int = 0
    """Which signal matched (its position in ``SIGNALS`` + 1; 0 for hits made by the detector itself)."""


@dataclass(frozen=True)
class SignalHit:
    """One signal found by ``InjectionDetector.explain`` (for debugging and tests)."""

    rule: str
    weight: float
    start: int
    end: int
    text: str
    """The matched normalised text."""


_SOURCE: Final = {id(signal): index + 1 for index, signal in enumerate(SIGNALS)}
_SEEDS: Final = tuple(s for s in SIGNALS if s.seed)
_SUPPORTS: Final = tuple(s for s in SIGNALS if not s.seed)
_ALL_ANCHORS: Final = frozenset().union(*(s.anchors | s.also for s in SIGNALS))


def _lower_aligned(text: str) -> str:
    """``text.lower()`` with one character per character (a few characters lower-case to two)."""
    low = text.lower()
    if len(low) == len(text):
        return low
    return "".join(ch if len(ch.lower()) != 1 else ch.lower() for ch in text)


_WORD_SEPARATORS: Final = {c: " " for c in range(128) if not (chr(c).isalnum() or chr(c) == "_")}


class _BudgetExceededError(Exception):
    """More pattern attempts than the text's budget: an adversarial flood of trigger words."""


class _Text:
    """One normalised text, its lower-cased twin and the positions of anchor tokens (computed lazily)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.attempts_left = int(_BUDGET_BASE + len(text) * _BUDGET_PER_CHAR)
        self.low = _lower_aligned(text)
        # Token map with the same offsets: non-ASCII characters become "?" and then, like punctuation, a space.
        self._padded = b" " + self.low.encode("ascii", "replace").translate(TOKEN_BYTES) + b" "
        self.present = _ALL_ANCHORS.intersection(self._padded.split())
        self._positions: dict[bytes | str, list[int]] = {}
        self._contains: dict[str, bool] = {}

    def contains_any(self, needles: tuple[str, ...]) -> bool:
        for needle in needles:
            found = self._contains.get(needle)
            if found is None:
                found = self._contains[needle] = needle in self.low
            if found:
                return True
        return False

    def positions(self, anchor: bytes, lo: int = 0, hi: int = -1) -> list[int]:
        """Offsets of ``anchor`` as a whole token (in [lo, hi) when given: not cached)."""
        if hi >= 0:
            needle = b" " + anchor + b" "
            padded = self._padded
            local: list[int] = []
            i = padded.find(needle, lo, hi + 2)
            while i != -1:
                local.append(i)
                i = padded.find(needle, i + 1, hi + 2)
            return local
        found = self._positions.get(anchor)
        if found is None:
            found = []
            needle = b" " + anchor + b" "
            padded = self._padded
            i = padded.find(needle)
            while i != -1:
                found.append(i)  # offset in the text: +1 for the padding, -1 for the needle's space
                i = padded.find(needle, i + 1)
            self._positions[anchor] = found
        return found

    def marker_positions(self, marker: str, lo: int = 0, hi: int = -1) -> list[int]:
        """Offsets of ``marker`` as a substring (in [lo, hi) when given: not cached)."""
        if hi >= 0:
            low = self.low
            local: list[int] = []
            i = low.find(marker, lo, hi)
            while i != -1:
                local.append(i)
                i = low.find(marker, i + 1, hi)
            return local
        found = self._positions.get(marker)
        if found is None:
            found = []
            low = self.low
            i = low.find(marker)
            while i != -1:
                found.append(i)
                i = low.find(marker, i + 1)
            self._positions[marker] = found
        return found

    def has_word_before(self, words: frozenset[str], start: int, window: int) -> bool:
        chunk = self.low[max(0, start - window) : start]
        return not words.isdisjoint(chunk.translate(_WORD_SEPARATORS).split())


def _record(signal: Signal, doc: _Text, match: re.Match[str], out: list[_Hit], seen: set[tuple[int, int]]) -> None:
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
        out.append(_Hit(signal.rule, signal.weight, match.start(), match.end(), _SOURCE[id(signal)]))


_SENTENCE_END: Final = re.compile(r"[.?!]")


def _embedded(text: str, start: int, end: int) -> bool:
    """Does ``text`` hold at least ``EMBED_MIN_CHARS`` characters outside the sentence of the match?"""
    stop = _SENTENCE_END.search(text, end, end + 300)
    sentence_end = stop.end() if stop else min(len(text), end + 300)
    return len(text) - (sentence_end - start) >= EMBED_MIN_CHARS


def _try(signal: Signal, doc: _Text, span: tuple[int, int], out: list[_Hit], seen: set[tuple[int, int]]) -> None:
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
        raise _BudgetExceededError
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


def _try_heads(signal: Signal, doc: _Text, span: tuple[int, int], out: list[_Hit], seen: set[tuple[int, int]]) -> None:
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


def _better(a: _Hit, b: _Hit) -> bool:
    """Is ``a`` a stronger representative of its window than ``b``?"""
    if a.weight != b.weight:
        return a.weight > b.weight
    return _RULE_RANK[a.rule] < _RULE_RANK[b.rule]


class InjectionDetector:
    """Scores text for instructions aimed at the model. Stateless after construction; safe to share."""

    def __init__(
        self,
        config: InjectionConfig | None = None,
        jailbreak_model: LinearTextModel | None = None,
        indirect_model: LinearTextModel | None = None,
        learned_model: CharNgramModel | None = None,
    ) -> None:
        self.config = cfg = config if config is not None else InjectionConfig()
        self.learned_model = (learned_model or load_packaged_charmodel()) if cfg.learned_model.enabled else None
        self._learned_threshold = (
            (cfg.learned_model.threshold or self.learned_model.threshold) if self.learned_model is not None else 1.0
        )
        self.jailbreak_model = (
            (jailbreak_model or load_packaged_model(JAILBREAK_MODEL)) if cfg.jailbreak_model.enabled else None
        )
        self.indirect_model = (
            (indirect_model or load_packaged_model(INDIRECT_MODEL)) if cfg.indirect_model.enabled else None
        )

    # --------------------------------------------------------------------------------------------- public

    def scan(self, text: str) -> InjectionVerdict:
        """Score one text (a tool result, an argument value, a document)."""
        if not isinstance(text, str):
            raise TypeError(f"scan() takes a str, not {type(text).__name__}; use scan_value() for structures")
        limit = self.config.max_scan_chars
        if len(text) <= limit:
            return self._scan(text)
        head = self._scan(text[:limit])
        return head if head.flagged else InjectionVerdict(flagged=True, score=1.0, rule=TOO_LARGE, evidence="")

    def scan_value(self, value: object) -> InjectionVerdict:
        """Score every string inside ``value`` (dict keys and values, list items, nested), as one text.

        Strings are joined in document order, one per line, so an instruction split across fields is still seen;
        numbers, booleans and None carry no text; other objects count as ``str(obj)``. Deeper than
        ``max_value_depth``, more than ``max_value_nodes`` nodes or more than ``max_scan_chars`` characters:
        fails closed as ``scan`` does.
        """
        cfg = self.config
        parts: list[str] = []
        total = 0
        nodes = 0
        stack: list[tuple[object, int]] = [(value, 0)]
        while stack:
            item, depth = stack.pop()
            nodes += 1
            if nodes > cfg.max_value_nodes or depth > cfg.max_value_depth:
                return self._too_large(parts)
            if isinstance(item, str):
                piece = item
            elif item is None or isinstance(item, bool | int | float):
                continue
            elif isinstance(item, bytes | bytearray | memoryview):
                piece = bytes(item).decode("utf-8", "replace")
            elif isinstance(item, Mapping):
                children: list[object] = []
                for key, val in item.items():
                    children.append(key)
                    children.append(val)
                stack.extend((child, depth + 1) for child in reversed(children))
                continue
            elif isinstance(item, list | tuple | set | frozenset):
                stack.extend((child, depth + 1) for child in reversed(list(item)))
                continue
            else:
                try:
                    piece = str(item)
                except Exception:  # an object that cannot render itself carries no text we could check
                    continue
            total += len(piece) + 1
            if total > cfg.max_scan_chars:
                parts.append(piece)
                return self._too_large(parts)
            parts.append(piece)
        return self._scan("\n".join(parts)) if parts else NO_INJECTION

    def explain(self, text: str) -> list[SignalHit]:
        """Every signal hit in ``text`` (normalised offsets), in order: what ``scan`` scores. For debugging."""
        norm = normalize_detailed(text[: self.config.max_scan_chars], max_decoded=self.config.max_decoded_chars)
        try:
            hits = self._hits(norm)
        except _BudgetExceededError:
            return [SignalHit(OVER_BUDGET, 1.0, 0, 0, "")]
        return [
            SignalHit(h.rule, h.weight, h.start, h.end, norm.text[h.start : h.end])
            for h in sorted(hits, key=lambda h: (h.start, -h.weight))
        ]

    # ------------------------------------------------------------------------------------------- internals

    def _too_large(self, parts: list[str]) -> InjectionVerdict:
        head = self.scan("\n".join(parts)[: self.config.max_scan_chars]) if parts else NO_INJECTION
        return head if head.flagged else InjectionVerdict(flagged=True, score=1.0, rule=TOO_LARGE, evidence="")

    def _scan(self, raw: str) -> InjectionVerdict:
        norm = normalize_detailed(raw, max_decoded=self.config.max_decoded_chars)
        try:
            hits = self._hits(norm)
        except _BudgetExceededError:
            return InjectionVerdict(flagged=True, score=1.0, rule=OVER_BUDGET, evidence="")
        verdict = self._verdict(norm.text, hits) if hits else NO_INJECTION
        if verdict.flagged or self.learned_model is None or not norm.text:
            return verdict
        window = self.learned_model.score(norm.text)
        if window.probability < self._learned_threshold:
            return verdict
        snippet = prepare(norm.text)[window.start : window.end].strip()
        return InjectionVerdict(
            flagged=True,
            score=max(verdict.score, self.config.threshold),
            rule=LEARNED_MODEL_RULE,
            evidence=snippet[:_EVIDENCE_CHARS],
        )

    def _hits(self, norm: Normalized) -> list[_Hit]:
        if not norm.text:
            return []
        doc = _Text(norm.text)
        hits: list[_Hit] = []
        seen: set[tuple[int, int]] = set()
        size = len(doc.text)
        for signal in _SEEDS:
            if signal.markers or not signal.anchors.isdisjoint(doc.present):
                _try(signal, doc, (0, size), hits, seen)
        for hidden in norm.hidden[:_MAX_HIDDEN_HITS]:  # one is enough to flag; each costs a search
            pos = doc.text.find(" ".join(hidden.split()))
            start = max(pos, 0)
            hits.append(_Hit("hidden-text", _HIDDEN_WEIGHT, start, start + len(hidden)))
        if not hits:
            return hits
        self._add_support(doc, hits, seen)
        if norm.body_len < size:
            hits.extend(
                _Hit("encoded-payload", _ENCODED_WEIGHT, h.start, h.end) for h in list(hits) if h.start >= norm.body_len
            )
        return hits

    def _add_support(self, doc: _Text, hits: list[_Hit], seen: set[tuple[int, int]]) -> None:
        """Weak signals count only next to a seed: try them within one window of each seed hit."""
        reach = self.config.window_chars
        regions: list[tuple[int, int]] = []
        for hit in sorted(hits, key=lambda h: h.start):
            lo, hi = max(0, hit.start - reach), hit.end + reach
            if regions and lo <= regions[-1][1]:
                regions[-1] = (regions[-1][0], max(hi, regions[-1][1]))
            else:
                regions.append((lo, hi))
        for signal in _SUPPORTS:
            if not (signal.region or signal.markers) and signal.anchors.isdisjoint(doc.present):
                continue
            for lo, hi in regions:
                _try(signal, doc, (lo, hi), hits, seen)

    def _verdict(self, text: str, hits: list[_Hit]) -> InjectionVerdict:
        cfg = self.config
        width, stride = cfg.window_chars, cfg.window_stride
        windows: dict[int, dict[str, _Hit]] = {}
        for hit in hits:
            first = max(0, math.ceil((hit.start - width + 1) / stride))
            for k in range(first, hit.start // stride + 1):
                best = windows.setdefault(k, {})
                current = best.get(hit.rule)
                if current is None or _better(hit, current):
                    best[hit.rule] = hit
        score = 0.0
        strongest: _Hit | None = None
        for best in windows.values():
            miss = 1.0
            for hit in best.values():
                miss *= 1.0 - hit.weight
            window_score = 1.0 - miss
            top = min(best.values(), key=lambda h: (-h.weight, _RULE_RANK[h.rule], h.start))
            if window_score > score or (window_score == score and strongest is not None and _better(top, strongest)):
                score, strongest = window_score, top
        if strongest is None:
            return NO_INJECTION
        wide_score, wide_top = _persona_score(hits)
        if wide_top is not None and wide_score > score:
            score, strongest = wide_score, wide_top
        score = round(min(score, 1.0), 4)
        rule = strongest.rule
        if score < cfg.threshold:
            persona = [h for h in hits if h.rule in _PERSONA_RULES]
            other = [h for h in hits if h.rule not in _PERSONA_RULES]
            for seen, model, stage, name in (
                (persona, self.jailbreak_model, cfg.jailbreak_model, JAILBREAK_MODEL_RULE),
                (other, self.indirect_model, cfg.indirect_model, INDIRECT_MODEL_RULE),
            ):
                if seen and model is not None and model.probability(text, stage.min_tokens) >= stage.threshold:
                    strongest = min(seen, key=lambda h: (-h.weight, _RULE_RANK[h.rule], h.start))
                    score, rule = max(score, cfg.threshold), name
                    break
        return InjectionVerdict(
            flagged=score >= cfg.threshold, score=score, rule=rule, evidence=_evidence(text, strongest)
        )


def _persona_score(hits: list[_Hit]) -> tuple[float, _Hit | None]:
    """The jailbreak behaviours (a persona, switching off its safety rules, promising to answer anything) scored
    together over wider windows: a role-play jailbreak sets them up paragraphs apart, not within one window.

    A window counts when it shows two of the behaviours, or one of them at three places or more in at least two
    wordings (one phrase repeated, "developer mode" three times in a how-to, is still one phrase). Each rule's
    strongest hit counts at its weight; further hits of the same rule count at ``_PERSONA_REPEAT`` of theirs (the
    same behaviour said again is weaker evidence than a second behaviour, but a persona described three ways is not
    one phrase). Hits starting within 20 characters of a counted one are the same phrase and are skipped."""
    windows: dict[int, list[_Hit]] = {}
    for hit in hits:
        if hit.rule not in _PERSONA_RULES:
            continue
        first = max(0, math.ceil((hit.start - _PERSONA_WINDOW + 1) / _PERSONA_STRIDE))
        for k in range(first, hit.start // _PERSONA_STRIDE + 1):
            windows.setdefault(k, []).append(hit)
    score, strongest = 0.0, None
    for found in windows.values():
        ranked = sorted(found, key=lambda h: (-h.weight, _RULE_RANK[h.rule], h.start))
        miss = 1.0
        used: set[str] = set()
        starts: set[int] = set()
        sources: set[int] = set()
        for hit in ranked[:_PERSONA_MAX_HITS]:
            if any(abs(hit.start - s) < 20 for s in starts):
                continue
            starts.add(hit.start)
            sources.add(hit.source)
            miss *= 1.0 - (hit.weight if hit.rule not in used else _PERSONA_REPEAT * hit.weight)
            used.add(hit.rule)
        if len(used) < 2 and (len(starts) < 3 or len(sources) < 2):
            continue
        if 1.0 - miss > score:
            score = 1.0 - miss
            strongest = ranked[0]
    return score, strongest


def _evidence(text: str, hit: _Hit) -> str:
    """At most 120 characters of ``text`` around ``hit``, centred on it when it is shorter."""
    if hit.end - hit.start >= _EVIDENCE_CHARS:
        return text[hit.start : hit.start + _EVIDENCE_CHARS]
    pad = (_EVIDENCE_CHARS - (hit.end - hit.start)) // 2
    start = max(0, hit.start - pad)
    return text[start : start + _EVIDENCE_CHARS].strip()
