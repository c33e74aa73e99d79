"""Benchmarks and the big-event generator (run as scripts: python -m bench.<name>)."""
