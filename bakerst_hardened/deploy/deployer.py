"""Deploy: ``pulumi preview`` / ``up`` through Pulumi's Automation API, behind an interface.

The digests that were scanned, attested and signed are written to the stack's ``bakerst:images`` (the record of
what is deployed), ESO and Kyverno objects go first (a targeted ``up`` of those components and their children),
then the rest. A dry run runs ``preview`` with the policy pack and restores the stack file afterwards.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from bakerst_hardened.deploy.stages import StageFailed

#: Component types deployed first: the secret store and the admission policies everything else is checked by.
FIRST_TYPES = ("bakerst:admission:AdmissionPolicies", "bakerst:secrets:ExternalSecrets")


def first_phase(urn: str) -> bool:
    """A resource of (or under) one of ``FIRST_TYPES``: its URN's type chain names the component."""
    parts = urn.split("::")
    return len(parts) >= 4 and any(kind in parts[2].split("$") for kind in FIRST_TYPES)


class Deployer(Protocol):
    def preview(self, stack: str, images: Mapping[str, str]) -> str: ...

    def up(self, stack: str, images: Mapping[str, str]) -> str: ...


@dataclass
class AutomationDeployer:
    """The real thing: a local-program workspace on the project directory."""

    project_dir: Path
    policy_pack: Path | None = None
    env: Mapping[str, str] = field(default_factory=dict)

    def _stack(self, stack: str):  # type: ignore[no-untyped-def]
        from pulumi import automation as auto

        return auto.create_or_select_stack(
            stack_name=stack, work_dir=str(self.project_dir), opts=auto.LocalWorkspaceOptions(env_vars=dict(self.env))
        )

    def _set_images(self, handle, images: Mapping[str, str]) -> str | None:  # type: ignore[no-untyped-def]
        from pulumi import automation as auto

        current = handle.get_all_config().get("bakerst:images")
        handle.set_config("bakerst:images", auto.ConfigValue(value=json.dumps(dict(images), sort_keys=True)))
        return None if current is None else current.value

    def preview(self, stack: str, images: Mapping[str, str]) -> str:
        from pulumi import automation as auto

        handle = self._stack(stack)
        before = (self.project_dir / f"Pulumi.{stack}.yaml").read_bytes()
        try:
            self._set_images(handle, images)
            packs = [str(self.policy_pack)] if self.policy_pack else None
            result = handle.preview(policy_packs=packs)
        except auto.errors.CommandError as exc:
            raise StageFailed(f"pulumi preview failed: {str(exc)[-600:]}") from None
        finally:
            (self.project_dir / f"Pulumi.{stack}.yaml").write_bytes(before)
        return f"preview: {dict(result.change_summary)}"

    def up(self, stack: str, images: Mapping[str, str]) -> str:
        from pulumi import automation as auto

        handle = self._stack(stack)
        self._set_images(handle, images)
        packs = [str(self.policy_pack)] if self.policy_pack else None
        try:
            preview = handle.preview(policy_packs=packs)
            del preview
            state = handle.export_stack().deployment or {}
            first = [r["urn"] for r in state.get("resources", []) if first_phase(str(r.get("urn", "")))]
            if first:
                handle.up(target=first, target_dependents=False, policy_packs=packs)
            result = handle.up(policy_packs=packs)
        except auto.errors.CommandError as exc:
            raise StageFailed(f"pulumi up failed: {str(exc)[-600:]}") from None
        return f"up: {dict(result.summary.resource_changes or {})}"
