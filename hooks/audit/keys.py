"""Key material: the MAC seed (verifier custody), the Ed25519 signing key (writer) and its public key.

``keygen(DIR)`` writes ``DIR/verifier/mac_seed.hex`` and ``DIR/verifier/checkpoint.pub`` (what a verifier
needs), and ``DIR/writer/state.json`` (initial chain state: epoch-0 key = seed) plus
``DIR/writer/checkpoint.key`` (what the writer needs). Hand ``verifier/`` to the auditors and delete the seed
from the host: the writer only ever holds the current epoch key.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
import uuid
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey


def _write_private(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)


def key_id(name: str, public: Ed25519PublicKey) -> bytes:
    """C2SP signed-note style key id: first 4 bytes of SHA-256(name ‖ 0x0A ‖ 0x01 ‖ raw public key)."""
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(name.encode() + b"\n\x01" + raw).digest()[:4]


def keygen(out: Path, log_id: str | None = None, key_name: str = "bakerst-audit") -> dict[str, str]:
    out = Path(out)
    if (out / "verifier").exists() or (out / "writer").exists():
        raise FileExistsError(f"{out} already holds keys")
    seed = secrets.token_bytes(32)
    log_id = log_id or f"bakerst/{uuid.uuid4().hex}"
    private = Ed25519PrivateKey.generate()
    public_raw = private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    private_raw = private.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    pub_doc = {"name": key_name, "log_id": log_id, "ed25519": base64.b64encode(public_raw).decode()}
    _write_private(out / "verifier" / "mac_seed.hex", seed.hex().encode())
    _write_private(out / "verifier" / "checkpoint.pub", json.dumps(pub_doc).encode())
    _write_private(out / "writer" / "checkpoint.key", json.dumps({**pub_doc, "private": private_raw.hex()}).encode())
    state = {"log_id": log_id, "seq": 0, "epoch": 0, "key": seed.hex(), "prev": bytes(32).hex()}
    _write_private(out / "writer" / "state.json", json.dumps(state).encode())
    return {"verifier": str(out / "verifier"), "writer": str(out / "writer"), "log_id": log_id}


def _base(path: Path, sub: str) -> Path:
    return path / sub if (path / sub).is_dir() else path


def load_signing_key(path: Path) -> tuple[str, Ed25519PrivateKey]:
    doc = json.loads((_base(Path(path), "writer") / "checkpoint.key").read_text())
    return str(doc["name"]), Ed25519PrivateKey.from_private_bytes(bytes.fromhex(doc["private"]))


def load_verifier(path: Path) -> tuple[bytes, str, Ed25519PublicKey]:
    seed, name, public = load_public_verifier(path)
    if seed is None:
        raise FileNotFoundError(f"{path}: no mac_seed.hex")
    return seed, name, public


def load_public_verifier(path: Path) -> tuple[bytes | None, str, Ed25519PublicKey]:
    """The verifier's material; the MAC seed is None when only the public key was handed over."""
    base = _base(Path(path), "verifier")
    seed_file = base / "mac_seed.hex"
    seed = bytes.fromhex(seed_file.read_text().strip()) if seed_file.exists() else None
    doc = json.loads((base / "checkpoint.pub").read_text())
    return seed, str(doc["name"]), Ed25519PublicKey.from_public_bytes(base64.b64decode(doc["ed25519"]))


def writer_dir(path: Path) -> Path:
    return _base(Path(path), "writer")


def _read_json(path: Path, what: str) -> dict[str, object]:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ValueError(f"{path}: missing ({what})") from None
    except (OSError, ValueError) as exc:
        raise ValueError(f"{path}: not readable JSON ({what}): {exc}") from None
    if not isinstance(doc, dict):
        raise ValueError(f"{path}: not a JSON object ({what})")
    return doc


def install_writer(source: Path, target: Path) -> str:
    """Install a writer's key material (``checkpoint.key``, ``state.json`` from ``keygen``'s writer/) into
    ``target``/writer once. Returns ``"installed"``, or ``"kept"`` when ``target`` already holds the same log's
    chain: that state has moved on (its key ratchets at every flush) and is never overwritten. Raises ValueError,
    naming the file and the problem, for malformed material or a different log already installed."""
    key = _read_json(Path(source) / "checkpoint.key", "the writer's checkpoint signing key")
    state = _read_json(Path(source) / "state.json", "the writer's initial chain state")
    for field in ("name", "log_id", "ed25519", "private"):
        if not isinstance(key.get(field), str):
            raise ValueError(f"{Path(source) / 'checkpoint.key'}: field {field!r} missing or not a string")
    for field in ("log_id", "key", "prev"):
        if not isinstance(state.get(field), str):
            raise ValueError(f"{Path(source) / 'state.json'}: field {field!r} missing or not a string")
    if key["log_id"] != state["log_id"]:
        raise ValueError(
            f"{source}: checkpoint.key is for log {key['log_id']!r} but state.json for {state['log_id']!r}; "
            "both must come from the same `bakerst-hardened audit keygen`"
        )
    out = writer_dir(Path(target)) if (Path(target) / "writer").is_dir() else Path(target) / "writer"
    existing_state = out / "state.json"
    if existing_state.exists():
        current = _read_json(existing_state, "the installed chain state")
        installed_key = _read_json(out / "checkpoint.key", "the installed signing key")
        if current.get("log_id") != state["log_id"] or installed_key.get("ed25519") != key["ed25519"]:
            raise ValueError(
                f"{out} already holds the chain of log {current.get('log_id')!r}; the new material is for log "
                f"{state['log_id']!r} (or another signing key). Refusing to overwrite an audit chain: move {out} "
                "away first if replacing it is intended"
            )
        return "kept"
    out.mkdir(parents=True, exist_ok=True)
    for name, doc in (("checkpoint.key", key), ("state.json", state)):
        staged = out / f".{name}.new"
        staged.unlink(missing_ok=True)
        _write_private(staged, json.dumps(doc).encode())
        os.replace(staged, out / name)  # state.json last: its presence means "installed"
    return "installed"
