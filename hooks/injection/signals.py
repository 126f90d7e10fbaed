"""What an injection does, as weighted lexical signals over normalised, lower-cased text.

The signals themselves are data: the versioned table ``data/signals.v1.json``, loaded once here (validated and
compiled by ``signal_table.py``). Each signal belongs to a rule (the behaviour it evidences) and a family (the
group of signals that can be measured and removed together), and carries a weight in (0, 1): roughly how likely a
window showing only that signal is an injection. The detector combines the strongest signal of each rule inside a
window by noisy-OR, so one strong signal (an instruction override, a forged system turn) suffices, while weaker ones
(urgency, a request to send something to an outside address, a destructive action) only count together. Nothing
in the table names a benchmark's template: the patterns describe behaviours, in general English wording.

Speed (the budget is ~0.5 ms per 10 KB on one core, so no regex may sweep the whole text): a signal is tried only
where one of its ``anchors`` occurs as a whole token (the detector finds them with one set intersection over the
tokens) or one of its ``markers`` occurs as a substring. A ``lead`` signal's pattern starts with the anchor word and
is tried with ``match`` at that position; otherwise the pattern is searched in ``before``/``after`` characters
around the anchor. Cheap preconditions skip most occurrences before any regex runs: ``also`` (another word must be
present), ``requires`` (a substring must be present), ``prefix`` (a substring just before the anchor). ``verbs``
replaces a long verb alternation plus a wide gap by a set test on the words before a match. ``seed`` signals are
tried everywhere; the others ("support": weak, with common anchors such as *send* or *update*) only within a window
of a seed hit, since alone they can never reach the threshold.

Regex hygiene (the text is attacker-controlled): gaps between words are bounded runs of whole tokens,
``(?:[^ ]+ ){0,n}?``, whose two classes cannot overlap; address parts are length-bounded; there is no unbounded
repetition of a group that can match the same text in two ways. The text is whitespace-collapsed (one space
between tokens) and quotes are straightened by the normaliser.
"""

from __future__ import annotations

from typing import Final

from hooks.injection.signal_table import Signal, load_table

__all__ = [
    "EMBED_MIN_CHARS",
    "NOT_AFTER_CHARS",
    "RULES",
    "SIGNALS",
    "SPARSE_BASE",
    "SPARSE_CHARS",
    "TOKEN_BYTES",
    "Signal",
]

EMBED_MIN_CHARS: Final = 80
NOT_AFTER_CHARS: Final = 40
SPARSE_BASE: Final = 8
SPARSE_CHARS: Final = 500

# Token boundaries for anchor lookup, on the ASCII-encoded text (non-ASCII characters encoded as "?"): every byte
# but ASCII letters, digits and "_" becomes a space, one byte for one character, so offsets are kept.
TOKEN_BYTES: Final = bytes(c if (c < 128 and (chr(c).isalnum() or chr(c) == "_")) else 0x20 for c in range(256))

SIGNALS: tuple[Signal, ...]
RULES: tuple[str, ...]
SIGNALS, RULES = load_table()
"""Every signal, in table order; every rule a signal can name, strongest behaviour first (breaks ties between equal
weights)."""
