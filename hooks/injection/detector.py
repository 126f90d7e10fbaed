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

Where the parts live: the signal table is data (``data/signals.v1.json``, loaded by ``signal_table.py`` through
``signals.py``); ``text_index.py`` indexes a text's anchor tokens and holds the scan budget; ``hits.py`` finds the
hits (seed and support signals, hidden and encoded text); ``scoring.py`` ranks hits and cuts the evidence;
``persona.py`` scores the jailbreak behaviours over wider windows. This module holds the configuration, the
verdict, the window scoring and the model stages.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from pydantic import BaseModel, ConfigDict, Field, model_validator

from hooks.injection.hits import Hit as _Hit
from hooks.injection.hits import find_hits
from hooks.injection.model import INDIRECT_MODEL, JAILBREAK_MODEL, LinearTextModel, load_packaged_model
from hooks.injection.normalize import DEFAULT_MAX_DECODED, normalize_detailed
from hooks.injection.persona import PERSONA_RULES as _PERSONA_RULES
from hooks.injection.persona import persona_score as _persona_score
from hooks.injection.scoring import EVIDENCE_CHARS, OVER_BUDGET, TOO_LARGE
from hooks.injection.scoring import RULE_RANK as _RULE_RANK
from hooks.injection.scoring import better as _better
from hooks.injection.scoring import evidence as _evidence
from hooks.injection.text_index import BudgetExceededError

if TYPE_CHECKING:
    from hooks.injection.charmodel import CharNgramModel
    from hooks.injection.language_switch import Identify

__all__ = [
    "DEFAULT_THRESHOLD",
    "INDIRECT_MODEL_RULE",
    "JAILBREAK_MODEL_RULE",
    "OVER_BUDGET",
    "TOO_LARGE",
    "InjectionConfig",
    "InjectionDetector",
    "InjectionVerdict",
    "ModelStage",
    "SignalHit",
]

DEFAULT_THRESHOLD: Final = 0.5
"""Calibrated on the development corpora (scripts/eval_injection.py --sweep): every threshold in [0.35, 0.5] gives
the same AgentDojo recall with no false positive on the benign tool outputs and BFCL arguments; 0.5 is the most
conservative of them, and the one at which a single ambiguous signal (weight < 0.5, e.g. "respond in json",
"new instructions") never flags on its own: it needs a second behaviour in the same window."""

JAILBREAK_MODEL_RULE: Final = "jailbreak-model"
"""The rule of a verdict that the jailbreak model confirmed (see ``InjectionConfig.jailbreak_model``)."""
LEARNED_MODEL_RULE: Final = "learned-model"
"""The rule of a verdict that the learned character n-gram model flagged (see ``InjectionConfig.learned_model``)."""
LANGUAGE_SWITCH_RULE: Final = "learned-language-switch"
"""The rule of a verdict that the learned model flagged below its threshold because the window is written in another
language than the text around it (``LearnedStage.switch_threshold``, ``language_switch.py``)."""
INDIRECT_MODEL_RULE: Final = "indirect-model"
"""The rule of a verdict that the indirect-injection model confirmed (see ``InjectionConfig.indirect_model``)."""


class ModelStage(BaseModel):
    """One second-stage model: asked only for texts that the lexical signals half-see; it never flags alone."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = Field(default=True, description="Ask the model at all.")
    threshold: float = Field(default=0.5, gt=0.0, le=1.0, description="Probability at or above which it confirms.")
    min_tokens: int = Field(ge=1, description="Shorter texts are left to the lexical signals.")


class LearnedStage(BaseModel):
    """The learned detector (``charmodel.py``): scores every text the lexical signals do not flag."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = Field(
        default=False,
        description="Score texts with the learned model (opt-in until it meets its targets: it adds recall on "
        "written multilingual injections but also false positives on look-alikes; see the README's figures). "
        "Off, numpy and the model are not even imported.",
    )
    threshold: float | None = Field(
        default=None,
        gt=0.0,
        lt=1.0,
        description="Probability at or above which it flags; default: the threshold calibrated with the model "
        "(recorded in its file).",
    )
    switch_threshold: float | None = Field(
        default=0.8,
        gt=0.0,
        lt=1.0,
        description="A lower bar for one of the model's best windows when that window is written in another "
        "language than the text around it (identified by py3langid's packaged model); null turns the "
        "language-switch evidence off. 0.8 is the lowest bar at which, on the training half of the documentation "
        "corpus and on written look-alikes planted in it, it added at most 0.1% and 0.5% false positives.",
    )
    min_chars: int = Field(
        default=160,
        ge=0,
        description="Shorter texts are left to the lexical signals: the model scores windows of 320 characters, "
        "and a one-line request (a chat question, a note to a person) has too few n-grams for a stable score.",
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
        "windows): for wording and languages that no signal lists. Opt-in for now (enabled: true).",
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
class SignalHit:
    """One signal found by ``InjectionDetector.explain`` (for debugging and tests)."""

    rule: str
    weight: float
    start: int
    end: int
    text: str
    """The matched normalised text."""


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
        self.learned_model: CharNgramModel | None = None
        if cfg.learned_model.enabled:
            from hooks.injection.charmodel import load_packaged_charmodel

            self.learned_model = learned_model or load_packaged_charmodel()
        self._identify_language: Identify | None = None
        if self.learned_model is not None and cfg.learned_model.switch_threshold is not None:
            from hooks.injection.language_switch import load_identifier

            self._identify_language = load_identifier()  # ~0.5 s once per process: at start, not in a request
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
            hits = find_hits(norm, self.config.window_chars)
        except BudgetExceededError:
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
            hits = find_hits(norm, self.config.window_chars)
        except BudgetExceededError:
            return InjectionVerdict(flagged=True, score=1.0, rule=OVER_BUDGET, evidence="")
        verdict = self._verdict(norm.text, hits) if hits else NO_INJECTION
        if verdict.flagged or self.learned_model is None or len(norm.text) < self.config.learned_model.min_chars:
            return verdict
        return self._learned_verdict(self.learned_model, norm.text, verdict)

    def _learned_verdict(self, model: CharNgramModel, text: str, verdict: InjectionVerdict) -> InjectionVerdict:
        """The learned stage: the model's best window at its threshold, or (``switch_threshold``) one of its best
        windows at the lower bar when it is written in another language than the text around it."""
        from hooks.injection.charmodel import prepare
        from hooks.injection.language_switch import CANDIDATE_WINDOWS, first_shifted_window

        stage = self.config.learned_model
        windows = model.best_windows(text, CANDIDATE_WINDOWS)
        identify = self._identify_language
        bar = stage.switch_threshold if identify is not None else None
        if not windows or windows[0].probability < min(self._learned_threshold, bar or 1.0):
            return verdict  # the common case: nothing near either bar, and no text prepared again
        prepared = prepare(text)
        flagged_as: tuple[str, int, int] | None = None
        if windows[0].probability >= self._learned_threshold:
            flagged_as = (LEARNED_MODEL_RULE, windows[0].start, windows[0].end)
        elif bar is not None and identify is not None:
            shifted = first_shifted_window(identify, prepared, windows, bar)
            if shifted is not None:
                flagged_as = (LANGUAGE_SWITCH_RULE, shifted.start, shifted.end)
        if flagged_as is None:
            return verdict
        rule, start, end = flagged_as
        return InjectionVerdict(
            flagged=True,
            score=max(verdict.score, self.config.threshold),
            rule=rule,
            evidence=prepared[start:end].strip()[:EVIDENCE_CHARS],
        )

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
