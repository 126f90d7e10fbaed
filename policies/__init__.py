"""CrossGuard policy pack (issue 7). Policies live in importable modules; only __main__.py builds the PolicyPack."""
