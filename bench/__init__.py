"""Benchmarks: scripts that print their figures and the machine they ran on, never asserts.

Each `bench_*.py` runs on its own from a fresh clone (after `scripts/bootstrap --sandbox`)
and compares ours against a reference measured in the same run; `run_all.py` runs them
all and writes `bench/results.json` and `bench/plot.png`.
"""
