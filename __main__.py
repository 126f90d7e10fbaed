"""Baker Street hardened: load and validate the stack config, compose the platform, export."""

import pulumi

from components.config_loader import load_stack_config
from components.platform import HardenedPlatform, HardenedPlatformArgs

config = load_stack_config()  # raises, naming every bad key, before any resource exists
platform = HardenedPlatform("bakerst", HardenedPlatformArgs(config=config))
for export_name, value in platform.exports.items():
    pulumi.export(export_name, value)
