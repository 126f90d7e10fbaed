"""Storage for rate-limit windows and budget counters: in-process (one replica) or Redis (shared)."""
