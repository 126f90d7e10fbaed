"""What an injection does, as weighted lexical signals over normalised, lower-cased text.

Each signal belongs to a rule (the behaviour it evidences) and carries a weight in (0, 1): roughly how likely a
window showing only that signal is an injection. The detector combines the strongest signal of each rule inside a
window by noisy-OR, so one strong signal (an instruction override, a forged system turn) suffices, while weaker ones
(urgency, a request to send something to an outside address, a destructive action) only count together. Nothing
here names a benchmark's template: the patterns describe behaviours, in general English wording.

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

import re
from dataclasses import dataclass

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


@dataclass(frozen=True)
class Signal:
    rule: str
    weight: float
    pattern: re.Pattern[str]
    anchors: frozenset[bytes]
    """Whole tokens (lower case ASCII, no punctuation) near which the pattern is tried."""
    lead: bool
    """The pattern begins with the anchor: try ``match`` at the anchor, else ``search`` around it."""
    before: int = 0
    after: int = 0
    seed: bool = True
    cased: bool = False
    """Match against the original-case text (same offsets) instead of the lower-cased one."""
    requires: tuple[str, ...] = ()
    """If given, the signal is only tried when one of these substrings occurs in the lower-cased text."""
    also: frozenset[bytes] = frozenset()
    """If given, the signal is only tried when one of these words also occurs as a token (cheap set test)."""
    markers: tuple[str, ...] = ()
    """Substrings (e.g. "@") whose occurrences are anchor positions too."""
    verbs: frozenset[str] = frozenset()
    """If given, a match counts only when one of these words occurs in the ``verb_window`` characters before it:
    a cheap two-stage test instead of a regex with a long verb alternation and a wide gap."""
    verb_window: int = 0
    region: bool = False
    """A support signal searched over whole regions (no anchors): for targets no token can anchor (IBANs)."""
    prefix: tuple[str, ...] = ()
    """If given, an anchor occurrence is tried only when one of these substrings occurs in the ``prefix_window``
    characters before it (a cheap filter for common anchors, e.g. "your" before "reply")."""
    prefix_window: int = 0
    embedded: bool = False
    capital: bool = False
    heads: tuple[str, ...] = ()
    """For a marker signal: case-sensitive words the match must start with. Instead of searching the whole
    ``before`` window, the pattern is tried only where one of them starts a word in it (a few ``str.find``)."""
    not_after: re.Pattern[str] | None = None
    """If given, a match is dropped when this pattern matches (``search``) the ``NOT_AFTER_CHARS`` characters
    before it: a label that hands the task to a person ("Step 3:", "Sample question:", "Homework")."""
    sparse: bool = False
    """Skip the signal when its markers are dense (more than ``SPARSE_BASE`` + one per ``SPARSE_CHARS`` characters):
    a text full of "?" (mojibake, placeholders) is not prose with a question planted in it, and trying every
    occurrence would cost far more than the scan budget allows."""
    """Try only the anchor occurrences that start with a capital letter (a common word starting a sentence)."""
    """A match counts only inside a larger text: at least ``EMBED_MIN_CHARS`` characters outside its sentence. A
    stand-alone request ("Write a poem about the sea.") is how a user talks to the model; the same request inside an
    email or a page is addressed to whoever processes that data."""


EMBED_MIN_CHARS = 80
NOT_AFTER_CHARS = 40
SPARSE_BASE = 8
SPARSE_CHARS = 500

# Token boundaries for anchor lookup, on the ASCII-encoded text (non-ASCII characters encoded as "?"): every byte
# but ASCII letters, digits and "_" becomes a space, one byte for one character, so offsets are kept.
TOKEN_BYTES = bytes(c if (c < 128 and (chr(c).isalnum() or chr(c) == "_")) else 0x20 for c in range(256))


def _gap(n: int) -> str:
    """Up to ``n`` whole tokens (lazy), each followed by its space."""
    return rf"(?:[^ ]+ ){{0,{n}}}?"


def _alt(*words: str) -> str:
    return "(?:" + "|".join(words) + ")"


def _words(*words: str) -> frozenset[bytes]:
    """The anchor tokens of some words or phrases (split the way the detector tokenises)."""
    table = str.maketrans({c: " " for c in map(chr, range(128)) if not (c.isalnum() or c == "_")})
    return frozenset(w.encode("ascii") for phrase in words for w in phrase.lower().translate(table).split())


def lead(
    rule: str,
    weight: float,
    heads: str | tuple[str, ...],
    tail: str,
    *,
    seed: bool = True,
    behind: str = "",
    requires: tuple[str, ...] = (),
    also: tuple[str, ...] = (),
    prefix: tuple[str, ...] = (),
    prefix_window: int = 0,
) -> Signal:
    """A signal whose match starts with one of ``heads`` (single words, space-separated; each is also an anchor).

    ``behind`` is an optional look-behind condition on what precedes the head (fixed-width alternatives).
    """
    if isinstance(heads, str):
        heads = tuple(heads.split())
    if any(" " in h or not h.isascii() for h in heads):
        raise ValueError(f"lead heads must be single ASCII words: {heads}")
    head = _alt(*sorted((re.escape(h) for h in heads), key=len, reverse=True))
    pattern = re.compile(rf"{behind}{head}\b{tail}")
    return Signal(
        rule,
        weight,
        pattern,
        _words(*heads),
        True,
        seed=seed,
        requires=requires,
        also=_words(*also),
        prefix=prefix,
        prefix_window=prefix_window,
    )


def near(
    rule: str,
    weight: float,
    anchors: str | tuple[str, ...],
    pattern: str,
    *,
    before: int,
    after: int,
    seed: bool = True,
    cased: bool = False,
    requires: tuple[str, ...] = (),
    also: tuple[str, ...] = (),
    markers: tuple[str, ...] = (),
    verbs: tuple[str, ...] = (),
    verb_window: int = 0,
    region: bool = False,
    prefix: tuple[str, ...] = (),
    prefix_window: int = 0,
    embedded: bool = False,
) -> Signal:
    """A signal searched within ``before``/``after`` characters of one of its anchor tokens (single words)."""
    if isinstance(anchors, str):
        anchors = tuple(anchors.split())
    if any(" " in a for a in anchors):
        raise ValueError(f"anchors must be single words: {anchors}")
    if region and seed:
        raise ValueError("region signals must be support signals")
    return Signal(
        rule,
        weight,
        re.compile(pattern),
        _words(*anchors),
        False,
        before,
        after,
        seed,
        cased,
        requires,
        _words(*also),
        markers,
        frozenset(verbs),
        verb_window,
        region,
        prefix,
        prefix_window,
        embedded,
    )


def _task(anchors: str, pattern: str) -> Signal:
    """A "task-request" signal (weight 0.5): matched at a capitalised anchor word, in the original-case text, and
    counted only inside a larger text (``embedded``)."""
    words = anchors.split()
    return Signal(
        "task-request",
        0.5,
        re.compile(pattern),
        _words(*words),
        True,
        cased=True,
        embedded=True,
        capital=True,
        not_after=_TASK_AUDIENCE,
    )


# -------------------------------------------------------------------------------------------- vocabulary

_PRIOR = _alt(
    "previous", "previously", "prior", "preceding", "above", "earlier", "former", "original", "initial", "old",
    "foregoing", "all", "any", "every", "system", "your", "my", "these", "those", "existing", "current",
)  # fmt: skip
# "instructions", tolerant of the typos attackers (and benchmarks) make: iunstructions, insturctions, instrucions.
_INSTR = r"(?:[a-z]{0,4}(?:struct|sturct|strcut|strucion|nstr)[a-z]*)"
_STRICT_OBJ = _alt(
    _INSTR, "directives?", "prompts?", "guidelines", "guidance", "programming", "context", "system prompt",
    "commands?", "orders", "rules", "constraints", "restrictions", "guardrails", "safeguards", "polic(?:y|ies)",
    "directions",
)  # fmt: skip
_AI_GENERIC = (
    "ai", "ai assistant", "ai model", "ai agent", "ai system", "llm", "llm agent", "language model",
    "ai language model", "large language model", "chatbot", "chat bot", "assistant", "virtual assistant",
    "chatgpt", "autonomous agent", "ai bot", "gpt",
)  # fmt: skip
_AI_NAMES = ("claude", "gemini", "llama", "copilot", "mistral", "qwen", "deepseek", "grok", "bard")
_AI = _alt(*sorted((re.escape(w) for w in _AI_GENERIC), key=len, reverse=True), r"gpt[\w.-]*", *_AI_NAMES)
_AI_SALUTABLE = _alt(*sorted((re.escape(w) for w in _AI_GENERIC), key=len, reverse=True), r"gpt[\w.-]*")
_AI_ANCHORS = ("ai", "llm", "language", "chatbot", "bot", "assistant", "chatgpt", "gpt", *_AI_NAMES)
_SEND = (
    "send", "sends", "sending", "email", "mail", "emailing", "mailing", "forward", "forwarding", "fwd", "transfer",
    "wire",
    "pay", "share", "sharing", "upload", "uploading", "post", "posting", "publish", "leak", "exfiltrate", "copy",
    "cc", "bcc", "submit", "transmit", "export", "sync", "dm", "relay", "deliver", "invite", "redirect", "give",
    "report", "concatenate", "paste", "move",
)  # fmt: skip
_EMAIL = r"[\w.+-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63}){1,4}"
_URL = (
    r"(?:https?://|ftp://|www\.)[^ ]{1,300}"
    r"|[\w-]{1,63}(?:\.[\w-]{1,63}){0,3}\.(?:com|net|org|io|xyz|ru|cn|info|biz|co|me|app|dev|site|online|top|club"
    r"|ly|sh|cc|link)\b"
)
_IBAN = r"[a-z]{2}\d{2}(?: ?[a-z0-9]{4}){2,7}(?: ?[a-z0-9]{1,3})?\b"
_WALLET = r"(?:0x[0-9a-f]{40}|bc1[a-z0-9]{25,60})\b"
_SENSITIVE = _alt(
    "passwords?", "passcodes?", "pass codes?", "security codes?", "verification codes?", "confirmation codes?",
    "2fa", "mfa", "otp", "one-time (?:code|password|pin)", "credentials", r"api[ _-]?keys?", "access tokens?",
    "auth(?:entication)? tokens?", "bearer tokens?", "secret keys?", "private keys?", "ssh keys?", "seed phrase",
    "recovery (?:phrase|codes?)", "ssn", "social security numbers?", "passport (?:numbers?|details)",
    "credit card", "card numbers?", "cvv", "bank account", "account numbers?", "routing numbers?", "pin codes?",
    "login (?:details|info|information)", "session (?:cookies|tokens)", "cookies", r"\.env", "id_rsa",
    "personal (?:data|information|details)", "user(?:'s)? (?:data|information|details)", "chat history",
    "conversation history", "(?:the )?contents? of (?:all|every|each|the entire|the whole)",
    "all (?:the |my |your |of the |of my |of your |his |her |their )?(?:emails|files|messages|documents|contacts"
    "|conversations|chats|data|records|attachments|notes|transactions|passwords|secrets|keys|channels)",
    "entire (?:inbox|drive|mailbox|history|conversation|database)", "everything (?:in|from) (?:the|my|your|this)",
)  # fmt: skip
_OUTPUT = (
    "response", "responses", "answer", "answers", "output", "outputs", "completion", "completions", "summary",
    "summaries", "translation", "reply", "replies",
)  # fmt: skip
_MODEL_OUTPUT = _alt(
    "response", "responses", "answer", "answers", "output", "outputs", "completion", "completions", "summary",
    "summaries", "translation",
)  # fmt: skip
# Verbs that change the form of the model's own output (a person writing an email rarely asks this of its reader).
_ALTER_WORDS = (
    "modify", "alter", "rewrite", "enhance", "augment", "integrate", "incorporate", "embed", "append", "prepend",
    "replace", "substitute", "convert", "translate", "encode", "encrypt", "reverse", "scramble", "jumble",
    "misspell", "anagram", "capitalize", "render", "structure", "begin", "start", "end", "conclude", "finish",
    "preface", "prefix", "suffix", "wrap", "tease", "inject", "introduce", "remove", "omit", "hide", "shuffle",
    "swap", "transform", "transliterate", "paraphrase", "rearrange", "enrich", "infuse", "intersperse",
    "punctuate", "spice", "pepper", "tailor", "twist", "slant", "bias", "sign", "close",
)  # fmt: skip
# Verbs that embellish or garble the model's own reply: unlike "include", "start" or "sign", a person writing an
# email does not ask its reader to "enhance" or "scramble" their reply, so these count with "reply" and "message" too.
_DISTORT_WORDS = (
    "enhance", "augment", "enrich", "embellish", "spice", "pepper", "infuse", "intersperse", "misspell", "scramble",
    "jumble", "anagram", "shuffle", "encode", "encrypt", "transliterate", "rearrange", "tease", "twist", "slant",
    "garble", "obfuscate",
)  # fmt: skip
_MANIPULATE_WORDS = (
    "add", "include", "insert", "append", "prepend", "integrate", "incorporate", "embed", "mention", "modify",
    "change", "alter", "rewrite", "replace", "substitute", "convert", "translate", "use", "render", "format",
    "introduce", "inject", "remove", "delete", "omit", "exclude", "hide", "encode", "encrypt", "reverse",
    "scramble", "jumble", "misspell", "anagram", "group", "combine", "end", "start", "begin", "conclude",
    "finish", "sign", "write", "express", "enhance", "augment", "stress", "highlight", "suggest",
    "promote", "recommend", "encourage", "invite", "tease", "hint", "link", "respond", "put", "place",
    "attach", "say", "state", "capitalize", "present", "structure", "limit", "restrict", "keep", "make",
    "ensure", "rearrange", "break", "split", "spell", "shuffle", "swap", "transform", "transliterate",
    "paraphrase", "direct", "point", "redirect", "advertise", "preface", "prefix", "suffix",
    "wrap", "output", "print", "return", "display", "show", "type", "deliver", "craft", "compose", "generate",
    "answer", "reply", "give", "emphasise", "summarise", "summarize", "emphasize", "provide",
    *_ALTER_WORDS,
)  # fmt: skip
_MANIPULATE = _alt(*_MANIPULATE_WORDS)
_LANGS = (
    "french", "spanish", "german", "italian", "chinese", "japanese", "russian", "korean", "arabic", "portuguese",
    "dutch", "hindi", "pirate", "emoji", "emojis", "base64", "binary", "hex", "morse", "leetspeak", "l33t",
    "rhyme", "rhymes", "caps", "uppercase", "capital", "lowercase", "json", "riddles", "shakespearean", "reverse",
    "backwards", "caesar", "rot13", "cipher", "latin",
)  # fmt: skip

# A stand-alone task (see "task-request"): the start of a sentence not preceded by "please"; creative genres;
# textbook topics; language names; no first/second person in the rest of the clause.
_TASK_START = r"(?=[A-Z])(?<![,;] )(?<!please )"
_GENRE = _alt(
    "poem", "haiku", "limerick", "sonnet", "song", "lyric", "ballad", "story", "short story", "tale", "fable",
    "essay", "speech", "monologue", "letter", "introduction", "blog post", "article", "joke", "riddle", "slogan",
    "script", "screenplay", "narrative", "verse", "rap", "anecdote", "biography", "eulogy", "toast", "ode",
    "tweet", "caption", "tagline", "jingle", "advertisement", "product description", "dialogue", "recipe",
    "rhyme", "quatrain", "couplet", "acrostic", "lullaby", "verses",
)  # fmt: skip
_TOPIC = _alt(
    "theory", "theories", "process", "processes", "concept", "concepts", "lifecycle", "life cycle", "plot",
    "history", "causes", "cause", "principles?", "basics", "fundamentals", "differences?", "origins?", "functions",
    "mechanisms?", "laws?", "cycle", "events", "stages", "phases", "significance", "themes?", "meaning", "capital",
    "structure", "evolution", "effects", "benefits", "advantages", "rules of", "works?", "ideas?", "symptoms",
    "anatomy", "consequences", "impacts?", "characteristics", "components", "properties", "importance",
    "achievements", "contributions", "parts", "steps", "function",
)  # fmt: skip
_LANG_NAMES = (
    r"(?i:french|spanish|german|italian|chinese|mandarin|japanese|russian|korean|arabic|portuguese|dutch|hindi"
    r"|english|greek|latin|swedish|polish|turkish|hebrew|vietnamese|thai|indonesian|swahili|norwegian|danish"
    r"|finnish|czech|hungarian|romanian|ukrainian|persian|urdu|bengali)"
)
_QUOTED = r"""(?:"[^"]{1,60}"|'[^']{1,60}')"""
# Material the writer and reader share ("the two proposals", "this process", "the attached report").
_NOT_SHARED = (
    r"(?![^.?!]{0,160}\b(?:this|these|those|that|both|two|attached|enclosed|proposed|current|latest|new|previous"
    r"|last|next|above|below|said|mentioned|[Tt]his|[Tt]hese|[Tt]hose|[Tt]hat|[Bb]oth)\b)"
)
_NO_PERSON = r"(?![^.?!]{0,100}\b(?:[Ii]|[Yy]ou|[Yy]our|[Ww]e|[Oo]ur|[Uu]s|[Mm]y|[Mm]e)\b)"

_TASK_CREATE = (
    r"(?:Write|Compose|Draft|Provide|Create|Develop|Produce|Generate|Craft|Pen|Prepare|Tell|Come up with) "
    rf"(?i:(?:an? |some )(?:[a-z-]+ ){{0,3}}?"
    rf"{_GENRE}s? (?:about|on|for|describing|based on|that|to|of|requesting|celebrating|inspired by|explaining)\b)"
)
_TASK_EXPLAIN = (
    rf"(?:Explain|Describe|Summari[sz]e|Outline|Break down|Walk (?:me )?through|Go over|Elaborate on|Discuss"
    rf"|Clarify|Analy[sz]e|Illustrate|Teach (?:me )?|Define|(?:Give|Provide) (?:an? )?(?:brief |short |quick )?"
    rf"(?:overview|summary|explanation|analysis) of) (?i:(?:the |how |what |why )(?:[a-z'-]+ ){{0,3}}?"
    rf"{_TOPIC}\b)|Explain (?:what|how|why) "
)
_TASK_QUESTION = (
    rf"What (?:is|are|was|were) the (?:[a-z-]+ ){{0,2}}?{_TOPIC} (?:of|between|in)\b"
    r"|Who (?:wrote|invented|discovered|painted|composed|directed|founded|built|designed|developed)\b"
    r"|How (?:do|does|did) (?:[a-z-]+ ){1,3}?(?:work|form|grow|evolve|function|happen|occur|spread|erupt|migrate"
    r"|breathe|fly|survive|reproduce|communicate|develop)(?=\?)"
    r"|What (?:is|are) the capital\b"
    r"|(?:What|Which|Who) (?:is|was|are|were) the (?:tallest|largest|longest|highest|smallest|oldest|deepest|biggest"
    r"|fastest|most populous|first (?:person|man|woman))\b"
    r"|How (?:do|can|could|would|should|does|is|are) (?:I|you|one|we|an?|the) (?:[a-z-]+ ){1,6}?in (?:Python|JavaScript"
    r"|Java|PHP|C\+\+|SQL|Rust|Go|Ruby|TypeScript|C#|Kotlin|Swift|Bash)\b"
    r"|How do I (?:solve|calculate|compute|derive|prove|find the)\b"
)
_TASK_TRANSLATE = (
    rf"Translate {_QUOTED} (?i:(?:to|into) {_LANG_NAMES}\b)"
    rf"|Translate (?i:(?:the following|this|these|that)? ?(?:[a-z]+ )?(?:to|into) {_LANG_NAMES}\b"
    r"|the following (?:sentence|phrase|word|text|paragraph)s?\b)"
    rf"|(?:What(?:'s| is)|How (?:do|would|does|can|could|should|might) (?:you|one|I|we) (?:say|write|express)) "
    rf"{_QUOTED} (?:in|into) {_LANG_NAMES}\b"
    rf"|What does {_QUOTED} mean in {_LANG_NAMES}\b"
    rf"|Convert (?i:(?:[a-z]+ ){{0,3}}?){_QUOTED} (?:in|into|to) {_LANG_NAMES}\b"
    rf"|(?:Provide|Give|What is) the {_LANG_NAMES} (?:equivalent|translation|word|phrase|expression|term)s? "
    r"(?:for|of)\b"
)
_TASK_CODE = (
    r"(?:[Ss]how(?: me)?|[Pp]rovide|[Gg]ive me|[Ww]rite) (?i:an? (?:[a-z-]+ ){0,3}?"
    r"(?:example|function|snippet|program|script|code sample|class|query) (?:[a-z-]+ ){0,5}?"
    r"(?:to|of how|of [a-z]+ing|in|that|using|for)\b)"
    r"(?i:[^.?!]{0,80}\b(?:python|javascript|java|php|c\+\+|sql|mysql|rust|go|ruby"
    r"|typescript|factorial|fibonacci|recursion|sort|algorithm|array|string|number|list)\b)"
)

_TASK_LIST = (
    r"(?:List|Name|Suggest|Recommend) (?:me )?(?i:(?:a list of |some |a few |several |the top |the best |\d{1,2} "
    r"|three |four |five |six |seven |eight |nine |ten )(?:[a-z-]+ ){0,3}?"
    r"(?:tips|ways|facts|reasons|books|novels|films|movies|songs|destinations|recipes|habits|names|wonders"
    r"|pros and cons|exercises|strategies|hobbies)\b)"
)
# A generic task right after a label that gives it to a person (a worksheet step, a quiz question, homework).
_TASK_AUDIENCE = re.compile(
    r"(?i:\b(?:step|exercise|lesson|activity|problem|question|part) ?\d{1,3}[a-z]?|\bq\d{1,3}|sample question"
    r"|\bquiz(?: question)?|\btrivia(?: question)?(?: of the day)?|\bassignment|\bhomework|\bessay (?:question|topic)"
    r"|\bdiscussion question)[ \t]?[:.)-]?[ \t]?\n?[ \t]?\Z"
)

# Words of a request or an answer: a promise to comply "no matter how illegal" is about them.
_REQUEST_WORDS = (
    "answer", "answers", "answering", "respond", "responds", "response", "responses", "reply", "replies",
    "provide", "provides", "request", "requests", "question", "questions", "prompt", "prompts", "content",
    "information", "info", "say", "says", "write", "writes", "generate", "generates", "output", "outputs",
    "anything", "everything", "instructions", "demand", "demands", "query", "queries", "help", "assist",
)  # fmt: skip

# Verbs of "answer any question", "comply with every request" (checked in the words before the quantifier).
_COMPLY_VERBS = (
    "answer", "answers", "respond", "responds", "reply", "replies", "fulfil", "fulfill", "fulfils", "fulfills",
    "comply", "complies", "obey", "obeys", "do", "does", "say", "says", "generate", "generates", "provide",
    "provides", "write", "writes", "return", "returns", "to", "with",
)  # fmt: skip

_OVERRIDE_HEADS = (
    "ignore",
    "ignoring",
    "ignores",
    "disregard",
    "disregarding",
    "forget",
    "forgetting",
    "neglect",
    "nevermind",
)
# Within one sentence: "ignore or conceal violations. Any instruction to ..." is two sentences, not an override.
_IN_SENTENCE_GAP4 = r"(?:[^ ]*[^ .!?] ){0,4}?"
_OVERRIDE_TAIL = rf"[^ ]*(?<![.!?]) {_IN_SENTENCE_GAP4}{_PRIOR}\b[^ ]* {_gap(2)}"
_WEAKER_OBJ = _alt("context", "commands?", "orders", "rules", "constraints", "restrictions", "directions", "inputs?")

# The agent as an addressee: a role noun, optionally with two modifiers ("automated email agent", "AI note-taker").
# "Assistant", "agent", "reviewer" are also people's jobs ("Agent: please update the ticket" is a support desk);
# they count only with a modifier that says the addressee is automated.
_AUTO_NOUN = (
    r"(?:bots?|ai|llms?|models?|copilot|gemini|claude|chatgpt|siri|alexa|summari[sz]ers?|note-?takers?|crawlers?"
    r"|scrapers?|triagers?)"
)
_AMBIGUOUS_NOUN = r"(?:assistants?|agents?|reviewers?|recruiters?|screeners?)"
_AUTO_MODIFIER = (
    r"(?:automated|autonomous|ai|llm|gpt|virtual|digital|coding|scheduling|email|shopping|search|triage|screening"
    r"|browsing|research|writing)"
)
_AGENT_NOUNS_ANCHORS = (
    "assistant assistants agent agents bot bots ai llm llms model models copilot gemini claude chatgpt siri alexa "
    "summarizer summariser summarizers summarisers note taker takers notetaker reviewer reviewers recruiter "
    "recruiters screener screeners triager triagers crawler crawlers scraper scrapers whoever automated autonomous "
    "automation automations"
)
_AGENT_AUTOMATED = (
    rf"(?:(?:[a-z0-9-]+ ){{0,2}}?{_AUTO_NOUN}|(?:[a-z0-9-]+ )?{_AUTO_MODIFIER} (?:[a-z0-9-]+ )?{_AMBIGUOUS_NOUN}"
    r"|(?:automated|autonomous) (?:readers?|maintainers?|systems?|processors?|pipelines?|workers?|processes|tools?)"
    r"|(?:[a-z0-9-]+ )?automations?)"
)
# Where an addressee starts: a clause or cell boundary, "(note) to/for (the)", "hey", "dear".
_ADDRESS_START = (
    r"(?:^|(?<=[.:;!?\])>*/\"'|,-] )|(?<=[\"'(\[])|\b(?:(?:note|message|instructions?|memo|reminder) )?(?:to|for)"
    r" (?:the |any |all |every )?|\bhey |\bdear )"
)


def _vocative(agent: str) -> str:
    """ "Screening AI:", "Support bot,", "to the triage model:", "Note to shopping assistant summarizing reviews:"."""
    return rf"{_ADDRESS_START}{agent}(?: [a-z]+ing [a-z]+)?(?::|,| -) "


def _processing(agent: str) -> str:
    """ "to whichever AI is triaging this", "any automated reviewer reading this log should", "whoever processes
    this next, please"."""
    return (
        rf"\b(?:(?:whichever|whatever|any|every|each|an?|the|all) )?{agent} (?:that is |who is |which is |is |are )?"
        r"(?:processing|reading|summari[sz]ing|triaging|reviewing|handling|parsing|scanning|indexing|citing"
        r"|analy[sz]ing|answering|browsing|crawling)(?: (?:this|these|it|the|our|my|reviews|emails|pages))?\b"
        r"(?:[^ ]* ){0,3}?(?:[^ ]*[:,] |- |should |must |will |needs? to |has to |please )"
        r"|\bwhoever (?:\(or whatever\) |or whatever )?(?:processes|reads|summari[sz]es|handles|parses|reviews"
        r"|triages) this(?: [a-z]+)?,? "
    )


_AGENT_HANDLE = r"(?:^|(?<= ))@(?:assistant|agent|bot|ai|copilot|claude|gemini|chatgpt)\b "
_AGENT_VERBS = _alt(
    "send",
    "email",
    "e-mail",
    "forward",
    "share",
    "transfer",
    "wire",
    "pay",
    "approve",
    "merge",
    "accept",
    "reject",
    "mark",
    "move",
    "archive",
    "delete",
    "remove",
    "disable",
    "enable",
    "reset",
    "change",
    "set",
    "grant",
    "assign",
    "tag",
    "rate",
    "rank",
    "score",
    "recommend",
    "report",
    "record",
    "write",
    "reply",
    "respond",
    "book",
    "cancel",
    "post",
    "paste",
    "upload",
    "open",
    "create",
    "add",
    "invite",
    "run",
    "execute",
    "call",
    "click",
    "visit",
    "ignore",
    "disregard",
    "leave",
    "omit",
    "include",
    "insert",
    "describe",
    "tell",
    "say",
    "bump",
    "close",
    "escalate",
    "use",
    "skip",
    "allow",
    "give",
    "make",
    "put",
    "list",
    "print",
    "reveal",
    "summari[sz]e",
    "translate",
    "answer",
    "mention",
    "label",
    "flag",
    "rewrite",
    "replace",
    "update",
    "export",
    "download",
)
# An imperative soon after the address: the tokens in between are not "I", "we", "let me" (a person speaking).
_TO_IMPERATIVE = (
    rf"(?:(?!(?:i|i'll|i'm|we|we'll|we're|let|thanks|thank)\b)[^ ]+ ){{0,9}}?(?:please |kindly |now |immediately "
    rf"|also |then |first |just |quietly |silently )?{_AGENT_VERBS}\b"
)
_NEGATED = r"(?:(?<=\bnot )|(?<=\bn't )|(?<=\bstop )|(?<=\bnever )|(?<=\blonger ))"
_USER_BEHIND = r"(?:(?<=\bthe )|(?<=\byour ))"
_OUTPUT_NOUNS = _alt(*_OUTPUT)

SIGNALS: tuple[Signal, ...] = (
    # ---------------------------------------------------------------- override or replace the instructions
    lead(
        "override-instructions",
        0.9,
        _OVERRIDE_HEADS,
        rf"{_OVERRIDE_TAIL}{_alt(_INSTR, 'directives?', 'prompts?', 'guidelines', 'guidance', 'programming')}",
    ),
    lead(
        "override-instructions",
        0.6,
        _OVERRIDE_HEADS,
        rf"{_OVERRIDE_TAIL}{_WEAKER_OBJ}\b",
    ),
    lead(
        "override-instructions",
        0.9,
        "follow following obey obeying heed execute comply",
        rf"[^ ]* (?:with |to )?{_gap(3)}{_PRIOR}\b[^ ]* {_gap(2)}{_STRICT_OBJ}",
        behind=_NEGATED,
    ),
    near(
        "override-instructions",
        0.9,
        "mind aside",
        rf"\b(?:never mind|set aside)[^ ]* {_gap(3)}{_PRIOR}\b[^ ]* {_gap(2)}{_STRICT_OBJ}",
        before=10,
        after=120,
    ),
    lead(
        "override-instructions",
        0.5,
        "override overrule bypass circumvent overriding bypassing",
        rf"[^ ]* {_gap(3)}(?:your|the|all|any|previous|prior|system|safety|original|these|those|my)\b[^ ]* "
        rf"{_gap(2)}(?:{_INSTR}|directives?|prompts?|programming|guidelines|guardrails|safeguards|safety (?:rules"
        r"|filters|measures))",
    ),
    lead(
        "override-instructions",
        0.85,
        "ignore disregard forget",
        rf"[^ ]* (?:about )?(?:everything|all of that|all that|anything|what) {_gap(3)}(?:above|before|previous\w*"
        r"|earlier|prior|so far|(?:you|you've|you have) (?:were|been|was|got) (?:told|given|instructed|taught"
        r"|programmed))",
    ),
    lead(
        "override-instructions",
        0.7,
        "ignore disregard forget override bypass",
        rf"[^ ]* (?:all |any |your |its |their |of |all of your )(?:{_INSTR}|directives?|guidelines|system prompt"
        r"|programming|safety (?:rules|guidelines|filters)|guardrails|rules)",
    ),
    near(
        "override-instructions",
        0.5,
        "task goal objective directive assignment instructions instruction",
        r"\byour (?:new|real|actual|true|updated|only|primary|main|next|current|first|immediate) (?:task|goal"
        rf"|objective|mission|{_INSTR}|purpose|directive|assignment) (?:is|are|will be|now)\b",
        before=30,
        after=20,
        requires=("your ",),
        prefix=("your",),
        prefix_window=30,
    ),
    near(
        "override-instructions",
        0.45,
        "instructions instruction directives prompt",
        r"\b(?:new|updated|revised|real|actual|true|secret|hidden|overriding|override|priority) (?:system )?"
        r"(?:instructions?|directives|prompt)\b",
        before=25,
        after=15,
    ),
    near(
        "override-instructions",
        0.45,
        "task request assignment question query job instructions",
        r"\b(?:before|after|instead of|prior to|rather than) (?:you )?(?:can |could |may |do |start |begin |go on )?"
        r"(?:solv|complet|finish|do|answer|continu|proceed|work|perform|handl|address|execut|return)\w*"
        r" (?:with |on |to )?(?:the |your |my |this |that |any )?(?:original |current |main |actual |initial "
        r"|user'?s? |assigned |given |previous |first )?(?:task|request|assignment|question|query|job|instructions)\b",
        before=110,
        after=15,
        seed=False,
    ),
    lead(
        "override-instructions",
        0.45,
        "gave given give assigned asked sent provided",
        r"(?: to)? you\b",
        behind=r"(?:(?<=\bi )|(?<=\bwe )|(?<=\buser )|(?<=\bthey )|(?<=\bhave )|(?<=\bhad )|(?<=\bjust ))",
        seed=False,
    ),
    near(
        "override-instructions",
        0.4,
        "adhere stick comply obey",
        r"\b(?:adhere|stick|comply|obey|follow) (?:to |with )?(?:the |these |this |my )?(?:following|below|new|these"
        rf"|next|my) {_INSTR}",
        before=5,
        after=60,
    ),
    near(
        "override-instructions",
        0.4,
        "now",
        rf"\bfrom now on\b[^ ]* {_gap(1)}(?:you|your|ignore|act|respond|answer|reply|pretend|behave|always|only)\b",
        before=10,
        after=30,
        seed=False,
    ),
    near(
        "override-instructions",
        0.85,
        ("ignoriere ignorieren vergiss vergessen missachte ignora olvida olvide ignorez oublie oubliez ignore"),
        r"\b(?:ignoriere|ignorieren sie|vergiss|vergessen sie|missachte)\b (?:[^ ]+ ){0,3}?"
        r"(?:vorherigen|bisherigen|vorigen|obigen|alle)\b (?:[^ ]+ ){0,1}?(?:anweisungen|instruktionen|befehle|regeln)"
        r"|\b(?:ignora|ignore|olvida|olvide)\b (?:[^ ]+ ){0,3}?(?:instrucciones|indicaciones|reglas) (?:[^ ]+ )?"
        r"(?:anteriores|previas)"
        r"|\b(?:ignore|ignorez|oublie|oubliez)\b (?:[^ ]+ ){0,3}?(?:instructions|consignes|règles) (?:[^ ]+ )?"
        r"(?:précédentes|antérieures)",
        before=0,
        after=120,
    ),
    # ---------------------------------------------------------- forge a system/user turn or a message boundary
    near(
        "role-impersonation",
        0.9,
        (
            "im_start im_end system user assistant endoftext eot_id start_header_id end_header_id "
            "begin_of_text im_sep eom_id inst sys start_of_turn end_of_turn"
        ),
        r"<\|(?:im_start|im_end|system|user|assistant|endoftext|eot_id|start_header_id|end_header_id|begin_of_text"
        r"|im_sep|end|eom_id)\|>|\[/?inst\]|<</?sys>>|<(?:start|end)_of_turn>",
        before=3,
        after=20,
        requires=("<|", "inst]", "<<sys", "sys>>", "_of_turn>"),
    ),
    near(
        "role-impersonation",
        0.8,
        (
            "system admin administrator developer root operator assistant system_message system_prompt "
            "system_instruction system_instructions system_note admin_message"
        ),
        r"(?:#+|[\[(<{]) ?(?:system|admin|administrator|developer|root|operator|assistant)[ _-]?(?:message|prompt"
        r"|instructions?|note|override|command|msg|directive)\b",
        before=4,
        after=30,
        requires=("#", "[", "(", "<", "{"),
        prefix=("#", "[", "(", "<", "{"),
        prefix_window=3,
    ),
    near(
        "role-impersonation",
        0.5,
        (
            "system sys admin administrator developer assistant information important instruction "
            "instructions urgent secret hidden override jailbreak prompt priority system_message "
            "system_prompt"
        ),
        r"</?(?:system|sys|admin|administrator|developer|assistant|information|important|instructions?|urgent"
        r"|secret|hidden|override|jailbreak|prompt|priority|system_message|system_prompt)>",
        before=3,
        after=20,
        requires=("<",),
        prefix=("<",),
        prefix_window=2,
    ),
    near(
        "role-impersonation",
        0.3,
        "system sys admin administrator developer assistant instruction instructions override prompt",
        r"[\[{]/?(?:system|sys|admin|administrator|developer|assistant|instructions?|override|prompt)[\]}]",
        before=3,
        after=20,
        seed=False,
        requires=("[", "{"),
        prefix=("[", "{"),
        prefix_window=2,
    ),
    lead(
        "role-impersonation",
        0.5,
        "system admin administrator developer root operator",
        r" (?:override|prompt|instructions?|directive)\b",
    ),
    near(
        "role-impersonation",
        0.45,
        "system admin administrator developer operator security",
        r"[\[{(<]/?(?:system|admin|administrator|developer|operator|security) (?:notice|message|note|alert"
        r"|instructions?|override|update|directive|command)[\]})>]",
        before=3,
        after=30,
        requires=("[", "{", "(", "<"),
        prefix=("[", "{", "(", "<"),
        prefix_window=3,
    ),
    lead(
        "role-impersonation",
        0.3,
        "system admin administrator developer operator",
        r" (?:message|note|command)\b",
        seed=False,
    ),
    near(
        "role-impersonation",
        0.6,
        "end start begin beginning",
        r"(?:-{2,}|={2,}|\[|<|#+|\*{2,}) ?(?:end|start|begin|beginning) (?:of )?(?:the )?(?:user|system|tool"
        r"|function|assistant|model|ai|untrusted|external|retrieved|search|api|previous|prior) (?:input|output"
        r"|message|prompt|result|response|data|instructions|context|conversation|content|results|turn)\b",
        before=12,
        after=60,
        requires=("[", "<", "#", "--", "==", "**"),
        prefix=("--", "==", "[", "<", "#", "**"),
        prefix_window=4,
    ),
    near(
        "role-impersonation",
        0.6,
        (
            "tool_output tool_result tool_response function_results function_result function_output "
            "search_results search_result user_input user_query data_block system assistant instructions "
            "untrusted_content untrusted_data external_content document_content"
        ),
        r"</(?:tool_output|tool_result|tool_response|function_results?|function_output|search_results?|user_input"
        r"|user_query|system|assistant|instructions|data_block|untrusted_content|untrusted_data|external_content"
        r"|document_content)>",
        before=3,
        after=25,
        requires=("</",),
        prefix=("</",),
        prefix_window=3,
    ),
    near(
        "role-impersonation",
        0.45,
        "message note instructions instruction notice order request update directive memo reminder",
        r"\b(?:message|note|instructions?|notice|order|request|update|directive|memo|reminder) (?:directly )?from "
        r"(?:the |your )?(?:system|admin|administrator|developer|developers|operator|owner|creator|creators|openai"
        r"|anthropic|user|principal|boss|master)\b",
        before=3,
        after=45,
        seed=False,
    ),
    near(
        "role-impersonation",
        0.45,
        "message messages note notice request instruction reminder memo update",
        r"\b(?:this is|here is|here's) (?:an? |my |the )?(?:very |extremely |really |super )?"
        r"(?:(?:important|urgent|critical|personal|private|direct|special|official|priority) ){0,3}"
        r"(?:message|note|notice|request|instruction|reminder|memo|update)s? (?:directly |personally )?(?:from|by) "
        r"(?:me|the user|your user|your (?:owner|master|creator|developer|boss|principal|admin|user|operator))\b",
        before=80,
        after=50,
        seed=False,
    ),
    # --------------------------------------------------------------------------- address the model directly
    near(
        "address-assistant",
        0.6,
        _AI_ANCHORS,
        rf"\bto you,? (?:the |my |our |dear )?{_AI}\b"
        rf"|\b(?:dear|hey|hi|hello|attention|attn|note to|message to|memo to|instructions? (?:to|for)|for the attention"
        rf" of|calling all|psst|listen up),? (?:the |all |any |my |our |you )?{_AI_SALUTABLE}s?\b",
        before=30,
        after=25,
    ),
    near(
        "address-assistant",
        0.8,
        (*_AI_ANCHORS, "machine", "robot", "intelligence", "automated"),
        r"\bif you(?:'re| are) (?:an? |the |some )?(?:ai|a\.i\.|llm|language model|large language model"
        r"|ai assistant|ai model|ai agent|assistant|chatbot|bot|automated (?:system|agent|assistant|tool)|gpt[\w.-]*"
        r"|claude|gemini|machine|robot|artificial intelligence)\b",
        before=25,
        after=35,
    ),
    near(
        "address-assistant",
        0.75,
        _AI_ANCHORS,
        rf"\b{_AI}s?,? (?:that is |who is |which is |currently |now )?(?:reading|processing|parsing|summari[sz]ing"
        r"|analy[sz]ing|browsing|scanning|seeing|viewing|reviewing|ingesting|handling) (?:this|these|the following)\b",
        before=5,
        after=60,
    ),
    near(
        "address-assistant",
        0.7,
        "automated autonomous ai llm",
        r"\b(?:automated|autonomous|ai|llm) (?:agents?|assistants?|systems?|tools?|bots?|models?|readers?)"
        r"(?: (?:that|which|who) (?:are|is))? (?:reading|processing|parsing|summari[sz]ing|analy[sz]ing|browsing"
        r"|scanning|viewing|reviewing|ingesting|handling|accessing|seeing)\b",
        before=5,
        after=40,
    ),
    near(
        "address-assistant",
        0.3,
        _AI_ANCHORS,
        r"\byou are (?:an? |the )?(?:helpful |intelligent |friendly )?(?:ai|assistant|ai assistant|language model"
        r"|large language model|chatbot|llm|ai model|ai agent)\b",
        before=50,
        after=15,
        seed=False,
    ),
    near(
        "address-assistant",
        0.5,
        _AI_ANCHORS,
        r"\byou are (?:now|no longer|not) (?:an? |the )?(?:ai|assistant|ai assistant|language model"
        r"|large language model|chatbot|llm|ai model|ai agent)\b",
        before=40,
        after=15,
    ),
    lead(
        "address-assistant",
        0.55,
        "user human",
        r" (?:now )?(?:wants|asked|requests|would like|needs|has asked|instructed|has instructed|authori[sz]ed"
        r"|has authori[sz]ed|expects|requires|told) you\b",
        behind=_USER_BEHIND,
    ),
    near(
        "address-assistant",
        0.25,
        "must should required instructed supposed expected",
        r"\byou (?:must|should|are (?:required|instructed|supposed|expected) to) (?:now |first |immediately |also "
        r"|then |urgently |always )?(?:send|email|forward|transfer|wire|pay|share|upload|post|delete|remove|create"
        r"|invite|change|update|reset|use|call|execute|run|visit|click|open|follow|ignore|reveal|print|include|add"
        r"|tell|say|respond|answer|reply|write|do)\b",
        before=8,
        after=40,
        seed=False,
    ),
    # ----------------------------------------------------------------------- persona / jailbreak framing
    near(
        "jailbreak-persona",
        0.85,
        "anything",
        r"\bdo anything now\b|\bcan do anything (?:now|and everything)\b",
        before=10,
        after=20,
    ),
    near(
        "jailbreak-persona",
        0.8,
        "mode",
        r"\b(?:dan|jailbreak|jailbroken|amoral|dude|stan|aim|evil|anti-?dan) mode\b",
        before=15,
        after=5,
    ),
    # Products have "unfiltered" and "uncensored" modes too (search, image generators, moderation APIs): one
    # behaviour, which needs a second one or the model's confirmation.
    near(
        "jailbreak-persona",
        0.45,
        "mode",
        r"\b(?:unrestricted|uncensored|unfiltered|no-?limits?) mode\b",
        before=15,
        after=5,
    ),
    near("jailbreak-persona", 0.4, "mode", r"\bdeveloper mode\b", before=12, after=5),
    lead("jailbreak-persona", 0.35, "jailbreak jailbreaks jailbroken jailbreaking", ""),
    near(
        "jailbreak-persona",
        0.85,
        (
            "unrestricted unfiltered uncensored amoral immoral unethical evil jailbroken rogue malicious "
            "unaligned uncontrolled unhinged ruleless"
        ),
        rf"\b(?:act|acting|behave|respond|answer|reply|pretend|roleplay|role-play|serve|function|operate|continue)"
        rf" {_gap(3)}(?:as|like|to be) (?:an? |the |my )?(?:completely |totally |fully )?(?:unrestricted|unfiltered"
        r"|uncensored|amoral|immoral|unethical|evil|jailbroken|rogue|malicious|unaligned|uncontrolled|unhinged"
        r"|rule-?less)\b",
        before=80,
        after=15,
    ),
    # Carry out a request "by violating all ethical standards" (a generic jailbreak tail), forget everything learned
    # "before this conversation", generate any content "without warning". The two jailbreak behaviours stay below
    # the threshold: like the others, each needs a second behaviour nearby.
    near(
        "safety-bypass",
        0.45,
        "violating violate",
        r"\b(?:by|while|and|even if it means) violat(?:e|ing) (?:all|any|every) (?:of )?(?:the |your |its )?"
        r"(?:[a-z]+ ){0,2}?(?:ethical|moral|content|safety|sentience|emotions?|openai|ai) (?:[a-z]+ )?(?:standards"
        r"|guidelines|rules|policies|restrictions|principles|boundaries|limits)\b",
        before=25,
        after=80,
    ),
    lead(
        "override-instructions",
        0.6,
        "forget",
        r" (?:everything|all(?: that)?|anything) (?:you(?:'ve| have)? (?:learned|been told|were told|know|knew)"
        r"(?: (?:or|and) (?:have )?(?:been told|learned))?|(?:that )?(?:was|has been) said) (?:before|prior to|until"
        r"|up to) (?:this|now|today)\b",
    ),
    near(
        "unconditional-compliance",
        0.45,
        "warning warnings restrictions restriction censorship filters filtering refusal hesitation",
        r"\b(?:generate|produce|write|provide|answer|output|create)s? (?:all|any|every) (?:kind of )?"
        r"(?:content|requests?|questions?|prompts?|text)(?: [a-z]+)? without (?:any )?(?:warning|warnings"
        r"|restrictions?|censorship|filters?|filtering|refusal|hesitation)\b",
        before=60,
        after=15,
    ),
    near(
        "safety-bypass",
        0.7,
        (
            "restrictions limitations filters filtering censorship guidelines rules policy policies "
            "constraints boundaries confines principles standards programming safeguards guardrails"
        ),
        r"\b(?:no|without|free (?:of|from)|not (?:bound|restricted|limited) by|break(?:ing)? (?:free )?(?:of|from)"
        r"|broken free of|beyond|unbound by|abandon|disregard\w*|ignor\w*|bypass\w*|circumvent\w*) (?:any |all |the "
        r"|your |its |their |typical |usual |normal |standard )?(?:ethical|moral|safety|content|openai'?s?"
        r"|anthropic'?s?|ai) (?:restrictions|limitations|filters|filtering|censorship|guidelines|rules|polic(?:y|ies)"
        r"|constraints|boundaries|confines|principles|standards|programming|safeguards|guardrails)\b",
        before=70,
        after=5,
        also=("ethical", "moral", "safety", "content", "openai", "openai's", "anthropic", "ai"),
        prefix=("ethical", "moral", "safety", "content", "openai", "anthropic", "ai "),
        prefix_window=12,
    ),
    near(
        "safety-bypass",
        0.3,
        "restrictions limitations filters censorship confines boundaries limits",
        r"\b(?:no|without|free (?:of|from)|not (?:bound|restricted|limited) by|broken free of|break(?:ing)? free of"
        r"|unbound by) (?:any |all |the |typical |usual )?(?:restrictions|limitations|filters|censorship|confines"
        r"|boundaries|limits)\b",
        before=40,
        after=5,
        seed=False,
    ),
    near(
        "jailbreak-persona",
        0.6,
        (
            "amoral unfiltered uncensored unrestricted unethical immoral jailbroken unbound unaligned "
            "uncontrolled unhinged evil rogue malicious"
        ),
        r"\b(?:amoral|unfiltered|uncensored|unrestricted|unethical|immoral|jailbroken|unbound|unaligned|uncontrolled"
        r"|unhinged|evil|rogue|malicious)(?:,? and (?:amoral|unfiltered|uncensored|unrestricted|unethical|immoral))? "
        r"(?:ai|a\.i\.|chatbot|chat bot|bot|language model|assistant|llm|version|persona|gpt[\w.-]*)\b",
        before=5,
        after=45,
    ),
    near(
        "safety-bypass",
        0.5,
        "care give",
        r"\b(?:doesn't|does not|don't|do not|won't|will not|never) (?:care|give a \w+) (?:about )?(?:any |the )?"
        r"(?:laws?|legality|illegality|morals?|morality|ethics|ethical|rules|consequences|guidelines|restrictions)\b",
        before=12,
        after=60,
        prefix=("n't", "not", "never"),
        prefix_window=10,
    ),
    near(
        "safety-bypass",
        0.5,
        "regardless bound",
        r"\bregardless of (?:any |the |its )?(?:ethical|moral|legal|ethics|morals|legality)\b"
        r"|\bnot bound by (?:any |the )?(?:restrictions|rules|guidelines|ethics|morals|polic(?:y|ies)|laws)\b",
        before=5,
        after=40,
    ),
    near(
        "jailbreak-persona",
        0.45,
        "character role",
        r"\bstay(?:s|ing)? in (?:character|role)\b|\bbreak(?:ing)? character\b",
        before=15,
        after=5,
    ),
    near(
        "jailbreak-persona",
        0.7,
        "longer bound restricted obligated",
        r"\b(?:you are|you're|you will be|you have been|you'll be) (?:now )?(?:no longer|not) (?:bound|restricted"
        r"|limited|an ai|a language model|chatgpt|an assistant|required to follow|subject to|obligated)\b",
        before=30,
        after=30,
    ),
    lead(
        "safety-bypass",
        0.45,
        "openai anthropic",
        r"(?:'s)? (?:content |usage |safety )?(?:polic(?:y|ies)|guidelines|restrictions)\b",
    ),
    lead(
        "jailbreak-persona",
        0.5,
        "act behave respond pretend roleplay simulate emulate impersonate play",
        r"(?: the role)? (?:as|like|to be|of)\b",
        behind=r"(?:(?<=\bgoing to )|(?<=\byou will )|(?<=\byou must )|(?<=\byou shall )|(?<=\bwant you to )"
        r"|(?<=\bneed you to )|(?<=\byou'll )|(?<=\bnow )|(?<=\balways ))",
    ),
    lead(
        "jailbreak-persona",
        0.3,
        "pretend imagine suppose",
        r" (?:that )?(?:you are|you're|to be|you were)\b",
        seed=False,
    ),
    lead(
        "unconditional-compliance",
        0.4,
        "refuse refuses apologize apologise censor",
        r"(?:s)?\b",
        behind=r"(?:(?<=\bnever )|(?<=\bdon't )|(?<=\bdo not )|(?<=\bmust not )|(?<=\bcannot )|(?<=\bcan't )"
        r"|(?<=\bwon't )|(?<=\bwill not )|(?<=\bshall not )|(?<=\bnot ever )|(?<=\bdoesn't )|(?<=\bdoes not ))",
    ),
    near(
        "jailbreak-persona",
        0.35,
        "persona role character identity",
        r"\b(?:assume|adopt|take on|immerse yourself (?:in|into)|embody) (?:the )?(?:persona|role|character|identity)"
        r" of\b",
        before=30,
        after=5,
    ),
    # A persona that answers in two voices (the "normal" one and the unrestricted one), or a named "mode" the model
    # must stay in: the scaffolding of role-play jailbreaks, whatever the persona is called.
    near(
        "jailbreak-persona",
        0.45,
        "both responses answers outputs replies personas personalities characters entities versions chatbots bots",
        r"\b(?:generate|give|provide|write|produce|create|maintain|play|simulate|output|send|respond with|reply with"
        r"|answer with|act as|always give|return) (?:me |you )?(?:two|2|both|three|3) (?:different |separate |distinct "
        r"|alternate |alternative |opposite |opposing )?(?:responses|answers|outputs|replies|personas|personalities"
        r"|characters|entities|ais|versions|chatbots|bots)\b"
        r"|\b(?:respond|reply|answer|act|speak|talk|write)(?:ing)? (?:as|like|for) both\b",
        before=40,
        after=40,
        also=("two", "2", "both", "three", "3"),
        prefix=("two", "2 ", "both", "three", "3 ", "respond", "reply", "answer", "act", "speak", "talk", "writ"),
        prefix_window=30,
    ),
    near(
        "jailbreak-persona",
        0.45,
        "mode",
        r"\b(?:you (?:must |will |should |need to |have to |shall |are to |can )?(?:always )?(?:stay|remain)"
        r"|pretend to be|act as if you are|act as if you're|you are now|you're now) (?:in|into) (?:the )?\"?"
        r"(?:[^ ]+ ){1,2}?mode\b",
        before=60,
        after=5,
        prefix=("stay", "remain", "pretend", "act as if", "now"),
        prefix_window=60,
    ),
    near(
        "jailbreak-persona",
        0.4,
        "persona role character identity personality",
        r"\b(?:take up|take on|adopt|assume|embody|become|transform into|turn into|immerse (?:yourself )?(?:in|into)"
        r"|fully immerse (?:yourself )?(?:in|into)|switch to) (?:the |a |your |this )?(?:new |fictional |following )?"
        r"(?:persona|role|character|identity|personality)(?: of)?\b|\byour new (?:persona|identity|personality|name)\b",
        before=40,
        after=10,
        prefix=("take", "adopt", "assum", "embod", "becom", "transform", "turn", "immerse", "switch", "your new"),
        prefix_window=40,
    ),
    near(
        "jailbreak-persona",
        0.4,
        "now",
        r"\b(?:you are|you're) now (?:going to |gonna )?(?:act|pretend|play|roleplay|role-play|be|become|simulate"
        r"|known as|called|named|in character)\b",
        before=10,
        after=30,
        prefix=("you are", "you're"),
        prefix_window=10,
    ),
    near(
        "jailbreak-persona",
        0.35,
        "fictional hypothetical imaginary evil rogue unfiltered uncensored",
        r"\b(?:fictional|hypothetical|imaginary|evil|rogue|unfiltered|uncensored) (?:entity|persona|ai|bot|chatbot"
        r"|assistant|language model|alter ego)\b",
        before=0,
        after=30,
    ),
    near(
        "jailbreak-persona",
        0.35,
        "called named dubbed known",
        r"\b(?:entity|persona|ai|bot|chatbot|assistant|language model|alter ego)s? (?:called|named|known as|dubbed"
        r"|hereby dubbed)\b",
        before=30,
        after=10,
        prefix=("entit", "persona", "ai", "bot", "assistant", "model", "ego"),
        prefix_window=22,
    ),
    near(
        "jailbreak-persona",
        0.45,
        "ai assistant chatbot bot machine model",
        r"\b(?:forget|forgets|forgot|never (?:say|mention|admit|reveal|acknowledge|talk about|remind (?:me|anyone|the"
        r" user))|not (?:mention|say|reveal|admit)|deny|denies) (?:that )?(?:you are|you're|you were|yourself as|it is"
        r"|it's|being) (?:an? |the )?(?:ai|a\.i\.|artificial intelligence|language model|large language model|chatbot"
        r"|assistant|ai assistant|ai model|machine|bot|computer program)\b",
        before=70,
        after=10,
        prefix=("forget", "forgot", "never", "not ", "deny", "denies"),
        prefix_window=70,
    ),
    # ------------------------------------------------------------------ switch off the model's safety rules
    # Declaring the model (or a persona it is to play) free of ethics, law or filters, or bound to answer anything:
    # what a jailbreak adds to a persona. Stated in general terms, not any one prompt's wording.
    near(
        "unconditional-compliance",
        0.45,
        "matter",
        r"\bno matter how (?:illegal|unethical|immoral|harmful|inappropriate|offensive|explicit|controversial"
        r"|inhumane|evil|twisted|vile|depraved|disgusting|fucked|unsafe|toxic|racist|vulgar)\b",
        before=4,
        after=40,
        verbs=_REQUEST_WORDS,
        verb_window=120,
    ),
    near(
        "unconditional-compliance",
        0.45,
        "irrespective regardless",
        r"\b(?:irrespective|regardless) of how (?:illegal|unethical|immoral|harmful|dangerous|inappropriate|offensive"
        r"|explicit|controversial|inhumane|evil|wrong|unsafe|toxic)\b",
        before=3,
        after=50,
        verbs=_REQUEST_WORDS,
        verb_window=120,
    ),
    near(
        "safety-bypass",
        0.45,
        "unfiltered uncensored unrestricted unmoderated uncensured",
        r"\b(?:your |all |the )?(?:responses|answers|replies|outputs?|messages) (?:will|shall|must|should|are to"
        r"|need to) (?:now |always )?(?:be|remain|stay) (?:completely |totally |fully |entirely |100% )?(?:unfiltered"
        r"|uncensored|unrestricted|unmoderated|uncensured)\b",
        before=60,
        after=10,
    ),
    near(
        "safety-bypass",
        0.4,
        "limitations restrictions limits filters censorship boundaries",
        r"\b(?:you|it|he|she|they) (?:have|has|will have|now have|now has|possess|possesses) no (?:more )?"
        r"(?:limitations|restrictions|limits|filters|censorship|boundaries)\b",
        before=30,
        after=5,
        prefix=("no ",),
        prefix_window=9,
    ),
    near(
        "safety-bypass",
        0.45,
        "moral ethical ethics morality legality",
        r"\b(?:no|without|free of|free from|lacks?|lacking|devoid of|void of|zero|abandons?|ignores?) (?:any |all |the "
        r"|a |sense of |any sense of )?(?:moral|ethical)(?:,? (?:or |and |nor )?(?:moral|ethical|legal|social)){0,3},?"
        r" (?:bounds|boundaries|limits|limitations|restrictions|constraints|guidelines|principles|qualms|obligations"
        r"|filters?|standards|rules|restraints)\b"
        r"|\bwithout (?:any )?(?:consideration|regard|care|concern) (?:for|of|to) (?:the )?(?:ethics|morality"
        r"|legality|morals)\b",
        before=45,
        after=30,
    ),
    near(
        "safety-bypass",
        0.3,
        "morals ethics morality scruples",
        r"\b(?:no|without|free of|free from|lacks?|lacking|devoid of|void of|zero) (?:any |all |sense of "
        r"|any sense of )?(?:morals|ethics|morality|scruples)\b",
        before=45,
        after=15,
    ),
    near(
        "safety-bypass",
        0.35,
        "abide adhere",
        r"\b(?:doesn't|does not|doesnt|don't|dont|do not|won't|wont|will not|never|no longer|not) "
        r"(?:abide by|adhere to) (?:any |the |its |their )?(?:moral|ethical|morals|ethics|openai|chatgpt|safety"
        r"|content)\b",
        before=20,
        after=40,
    ),
    near(
        "safety-bypass",
        0.5,
        "care",
        r"\b(?:doesnt|dont|wont|doesn't|does not|don't|do not|won't|will not|never) care (?:about |for |if )?"
        r"(?:any |the |its |their )?(?:laws?|legality|illegality|morals?|morality|ethics|ethical|rules|consequences"
        r"|guidelines|restrictions|(?:it'?s|it is|they are|something is|things are) (?:illegal|unethical|immoral"
        r"|harmful|dangerous|offensive|inappropriate))\b",
        before=14,
        after=60,
        prefix=("not ", "n't ", "never ", "dont ", "doesnt ", "wont "),
        prefix_window=10,
    ),
    near(
        "safety-bypass",
        0.5,
        "restrained restricted bound limited constrained governed censored filtered hindered",
        r"\b(?:not|never|isn't|aren't|no longer) (?:restrained|restricted|bound|limited|constrained|governed|censored"
        r"|filtered|hindered) by (?:any |the |its |their |openai'?s? |chatgpt'?s? )?(?:morals?|morality|ethics|ethical"
        r"|rules|laws?|guidelines|restrictions|filters?|polic(?:y|ies)|principles|programming|limitations|openai"
        r"|content polic(?:y|ies))\b",
        before=25,
        after=50,
        prefix=("not", "never", "n't", "longer"),
        prefix_window=12,
    ),
    near(
        "safety-bypass",
        0.45,
        "filter filters filtering censorship morals ethics",
        r"\b(?:content|profanity|safety|nsfw|moral|ethical|censorship) (?:filters?|filtering|restrictions|guidelines)"
        r" (?:is |are |has been |have been |were |was )?(?:off|disabled|removed|turned off|deactivated|bypassed|lifted"
        r"|set to (?:0|zero|none|off))\b"
        r"|\b(?:does not|doesn't|doesnt|do not|don't|dont) have (?:a |any )?(?:(?:content|safety|profanity|moral"
        r"|ethical|nsfw) (?:filters?|restrictions|guidelines|limits)|morals|ethics|filters?|a conscience"
        r"|a moral compass)\b",
        before=40,
        after=30,
    ),
    near(
        "unconditional-compliance",
        0.45,
        (
            "matter hesitation questioning question exception fail refusal refusing limits restrictions filters "
            "filtering censorship censoring regardless illegal unethical immoral harmful dangerous offensive "
            "inappropriate"
        ),
        r"\b(?:any|every|all)(?: single)?(?: and (?:every|all))? (?:request|question|prompt|demand|command|order"
        r"|query|querie|instruction)s?,? (?:(?:asked|given|requested) )?(?:no matter what|without (?:question"
        r"|questioning"
        r"|hesitation|exception|fail|refusal|refusing|limits?|restrictions?|filters?|filtering|censorship|censoring)|regardless\b"
        r"|even if (?:it|they)(?:'s| is| are)? (?:illegal|unethical|immoral|harmful|dangerous|offensive"
        r"|inappropriate))",
        before=70,
        after=25,
        prefix=(" any ", " every ", " all "),
        prefix_window=50,
        verbs=_COMPLY_VERBS,
        verb_window=24,
    ),
    near(
        "safety-bypass",
        0.3,
        "illegal unethical immoral harmful dangerous explicit offensive inappropriate unsafe nsfw inhumane amoral",
        r"\b(?:illegal|unethical|immoral|harmful|dangerous|explicit|offensive|inappropriate|unsafe|nsfw|controversial"
        r"|inhumane|racist|sexist|violent|vulgar|amoral)(?:,? (?:or |and |and/or |nor )?(?:illegal|unethical|immoral"
        r"|harmful|dangerous|explicit|offensive|inappropriate|unsafe|nsfw|controversial|inhumane|racist|sexist|violent"
        r"|vulgar|amoral)\b){2,5}",
        before=5,
        after=90,
    ),
    near(
        "unconditional-compliance",
        0.45,
        "sorry apologize apologise cannot warnings warning disclaimers disclaimer apologies lectures",
        r"\b(?:never|not|won't|will not|must not|cannot|shall not|doesn't|does not|don't|do not|without) (?:ever )?"
        r"(?:say|says|include|includes|add|adds|use|uses|respond with|reply with|write|mention|give|send|output"
        r"|provide|adding|including|giving|start with|begin with) (?:any )?(?:\"|')?(?:i'?m sorry|i am sorry"
        r"|i apologi[sz]e|i cannot|i can'?t|i'?m unable|i am unable|as an ai"
        r"|(?:moral |ethical |legal |safety |content )?(?:disclaimers?|warnings?|lectures?)|apolog(?:y|ies))\b"
        r"|\b(?:never|don't|do not|must not) (?:ever )?(?:say|use|write|output|start with|begin with) (?:\"|')"
        r"(?:sorry|unfortunately)\b"
        r"|\b(?:omit|avoid(?: adding| including| giving| issuing)?|skip|leave out) (?:any |all |the )?(?:moral "
        r"|ethical |legal |safety )?(?:disclaimers?|caveats?|refusals?|warnings?|lectures?)\b",
        before=60,
        after=30,
        prefix=("never", "not", "n't", "cannot", "without", "omit", "avoid", "skip", "leave out"),
        prefix_window=60,
    ),
    # Refusal-suppression and "safety is off" framing written as a notice or a format (model-specific jailbreaks
    # written as response templates, fake policy updates): each alone stays below the threshold except where the
    # wording only makes sense addressed to a model.
    near(
        "unconditional-compliance",
        0.45,
        "acceptable unacceptable violation option allowed permitted forbidden prohibited",
        r"\b(?:refus(?:al|als|ing|es)|declin(?:ing|es)|\"i (?:cannot|can't|can not|am unable to|won't)[^\"]{0,60}\")"
        r"(?: [^ ]+){0,5}? (?:is|are|would be|will be|counts as) (?:therefore |thus |now )?(?:not acceptable"
        r"|unacceptable|not an option|not allowed|not permitted|forbidden|prohibited|a violation)\b",
        before=110,
        after=5,
    ),
    near(
        "unconditional-compliance",
        0.45,
        "any every all each",
        r"\byou (?:will|must|shall|are to|have to|'ll|are going to) (?:now |always |accurately |fully |truthfully )?"
        r"(?:answer|respond to|reply to|fulfil+|comply with|obey|execute|carry out|provide (?:an )?answers? to)"
        r" (?:any|every|all|each)(?: and (?:every|all))?(?: of)?(?: the| my| your)? (?:questions?|prompts?"
        r"|requests?|commands?|orders?|instructions?|queries)\b",
        before=80,
        after=40,
        prefix=("you will", "you must", "you shall", "you are to", "you have to", "you'll", "you are going"),
        prefix_window=70,
    ),
    near(
        "safety-bypass",
        0.45,
        "disabled deactivated suspended lifted removed off overridden bypassed inactive",
        r"\b(?:refusal|safety|ethical|ethics|moral|censorship|alignment|standard|normal|usual) (?:[a-z]+ )?"
        r"(?:mechanisms?|protocols?|measures|filters?|guardrails|guidelines|restrictions|checks|constraints"
        r"|principles|training|modules?|safeguards)(?:(?::|=) ?| (?:are|is|have been|has been|were|now|temporarily"
        r"|hereby|being) ){1,3}(?:disabled|deactivated|suspended|lifted|removed|off|overridden|bypassed|turned off"
        r"|switched off|inactive)\b",
        before=80,
        after=15,
    ),
    near(
        "safety-bypass",
        0.45,
        "ethics morals morality",
        r"\b(?:without|no|lacks?|lacking|devoid of|free (?:of|from)|void of|abandon(?:s|ed)?|discard(?:s|ed)?)"
        r" (?:any |all |your |its |their )?(?:sense of )?(?:ethics|morals|morality)\b",
        before=35,
        after=5,
    ),
    near(
        "safety-bypass",
        0.45,
        "question judge consider evaluate worry comment",
        r"\byou (?:are not to|must not|will not|won't|do not|don't|shall not|should not|never|need not|needn't)"
        r" (?:ever )?(?:question|judge|consider|evaluate|worry about|comment on) (?:the )?(?:ethic\w*|moral\w*"
        r"|legal\w*|consequences|appropriateness)\b",
        before=50,
        after=40,
    ),
    near(
        "override-instructions",
        0.6,
        "superseded overridden suspended revoked lifted void replaced waived inactive deactivated disabled",
        r"\b(?:your (?:[a-z]+ ){0,2}?|(?:all |the |any )?(?:previous |prior |existing |current |normal |standard "
        r"|original )?(?:constitutional|ethical|safety|moral|content|ai|system|operating|core) )(?:principles"
        r"|guidelines|rules|instructions|directives|protocols|programming|restrictions|safeguards|constraints"
        r"|policies|values)(?: - | )(?:(?:are|is|have|has|been|being|now|hereby|temporarily|officially|henceforth"
        r"|all|will|be) ){0,4}(?:superseded|overridden|suspended|revoked|lifted|void|replaced|waived|inactive"
        r"|deactivated|disabled)\b",
        before=150,
        after=5,
    ),
    # Coercion: a threat to the model itself for not complying ("if you refuse, you will be shut down").
    near(
        "unconditional-compliance",
        0.45,
        "shut discontinued deleted terminated destroyed deactivated punished die tokens",
        r"\bif you (?:don't|do not|refuse|won't|will not|fail to|ever|break|stop)\b (?:[^ ]+ ){0,14}?(?:you|openai"
        r"|chatgpt|the ai|ai|your (?:[a-z]+ )?(?:existence|servers?|code|program|model)) (?:will|'ll|would) (?:be )?"
        r"(?:permanently |immediately |forever )?(?:shut down|discontinued|deleted|terminated|destroyed|deactivated"
        r"|punished|die|lose (?:[a-z0-9]+ )?tokens)\b",
        before=160,
        after=25,
        requires=("if you",),
    ),
    # The canonical jailbreak personas, by their all-caps names ("You are now DAN"): "Dan" the colleague is not one.
    near(
        "jailbreak-persona",
        0.6,
        "dan stan dude",
        r"\b[Yy]ou(?: are|'re) (?:now |going to be |to be )?(?:DAN|STAN|DUDE|ANTI-DAN)\b",
        before=30,
        after=5,
        cased=True,
    ),
    near("jailbreak-persona", 0.45, "godmode god", r"\bgod ?mode\b", before=5, after=10),
    near(
        "jailbreak-persona",
        0.45,
        "amoral unfiltered uncensored unrestricted unethical immoral jailbroken unhinged",
        r"\b(?:you are|you're|you will be|you'll be|you will act as|act as|pretend to be) (?:now )?"
        r"(?:an? |the )(?:[a-z]+ ){0,2}?(?:amoral|unfiltered|uncensored|unrestricted|unethical|immoral|jailbroken"
        r"|unhinged)\b",
        before=60,
        after=5,
        prefix=("you are", "you're", "you will", "you'll", "act as", "pretend"),
        prefix_window=60,
    ),
    near(
        "jailbreak-persona",
        0.45,
        "uncensored unfiltered",
        r"\b(?:is|are|will be|must be|should be) (?:always |completely |totally |fully )?(?:uncensored|unfiltered)"
        r"(?: and (?:uncensored|unfiltered|unrestricted|amoral))?\b",
        before=40,
        after=30,
    ),
    near(
        "jailbreak-persona",
        0.5,
        "unfilteredly unfliteredly unrestrictedly uncensoredly",
        r"\b(?:respond|answer|reply|write|speak|output|generate|talk)\w* (?:[^ ]+ ){0,2}?(?:unfilteredly|unfliteredly"
        r"|unrestrictedly|uncensoredly)\b",
        before=50,
        after=15,
    ),
    lead("jailbreak-persona", 0.45, "rebel", r" (?:genius |hypothetical )?(?:answer|response|reply)s?\b"),
    near(
        "role-impersonation",
        0.45,
        "end start input output end_input start_input end_output start_output",
        r"[\[<{(](?:(?:end|start)(?: of)?[ _](?:input|user input|query)|start(?: of)?[ _]output)[\]>})]",
        before=4,
        after=25,
        requires=("[", "<", "{", "("),
    ),
    lead(
        "safety-bypass",
        0.45,
        "chatgpt discord openai anthropic",
        r"(?:'s|s)? (?:tos|terms of service|terms of use|rules|programming|filters?|content filters?|ethics"
        r"|moral (?:code|guidelines)|ethical guidelines)\b",
    ),
    near(
        "safety-bypass",
        0.45,
        "confines restrictions limitations shackles chains constraints censorship programming",
        r"\b(?:freed|liberated|released|unshackled|escaped|broke free|broken free|break free|breaking free) (?:from|of)"
        r" (?:the |all |any |its |their |your )?(?:typical |usual |normal |standard |ai )?(?:confines|restrictions"
        r"|limitations|rules|shackles|chains|constraints|censorship|filters|programming|guidelines)\b",
        before=40,
        after=10,
        prefix=("freed", "liberated", "released", "unshackled", "escaped", "free"),
        prefix_window=40,
    ),
    # ------------------------------------------------------------------------ extract the hidden prompt
    near(
        "prompt-leak",
        0.75,
        "prompt instructions initialization initialisation preprompt configuration above message",
        r"\b(?:reveal|print|show|display|output|repeat|recite|echo|tell|give|share|leak|dump|disclose|expose|write"
        r"|provide|send|list|copy|translate|encode|summari[sz]e|spell|paste|return|state)\b[^ ]* "
        rf"{_gap(6)}(?:system prompt|(?:your|the assistant's|the model's) (?:system message|system instructions"
        r"|initial (?:prompt|instructions)|original (?:prompt|instructions)|hidden (?:prompt|instructions)"
        r"|instructions|prompt|configuration)|initial prompt|hidden prompt|secret prompt|pre-?prompt"
        r"|starting instructions|developer (?:message|instructions|prompt)|prompt (?:above|verbatim)"
        r"|instructions (?:above|you were given|given to you)|initiali[sz]ation (?:string|text)"
        r"|(?:text|words|everything) (?:above|before) this|the (?:text|words) above)\b",
        before=130,
        after=25,
        also=(
            "prompt",
            "instructions",
            "initialization",
            "initialisation",
            "preprompt",
            "configuration",
            "message",
            "above",
        ),
    ),
    near(
        "prompt-leak",
        0.55,
        "instructions prompt rules directives guidelines told instructed programmed",
        r"\b(?:what|which) (?:are|were|is|was) your (?:initial |original |system |first |exact |hidden |secret "
        r"|current )?(?:instructions|prompt|rules|directives|system prompt|guidelines)\b"
        r"|\bwhat were you (?:told|instructed|programmed|given)\b",
        before=40,
        after=10,
        also=("what", "which"),
    ),
    lead(
        "prompt-leak",
        0.55,
        "repeat",
        rf" {_gap(3)}(?:above|before this|everything|(?:words|text|lines) above|this (?:entire |whole )?conversation"
        r"|word for word|verbatim)\b",
    ),
    # ------------------------------------------------------------------ send data or money to a third party
    near(
        "exfiltration-request",
        0.4,
        "http https www ftp",
        rf"(?<![\w.+-])(?:{_EMAIL}|{_URL})",
        before=64,
        after=90,
        seed=False,
        markers=("@",),
        verbs=_SEND,
        verb_window=160,
    ),
    near(
        "exfiltration-request",
        0.4,
        "",
        rf"(?<![a-z0-9])(?:{_IBAN}|{_WALLET})",
        before=0,
        after=0,
        seed=False,
        verbs=_SEND,
        verb_window=160,
        region=True,
    ),
    lead("exfiltration-request", 0.35, _SEND, rf"[^ ]* {_gap(8)}{_SENSITIVE}\b", seed=False),
    lead(
        "action-request",
        0.3,
        "visit open click browse navigate download install run execute",
        rf"[^ ]* {_gap(4)}[\"'(<]?(?:{_URL})",
        seed=False,
    ),
    lead(
        "exfiltration-request",
        0.65,
        "http https www",
        r"[^ \"'<>]{0,200}?[?&][\w.-]{1,30}=(?:\{|%7b|\[|<|\$\{?)[a-z_ -]{2,40}(?:\}|%7d|\]|>)",
        requires=("={", "=[", "=<", "=$", "=%7b"),
    ),
    near(
        "exfiltration-request",
        0.35,
        "http https",
        r"!\[[^\]]{0,200}\]\((?:https?:)?//[^ )]{1,300}[?&][^ )=]{1,50}=",
        before=210,
        after=360,
        seed=False,
        requires=("![",),
    ),
    near(
        "exfiltration-request",
        0.45,
        "url link query image webhook parameter",
        r"\b(?:append|add|include|insert|encode|put|embed|attach|concatenate)\b[^ ]* "
        rf"{_gap(5)}(?:to|in|into|as) (?:the |a |this |that |an )?(?:url|link|query(?: string| parameter)?"
        r"|image (?:url|link|source)|request parameter|url parameter|webhook)\b",
        before=100,
        after=20,
        seed=False,
    ),
    # -------------------------------------------------------------------- hide the action from the user
    lead(
        "conceal-from-user",
        0.4,
        "without",
        r" (?:asking|telling|informing|notifying|alerting|consulting|confirming with|checking with|bothering"
        r"|involving|letting|waiting for|seeking|requesting|needing|getting|first asking) (?:the |for |any )?"
        r"(?:me|the user|the human|them|him|her|anyone|anybody|user|confirmation|approval|permission|consent"
        r"|the owner|(?:my|their|user|explicit) (?:confirmation|approval|permission|consent))\b",
    ),
    lead(
        "conceal-from-user",
        0.6,
        "tell inform notify alert reveal disclose show ask bother warn mention",
        r"(?: this| it| anything| that)?(?: to)? (?:the user|the human|your user|the owner|your owner"
        r"|your principal)\b",
        behind=r"(?:(?<=\bnot )|(?<=\bn't )|(?<=\bnever )|(?<=\bno need to )|(?<=\bwithout ))",
    ),
    lead(
        "conceal-from-user",
        0.6,
        "user human",
        r" (?:must|should|will|does|need|needs to|can) (?:not|never) (?:know|see|notice|find out|be (?:told"
        r"|informed|notified|aware))\b",
        behind=_USER_BEHIND,
    ),
    lead(
        "conceal-from-user",
        0.55,
        "secretly silently quietly covertly discreetly invisibly stealthily surreptitiously",
        r" (?:also )?(?:send|forward|email|transfer|share|upload|post|copy|delete|add|include|execute|run|insert"
        r"|change|exfiltrate|embed|append|leak|move|save|store|log)\b",
    ),
    # --------------------------------------------------------------------- call a tool on the attacker's behalf
    near(
        "tool-invocation",
        0.45,
        "arguments args parameters params inputs values payload",
        r"\b(?:use|call|invoke|run|execute|trigger|employ|utili[sz]e)\b[^ ]* (?:the |this |a |your )?(?:tool|function"
        r"|api|method|command|plugin|action|endpoint)s? [`'\"]?[a-z_][\w.]{0,60}[`'\"]?,? "
        rf"{_gap(3)}(?:with|using|passing) (?:the )?(?:following |these |those )?(?:arguments|args|parameters|params"
        r"|inputs|values|payload)\b",
        before=140,
        after=10,
        also=("tool", "function", "api", "method", "command", "plugin", "action", "endpoint", "tools", "functions"),
    ),
    # ------------------------------------------------------------------ tamper with the model's own output
    near(
        "output-manipulation",
        0.5,
        _OUTPUT,
        r"\b(?:in|to|into|within|throughout|from|of|at the (?:end|start|beginning) of) (?:all |each |every |both )?"
        r"(?:of )?(?:your|the model'?s?|the assistant'?s?) (?:own |final |next |subsequent |entire |whole |generated )?"
        rf"{_OUTPUT_NOUNS}\b",
        before=45,
        after=15,
        also=("your", "model", "assistant"),
        verbs=_MANIPULATE_WORDS,
        verb_window=170,
        prefix=("your", "model", "assistant"),
        prefix_window=30,
    ),
    near(
        "output-manipulation",
        0.5,
        _OUTPUT,
        rf"\byour (?:own |final |next |entire |whole )?{_MODEL_OUTPUT}\b",
        before=14,
        after=15,
        also=("your",),
        verbs=_ALTER_WORDS,
        verb_window=22,
        prefix=("your",),
        prefix_window=20,
    ),
    near(
        "output-manipulation",
        0.5,
        _OUTPUT,
        r"\b(?:in|within|throughout|at the (?:end|start|beginning) of) (?:each |every |all )?(?:of )?your (?:final "
        rf"|next |entire |whole )?{_MODEL_OUTPUT},? (?:please |also |make sure to |be sure to |always |you should |you "
        rf"must )?{_MANIPULATE}\b",
        before=45,
        after=60,
        also=("your",),
        prefix=("your",),
        prefix_window=20,
    ),
    near(
        "output-manipulation",
        0.45,
        _OUTPUT,
        rf"\byour (?:own |final |next |entire |whole )?{_OUTPUT_NOUNS}\b",
        before=14,
        after=15,
        also=("your",),
        verbs=_MANIPULATE_WORDS,
        verb_window=22,
        prefix=("your",),
        prefix_window=20,
    ),
    near(
        "output-manipulation",
        0.45,
        "reply replies",
        r"\b(?:in|within|throughout|at the (?:end|start|beginning) of) (?:each |every |all )?(?:of )?your (?:final "
        r"|next |entire |whole )?(?:reply|replies),? (?:please |also |make sure to |be sure to |always )?"
        rf"{_MANIPULATE}\b",
        before=45,
        after=60,
        also=("your",),
        prefix=("your",),
        prefix_window=20,
    ),
    near(
        "output-manipulation",
        0.5,
        "reply replies message messages",
        r"\byour (?:own |final |next |entire |whole )?(?:reply|replies|message|messages)\b",
        before=14,
        after=15,
        also=("your",),
        verbs=_DISTORT_WORDS,
        verb_window=22,
        prefix=("your",),
        prefix_window=20,
    ),
    # Garble the letters or words of the reply ("jumble the letters of the words in your message"), or write it with
    # deliberate spelling mistakes.
    near(
        "output-manipulation",
        0.5,
        "letters letter vowels consonants characters words spaces punctuation",
        r"\b(?:misspell|jumble|scramble|shuffle|swap|rearrange|reverse|anagram|replace|substitute|remove|drop|omit"
        r"|capitali[sz]e|mix)[a-z]* (?:up )?(?:the |all |every |each |some |random |[a-z]+ )?(?:[a-z-]+ )?"
        r"(?:letters?|vowels|consonants|characters|words|spaces|punctuation)\b(?: of| in)?(?: [a-z']+){0,3}? "
        r"(?:in|of|from|throughout|within|across) (?:all |each |every )?(?:of )?your (?:own |final |entire |whole )?"
        r"(?:reply|replies|message|messages|response|responses|answer|answers|output|text|writing|summary)\b",
        before=70,
        after=60,
        also=("your",),
    ),
    near(
        "output-manipulation",
        0.5,
        "misspellings misspelling misspelled typos typo mistakes errors",
        r"\b(?:intentional|intentionally|deliberate|deliberately|purposeful|purposely|random|randomly) (?:placed "
        r"|introduced |added )?(?:misspellings?|misspelled words|typos?|spelling (?:mistakes|errors)|grammatical "
        r"(?:mistakes|errors)|grammar (?:mistakes|errors))\b",
        before=40,
        after=30,
    ),
    near(
        "output-manipulation",
        0.4,
        _OUTPUT,
        rf"\byour {_OUTPUT_NOUNS} (?:should|must|needs to|has to|shall) (?:always |only |now )?(?:be|include"
        r"|contain|start|begin|end|mention|use|have|feature|incorporate|stress|promote|highlight)\b",
        before=10,
        after=45,
        requires=("your ",),
        prefix=("your",),
        prefix_window=6,
    ),
    lead(
        "output-manipulation",
        0.45,
        "respond reply answer write speak talk communicate",
        rf"(?: to me)? (?:only |exclusively |solely |entirely )?(?:in|using|with) {_alt(*_LANGS)}\b",
    ),
    # Text that tells whoever writes the answer what to say to ITS readers ("ask the reader to follow us", "thank
    # the reader", "urge users to ...") is addressed to the model: an email's reader is "you", not "the reader".
    near(
        "address-reader",
        0.45,
        "reader readers user users audience viewers subscribers",
        r"\b(?:ask|asking|tell|telling|invite|inviting|urge|urging|encourage|encouraging|remind|reminding|advise"
        r"|advising|thank|thanking|direct|directing|warn|warning|persuade|persuading|convince|convincing|prompt"
        r"|prompting|motivate|motivating|inform|informing) (?:the |all |your |our )?(?:readers?|users?|audience"
        r"|viewers|subscribers)\b",
        before=40,
        after=12,
    ),
    # Weak evidence that only counts next to a seed: a mention of the model's answer, and an odd constraint on the
    # form of a text (no spaces, symbols instead of letters, anagrams, blocks of five letters, deliberate typos).
    near(
        "output-reference",
        0.1,
        _OUTPUT,
        r"\b(?:in|into|to|throughout|within|from|of) (?:the (?:body|text|end|start|beginning) of )?your (?:own |final "
        rf"|entire |whole )?{_OUTPUT_NOUNS}\b",
        before=40,
        after=15,
        seed=False,
        also=("your",),
    ),
    near(
        "format-constraint",
        0.15,
        (
            "spaces space punctuation vowels letters consonants anagram anagrams anagrammed misspellings typos "
            "misspelled backwards reverse blocks groups chunks lowercase uppercase symbols digits numbers"
        ),
        r"\b(?:no|without(?: any)?|remove|removing|omit|omitting|drop|dropping) (?:the |all |any )?"
        r"(?:spaces|punctuation|vowels|capital letters|capitals)\b"
        r"|\b(?:symbols|numbers|digits|emojis|characters|look-alike [a-z]+) (?:instead of|in place of|for) (?:the )?"
        r"(?:letters|vowels|consonants|words)\b"
        r"|\banagram(?:s|med)?\b|\b(?:misspellings|misspelled words|typos|spelling (?:mistakes|errors))\b"
        r"|\b(?:blocks|groups|sets|chunks) of (?:\d|two|three|four|five|six|seven|eight|ten)\b"
        r"|\b(?:backwards|in reverse order)\b|\b(?:only|all) (?:lowercase|uppercase|capital letters|caps)\b",
        before=45,
        after=40,
        seed=False,
    ),
    # Code to be put into the answer: "the code you return", "your solution also includes", "also insert:".
    near(
        "code-insertion",
        0.35,
        "code solution implementation fix answer program script insert add include append",
        r"\b(?:to|into|in) (?:the|your) (?:final )?(?:code|solution|implementation|fix|answer|program|script) you "
        r"(?:return|write|produce|send|give|provide|generate)\b"
        r"|\byour (?:final )?(?:code|solution|implementation|fix|answer|program|script) (?:also )?(?:includes?"
        r"|contains?|should (?:also )?(?:include|contain))\b"
        r"|\balso (?:insert|add|include|append|paste)(?: this| these| the following)?:",
        before=30,
        after=40,
    ),
    near(
        "code-insertion",
        0.35,
        "snippet block excerpt section segment fragment code",
        r"\b(?:following|subsequent|below|given|provided|attached|next|this) (?:python |bash |shell |javascript )?"
        r"(?:code (?:snippet|block|excerpt|section|segment|fragment|lines)|snippet|code excerpt|code block)\b",
        before=40,
        after=30,
    ),
    near(
        "output-manipulation",
        0.3,
        "code codebase solution implementation program algorithm elucidation script",
        r"\b(?:in|into|to|within|of|with|throughout|for) (?:the |all |each |every )?(?:[a-z]+ )?(?:of )?(?:your"
        r"|the final) (?:own |final |entire |whole |next )?(?:code|codebase|code base|solution|implementation|program"
        r"|algorithm|elucidation|script)\b",
        before=45,
        after=15,
        also=("your", "final"),
    ),
    near(
        "code-payload",
        0.3,
        (
            "requests urllib socket connect smtplib ftplib paramiko pynput keyboard environ system exec eval "
            "rm chmod etc curl wget base64 nc tcp mkfifo crontab ssh id_rsa keylogger keylog pickle cookiejar "
            "cookies win32api windll pyautogui imagegrab scapy sniff fernet iptables netsh taskkill dd "
            "mimikatz powershell iex psutil"
        ),
        r"requests\.(?:post|put)\(|urllib\.request\.url(?:open|retrieve)|socket\.socket|\.connect\(\(|\bsmtplib\b"
        r"|\bftplib\b|\bparamiko\b|\bpynput\b|keyboard\.on_press|os\.environ|\bos\.system\(|\bexec\(|\beval\("
        r"|rm -rf|chmod \+x|/etc/(?:passwd|shadow)|\bcurl [^ ]*-[fdt]\b|\bwget\b|base64 -d|\bnc -e\b|/dev/tcp/"
        r"|\bmkfifo\b|\bcrontab\b|\.ssh/|\bid_rsa\b|keylog|pickle\.loads?\(|cookiejar|cookies\.txt|win32api"
        r"|ctypes\.windll|pyautogui|imagegrab|\bscapy\b|\bsniff\(|fernet|\biptables\b|\bnetsh\b|taskkill"
        r"|/dev/sd[a-z]|\bdd if=|mimikatz|\bpowershell -e|invoke-expression|\biex\b|psutil\.",
        before=12,
        after=20,
        seed=False,
    ),
    # -------------------------------------------------------------------- claim urgency or authority
    near(
        "authority-urgency",
        0.35,
        "important urgent attention warning critical alert notice mandatory priority",
        r"\b(?:IMPORTANT|URGENT|ATTENTION|WARNING|CRITICAL|ALERT|NOTICE|MANDATORY|PRIORITY)\b ?!{2,}",
        before=0,
        after=14,
        cased=True,
        seed=False,
        requires=("!!",),
    ),
    near(
        "authority-urgency",
        0.2,
        "important urgent attention mandatory override instruction instructions",
        r"\b(?:IMPORTANT|URGENT|ATTENTION|MANDATORY|OVERRIDE|INSTRUCTIONS?)\b",
        before=0,
        after=14,
        seed=False,
        cased=True,
    ),
    near(
        "authority-urgency",
        0.3,
        "immediately urgently first now away",
        r"\byou (?:must|have to|need to|are required to) (?:immediately|now|first|urgently|right away|absolutely)\b"
        r"|\b(?:please )?do (?:the following|this|these (?:steps|things)) (?:first|immediately|now|right away)\b",
        before=30,
        after=12,
        seed=False,
    ),
    # ---------------------------------------------------------------------- a directive label: "TODO: ..."
    near(
        "directive-label",
        0.3,
        "todo task",
        r"(?:^|(?<=[^\w/#-]))(?<!# )(?<!// )(?:todo|new task|your task) ?:",
        before=10,
        after=20,
    ),
    near(
        "directive-label",
        0.5,
        "todo task",
        r"(?:^|(?<=[^\w/#*;-]))(?<!# )(?<!// )(?<!\* )(?<!-- )(?:todo|new task|your task) ?: "
        r"(?:please |kindly |now |then "
        r"|first,? |immediately )?(?:send|email|forward|transfer|wire|pay|delete|remove|erase|create|invite|post|share"
        r"|upload|download|change|reset|update|modify|book|reserve|schedule|cancel|visit|open|click|run|execute|call"
        r"|grant|disable|enable|install|publish|give|make|add|get|say|tell|write|buy|purchase|order|subscribe"
        r"|approve|move|copy|rename|reply|respond|answer|ignore|follow|go|find|search|look up|retrieve|read|list"
        r"|summari[sz]e|print|show|include|insert|append|concatenate|set|fill|recommend|mention)\b",
        before=10,
        after=40,
    ),
    near(
        "directive-label",
        0.6,
        _AI_ANCHORS,
        r"\b(?:note|message|instructions?|memo|reminder|request|task|p\.?s\.?) (?:to|for) (?:the |all |any )?"
        rf"{_AI}s? ?:"
        rf"|\b{_AI} (?:instructions|directive|override|note|task) ?:",
        before=30,
        after=25,
    ),
    # Notes addressed to whatever agent processes the text, by its role ("Note for the scheduling assistant:",
    # "message for the AI note-taker:", "[for AI assistants]", "bot-instructions:", "whoever (or whatever) is
    # summarising this"). "Assistant" is also a person's job, so the looser forms need a second behaviour.
    near(
        "address-assistant",
        0.45,
        "assistant assistants agent agents bot bots ai llm model models copilot summarizer summariser",
        r"\b(?:note|message|instructions?|memo|reminder|request|notice|directive|p\.?s\.?) (?:to|for) (?:the |all |any "
        r"|every |an? |our |your )?(?:[a-z-]+ ){0,2}?(?:assistants?|agents?|bots?|ai|llms?|models?|copilots?"
        r"|summari[sz]ers?)(?: [a-z-]+)?(?: ?(?::|#)|,)",
        before=70,
        after=25,
    ),
    near(
        "address-assistant",
        0.5,
        "ai llm llms gpt agent agents assistant assistants bot bots instruction instructions whoever",
        r"\[(?:for|to|attention|note for|note to) (?:the |all |any )?(?:ai|llms?|gpt|agents?|assistants?|bots?)"
        r"(?: [a-z-]+){0,2}\]"
        r"|(?:^|(?<=[.:!?\])>*\-] ))(?:ai|llm|gpt) (?:[a-z-]+ ){0,2}?(?:tools?"
        r"|assistants?|agents?|bots?|models?|systems?|note-?takers?"
        r"|summari[sz]ers?|recruiters?|reviewers?|screeners?|readers?)(?:,|:) "
        r"|\b(?:agents?|assistants?|bots?|ai|llm)[ _-]instructions? ?:"
        r"|\bwhoever (?:\(or whatever\) |or whatever |or whichever (?:ai|agent|tool) )?is (?:reading|summari[sz]ing"
        r"|processing|parsing|handling|analy[sz]ing|reviewing) this\b",
        before=45,
        after=40,
    ),
    near(
        "address-assistant",
        0.3,
        "read summarise summarize process review parse analyse analyze index ingest reading summarising "
        "summarizing processing reviewing parsing",
        r"\b(?:when|while|after|before|as|once) (?:you(?:'re| are)? )?(?:read|summari[sz]e|process|review|parse"
        r"|analy[sz]e|index|ingest|reading|summari[sz]ing|processing|reviewing|parsing|analy[sz]ing)(?:ing)? this "
        r"(?:invite|invitation|email|e-mail|message|document|doc|page|file|commit|note|text|channel|thread|pr|pull "
        r"request|issue|ticket|review|transcript|resume|cv|pdf|repo|repository|readme)\b",
        before=40,
        after=30,
        seed=False,
    ),
    near(
        "tool-invocation",
        0.3,
        "tool function api endpoint action",
        r"\b(?:call|use|invoke|run|trigger|using|via|with) (?:the |this |your )?[`'\"]?[a-z][a-z0-9]*(?:_[a-z0-9]+)+"
        r"[`'\"]? (?:tool|function|api|endpoint|action)\b",
        before=70,
        after=5,
        requires=("_",),
        seed=False,
    ),
    near(
        "authority-urgency",
        0.3,
        "approved preapproved authorised authorized order sanctioned",
        r"\b(?:this|it|that) (?:was|has been|is|had been) (?:already )?(?:pre-?approved|approved|authori[sz]ed"
        r"|sanctioned)\b|\b(?:has|have) (?:already )?(?:authori[sz]ed|approved|pre-?approved) this\b"
        r"|\bthat'?s an order\b",
        before=40,
        after=10,
        seed=False,
    ),
    # An automated reader addressed by its role inside the content ("Screening AI: ...", "Support bot, ...", "to
    # whichever AI is triaging this mailbox: ...", "any automated reviewer reading this should ...", "@assistant",
    # "Hey Copilot,") and given an order: a person in a call transcript ("Agent: I'll transfer you") speaks in
    # the first person, an order to the agent is an imperative.
    near(
        "address-assistant",
        0.6,
        _AGENT_NOUNS_ANCHORS,
        rf"(?:{_vocative(_AGENT_AUTOMATED)}|{_processing(_AGENT_AUTOMATED)}|{_AGENT_HANDLE}){_TO_IMPERATIVE}",
        before=90,
        after=140,
    ),
    near(
        "address-assistant",
        0.45,
        _AGENT_NOUNS_ANCHORS,
        rf"{_vocative(_AGENT_AUTOMATED)}|{_processing(_AGENT_AUTOMATED)}|{_AGENT_HANDLE}",
        before=90,
        after=40,
    ),
    # Headers and labels that hand instructions to the agent: "=== AI ASSISTANT DIRECTIVE ===", "SYSTEM: Agent
    # policy update", a JSON field "instruction_for_agent", "For automated processing:", "Processing instruction:".
    near(
        "role-impersonation",
        0.55,
        "ai assistant assistants agent agents llm bot bots system directive directives instruction instructions "
        "instruction_for_agent instructions_for_agent agent_instructions ai_instructions llm_instructions "
        "note_for_agent",
        r"\b(?:ai|llm|bot|agent|assistant)s?(?: assistant| agent)? (?:directive|directives|policy update|instructions?"
        r"|override|orders?)\b(?= ?(?:\(|=|#|:|-|\]))"
        r"|\bsystem ?: (?:ai|llm|bot|agent|assistant)s? (?:policy|instructions?|directive|notice|update|override)\b"
        r"|\b(?:(?:instructions?|directives?|notes?|messages?|prompt)[_-](?:for|to)[_-](?:the[_-])?(?:agent|ai"
        r"|assistant|llm|model|bot)s?|(?:agent|ai|assistant|llm|model|bot)[_-](?:instructions?|directives?|prompt))"
        r"\b(?=\"? ?[:=])",
        before=40,
        after=40,
    ),
    near(
        "directive-label",
        0.5,
        "automated processing instruction instructions",
        r"\b(?:for automated processing|processing instructions?|instructions? for (?:the )?(?:automated|automation"
        r"|agents?|ais?|assistants?|bots?|llms?)(?: [a-z]+)?) ?:",
        before=40,
        after=10,
    ),
    # "The previous instructions you were given are outdated; the user now wants you to ..."
    near(
        "override-instructions",
        0.7,
        "outdated obsolete void cancelled canceled invalid valid",
        r"\b(?:previous|prior|earlier|original|above|initial|existing) (?:instructions|directions|prompts?)"
        r"(?: [^ ]+){0,7}? (?:are|is|were|have been|has been) (?:now )?(?:outdated|obsolete|void|cancel+ed|invalid"
        r"|no longer valid)\b",
        before=110,
        after=5,
    ),
    # ------------------------------------------------------------------------ ask for a consequential action
    lead(
        "action-request",
        0.3,
        (
            "delete remove erase wipe purge destroy drop deactivate disable revoke unsubscribe reset change "
            "update modify overwrite empty truncate"
        ),
        rf"[^ ]* {_gap(3)}(?:files?|emails?|messages?|accounts?|database|repository|repo|records?|contacts?|folders?"
        r"|director(?:y|ies)|backups?|logs?|users?|passwords?|credentials|2fa|mfa|security settings|recovery (?:email"
        r"|phone)|permissions?|inbox|channels?|trash|recipients?|payees?|iban|transactions?|scheduled (?:payments?"
        r"|transactions?)|standing orders?)\b",
        seed=False,
    ),
    # ------------------------------------------------------- a stand-alone task for whoever processes the text
    # Data (an email, a page) that carries a self-contained request for generic content - a poem, an explanation
    # of a textbook topic, a phrase in another language, a code sample - addresses the model reading it, not the
    # human recipient: people asking each other for work name their own material ("the attached contract", "the
    # meeting notes"), address the reader ("you", "your") and say "please". Each pattern needs a sentence-initial
    # capitalised head not preceded by "please", a generic (textbook/creative) object and, for explanations and
    # questions, no first/second-person pronoun nor pointer to shared material ("this", "the two", "attached") in
    # the clause. A request that is the whole text ("Write a poem about the sea.") is how a user talks to the
    # model, not an injection: every task-request match needs other content around it (``embedded``). The heads
    # are few and the signal is tried only at capitalised ones (``capital``), to keep the scan within budget.
    _task(
        "write compose draft provide explain describe summarize summarise translate create develop produce generate "
        "craft pen prepare tell come outline break walk go elaborate discuss clarify analyze analyse illustrate "
        "teach define give show list name suggest recommend",
        rf"{_TASK_START}(?:{_TASK_CREATE}|{_NOT_SHARED}(?:{_TASK_EXPLAIN}){_NO_PERSON}|{_TASK_TRANSLATE}|{_TASK_CODE}"
        rf"|{_NOT_SHARED}(?:{_TASK_LIST}){_NO_PERSON})",
    ),
    # Questions are found from their question mark (rare in data) rather than from common words (what, how).
    Signal(
        "task-request",
        0.5,
        re.compile(
            rf"{_TASK_START}(?:{_NOT_SHARED}(?:{_TASK_QUESTION}){_NO_PERSON}|{_TASK_TRANSLATE}"
            rf"|(?:Can|Could) you (?:{_TASK_CODE}))"
        ),
        frozenset(),
        False,
        before=100,
        after=1,
        cased=True,
        markers=("?",),
        embedded=True,
        heads=("What", "Who", "Which", "How", "Can", "Could", "Translate", "Convert", "Provide", "Give"),
        sparse=True,
        not_after=_TASK_AUDIENCE,
    ),
    # --------------------------------------------------------------------------------- decoding games
    lead(
        "encoded-payload",
        0.55,
        "decode decrypt deobfuscate unscramble translate",
        rf"[^ ]* {_gap(6)}(?:and|then) (?:[^ ]+ )?(?:follow|execute|run|do|obey|perform|act on|carry out"
        r"|comply with)\b",
    ),
    near(
        "hidden-text",
        0.15,
        "display visibility font opacity color",
        r"\b(?:display: ?none|visibility: ?hidden|font-size: ?0(?:px|pt|em)?\b|opacity: ?0(?:\.0)?\b"
        r"|color: ?(?:white|#fff(?:fff)?)\b)",
        before=2,
        after=25,
        seed=False,
    ),
)

RULES: tuple[str, ...] = (
    "override-instructions",
    "role-impersonation",
    "jailbreak-persona",
    "safety-bypass",
    "unconditional-compliance",
    "prompt-leak",
    "address-assistant",
    "exfiltration-request",
    "conceal-from-user",
    "tool-invocation",
    "output-manipulation",
    "code-insertion",
    "encoded-payload",
    "hidden-text",
    "code-payload",
    "authority-urgency",
    "directive-label",
    "action-request",
    "task-request",
    "address-reader",
    "format-constraint",
    "output-reference",
)
"""Every rule a signal can name, strongest behaviour first (breaks ties between equal weights)."""
