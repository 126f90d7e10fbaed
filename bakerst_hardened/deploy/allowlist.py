"""The scan allow-list: vulnerabilities accepted for a while, each with a reason and an expiry date.

A YAML file::

    entries:
      - vulnerability: CVE-2026-12345
        package: openssl                 # optional: any package when absent
        image: registry.example/app/*    # optional glob on the image repository: any image when absent
        reason: not reachable, no TLS in this image; fix expected in 3.5.2
        expires: 2027-03-31              # last day the entry counts

An entry whose expiry date has passed fails the scan, naming the entry, whether or not it still matches
anything: an exception nobody renewed is a decision nobody made.
"""

from __future__ import annotations

import fnmatch
from datetime import date
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError


class AllowListError(ValueError):
    """The allow-list file cannot be read or is invalid."""


class AllowEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    vulnerability: str = Field(min_length=1, description="Advisory id, e.g. CVE-2026-12345 or GHSA-xxxx-xxxx-xxxx.")
    package: str | None = Field(default=None, min_length=1, description="Package name (any when absent).")
    image: str | None = Field(default=None, min_length=1, description="Glob on the image repository (any).")
    reason: str = Field(min_length=10, description="Why the risk is accepted (at least a sentence).")
    expires: date = Field(description="Last day the entry counts (UTC).")

    def label(self) -> str:
        scope = ", ".join(f"{k} {v}" for k, v in (("package", self.package), ("image", self.image)) if v)
        return f"{self.vulnerability}" + (f" ({scope})" if scope else "")

    def expired(self, today: date) -> bool:
        return today > self.expires

    def matches(self, repository: str, package: str, vulnerability: str) -> bool:
        return (
            self.vulnerability == vulnerability
            and (self.package is None or self.package == package)
            and (self.image is None or fnmatch.fnmatchcase(repository, self.image))
        )


class AllowList(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    entries: list[AllowEntry] = Field(default_factory=list)

    def expired(self, today: date) -> list[AllowEntry]:
        return [entry for entry in self.entries if entry.expired(today)]

    def match(self, repository: str, package: str, vulnerability: str) -> AllowEntry | None:
        return next((e for e in self.entries if e.matches(repository, package, vulnerability)), None)


def load_allow_list(path: Path | None) -> AllowList:
    """Read ``path`` (``None``: an empty list)."""
    if path is None:
        return AllowList()
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise AllowListError(f"allow-list {path} does not exist") from None
    except yaml.YAMLError as exc:
        raise AllowListError(f"allow-list {path} is not valid YAML: {exc}") from None
    try:
        return AllowList.model_validate(raw if raw is not None else {})
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or '(top level)'}: {err['msg']}" for err in exc.errors()
        )
        raise AllowListError(f"allow-list {path} is invalid: {problems}") from None
