"""Baker Street hardened: load and validate the stack config, compose the platform, export."""

import pulumi

from components.config_loader import load_stack_config
from components.hooks_runtime import load_guardrails
from components.platform import HardenedPlatform, HardenedPlatformArgs
from components.upstream import load_upstream

config = load_stack_config()  # raises, naming every bad key, before any resource exists
upstream = load_upstream(config)  # the upstream base, checked against the config (every image pinned)
guardrails = load_guardrails(config)  # the guardrail chain file, validated with the runtime's own schema
platform = HardenedPlatform("bakerst", HardenedPlatformArgs(config=config, upstream=upstream, guardrails=guardrails))
for export_name, value in platform.exports.items():
    pulumi.export(export_name, value)
