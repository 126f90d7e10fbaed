"""Deploy: ``pulumi preview`` / ``up`` through Pulumi's Automation API, behind an interface.

The digests that were scanned, attested and signed are written to the stack's ``bakerst:images`` (the record of
what is deployed), ESO and Kyverno objects go first (a targeted ``up`` of those components and their children),
then the rest (their URNs from a preview's events, so this holds on the first deploy too). A dry run runs
``preview`` with the policy pack and restores the stack file afterwards.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from bakerst_hardened.deploy.stages import StageFailed
from bakerst_hardened.deploy.tools import find_tool

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

    def _stack(self, stack: str, *, create: bool):  # type: ignore[no-untyped-def]
        from pulumi import automation as auto

        # The CLI the prerequisites stage found (PATH, $BAKERST_HARDENED_TOOLS or scripts/tools' cache).
        cli = find_tool("pulumi", {**os.environ, **self.env})
        command = auto.PulumiCommand(root=str(cli.parent.parent)) if cli is not None else None
        select = auto.create_or_select_stack if create else auto.select_stack
        return select(
            stack_name=stack,
            work_dir=str(self.project_dir),
            opts=auto.LocalWorkspaceOptions(env_vars=dict(self.env), pulumi_command=command),
        )

    def _set_images(self, handle, images: Mapping[str, str]) -> str | None:  # type: ignore[no-untyped-def]
        from pulumi import automation as auto

        current = handle.get_all_config().get("bakerst:images")
        handle.set_config("bakerst:images", auto.ConfigValue(value=json.dumps(dict(images), sort_keys=True)))
        return None if current is None else current.value

    def preview(self, stack: str, images: Mapping[str, str]) -> str:
        """``pulumi preview`` with the policy pack; the stack file is restored byte for byte afterwards, and a stack
        that does not exist yet is not created (a dry run creates nothing)."""
        from pulumi import automation as auto

        stack_file = self.project_dir / f"Pulumi.{stack}.yaml"
        before = stack_file.read_bytes() if stack_file.exists() else None
        try:
            handle = self._stack(stack, create=False)
            self._set_images(handle, images)
            packs = [str(self.policy_pack)] if self.policy_pack else None
            result = handle.preview(policy_packs=packs)
        except auto.errors.StackNotFoundError:
            raise StageFailed(
                f"stack {stack!r} does not exist in the backend and a dry run creates nothing: "
                f"`pulumi stack init {stack}` first"
            ) from None
        except auto.errors.CommandError as exc:
            raise StageFailed(f"pulumi preview failed: {str(exc)[-600:]}") from None
        finally:
            if before is not None:
                stack_file.write_bytes(before)
        return f"preview: {dict(result.change_summary)}"

    def up(self, stack: str, images: Mapping[str, str]) -> str:
        from pulumi import automation as auto

        handle = self._stack(stack, create=True)
        self._set_images(handle, images)
        packs = [str(self.policy_pack)] if self.policy_pack else None
        try:
            # The preview (policy pack included) runs first, so a violation stops before anything changes, and
            # its events name every resource the program registers, created or not yet: the first phase's URNs.
            planned: list[str] = []

            def collect(event: auto.EngineEvent) -> None:
                if event.resource_pre_event is not None:
                    planned.append(event.resource_pre_event.metadata.urn)

            handle.preview(policy_packs=packs, on_event=collect)
            first = [urn for urn in planned if first_phase(urn)]
            if first:
                handle.up(target=first, target_dependents=False, policy_packs=packs)
            result = handle.up(policy_packs=packs)
        except auto.errors.CommandError as exc:
            raise StageFailed(f"pulumi up failed: {str(exc)[-600:]}") from None
        return f"up: {dict(result.summary.resource_changes or {})}"
