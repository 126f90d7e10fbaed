"""A Trivy vulnerability database the tests make themselves: one advisory, written with trivy-db's BoltDB layout
by ``scripts/tools.d/trivy-db-fixture`` (Go, bbolt), served from a cache directory or pushed to the loopback
registry as the OCI artifact trivy downloads with ``--db-repository``."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import subprocess
import tarfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

SCHEMA_VERSION = 2
LAYER_MEDIA_TYPE = "application/vnd.aquasec.trivy.db.layer.v1.tar+gzip"
CONFIG_MEDIA_TYPE = "application/vnd.aquasec.trivy.config.v1+json"
#: trivy-db's severities (types.Severity): the vendor severity is stored as a number.
SEVERITY_NUMBER = {"UNKNOWN": 0, "LOW": 1, "MEDIUM": 2, "HIGH": 3, "CRITICAL": 4}


@dataclass(frozen=True)
class Advisory:
    """One advisory for an Alpine package: affected below ``fixed_version``."""

    vulnerability: str
    package: str
    fixed_version: str
    severity: str
    alpine_minor: str = "3.19"
    title: str = "test advisory made by the test suite"


def spec(advisories: list[Advisory], now: datetime | None = None) -> dict[str, object]:
    now = now or datetime.now(UTC)
    stamp = now.replace(microsecond=0)
    platforms: dict[str, dict[str, list[Advisory]]] = {}
    for adv in advisories:
        platforms.setdefault(f"alpine {adv.alpine_minor}", {}).setdefault(adv.package, []).append(adv)
    buckets: list[dict[str, object]] = [
        {
            "bucket": platform,
            "pairs": [
                {
                    "bucket": package,
                    "pairs": [{"key": a.vulnerability, "value": {"FixedVersion": a.fixed_version}} for a in advs],
                }
                for package, advs in packages.items()
            ],
        }
        for platform, packages in platforms.items()
    ]
    buckets.append(
        {
            "bucket": "vulnerability",
            "pairs": [
                {
                    "key": a.vulnerability,
                    "value": {
                        "Title": a.title,
                        "Description": a.title,
                        "Severity": a.severity,
                        "VendorSeverity": {"alpine": SEVERITY_NUMBER[a.severity]},
                    },
                }
                for a in advisories
            ],
        }
    )
    buckets.append(
        {
            "bucket": "data-source",
            "pairs": [
                {
                    "key": platform,
                    "value": {"ID": "alpine", "Name": "Alpine Secdb", "URL": "https://secdb.alpinelinux.org/"},
                }
                for platform in platforms
            ],
        }
    )
    metadata = {
        "Version": SCHEMA_VERSION,
        "NextUpdate": (stamp + timedelta(days=1)).isoformat().replace("+00:00", "Z"),
        "UpdatedAt": stamp.isoformat().replace("+00:00", "Z"),
        "DownloadedAt": stamp.isoformat().replace("+00:00", "Z"),
    }
    return {"metadata": metadata, "buckets": buckets}


def write_cache_dir(helper: Path, advisories: list[Advisory], cache_dir: Path) -> Path:
    """``cache_dir/db/{trivy.db,metadata.json}``, as trivy keeps a downloaded database; returns ``cache_dir``."""
    spec_path = cache_dir.parent / f"{cache_dir.name}.spec.json"
    cache_dir.mkdir(parents=True, exist_ok=True)
    spec_path.write_text(json.dumps(spec(advisories)), encoding="utf-8")
    done = subprocess.run(
        [str(helper), str(spec_path), str(cache_dir / "db")], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    return cache_dir


def _blob(client: httpx.Client, base: str, repository: str, data: bytes) -> str:
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    start = client.post(f"{base}/v2/{repository}/blobs/uploads/")
    start.raise_for_status()
    location = start.headers["Location"]
    url = location if location.startswith("http") else base + location
    sep = "&" if "?" in url else "?"
    client.put(
        f"{url}{sep}digest={digest}", content=data, headers={"Content-Type": "application/octet-stream"}
    ).raise_for_status()
    return digest


def push_db(db_dir: Path, registry: str, repository: str = "trivy-db", tag: str = "2") -> str:
    """Push ``db_dir``'s trivy.db and metadata.json as trivy's OCI artifact; returns ``registry/repository:tag``."""
    buffer = io.BytesIO()
    with gzip.GzipFile(fileobj=buffer, mode="wb", mtime=0) as gz, tarfile.open(fileobj=gz, mode="w") as tar:
        for name in ("trivy.db", "metadata.json"):
            tar.add(db_dir / name, arcname=name)
    layer, config = buffer.getvalue(), b"{}"
    base = f"http://{registry}"
    with httpx.Client(timeout=30) as client:
        layer_digest = _blob(client, base, repository, layer)
        config_digest = _blob(client, base, repository, config)
        manifest = {
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": CONFIG_MEDIA_TYPE, "digest": config_digest, "size": len(config)},
            "layers": [
                {
                    "mediaType": LAYER_MEDIA_TYPE,
                    "digest": layer_digest,
                    "size": len(layer),
                    "annotations": {"org.opencontainers.image.title": "db.tar.gz"},
                }
            ],
        }
        client.put(
            f"{base}/v2/{repository}/manifests/{tag}",
            content=json.dumps(manifest).encode(),
            headers={"Content-Type": "application/vnd.oci.image.manifest.v1+json"},
        ).raise_for_status()
    return f"{registry}/{repository}:{tag}"
