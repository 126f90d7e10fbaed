"""The control table (``controls.yaml``) as typed data: controls, their framework IDs, policies and threats.

Pure data: the policies read their compliance metadata from here, and the compliance documents are generated
from it, so there is one place where "which control is enforced where" is written down.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

CONTROLS_FILE = Path(__file__).with_name("controls.yaml")

Stride = Literal[
    "Spoofing", "Tampering", "Repudiation", "Information disclosure", "Denial of service", "Elevation of privilege"
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Framework(_Strict):
    name: str
    version: str
    legacy_version: str | None = None


class Soc2Framework(Framework):
    criteria: dict[str, str] = Field(description="Criterion ID to a short paraphrase of its title.")


class Frameworks(_Strict):
    soc2: Soc2Framework
    iso27001: Framework
    cis: Framework


class IsoControl(_Strict):
    id: str = Field(pattern=r"^A\.[5-8]\.\d{1,2}$")
    title: str
    was: list[str] = Field(description="ISO/IEC 27001:2013 predecessor IDs ([] = new in 2022).")


class CisItem(_Strict):
    benchmark: str = Field(pattern=r"^\d+\.\d+(\.\d+)?$")
    id: str = Field(pattern=r"^\d+(\.\d+)+$")
    title: str

    @property
    def tag(self) -> str:
        return f"cis-{self.benchmark}:{self.id}"


class SeedMapping(_Strict):
    soc2: list[str] = Field(default_factory=list)
    iso27001_2013: list[str] = Field(default_factory=list)
    cis: list[str] = Field(default_factory=list)


class Control(_Strict):
    id: str = Field(pattern=r"^BSH-[A-Z]{3}-\d{2}$")
    title: str
    description: str
    soc2: list[str] = Field(min_length=1)
    iso27001: list[IsoControl] = Field(min_length=1)
    cis: list[CisItem]
    policies: list[str] = Field(min_length=1)
    concerns: list[str] = Field(min_length=1)
    mitigates: list[str] = Field(min_length=1)
    seed: SeedMapping | None = None
    notes: str | None = None

    def tags(self) -> list[str]:
        """Policy tags carrying every framework ID of this control."""
        return (
            [f"control:{self.id}"]
            + [f"soc2:{c}" for c in self.soc2]
            + [f"iso27001-2022:{c.id}" for c in self.iso27001]
            + [f"iso27001-2013:{w}" for c in self.iso27001 for w in c.was]
            + [c.tag for c in self.cis]
        )


class Threat(_Strict):
    id: str = Field(pattern=r"^T\d{2}$")
    stride: list[Stride] = Field(min_length=1)
    threat: str
    target: str
    seed: bool


class Catalog(_Strict):
    frameworks: Frameworks
    controls: list[Control]
    threats: list[Threat]

    @model_validator(mode="after")
    def _consistent(self) -> Catalog:
        ids = [c.id for c in self.controls]
        if len(set(ids)) != len(ids):
            raise ValueError("two controls share an id")
        threat_ids = {t.id for t in self.threats}
        for control in self.controls:
            unnamed = [c for c in control.soc2 + (control.seed.soc2 if control.seed else [])
                       if c not in self.frameworks.soc2.criteria]  # fmt: skip
            if unnamed:
                raise ValueError(f"{control.id} cites SOC 2 criteria with no title in frameworks.soc2: {unnamed}")
            unknown = set(control.mitigates) - threat_ids
            if unknown:
                raise ValueError(f"{control.id} mitigates unknown threats {sorted(unknown)}")
        return self

    def control(self, control_id: str) -> Control:
        for control in self.controls:
            if control.id == control_id:
                return control
        raise KeyError(control_id)

    def controls_of_policy(self, policy: str) -> list[Control]:
        return [c for c in self.controls if policy in c.policies]

    def policy_names(self) -> list[str]:
        seen: dict[str, None] = {}
        for control in self.controls:
            for name in control.policies:
                seen.setdefault(name, None)
        return list(seen)

    def controls_for_threat(self, threat_id: str) -> list[Control]:
        return [c for c in self.controls if threat_id in c.mitigates]


def load_catalog(path: Path = CONTROLS_FILE) -> Catalog:
    return Catalog.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))


@functools.cache
def catalog() -> Catalog:
    """The project's control table (read once)."""
    return load_catalog()
