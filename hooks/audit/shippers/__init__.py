"""Shippers: deliver batches of canonical record lines to one destination (no read path)."""

from hooks.audit.shippers.base import PermanentError, RetryPolicy, Shipper, TransientError, split_lines

__all__ = ["PermanentError", "RetryPolicy", "Shipper", "TransientError", "split_lines"]
