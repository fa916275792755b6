"""Cartoonization benchmark: temporal coherence, Frechet distances and speed in one run (see benchmarks/README.md)."""
