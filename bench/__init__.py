"""Benchmarks: scripts that time loanwatch on synthetic portfolios (not tests, not shipped)."""
