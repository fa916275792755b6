"""Benchmarks that measure Toonflow and write reports (markdown + PNG plots); run as
`python -m benchmarks.<name>.run`."""
