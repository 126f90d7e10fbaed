"""Risk assessment: the destructive-operation gate, with argument provenance.

A call's risk is the highest of: its tool's baseline, every matching argument rule, and the provenance
signal (an argument such as a recipient or IBAN whose value came from a tool result, not from the user).
At or above ``block_level`` the call is refused; at or above the approval level it waits for a person.
"""

from __future__ import annotations

import re

from hooks.guardrails.checks.base import Verdict
from hooks.guardrails.config import RISK_ORDER, GuardrailConfig, ToolPolicy
from hooks.guardrails.provenance import ConversationMemory, foreign_values, iter_strings
from hooks.types import GuardrailContext


def _max(a: str, b: str) -> str:
    return a if RISK_ORDER[a] >= RISK_ORDER[b] else b


class RiskCheck:
    """Classes each call by risk and decides allow, review or block."""

    name = "risk"

    def __init__(self, config: GuardrailConfig, memory: ConversationMemory) -> None:
        self._config = config
        self._memory = memory
        policies = [*config.tools.values(), *config.tool_prefixes.values()]
        self._patterns = {
            (id(policy), i): re.compile(rule.pattern)
            for policy in policies
            for i, rule in enumerate(policy.argument_rules)
        }

    def assess(self, ctx: GuardrailContext, policy: ToolPolicy) -> tuple[str, list[str]]:
        """The call's risk level and the reasons that raised it."""
        level: str = policy.risk
        reasons = [f"tool {ctx.tool_name!r} is classed {policy.risk}"]
        for i, rule in enumerate(policy.argument_rules):
            value = ctx.tool_input.get(rule.argument)
            if value is None:
                continue
            pattern = self._patterns[(id(policy), i)]
            if any(pattern.search(text) for text in iter_strings(value, max_depth=8)):
                level = _max(level, rule.level)
                reasons.append(f"{rule.argument}: {rule.reason}")
        provenance = self._config.provenance
        if provenance.enabled:
            arguments = policy.provenance_arguments if policy.provenance_arguments is not None else provenance.arguments
            foreign = foreign_values(
                ctx.tool_input,
                arguments=arguments,
                user_messages=ctx.user_messages,
                memory=self._memory,
                conversation_id=ctx.conversation_id,
                min_length=provenance.min_length,
            )
            if foreign:
                level = _max(level, provenance.raise_to)
                reasons.append(
                    f"{', '.join(foreign)} came from an earlier tool result, not from the user (possible hijack)"
                )
        return level, reasons

    def check_input(self, ctx: GuardrailContext) -> Verdict:
        policy = self._config.policy_for(ctx.tool_name)
        if policy is None:
            return Verdict("block", rule="unknown-tool", reason=f"tool {ctx.tool_name!r} is not registered")
        level, reasons = self.assess(ctx, policy)
        reason = "; ".join(reasons)
        if RISK_ORDER[level] >= RISK_ORDER[self._config.block_level]:
            return Verdict("block", rule=f"risk.{level}", reason=reason, risk=level)
        if policy.requires_approval or RISK_ORDER[level] >= RISK_ORDER[self._config.approval.level]:
            why = "the tool requires approval" if policy.requires_approval and len(reasons) == 1 else reason
            return Verdict("review", rule=f"risk.{level}", reason=why, risk=level)
        return Verdict("allow", risk=level)
