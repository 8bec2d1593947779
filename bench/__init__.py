"""Benchmarks: `make bench` (or `python -m bench`) prints tables and writes docs/benchmarks.md.
Never part of the test run."""
