"""The pure parts of ``scripts/injection_docs.py`` (the benign docs corpus): roff stripping, chunking, the split
rule and a byte-identical build from a tiny fake cache. No network."""

from __future__ import annotations

import gzip
import hashlib
import importlib.util
import io
import json
import sys
import tarfile
import zipfile
from pathlib import Path
from types import ModuleType

import pytest


def _load() -> ModuleType:
    path = Path(__file__).resolve().parents[2] / "scripts" / "injection_docs.py"
    spec = importlib.util.spec_from_file_location("injection_docs", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["injection_docs"] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


docs = _load()

PAGE = r""".\" Comment line
.TH LS 1 "2022" "GNU" "User Commands"
.SH NAME
ls \- list directory contents
.SH SYNOPSIS
.B ls
[\fI\,OPTION\/\fR]... [\fI\,FILE\/\fR]...
.SH DESCRIPTION
List information about the FILEs
(the current directory by default).
.TP
\fB\-a\fR, \fB\-\-all\fR
do not ignore entries starting with \(aq.\(aq
.PP
See \fBdir\fP(1) and \[u00E9]t\[e'] \(em done.
.nf
line one
  line two
.fi
.de XX
.ft B
..
.TS
tab(;);
l l.
a;b
.TE
"""


def test_roff_to_text_resolves_requests_and_escapes() -> None:
    text = docs.roff_to_text(PAGE)
    assert text.startswith("LS(1)\n")
    assert "ls - list directory contents" in text
    assert "ls [OPTION]... [FILE]..." in text
    assert "List information about the FILEs (the current directory by default)." in text
    assert "-a, --all\ndo not ignore entries starting with '.'" in text
    assert "See dir(1) and \u00e9t \u2014 done." in text
    assert "line one\n  line two" in text
    assert "Comment" not in text and "\\" not in text and ".ft" not in text and "tab(" not in text
    assert docs.roff_to_text(PAGE) == text


def test_roff_mdoc_words_kept() -> None:
    text = docs.roff_to_text(".Dt CAT 1\n.Sh NAME\n.Nm cat\n.Nd concatenate files\n.Sh SYNOPSIS\n.Op Fl u\n")
    assert "CAT(1)" in text and "cat" in text and "concatenate files" in text and "[ -u ]" in text


def test_chunking_whole_and_paragraphs() -> None:
    assert docs.chunk_text("short") == []
    small = "word " * 100
    assert docs.chunk_text(small) == [small.strip("\n")]
    paras = [f"paragraph {i} " + "x" * 900 for i in range(100)]  # ~90 KB: over the whole-file ceiling
    chunks = docs.chunk_text("\n\n".join(paras))
    assert all(200 <= len(c.encode()) <= docs.CHUNK_BYTES for c in chunks)
    assert "\n\n".join(chunks) == "\n\n".join(paras)  # cut only at paragraph boundaries
    one_line = "\u00e9" * 50_000  # 100 KB, one line: cut at character boundaries
    pieces = docs.chunk_text(one_line)
    assert "".join(pieces) == one_line and all(len(p.encode()) <= docs.CHUNK_BYTES for p in pieces)


def test_chunk_json_gives_valid_json_pieces() -> None:
    value = {"operations": {f"Op{i}": {"doc": "d" * 500, "input": {"shape": f"S{i}"}} for i in range(200)}}
    pieces = docs.chunk_json(json.dumps(value))
    assert len(pieces) > 10
    merged: dict[str, object] = {}
    for p in pieces:
        assert len(p.encode()) <= docs.CHUNK_BYTES
        merged.update(json.loads(p)["operations"])
    assert merged == value["operations"]


def test_split_rule_is_a_fixed_hash_of_the_unit() -> None:
    for unit in ["manpages-de", "django:fr", "lodash"]:
        first = hashlib.sha256(("bsh-docs-split-v1:" + unit).encode()).digest()[0]
        assert docs.split_of(unit) == ("eval" if first < 128 else "train")
    assert docs.SPLIT_SALT == "bsh-docs-split-v1:"  # never changes: the eval set would leak into training


def test_po_msgstrs_and_lang() -> None:
    po = 'msgid ""\nmsgstr "Content-Type: text/plain\\n"\n\nmsgid "Hello"\nmsgstr "Hallo"\n\n' + (
        'msgid "a"\nmsgid_plural "b"\nmsgstr[0] "eins \\"x\\""\nmsgstr[1] ""\n"zwei"\n'
    )
    assert docs.po_msgstrs(po) == ["Hallo", 'eins "x"', "zwei"]
    assert docs.po_lang("pt_BR") == "pt" and docs.po_lang("zh_Hans") == "zh" and docs.po_lang("sr@latin") == "sr"


# --- a tiny fake cache ---------------------------------------------------------------------------------------------


def _tar(files: dict[str, bytes], mode: str) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode=mode) as tar:  # type: ignore[call-overload]
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def _deb(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    out.write(b"!<arch>\n")
    for name, data in [("debian-binary", b"2.0\n"), ("data.tar.xz", _tar(files, "w:xz"))]:
        out.write(f"{name:<16}{0:<12}{0:<6}{0:<6}{100644:<8}{len(data):<10}`\n".encode())
        out.write(data + (b"\n" if len(data) % 2 else b""))
    return out.getvalue()


def _wheel(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in files.items():
            zf.writestr(zipfile.ZipInfo(name, (2020, 1, 1, 0, 0, 0)), data)
    return buf.getvalue()


def _fake_cache(cache: Path) -> Path:
    page = ".TH FOO 1\n.SH NAME\nfoo \\- Beispiel\n.SH BESCHREIBUNG\n" + "Ein Satz \\fBfett\\fR. " * 30 + "\n"
    po = 'msgid ""\nmsgstr ""\n\n' + "".join(
        f'msgid "m{i}"\nmsgstr "Zeichenkette {i} übersetzt"\n\n' for i in range(60)
    )
    blobs = {
        ("debian", "manpages-xx", "manpages-xx_1_all.deb"): _deb(
            {"./usr/share/man/de/man1/foo.1.gz": gzip.compress(page.encode(), mtime=0)}
        ),
        ("pypi", "fakepkg", "fakepkg-1.0-py3-none-any.whl"): _wheel(
            {
                "fakepkg-1.0.dist-info/METADATA": b"Name: fakepkg\nVersion: 1.0\n\n" + b"A readme line.\n" * 30,
                "fakepkg/locale/fr/LC_MESSAGES/django.po": po.encode(),
                "fakepkg/core.py": b"def f() -> int:\n    return 1\n" * 20,
            }
        ),
        ("npm", "fakejs", "fakejs-2.0.0.tgz"): _tar(
            {
                "package/README.md": b"# fakejs\n\n" + b"Use it like this.\n" * 30,
                "package/README.zh-CN.md": b"# fakejs\n\n" + "像这样使用。\n".encode() * 30,
                "package/package.json": json.dumps({"name": "fakejs", "description": "x" * 300}).encode(),
                "package/index.js": b"module.exports = function () { return 1; };\n" * 10,
            },
            "w:gz",
        ),
    }
    arts = []
    for (registry, name, filename), blob in blobs.items():
        (cache / registry).mkdir(parents=True, exist_ok=True)
        (cache / registry / filename).write_bytes(blob)
        arts.append({"registry": registry, "name": name, "version": "1.0",
                     "filename": filename, "sha256": hashlib.sha256(blob).hexdigest()})  # fmt: skip
    lock = cache / "lock.json"
    lock.write_text(json.dumps({"artefacts": arts}))
    return lock


def test_build_is_deterministic_on_a_fake_cache(tmp_path: Path) -> None:
    lock = _fake_cache(tmp_path / "cache")
    arts = docs.read_lock(lock)
    records = docs.build_records(arts, tmp_path / "cache", progress=lambda _m: None)
    by_kind = {(r["kind"], r["lang"], r["source"]) for r in records}
    assert ("man", "de", "debian:manpages-xx") in by_kind
    assert ("po", "fr", "pypi:fakepkg") in by_kind
    assert ("readme", "en", "pypi:fakepkg") in by_kind and ("code", "en", "pypi:fakepkg") in by_kind
    assert {("readme", "zh", "npm:fakejs"), ("config", "en", "npm:fakejs"), ("code", "en", "npm:fakejs")} <= by_kind
    for r in records:
        assert set(r) >= {"id", "text", "source", "package", "version", "kind", "lang", "split"}
        assert 200 <= len(r["text"].encode()) <= 64 * 1024
        assert r["split"] == docs.split_of(r["unit"])
    po_units = {r["unit"] for r in records if r["kind"] == "po"}
    assert po_units == {"fakepkg:fr"}
    assert [r["id"] for r in records] == sorted(r["id"] for r in records)
    a, b = tmp_path / "a.jsonl.gz", tmp_path / "b.jsonl.gz"
    assert docs.write_jsonl_gz(records, a) == docs.write_jsonl_gz(docs.build_records(arts, tmp_path / "cache"), b)
    assert a.read_bytes() == b.read_bytes()


def test_build_refuses_a_tampered_artefact(tmp_path: Path) -> None:
    lock = _fake_cache(tmp_path / "cache")
    (tmp_path / "cache" / "npm" / "fakejs-2.0.0.tgz").write_bytes(b"tampered")
    with pytest.raises(SystemExit, match="sha256"):
        docs.build_records(docs.read_lock(lock), tmp_path / "cache", progress=lambda _m: None)
