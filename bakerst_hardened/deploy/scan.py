"""Scan: trivy over every image by digest; CRITICAL and HIGH (configurable) fail unless allow-listed.

Trivy needs its vulnerability database. Offline it reads one from an OCI registry (``dbRepository``) or from a
cache directory (``cacheDir``, with ``--skip-db-update``). Without one trivy cannot judge: that is a failure
naming the cause, never a pass.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from bakerst_hardened.deploy.allowlist import AllowEntry, AllowList
from bakerst_hardened.deploy.mirror import MirroredImage
from bakerst_hardened.deploy.settings import ScanSettings
from bakerst_hardened.deploy.stages import StageFailed
from bakerst_hardened.deploy.tools import ToolResult, ToolRunner

_NO_DB_HINTS = ("failed to download", "db repository", "--skip-db-update", "vulnerability db", "trivy-db", "db error")


@dataclass(frozen=True)
class Finding:
    image: str
    package: str
    installed: str
    vulnerability: str
    severity: str
    allowed_by: AllowEntry | None

    def label(self) -> str:
        return f"{self.vulnerability} ({self.severity}) in {self.package} {self.installed} of {self.image}"


def trivy_args(reference: str, scan: ScanSettings, project_dir: str) -> list[str]:
    """``dbRepository``: download the database from there (into ``cacheDir`` when given); ``cacheDir`` alone: use
    the database already there, never download."""
    args = ["image", "--format", "json", "--scanners", "vuln", "--quiet", "--exit-code", "0", "--timeout", "10m"]
    args += ["--skip-version-check", "--disable-telemetry"]  # nothing leaves the machine but the image pulls
    cache = ["--cache-dir", str(Path(project_dir) / scan.cache_dir)] if scan.cache_dir else []
    if scan.db_repository:
        args += ["--db-repository", scan.db_repository, *cache]
    elif cache:
        args += ["--skip-db-update", *cache]
    return [*args, reference]


def _no_database(result: ToolResult) -> bool:
    text = (result.stderr + result.stdout).lower()
    return any(hint in text for hint in _NO_DB_HINTS)


def parse_findings(report: dict[str, Any], image: MirroredImage, allow: AllowList) -> list[Finding]:
    findings = []
    for target in report.get("Results") or []:
        for vuln in target.get("Vulnerabilities") or []:
            package, vid = str(vuln.get("PkgName", "?")), str(vuln.get("VulnerabilityID", "?"))
            findings.append(
                Finding(
                    image=image.reference,
                    package=package,
                    installed=str(vuln.get("InstalledVersion", "?")),
                    vulnerability=vid,
                    severity=str(vuln.get("Severity", "UNKNOWN")).upper(),
                    allowed_by=allow.match(image.repository, package, vid),
                )
            )
    return findings


def scan_image(
    runner: ToolRunner, image: MirroredImage, scan: ScanSettings, allow: AllowList, project_dir: str
) -> list[Finding]:
    result = runner.run("trivy", trivy_args(image.readable, scan, project_dir), timeout=900)
    if not result.ok:
        if _no_database(result):
            raise StageFailed(
                f"trivy has no vulnerability database for {image.reference}, so it cannot judge the image "
                f"(set bakerst-deploy:scan.dbRepository or cacheDir): {result.last_lines(3)}"
            )
        raise StageFailed(f"trivy failed on {image.reference}: {result.last_lines()}")
    try:
        report = json.loads(result.stdout)
    except json.JSONDecodeError:
        raise StageFailed(f"trivy's report for {image.reference} is not JSON: {result.stdout[:200]!r}") from None
    if not isinstance(report, dict) or "ArtifactName" not in report:
        raise StageFailed(f"trivy's report for {image.reference} is not a scan report")
    return parse_findings(report, image, allow)


def scan_images(
    runner: ToolRunner,
    images: list[MirroredImage],
    *,
    scan: ScanSettings,
    allow: AllowList,
    today: date,
    project_dir: str,
) -> str:
    """Fail on an expired allow-list entry, on a scan that cannot judge, and on any finding at or above the
    threshold that no entry allows. Returns the summary line."""
    expired = allow.expired(today)
    if expired:
        raise StageFailed(
            "allow-list entr"
            + ("y" if len(expired) == 1 else "ies")
            + " expired: "
            + "; ".join(f"{e.label()} expired on {e.expires.isoformat()} ({e.reason})" for e in expired)
            + " - renew with a new date and reason, or remove"
        )
    blocking: list[Finding] = []
    allowed: list[Finding] = []
    total = 0
    for image in images:
        for finding in scan_image(runner, image, scan, allow, project_dir):
            total += 1
            if finding.severity not in scan.severities:
                continue
            (allowed if finding.allowed_by else blocking).append(finding)
    if blocking:
        raise StageFailed(
            f"{len(blocking)} {'/'.join(scan.severities)} finding(s): " + "; ".join(f.label() for f in blocking)
        )
    note = (
        "; allowed: " + "; ".join(f"{f.vulnerability} ({f.allowed_by.reason})" for f in allowed if f.allowed_by)
        if allowed
        else ""
    )
    return f"{len(images)} image(s) scanned, {total} finding(s), none {'/'.join(scan.severities)} unallowed{note}"
