"""Benchmarks of the genai playground: `python -m bench` runs them all and writes docs/benchmarks.md."""
