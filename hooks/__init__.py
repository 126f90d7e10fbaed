"""Runtime hooks (guardrails, audit, rate limiting, cost governance). Arrives with issues 4-6.

Nothing in this package may import Pulumi.
"""
