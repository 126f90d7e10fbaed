"""Syslog over TLS (RFC 5425): octet-counted frames through a verified TLS 1.3 connection to a loopback receiver."""

from __future__ import annotations

import datetime as dt
import ipaddress
import socket
import ssl
import threading
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from hooks.audit.keys import load_verifier
from hooks.audit.shippers.syslog import SyslogShipper
from hooks.audit.sink import TamperEvidentAuditSink
from hooks.audit.verify import verify_lines
from tests.audit.helpers import event, new_keys


def _self_signed(tmp: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "audit-receiver")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        # OpenSSL checks validity against the machine's real clock, which a test run may not share with Python's
        # (``--clock-shift-days``): a wide window keeps the date out of the result.
        .not_valid_before(now - dt.timedelta(days=3650))
        .not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp / "cert.pem", tmp / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


def _parse_frames(data: bytes) -> list[bytes]:
    frames, pos = [], 0
    while pos < len(data):
        space = data.index(b" ", pos)
        length = int(data[pos:space])
        frames.append(data[space + 1 : space + 1 + length])
        pos = space + 1 + length
    return frames


def test_syslog_over_tls(tmp_path: Path) -> None:
    cert, key = _self_signed(tmp_path)
    server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    server_ctx.load_cert_chain(cert, key)
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    received = bytearray()

    def serve() -> None:
        conn, _ = listener.accept()
        with server_ctx.wrap_socket(conn, server_side=True) as tls:
            while chunk := tls.recv(65536):
                received.extend(chunk)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    client_ctx = ssl.create_default_context(cafile=str(cert))
    keys = new_keys(tmp_path)
    sink = TamperEvidentAuditSink(
        keys, tmp_path / "spool", [SyslogShipper("127.0.0.1", port, tls=client_ctx)], flush_interval=0.05
    )
    for i in range(500):
        sink.emit(event(i))
    assert sink.close()
    thread.join(10)
    listener.close()
    frames = _parse_frames(bytes(received))
    assert all(f.startswith((b"<110>1 ", b"<109>1 ")) for f in frames)
    lines = [f[f.index(b"] {") + 2 :] for f in frames]
    seed, _, public = load_verifier(keys)
    report = verify_lines([(0, i + 1, line) for i, line in enumerate(lines)], seed, public)
    assert report.ok, report.to_json()
    assert report.unique == 500 + report.checkpoints
