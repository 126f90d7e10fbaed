"""The guardrail chain: checks composed in priority order, failing closed, auditing every decision."""

from hooks.guardrails.approvals import ApprovalRequest, ApprovalStore
from hooks.guardrails.chain import GuardrailChain
from hooks.guardrails.config import GuardrailConfig, load_guardrail_config, parse_guardrail_config

__all__ = [
    "ApprovalRequest",
    "ApprovalStore",
    "GuardrailChain",
    "GuardrailConfig",
    "load_guardrail_config",
    "parse_guardrail_config",
]
