"""The policies, one module per control area; each module exports ``SPECS``."""
