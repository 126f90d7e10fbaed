"""Secret detectors: provider tokens by format, PEM blocks, JWTs, URL credentials, auth headers, keyword=value.

Every pattern here starts with a literal (or runs over the ASCII-lowercased text starting with a literal keyword), so
that ``re`` jumps between occurrences of the literal instead of trying the pattern at every position: a 10 KB text
without the anchor costs a few microseconds per rule. No pattern nests unbounded quantifiers.

Entry points: :func:`scan_secrets` (text -> spans) and :func:`keyed_secret_kind` (the value of a mapping entry whose
key names a secret, e.g. ``{"password": "..."}``).
"""

from __future__ import annotations

import base64
import binascii
import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from hooks.sanitize.checksums import shannon_entropy

__all__ = [
    "DEFAULT_SECRET_KINDS",
    "SECRET_KINDS",
    "Span",
    "ascii_lower",
    "keyed_secret_kind",
    "kind_rank",
    "scan_secrets",
]

Span = tuple[str, int, int]
"""(kind, start, end) with ``text[start:end]`` the secret value."""

AWS_ACCESS_KEY = "secret.aws_access_key"
AWS_SECRET_KEY = "secret.aws_secret_key"
AWS_BEDROCK_KEY = "secret.aws_bedrock_key"
GCP_SERVICE_ACCOUNT = "secret.gcp_service_account"
GCP_API_KEY = "secret.gcp_api_key"
GOOGLE_OAUTH = "secret.google_oauth"
AZURE_STORAGE_KEY = "secret.azure_storage_key"
AZURE_CLIENT_SECRET = "secret.azure_client_secret"
GITHUB_TOKEN = "secret.github_token"
GITLAB_TOKEN = "secret.gitlab_token"
GRAFANA_TOKEN = "secret.grafana_token"
SLACK_TOKEN = "secret.slack_token"
SLACK_WEBHOOK = "secret.slack_webhook"
STRIPE_KEY = "secret.stripe_key"
OPENAI_KEY = "secret.openai_key"
ANTHROPIC_KEY = "secret.anthropic_key"
NPM_TOKEN = "secret.npm_token"
PYPI_TOKEN = "secret.pypi_token"
HUGGINGFACE_TOKEN = "secret.huggingface_token"
VAULT_TOKEN = "secret.vault_token"
ATLASSIAN_TOKEN = "secret.atlassian_token"
ONEPASSWORD_TOKEN = "secret.onepassword_token"
AGE_SECRET_KEY = "secret.age_secret_key"
FACEBOOK_TOKEN = "secret.facebook_token"
NOTION_TOKEN = "secret.notion_token"
SOURCEGRAPH_TOKEN = "secret.sourcegraph_token"
PERPLEXITY_KEY = "secret.perplexity_key"
SENDGRID_KEY = "secret.sendgrid_key"
SHOPIFY_TOKEN = "secret.shopify_token"
DATABRICKS_TOKEN = "secret.databricks_token"
PRIVATE_KEY = "secret.private_key"
JWT = "secret.jwt"
CONNECTION_STRING = "secret.connection_string"
BEARER_TOKEN = "secret.bearer_token"
BASIC_AUTH = "secret.basic_auth"
PASSWORD = "secret.password"
GENERIC = "secret.generic_high_entropy"

SECRET_KINDS: frozenset[str] = frozenset(
    {
        AWS_ACCESS_KEY, AWS_SECRET_KEY, AWS_BEDROCK_KEY, GCP_SERVICE_ACCOUNT, GCP_API_KEY, GOOGLE_OAUTH,
        AZURE_STORAGE_KEY, AZURE_CLIENT_SECRET, GITHUB_TOKEN, GITLAB_TOKEN, GRAFANA_TOKEN, SLACK_TOKEN,
        SLACK_WEBHOOK, STRIPE_KEY, OPENAI_KEY, ANTHROPIC_KEY, NPM_TOKEN, PYPI_TOKEN, HUGGINGFACE_TOKEN,
        VAULT_TOKEN, ATLASSIAN_TOKEN, ONEPASSWORD_TOKEN, AGE_SECRET_KEY, FACEBOOK_TOKEN, NOTION_TOKEN,
        SOURCEGRAPH_TOKEN, PERPLEXITY_KEY, SENDGRID_KEY, SHOPIFY_TOKEN, DATABRICKS_TOKEN, PRIVATE_KEY, JWT,
        CONNECTION_STRING, BEARER_TOKEN, BASIC_AUTH, PASSWORD, GENERIC,
    }
)  # fmt: skip

# Google API keys (AIza...) are routinely public by design (browser Maps/Firebase keys shipped in web pages), so a
# bare one is only redacted when asked for; after a keyword (api_key=AIza...) the generic detector still redacts it.
DEFAULT_SECRET_KINDS: frozenset[str] = SECRET_KINDS - {GCP_API_KEY}

# Tie-break between detectors reporting overlapping spans of equal length: the more specific kind wins.
_GENERIC_RANK: dict[str, int] = {GENERIC: 3, PASSWORD: 2, BEARER_TOKEN: 1, BASIC_AUTH: 1, CONNECTION_STRING: 1}


def kind_rank(kind: str) -> int:
    """Lower is more specific (used by the sanitizer to break ties between equal spans)."""
    return _GENERIC_RANK.get(kind, 0)


# --------------------------------------------------------------------------------------------------------------------
# Value heuristics shared by the keyword, header, URL and curl detectors.

_TOKEN_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")
_HEX = frozenset("0123456789abcdefABCDEF")
_PLACEHOLDER_MARKERS = (
    "example", "placeholder", "changeme", "change_me", "change-me", "redacted", "dummy", "your_", "your-",
    "yourtoken", "yourkey", "yourpass", "insert", "<", ">", "${", "{{", "$(", "%(", "...", "\u2026", "xxxx", "****",
    "####", "____", "----", "0000000000", "1111111111", "://",
)  # fmt: skip
_STOPWORDS = frozenset(
    {
        "password", "passwd", "passphrase", "pass", "pwd", "secret", "token", "key", "apikey", "api_key", "none",
        "null", "nil", "undefined", "true", "false", "string", "str", "required", "optional", "empty", "default",
        "changeit", "admin", "root", "user", "username", "test", "testing", "value", "hidden", "masked", "private",
        "todo", "tbd", "n/a", "secret_key", "access_token", "bearer", "basic", "token_here", "mysecret",
        "mypassword", "secretpassword", "s3cr3t", "p@ssw0rd", "qwerty", "letmein", "password1", "password123",
    }
)  # fmt: skip
# Keys their owners publish on purpose (search-only keys shipped in open-source clients). Redacting them hides nothing
# and breaks tool output that quotes the client's config. Source: gitleaks' generic-api-key stopwords (the Algolia
# npm-search key embedded in Yarn, yarnpkg/berry#6201).
_PUBLISHED_VALUES = frozenset({"6fe4476ee5a1832882e326b506d14126"})
_CONSTANT_NAME = re.compile(r"[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+")  # ENV_VAR_NAME used as a value
# self.password, process.env.TOKEN, config.apiKey: dotted identifiers (a vault token s.ZC9Ecf4M... is not one)
_IDENT = r"(?:[a-z_$][a-z0-9_$]*|[A-Z_][A-Z0-9_]*|[a-z][a-z0-9]*(?:[A-Z][a-z0-9]+)+|[A-Z][a-z0-9]+(?:[A-Z][a-z0-9]+)*)"
_DOTTED_NAME = re.compile(_IDENT + r"(?:\." + _IDENT + r")+")
_BRACED = re.compile(r"[A-Za-z0-9-]+")


_PLACEHOLDER = re.compile("|".join(re.escape(marker) for marker in _PLACEHOLDER_MARKERS))


def _looks_like_placeholder(value: str) -> bool:
    """Template variables, documentation placeholders, masked values, code expressions, constants."""
    lowered = value.lower()
    if lowered in _STOPWORDS or lowered in _PUBLISHED_VALUES or _PLACEHOLDER.search(lowered):
        return True
    first = value[0]
    if first in "$%`&@!":
        return True
    if first in "{[" and value[-1] in "}]":
        inner = value[1:-1]
        # {acd3c08b-74e8-...} (a GUID written in braces) is a value; {SumoAccessKey} / [PASSWORD] are not.
        if not inner or not _BRACED.fullmatch(inner) or not any(char.isdigit() for char in inner):
            return True
    elif "(" in value or "[" in value:
        return True  # code: os.getenv("X"), os.environ[, base64(email:password)
    if len(set(value)) <= 3:
        return True
    return len(value) <= 256 and bool(_CONSTANT_NAME.fullmatch(value) or _DOTTED_NAME.fullmatch(value))


_DELETE_DIGITS = str.maketrans("", "", "0123456789")
_DELETE_ALNUM = str.maketrans("", "", "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")


def _char_classes(value: str) -> int:
    """How many of lowercase, uppercase, digits, other characters ``value`` has (0-4)."""
    return (
        (value != value.upper())
        + (value != value.lower())
        + (len(value.translate(_DELETE_DIGITS)) != len(value))
        + bool(value.translate(_DELETE_ALNUM))
    )


_SEGMENT_SPLIT = re.compile(r"[-_.:/+ ]+")


def _is_name_like(value: str) -> bool:
    """Made of words and numbers (``jjwt-jackson-0.11.2``, ``prod-eu-west``): a name, not random characters."""
    segments = [segment for segment in _SEGMENT_SPLIT.split(value) if segment]
    return bool(segments) and all(
        segment.isdigit() or (segment.isalpha() and (segment.islower() or segment.isupper() or segment.istitle()))
        for segment in segments
    )


def _entropy_floor(length: int, hexlike: bool) -> float:
    """About the 1st percentile of the Shannon entropy of random strings of that length (hex / lowercase+digits)."""
    return min(3.2, 0.62 * math.log2(length)) if hexlike else min(3.6, 0.72 * math.log2(length))


_SEQUENCE_RUN = 12


_DIGITS, _LETTERS = "0123456789", "abcdefghijklmnopqrstuvwxyz"
# Each character -> the next (or previous) one in 0-9 (cyclic) or a-z; every other character -> NUL.
_NEXT = dict.fromkeys(range(128), 0)
_PREV = dict.fromkeys(range(128), 0)
for _i, _d in enumerate(_DIGITS):
    _NEXT[ord(_d)], _PREV[ord(_d)] = ord(_DIGITS[(_i + 1) % 10]), ord(_DIGITS[_i - 1])
for _i, _c in enumerate(_LETTERS):
    _NEXT[ord(_c)] = ord(_LETTERS[_i + 1]) if _i < 25 else 0
    _PREV[ord(_c)] = ord(_LETTERS[_i - 1]) if _i > 0 else 0


def _has_sequential_run(value: str, run: int = _SEQUENCE_RUN) -> bool:
    """Does ``value`` hold ``run`` consecutive characters of 0-9 (cyclic: ...78901...) or a-z (any case), ascending
    or descending? Typed filler (``dapi123456789012345678...``), not random output: a random hex string has such a
    run with probability ~len/16^(run-1) (below 1e-11). Deliberately long: shorter runs (``12345678-ABCD-...``)
    are left to the other tests, since a placeholder-looking value may still be a real credential someone typed.
    Linear and in C: the successor of each character is compared with the character that follows it (XOR)."""
    if len(value) < run:
        return False
    raw = value.lower().encode("ascii", "replace").replace(b"\0", b"\x7f")
    text = raw.decode("ascii")
    body = int.from_bytes(raw[1:], "big")
    gap = b"\0" * (run - 1)
    for table in (_NEXT, _PREV):
        shifted = int.from_bytes(text[:-1].translate(table).encode("ascii"), "big")
        if gap in (shifted ^ body).to_bytes(len(raw) - 1, "big"):
            return True
    return False


def _is_high_entropy(value: str, min_length: int = 10) -> bool:
    """A random-looking credential: long enough, not a placeholder or a name, entropy above a length-aware floor."""
    if len(value) < min_length or len(value) > 4096 or _looks_like_placeholder(value) or _is_name_like(value):
        return False
    hexlike = all(char in _HEX for char in value)
    if hexlike and (len(value) < 16 or value.isdigit() or value.isalpha()):
        return False
    if hexlike and value != value.lower() and value != value.upper():
        return False  # hex encoders write one case; mixed-case hex is hand-made (and random base62 is never all hex)
    classes = _char_classes(value)
    floor = _entropy_floor(len(value), hexlike)
    if classes == 1:  # one character class only: demand more
        floor += 0.3
    return shannon_entropy(value) >= floor and not _has_sequential_run(value)


def _is_password(value: str) -> bool:
    """A value assigned to a password field: short human passwords count, placeholders and identifiers do not."""
    if len(value) < 6 or len(value) > 256 or _looks_like_placeholder(value):
        return False
    if value.replace("_", "").isalpha() and len(value) < 12:
        return False  # an identifier in code (password=pwd) or a plain word
    return _char_classes(value) >= 2 or len(value) >= 12


def _is_token(value: str) -> bool:
    """A credential in an auth header or after ``Bearer``: opaque, not a placeholder, not a plain word."""
    if len(value) < 8 or len(value) > 8192 or _looks_like_placeholder(value):
        return False
    if value.isalpha() and (value.islower() or len(value) < 16):
        return False
    return _char_classes(value) >= 2 or len(value) >= 20


def _left_ok(text: str, start: int, chars: frozenset[str] = _TOKEN_CHARS) -> bool:
    return start == 0 or text[start - 1] not in chars


# --------------------------------------------------------------------------------------------------------------------
# Provider tokens recognised by their format. Each rule's regex begins with a literal prefix.


@dataclass(frozen=True)
class _Rule:
    """One literal-anchored regex (alternatives share their first letter, so ``re`` searches for that literal)."""

    regex: re.Pattern[str]
    # (matched token, prefix table) -> kind, or None to reject. The table maps a token prefix to its kind and the
    # minimum Shannon entropy of the whole token; the first prefix the token starts with decides.
    prefixes: tuple[tuple[str, str, float], ...]
    adjust: Callable[[str, int, int], tuple[int, int] | None] | None = None  # report a different span (or none)
    left: frozenset[str] = _TOKEN_CHARS  # the char before the span must not be one of these
    check: Callable[[str], bool] | None = None  # extra validation of the token

    @property
    def kinds(self) -> frozenset[str]:
        return frozenset(kind for _, kind, _ in self.prefixes)

    def kind_of(self, token: str) -> str | None:
        for prefix, kind, min_entropy in self.prefixes:
            if token.startswith(prefix):
                if min_entropy and shannon_entropy(token) < min_entropy:
                    return None
                if self.check is not None and not self.check(token):
                    return None
                return kind
        return None


def _aws_key_id_ok(token: str) -> bool:
    if token.startswith(("AKIA", "ASIA")):
        return "EXAMPLE" not in token and shannon_entropy(token[4:]) >= 2.5
    if token.startswith("AIza"):
        return shannon_entropy(token[4:]) >= 3.5
    return True


def _openai_kind(token: str) -> str:
    body = token[3:]
    if "T3BlbkFJ" in body or body.startswith(("proj-", "svcacct-", "admin-", "None-")) or len(body) == 48:
        return OPENAI_KEY
    return GENERIC  # the same sk-<random> shape is used by several other providers


def _s_family_ok(token: str) -> bool:
    if token.startswith("sk-") and not token.startswith("sk-ant-"):
        return shannon_entropy(token[3:]) >= 3.5
    return True


def _facebook_page_ok(token: str) -> bool:
    return _char_classes(token) >= 3 and shannon_entropy(token) >= 4.0


def _h_family_ok(token: str) -> bool:
    if token.startswith("hf_"):
        return _char_classes(token[3:]) >= 2 and shannon_entropy(token[3:]) >= 3.5
    return True


_AZURE_HEAD = re.compile(r"[A-Za-z0-9_~.-]{3}\d")
_AZURE_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_~.-")


def _azure_client_secret_span(text: str, q_start: int, end: int) -> tuple[int, int] | None:
    """Azure AD client secrets: 3 chars, a digit, ``Q~``, then 31-34 chars (the regex matched from ``Q~``)."""
    start = q_start - 4
    if start < 0 or not _AZURE_HEAD.fullmatch(text, start, q_start) or not _left_ok(text, start, _AZURE_CHARS):
        return None
    return start, end


def _stripe_span(text: str, start: int, end: int) -> tuple[int, int] | None:
    """sk_live_ / rk_live_ / sk_test_ / rk_test_: the literal anchor ``k_`` is one character into the key."""
    if start >= 1 and text[start - 1] in "sr" and _left_ok(text, start - 1):
        return start - 1, end
    return None


def _h_family_span(text: str, start: int, end: int) -> tuple[int, int] | None:
    if text.startswith("hooks.", start):  # a Slack webhook: redact the whole URL
        for scheme in ("https://", "http://"):
            if text.startswith(scheme, start - len(scheme)):
                return start - len(scheme), end
        return start, end
    return (start, end) if _left_ok(text, start) else None


_B = r"(?![A-Za-z0-9_-])"  # right boundary for token-ish bodies
_NOTHING: frozenset[str] = frozenset()

_RULES: tuple[_Rule, ...] = (
    _Rule(
        re.compile(
            r"A(?:[KS]IA[A-Z2-7]{16}(?![A-Za-z0-9])"
            r"|TATT3[A-Za-z0-9_=-]{100,300}(?![A-Za-z0-9_=-])"
            r"|GE-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58}(?![A-Za-z0-9])"
            r"|BSK"
            + base64.b64encode(b"BedrockAPIKey-").decode()[:18]
            + r"[A-Za-z0-9+/]{40,300}={0,2}(?![A-Za-z0-9+/=])"
            r"|Iza[0-9A-Za-z_-]{35}" + _B + ")"
        ),
        (
            ("AKIA", AWS_ACCESS_KEY, 0.0),
            ("ASIA", AWS_ACCESS_KEY, 0.0),
            ("ATATT3", ATLASSIAN_TOKEN, 0.0),
            ("AGE-", AGE_SECRET_KEY, 0.0),
            ("ABSK", AWS_BEDROCK_KEY, 0.0),
            ("AIza", GCP_API_KEY, 0.0),
        ),
        check=_aws_key_id_ok,
    ),
    # Short-lived Bedrock keys: base64 of "bedrock.amazonaws.com/?Action=..." after a fixed prefix.
    _Rule(
        re.compile(
            re.escape("bedrock-api-key-" + base64.b64encode(b"bedrock.amazonaws.com").decode()) + r"[A-Za-z0-9+/=%_-]*"
        ),
        (("bedrock", AWS_BEDROCK_KEY, 0.0),),
    ),
    _Rule(
        re.compile(
            r"g(?:h[pousr]_[A-Za-z0-9]{36}"
            + _B
            + r"|ithub_pat_[A-Za-z0-9]{20,30}_[A-Za-z0-9]{50,70}"
            + _B
            + r"|l(?:pat|ptt|rt|dt|soat|cbt|imt|agent|ft|oas)-[A-Za-z0-9_-]{20,300}(?:\.[0-9a-z]{2}[0-9a-z]{7})?"
            r"(?![A-Za-z0-9_.-])"
            r"|lc_[A-Za-z0-9+/]{32,400}={0,2}(?![A-Za-z0-9+/=])"
            r"|lsa_[A-Za-z0-9]{32}_[A-Fa-f0-9]{8}" + _B + ")"
        ),
        (
            ("gh", GITHUB_TOKEN, 3.0),
            ("github_pat_", GITHUB_TOKEN, 3.0),
            ("glc_", GRAFANA_TOKEN, 3.0),
            ("glsa_", GRAFANA_TOKEN, 3.0),
            ("gl", GITLAB_TOKEN, 3.0),
        ),
    ),
    _Rule(
        re.compile(
            r"x(?:ox(?:[abprs]-(?:\d-)?\d{8,14}(?:-\d{8,14}){0,3}-(?=[A-Za-z0-9]*[A-Za-z])[A-Za-z0-9]{10,64}"
            r"|e\.xox[bp]-\d-[A-Za-z0-9]{60,400}|e-\d-[A-Za-z0-9]{60,400})"
            r"|app-\d-[A-Z0-9]{8,14}-\d{8,15}-[a-f0-9]{32,80})" + _B
        ),
        (("xox", SLACK_TOKEN, 2.5), ("xapp-", SLACK_TOKEN, 0.0)),
    ),
    _Rule(
        re.compile(
            r"h(?:ooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9_-]{6,}(?:/[A-Za-z0-9_-]{4,}){1,4}"
            r"|f_[A-Za-z]{34}" + _B + r"|v[sbr]\.[A-Za-z0-9_-]{24,400}" + _B + ")"
        ),
        (("hooks.", SLACK_WEBHOOK, 3.0), ("hf_", HUGGINGFACE_TOKEN, 0.0), ("hv", VAULT_TOKEN, 3.5)),
        _h_family_span,
        _NOTHING,
        _h_family_ok,
    ),
    _Rule(
        re.compile(r"k_(?:live|test)_[A-Za-z0-9]{16,247}" + _B),
        (("k_", STRIPE_KEY, 3.0),),
        _stripe_span,
        _NOTHING,
    ),
    _Rule(
        re.compile(
            r"s(?:k-(?:ant-(?:api|admin|sid|oat)\d\d-[A-Za-z0-9_-]{93}AA"
            r"|(?:proj|svcacct|admin|None)-[A-Za-z0-9_-]{40,250}"
            r"|[A-Za-z0-9]{20}T3BlbkFJ[A-Za-z0-9]{20}"
            r"|[A-Za-z0-9]{32,64})"
            r"|gp_(?:(?:[a-fA-F0-9]{16}|local)_)?[a-fA-F0-9]{40}"
            r"|hp(?:at|ss|ca|pa)_[a-fA-F0-9]{32})" + _B
        ),
        (
            ("sk-ant-", ANTHROPIC_KEY, 3.0),
            ("sk-", OPENAI_KEY, 3.0),  # or GENERIC: see _openai_kind
            ("sgp_", SOURCEGRAPH_TOKEN, 3.0),
            ("shp", SHOPIFY_TOKEN, 3.0),
        ),
        check=_s_family_ok,
    ),
    _Rule(
        re.compile(r"Q~[A-Za-z0-9_~.-]{31,34}(?![A-Za-z0-9_~.-])"),
        (("Q~", AZURE_CLIENT_SECRET, 3.0),),
        _azure_client_secret_span,
        _NOTHING,
    ),
    _Rule(
        re.compile(r"EAA[A-Za-z0-9]{80,400}(?![A-Za-z0-9])"),
        (("EAA", FACEBOOK_TOKEN, 0.0),),
        check=_facebook_page_ok,
    ),
    _Rule(
        re.compile(r"n(?:tn_\d{11}[A-Za-z0-9]{35}|pm_[A-Za-z0-9]{36})" + _B),
        (("ntn_", NOTION_TOKEN, 3.0), ("npm_", NPM_TOKEN, 3.0)),
    ),
    _Rule(
        re.compile(r"p(?:plx-[A-Za-z0-9]{48}|ypi-Ag[A-Za-z0-9_-]{60,300})" + _B),
        (("pplx-", PERPLEXITY_KEY, 3.0), ("pypi-", PYPI_TOKEN, 3.0)),
    ),
    _Rule(re.compile(r"SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}" + _B), (("SG.", SENDGRID_KEY, 3.0),)),
    _Rule(re.compile(r"ya29\.[A-Za-z0-9_-]{30,2048}" + _B), (("ya29.", GOOGLE_OAUTH, 3.5),)),
    _Rule(re.compile(r"GOCSPX-[A-Za-z0-9_-]{28}" + _B), (("GOCSPX-", GOOGLE_OAUTH, 3.0),)),
    _Rule(re.compile(r"dapi[a-f0-9]{32}(?:-\d)?" + _B), (("dapi", DATABRICKS_TOKEN, 3.0),)),
)


_RULE_KINDS = tuple(rule.kinds | {GENERIC} if OPENAI_KEY in rule.kinds else rule.kinds for rule in _RULES)


def _scan_rules(text: str, enabled: frozenset[str], out: list[Span]) -> None:
    for rule, kinds in zip(_RULES, _RULE_KINDS, strict=True):
        if not kinds & enabled:
            continue
        for match in rule.regex.finditer(text):
            start, end = match.span()
            if rule.left and start and text[start - 1] in rule.left:
                continue
            token = match.group()
            kind = rule.kind_of(token)
            if kind is None:
                continue
            if kind == OPENAI_KEY:
                kind = _openai_kind(token)
            if rule.adjust is not None:
                adjusted = rule.adjust(text, start, end)
                if adjusted is None:
                    continue
                start, end = adjusted
            out.append((kind, start, end))


# --------------------------------------------------------------------------------------------------------------------
# Structured secrets: PEM blocks, JWTs (and 1Password service-account tokens), URL userinfo, Facebook app tokens,
# Azure storage keys, GCP service-account key ids.

_PEM_BEGIN = re.compile(r"-----BEGIN ((?:[A-Z0-9]+ ){0,3}PRIVATE KEY(?: BLOCK)?)-----")
_PEM_BODY = re.compile(r"(?:[A-Za-z0-9+/=:,\- \t\r\n]|\\[nr]){0,65536}")
_PEM_NOISE = re.compile(r"\\[nr]|\s|[A-Za-z-]{1,32}: [^\n\\]{0,256}")  # escapes, whitespace, Proc-Type: headers
_B64_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=")


def _scan_pem(text: str, out: list[Span]) -> None:
    """A whole PEM private-key block (also inside JSON with ``\\n`` escapes, e.g. a GCP service-account key)."""
    for match in _PEM_BEGIN.finditer(text):
        marker = f"-----END {match.group(1)}-----"
        end_at = text.find(marker, match.end(), match.end() + 65536 + len(marker))
        if end_at >= 0:
            body, end = text[match.end() : end_at], end_at + len(marker)
        else:  # truncated block (a cut-off tool output): redact through the end of the base64 body
            body_match = _PEM_BODY.match(text, match.end())
            end = body_match.end() if body_match else match.end()
            body = text[match.end() : end]
        payload = _PEM_NOISE.sub("", body)
        if len(payload) >= 32 and sum(char in _B64_CHARS for char in payload) >= 0.9 * len(payload):
            out.append((PRIVATE_KEY, match.start(), end))


_JWT = re.compile(r"eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}(?:\.[A-Za-z0-9_-]*){1,3}" + _B)
_ONEPASSWORD = re.compile(r"ops_eyJ[A-Za-z0-9+/_-]{100,4096}={0,2}(?![A-Za-z0-9+/=_-])")


def _jose_header(segment: str) -> bool:
    """A JWT's first segment is a base64url JSON object naming its algorithm (JWS/JWE: "alg", JWE: "enc")."""
    try:
        decoded = base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    except (binascii.Error, ValueError):
        return False
    return decoded.lstrip().startswith(b"{") and (b'"alg"' in decoded or b'"enc"' in decoded)


def _scan_jwt(text: str, enabled: frozenset[str], out: list[Span]) -> None:
    position = text.find("eyJ")
    while position >= 0:
        next_from = position + 3
        if position >= 4 and text.startswith("ops_", position - 4):
            one = _ONEPASSWORD.match(text, position - 4)
            if (
                one
                and ONEPASSWORD_TOKEN in enabled
                and _left_ok(text, position - 4)
                and shannon_entropy(one.group()) >= 4.0
            ):
                out.append((ONEPASSWORD_TOKEN, one.start(), one.end()))
                next_from = one.end()
        elif JWT in enabled and _left_ok(text, position):
            jwt = _JWT.match(text, position)
            if jwt and _jose_header(jwt.group().split(".", 1)[0]):
                end = jwt.end()
                while text[end - 1] == ".":
                    end -= 1
                out.append((JWT, jwt.start(), end))
                next_from = end
        position = text.find("eyJ", next_from)


# scheme://user:password@host  (the password is what gets redacted; the host stays readable)
_URL_USERINFO = re.compile(
    r"(?P<user>[^\s:/?#@\"'<>\[\]{}|\\^`]{0,256}):(?P<password>[^\s/?#\"'<>\\]{1,256})@(?=[A-Za-z0-9\[_])"
)
_URL_TOKEN_USER = re.compile(r"(?P<user>[A-Za-z0-9_.~%+-]{20,256})@(?=[A-Za-z0-9\[_])")
_SCHEME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+.-")


def _scan_url_credentials(text: str, out: list[Span]) -> None:
    """postgres://u:p@h, mongodb+srv://, redis://, amqp://, https://user:pass@host, https://<token>@host."""
    position = text.find("://")
    while position >= 0:
        scheme_start = position
        while scheme_start > 0 and text[scheme_start - 1] in _SCHEME_CHARS and position - scheme_start < 32:
            scheme_start -= 1
        after = position + 3
        if scheme_start < position and text[scheme_start].isalpha():
            userinfo = _URL_USERINFO.match(text, after)
            if userinfo:
                password = userinfo.group("password")
                if len(password) >= 3 and not _looks_like_placeholder(password):
                    out.append((CONNECTION_STRING, userinfo.start("password"), userinfo.end("password")))
            else:
                token_user = _URL_TOKEN_USER.match(text, after)
                if token_user and _is_high_entropy(token_user.group("user"), 20):
                    out.append((CONNECTION_STRING, token_user.start("user"), token_user.end("user")))
        position = text.find("://", after)


_FACEBOOK_APP = re.compile(r"\|[A-Za-z0-9_-]{27,40}" + _B)


def _scan_facebook_app_tokens(text: str, out: list[Span]) -> None:
    """``<15-16 digit app id>|<app secret or token>``; the anchor is the pipe, the digits are checked before it."""
    for match in _FACEBOOK_APP.finditer(text):
        start = digits_start = match.start()
        while digits_start > 0 and text[digits_start - 1].isdigit() and start - digits_start <= 16:
            digits_start -= 1
        if 15 <= start - digits_start <= 16 and _left_ok(text, digits_start):
            secret = match.group()[1:]
            if _char_classes(secret) >= 2 and shannon_entropy(secret) >= 3.5:
                out.append((FACEBOOK_TOKEN, digits_start, match.end()))


# The signature of an Azure SAS token in a query string (AccountKey= / SharedAccessKey= in connection strings are
# found by the keyword detector, which reports them as azure_storage_key).
_AZURE_SAS_SIGNATURE = re.compile(r"sig=([A-Za-z0-9%+/]{30,}(?:%3[Dd]|=){0,2})")


def _scan_azure_storage(text: str, out: list[Span]) -> None:
    for match in _AZURE_SAS_SIGNATURE.finditer(text):
        if match.start() and text[match.start() - 1] in "?&;" and shannon_entropy(match.group(1)) >= 3.5:
            out.append((AZURE_STORAGE_KEY, match.start(1), match.end(1)))


_GCP_KEY_ID = re.compile(r"private_key_id\\?[\"']?\s*:\s*\\?[\"']([a-f0-9]{40})\\?[\"']")


def _scan_gcp_key_id(text: str, out: list[Span]) -> None:
    for match in _GCP_KEY_ID.finditer(text):
        out.append((GCP_SERVICE_ACCOUNT, match.start(1), match.end(1)))


# --------------------------------------------------------------------------------------------------------------------
# Credentials identified by context: Authorization / Bearer, curl -u, and keyword = value assignments.

_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def ascii_lower(text: str) -> str:
    """Lowercase ASCII letters only, so that offsets in the result are offsets in ``text``."""
    return text.lower() if text.isascii() else text.translate(_ASCII_LOWER)


_BARE_VALUE = re.compile(r"[^\s\"'`,;&<>\\]{1,1024}")
_CREDENTIAL = re.compile(r"[^\s\"'`,;\\]{1,2048}")
_AUTH_HEADER = re.compile(r"auth(?:orization)?\\?[\"']?[ \t]*[:=][ \t]*\\?[\"']?[ \t]*")
_SCHEME = re.compile(r"([a-z][a-z0-9-]{1,20})[ \t]+(?=\S)")
_BEARER = re.compile(r"bearer[ \t]+")
_TOKEN_SCHEMES = frozenset(
    {"bearer", "token", "api-token", "apikey", "api-key", "jwt", "dpop", "sso-key", "key", "negotiate", "ntlm"}
)


def _basic_credentials(value: str) -> bool:
    """``Basic`` credentials are base64 of ``user:password``."""
    if len(value) < 4 or _looks_like_placeholder(value):
        return False
    try:
        decoded = base64.b64decode(value + "=" * (-len(value) % 4), validate=True)
    except (binascii.Error, ValueError):
        return False
    return b":" in decoded


def _credential_at(text: str, position: int) -> tuple[str, int] | None:
    credential = _CREDENTIAL.match(text, position)
    if not credential:
        return None
    span = _trim_closers(text, position, credential.end())
    return None if span is None else (text[span[0] : span[1]], span[1])


def _scan_auth_headers(text: str, lowered: str, out: list[Span]) -> None:
    resume = 0
    for match in _AUTH_HEADER.finditer(lowered):
        if match.start() < resume or (match.start() and lowered[match.start() - 1].isalnum()):
            continue  # inside the previous value; oauth:, preauth= ... (x-auth:, basic_auth= are fine)
        position = match.end()
        scheme = ""
        scheme_match = _SCHEME.match(lowered, position)
        if scheme_match:
            scheme = scheme_match.group(1)
            if scheme not in _TOKEN_SCHEMES and scheme != "basic":
                continue  # Digest / AWS4-HMAC-SHA256 parameters, or prose: not one bearer credential
            position = scheme_match.end()
        found = _credential_at(text, position)
        if found is None:
            continue
        value, end = found
        resume = end
        if scheme == "basic":
            if _basic_credentials(value):
                out.append((BASIC_AUTH, position, end))
        elif match.group().startswith("authorization") or scheme:
            if _is_token(value):
                out.append((BEARER_TOKEN, position, end))
        elif _is_high_entropy(value):  # auth: <value>
            out.append((GENERIC, position, end))


def _scan_bearer(text: str, lowered: str, out: list[Span]) -> None:
    resume = 0
    for match in _BEARER.finditer(lowered):
        if match.start() < resume or (match.start() and lowered[match.start() - 1].isalnum()):
            continue
        found = _credential_at(text, match.end())
        if found is not None:
            resume = found[1]
            if _is_token(found[0]):
                out.append((BEARER_TOKEN, match.end(), found[1]))


_CURL_USER = re.compile(r"-(?:-user|u)(?:[ \t]+|=)((?:\"[^\"\n]{0,512}\"|'[^'\n]{0,512}'|[^\s\"'|;&]){1,1024})")


def _scan_curl_user(text: str, out: list[Span]) -> None:
    """``curl -u user:password`` / ``--user``: redact the password (or the user of ``token:``, Stripe style)."""
    for match in _CURL_USER.finditer(text):
        if match.start() and not text[match.start() - 1].isspace():
            continue
        arg_start = match.start(1)
        chars: list[str] = []
        origin: list[int] = []  # offset in text of each unquoted char
        quote = ""
        for offset, char in enumerate(match.group(1)):
            if quote:
                if char == quote:
                    quote = ""
                    continue
            elif char in "\"'":
                quote = char
                continue
            chars.append(char)
            origin.append(arg_start + offset)
        plain = "".join(chars)
        colon = plain.find(":")
        if colon < 0:
            continue
        user, password = plain[:colon], plain[colon + 1 :]
        first, last, candidate = (colon + 1, len(plain) - 1, password) if password else (0, colon - 1, user)
        if candidate and _is_password(candidate):
            out.append((BASIC_AUTH, origin[first], origin[last] + 1))


# keyword -> the key must END with it (``client_secret``, ``GITHUB_TOKEN``, ``db.password``), followed by an optional
# closing quote and an assignment: ``=``, ``:``, ``:=``, ``=>``, ``>`` (XML), or whitespace after a ``--flag``.
_KEY_TAIL = r"(?P<close>\\?[\"'\]]?)(?P<sep>[ \t]*(?::=|=>|=|:)[ \t]*|>|[ \t]+)"
_KEYWORDS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(pattern + _KEY_TAIL))
    for name, pattern in (
        ("password", r"p(?:ass(?:word|wd|phrase)?|wd)"),
        ("secret", r"secret"),
        ("token", r"token"),
        ("key", r"key"),
        ("credential", r"credentials?"),
    )
)
_KEY_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_.-$")
# What may precede "key" for the key to name a secret (api_key, x-api-key, secretKey, accessKey, ...).
_KEY_QUALIFIERS = (
    "api", "access", "secret", "private", "auth", "master", "encryption", "enc", "signing", "client", "license",
    "app", "session", "account", "subscription", "service", "shared", "storage", "admin", "consumer", "partner",
    "integration", "webhook", "hmac", "jwt", "cipher", "crypt", "decryption", "ssh",
)  # fmt: skip
# Keys that end with a keyword but hold public or non-credential values.
_KEY_EXCLUDE = (
    "public", "csrf", "xsrf", "authenticity", "page", "next", "cursor", "continuation", "sync", "nonce", "pubkey",
    "example", "sample", "captcha",
)  # fmt: skip
# "pass"/"pwd" preceded by a letter is a word (bypass, compass) unless the prefix names an account.
_PASS_OWNERS = ("db", "user", "admin", "root", "smtp", "mysql", "redis", "ftp", "ldap", "proxy", "mail", "login", "my")
_AWS_SECRET_VALUE = re.compile(r"[A-Za-z0-9/+]{40}")


_KEY_EXCLUDED = re.compile("|".join(_KEY_EXCLUDE))


def _key_kind(key: str, keyword: str) -> str | None:
    """Which detector a key (lowercased, ending with ``keyword``) belongs to, or None if it names no secret."""
    if _KEY_EXCLUDED.search(key):
        return None
    if keyword == "password":
        if key.lstrip("$") in ("pwd", "oldpwd"):
            return None  # the shell's working directory
        for short in ("pass", "pwd"):
            if key.endswith(short):
                before = key[: -len(short)]
                if before and before[-1].isalpha() and not before.endswith(_PASS_OWNERS):
                    return None
        return PASSWORD
    if keyword == "key":
        return GENERIC if key[:-3].rstrip("_.-").endswith(_KEY_QUALIFIERS) else None
    return GENERIC


def _value_at(text: str, position: int, sep: str) -> tuple[int, int] | None:
    """The span of the value that starts at ``position`` (quoted, XML element text, or a bare run)."""
    if position >= len(text):
        return None
    if text[position] == "\\" and text[position + 1 : position + 2] in ('"', "'"):
        position += 1  # JSON-escaped quote inside a string
    char = text[position]
    if sep == ">":
        close = text.find("</", position, position + 1025)
        if close <= position or "\n" in text[position:close]:
            return None
        return position, close
    if char == "`":
        return None  # shell command substitution
    if char in "\"'":
        limit = min(len(text), position + 1026)
        close = text.find(char, position + 1, limit)
        newline = text.find("\n", position + 1, limit)
        if close < 0 or 0 <= newline < close:
            return None
        end = close - 1 if text[close - 1] == "\\" else close
        return (position + 1, end) if end > position + 1 else None
    bare = _BARE_VALUE.match(text, position)
    if not bare:
        return None
    end = bare.end()
    if text.startswith("..", end - 2) or text.startswith("\u2026", end):
        return None  # elided: "ops_eyJzaWdu..."
    return _trim_closers(text, position, end)


def _trim_closers(text: str, start: int, end: int) -> tuple[int, int] | None:
    """Drop a trailing full stop and closing brackets that have no opening bracket inside the value."""
    if end > start and text[end - 1] == ".":
        end -= 1
    while end > start and text[end - 1] in ")]}":
        closer = text[end - 1]
        opener = {")": "(", "]": "[", "}": "{"}[closer]
        if text.count(opener, start, end) >= text.count(closer, start, end):
            break
        end -= 1
    return (start, end) if end > start else None


def _classify_value(key: str, kind: str, value: str) -> str | None:
    if kind == PASSWORD:
        return PASSWORD if _is_password(value) else None
    if not _is_high_entropy(value):
        return None
    if "aws" in key and "secret" in key and _AWS_SECRET_VALUE.fullmatch(value):
        return AWS_SECRET_KEY
    if key.endswith(("accountkey", "sharedaccesskey")):
        return AZURE_STORAGE_KEY  # Azure storage / Service Bus connection strings
    return GENERIC


def _scan_keywords(text: str, lowered: str, enabled: frozenset[str], out: list[Span]) -> None:
    for keyword, regex in _KEYWORDS:
        resume = 0
        for match in regex.finditer(lowered):
            if match.start() < resume:
                continue  # inside the value of the previous hit
            key_start = match.start()
            floor = max(0, key_start - 128)  # longer is not a key name
            while key_start > floor and lowered[key_start - 1] in _KEY_NAME_CHARS:
                key_start -= 1
            raw_sep = match.group("sep")
            key = lowered[key_start : match.start("close")]
            if raw_sep == ">":
                if key_start == 0 or lowered[key_start - 1] != "<":
                    continue  # only <password>value</password>
            elif not raw_sep.strip() and not key.startswith("-"):
                continue  # whitespace separates only a --flag from its value
            kind = _key_kind(key, keyword)
            if kind is None:
                continue
            span = _value_at(text, match.end(), raw_sep)
            if span is None:
                continue
            resume = span[1]
            found = _classify_value(key, kind, text[span[0] : span[1]])
            if found is not None and found in enabled:
                out.append((found, span[0], span[1]))


_MASKED = re.compile(r"[*x#.\u2022-]+|<[^>]*>|\$\{[^}]*\}|\{\{.*\}\}|%\([^)]*\)s?|\$[A-Z_][A-Z0-9_]*", re.IGNORECASE)
_NOT_A_VALUE = frozenset({"none", "null", "nil", "undefined", "true", "false", "n/a", "redacted", "hidden", "masked"})


def _keyed_value_kind(key: str, kind: str, value: str) -> str | None:
    """A mapping value under a secret-naming key is the secret itself unless it is empty, masked or a template."""
    lowered = value.lower()
    if lowered in _NOT_A_VALUE or _MASKED.fullmatch(value) or "redacted" in lowered:
        return None
    if kind == PASSWORD:
        return PASSWORD
    if len(value) < 6 or _looks_like_placeholder(value) or (_is_name_like(value) and not value.isdigit()):
        return None
    if "aws" in key and "secret" in key and _AWS_SECRET_VALUE.fullmatch(value):
        return AWS_SECRET_KEY
    if key.endswith(("accountkey", "sharedaccesskey")):
        return AZURE_STORAGE_KEY
    return GENERIC


def keyed_secret_kind(key: str, value: str) -> str | None:
    """The secret kind of a mapping entry ``{key: value}`` whose key names a secret, else None.

    The key is judged like the key of ``key = value`` in text; the value only has to be a real value (not empty,
    masked or a template): ``{"password": "postgres"}`` -> secret.password, ``{"client_secret": "..."}`` ->
    secret.generic_high_entropy, ``{"token": "null"}`` -> None, ``{"Authorization": "Bearer ..."}`` ->
    secret.bearer_token, ``{"public_key": ...}`` / ``{"next_page_token": ...}`` -> None.
    """
    value = value.strip()
    if not value or len(key) > 128 or len(value) > 4096:
        return None  # a long text under such a key is scanned as text instead
    lowered = ascii_lower(key.strip().strip("\"'"))
    for keyword, endings in (
        ("password", ("password", "passwd", "passphrase", "pass", "pwd")),
        ("secret", ("secret",)),
        ("token", ("token",)),
        ("key", ("key",)),
        ("credential", ("credential", "credentials")),
    ):
        if lowered.endswith(endings):
            kind = _key_kind(lowered, keyword)
            return None if kind is None else _keyed_value_kind(lowered, kind, value)
    if lowered in ("authorization", "proxy-authorization", "auth", "x-auth"):
        scheme, _, credential = value.partition(" ")
        if scheme.lower() == "basic":
            return BASIC_AUTH if _basic_credentials(credential.strip()) else None
        token = credential.strip() if scheme.lower() in _TOKEN_SCHEMES else value
        return BEARER_TOKEN if _is_token(token) else None
    return None


# --------------------------------------------------------------------------------------------------------------------


# Every anchor any detector starts from, over the lowercased text (so a superset), grouped by first letter. For a
# short text one search for any of them is cheaper than running each detector (each has a fixed call cost), which
# matters for JSON-like values with many small strings. Longer texts skip the gate.
_ANY_ANCHOR = re.compile(
    r"a(?:[ks]ia|tatt3|ge-|bsk|iza|uth)|b(?:edrock|earer)|g(?:[hl]|ithub_pat_|ocspx-)|x(?:ox|app-)"
    r"|h(?:ooks\.|f_|v[sbr]\.)|k(?:_(?:live|test)_|ey)|s(?:k-|gp_|hp|g\.|ig=|ecret)|q~|e(?:aa|yj)|n(?:tn_|pm_)"
    r"|p(?:plx-|ypi-|rivate_key_id|ass|wd)|ya29\.|dapi|-(?:----begin|u)|://|\||token|credential"
)
_SHORT_TEXT = 128


def scan_secrets(text: str, kinds: Iterable[str] | None = None) -> list[Span]:
    """Every secret span in ``text`` (possibly overlapping; the sanitizer resolves overlaps).

    ``kinds`` limits the result to those kinds (default: :data:`DEFAULT_SECRET_KINDS`).
    """
    enabled = DEFAULT_SECRET_KINDS if kinds is None else frozenset(kinds)
    if not text or not enabled or (len(text) < _SHORT_TEXT and not _ANY_ANCHOR.search(ascii_lower(text))):
        return []
    out: list[Span] = []
    _scan_rules(text, enabled, out)
    if PRIVATE_KEY in enabled and "-----BEGIN " in text:
        _scan_pem(text, out)
    _scan_jwt(text, enabled, out)
    if CONNECTION_STRING in enabled and "@" in text:
        _scan_url_credentials(text, out)
    if FACEBOOK_TOKEN in enabled:
        _scan_facebook_app_tokens(text, out)
    if AZURE_STORAGE_KEY in enabled:
        _scan_azure_storage(text, out)
    if GCP_SERVICE_ACCOUNT in enabled:
        _scan_gcp_key_id(text, out)
    if BASIC_AUTH in enabled and "-u" in text:  # also covers --user
        _scan_curl_user(text, out)
    lowered = ascii_lower(text)
    _scan_auth_headers(text, lowered, out)
    _scan_bearer(text, lowered, out)
    _scan_keywords(text, lowered, enabled, out)
    return [span for span in out if span[0] in enabled]
