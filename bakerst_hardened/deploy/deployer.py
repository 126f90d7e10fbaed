"""Deploy: ``pulumi preview`` / ``up`` through Pulumi's Automation API, behind an interface.

The digests that were scanned, attested and signed are written to the stack's ``bakerst:images`` (the record of
what is deployed), ESO and Kyverno objects go first (a targeted ``up`` of those components and their children),
then the rest (their URNs from a preview's events, so this holds on the first deploy too). A dry run runs
``preview`` with the policy pack and restores the stack file afterwards.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from bakerst_hardened.deploy.stages import StageFailed
from bakerst_hardened.deploy.tools import find_tool

#: Component types deployed first: the secret store and the admission policies everything else is checked by.
FIRST_TYPES = ("bakerst:admission:AdmissionPolicies", "bakerst:secrets:ExternalSecrets")


#: The engine's refusal of a target whose dependency is being created but not targeted (its typo included).
UNTARGETED_DEPENDENCY = re.compile(r"depends on '(urn:pulumi:[^']+)' which was(?: was)? not specified in --target list")
MAX_DEPENDENCY_ROUNDS = 20


def first_phase(urn: str) -> bool:
    """A resource of (or under) one of ``FIRST_TYPES``: its URN's type chain names the component."""
    parts = urn.split("::")
    return len(parts) >= 4 and any(kind in parts[2].split("$") for kind in FIRST_TYPES)


@dataclass
class EngineErrors:
    """What the engine reported as errors during a run (error diagnostics, mandatory policy violations): the reason
    for a failure. The CLI's own error text ends with the stack outputs, not with the resource that failed."""

    lines: list[str] = field(default_factory=list)

    def on_event(self, event) -> None:  # type: ignore[no-untyped-def]
        diagnostic = event.diagnostic_event
        if diagnostic is not None and diagnostic.severity == "error":
            where = diagnostic.urn.split("::")[-1] if diagnostic.urn else ""
            text = " ".join(diagnostic.message.split())
            self.lines.append(f"{where}: {text}" if where else text)
        policy = event.policy_event
        if policy is not None and policy.enforcement_level == "mandatory":
            where = (policy.resource_urn or "").split("::")[-1]
            self.lines.append(f"policy {policy.policy_name} ({where}): {' '.join(policy.message.split())[:300]}")

    def reason(self, error: Exception, limit: int = 2000) -> str:
        # `error: update failed` / `error: preview failed` add nothing to the resource's own diagnostic.
        useful = [line for line in dict.fromkeys(self.lines) if not line.endswith(("update failed", "preview failed"))]
        return "; ".join(useful)[:limit] if useful else str(error)[-600:]


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

    def _policy_args(self, stack: str) -> dict[str, list[str]]:
        """The pack, and its per-stack config (``<pack>/config/<stack>.json``) when there is one: without it every
        policy runs at its own level, so ``dev``'s relaxations (advisory, not mandatory) would not apply."""
        if self.policy_pack is None:
            return {}
        args = {"policy_packs": [str(self.policy_pack)]}
        config = self.policy_pack / "config" / f"{stack}.json"
        if config.is_file():
            args["policy_pack_configs"] = [str(config)]
        return args

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
        errors = EngineErrors()
        try:
            handle = self._stack(stack, create=False)
            self._set_images(handle, images)
            result = handle.preview(on_event=errors.on_event, **self._policy_args(stack))
        except auto.errors.StackNotFoundError:
            raise StageFailed(
                f"stack {stack!r} does not exist in the backend and a dry run creates nothing: "
                f"`pulumi stack init {stack}` first"
            ) from None
        except auto.errors.CommandError as exc:
            raise StageFailed(f"pulumi preview failed: {errors.reason(exc)}") from None
        finally:
            if before is not None:
                stack_file.write_bytes(before)
        return f"preview: {dict(result.change_summary)}"

    def _up_first_phase(self, handle, first, parents, errors) -> None:  # type: ignore[no-untyped-def]
        """A targeted ``up`` of ``first`` with what the engine needs alongside: their parent components, and each
        resource they depend on that does not exist yet (the engine refuses a target whose dependency is not
        targeted, and names it; the preview's events carry parents, not dependencies)."""
        from pulumi import automation as auto

        targets: list[str] = []

        def add(urn: str) -> None:  # the resource and its ancestors up to (not including) the stack
            while urn and urn not in targets and not urn.split("::")[-2].endswith("pulumi:pulumi:Stack"):
                targets.append(urn)
                urn = parents.get(urn, "")

        for urn in first:
            add(urn)
        for _attempt in range(MAX_DEPENDENCY_ROUNDS):
            try:
                handle.up(target=targets, target_dependents=False, on_event=errors.on_event)
                return
            except auto.errors.CommandError as exc:
                missing = [m for m in UNTARGETED_DEPENDENCY.findall(str(exc)) if m not in targets]
                if not missing:
                    raise
                errors.lines.clear()  # the refusals of this round are answered by the next one
                for urn in missing:
                    add(urn)
        raise StageFailed(f"the first phase still lacked dependencies after {MAX_DEPENDENCY_ROUNDS} rounds")

    def up(self, stack: str, images: Mapping[str, str]) -> str:
        from pulumi import automation as auto

        handle = self._stack(stack, create=True)
        self._set_images(handle, images)
        policies = self._policy_args(stack)
        errors = EngineErrors()
        try:
            # The preview (policy pack included) runs first, so a violation stops before anything changes, and
            # its events name every resource the program registers, created or not yet: the first phase's URNs.
            parents: dict[str, str] = {}

            def collect(event: auto.EngineEvent) -> None:
                errors.on_event(event)
                if event.resource_pre_event is not None:
                    meta = event.resource_pre_event.metadata
                    parents[meta.urn] = (meta.new.parent if meta.new is not None else "") or ""

            handle.preview(on_event=collect, **policies)
            first = [urn for urn in parents if first_phase(urn)]
            if first:
                # Without the pack: in a targeted run the engine hands the pack every untargeted resource it is
                # about to create with no inputs (e.g. "Namespace (unnamed) has no pod-security label"), spurious
                # violations. The preview above and the full update below run the pack on the whole program.
                self._up_first_phase(handle, first, parents, errors)
            result = handle.up(on_event=errors.on_event, **policies)
        except auto.errors.CommandError as exc:
            raise StageFailed(f"pulumi up failed: {errors.reason(exc)}") from None
        return f"up: {dict(result.summary.resource_changes or {})}"
