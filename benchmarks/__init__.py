"""Measured runs of the solver and its building blocks; run as `python -m benchmarks.<name>`."""
