"""The CrossGuard policy pack: ``pulumi preview --policy-pack policies``.

Only builds the PolicyPack: its constructor starts the analyzer's gRPC server and never returns, so the
policies live in importable modules (``policies.pack``) that tests and the offline render call directly.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # `policies` importable as a package

from pulumi_policy import EnforcementLevel, PolicyPack

from policies.pack import DESCRIPTION, PACK_NAME, policies

PolicyPack(
    name=PACK_NAME,
    policies=list(policies()),
    enforcement_level=EnforcementLevel.ADVISORY,  # each policy sets its own level; per-stack config overrides
    description=DESCRIPTION,
)
