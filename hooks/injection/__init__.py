"""Prompt-injection detection for tool arguments and tool results (stdlib + pydantic, offline, one core).

``InjectionDetector().scan(text)`` / ``.scan_value(obj)`` return an ``InjectionVerdict``. The canonicalisation the
detector applies first is ``hooks.injection.normalize.normalize`` (not re-exported here, so that the name
``hooks.injection.normalize`` stays the module).
"""

from hooks.injection.detector import InjectionConfig, InjectionDetector, InjectionVerdict

__all__ = ["InjectionConfig", "InjectionDetector", "InjectionVerdict"]
