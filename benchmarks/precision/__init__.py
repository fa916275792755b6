"""fp32 against int8 on the CPU, side by side in one run: seconds per frame, quality cost, ONNX Runtime thread
settings. Run with `python -m benchmarks.precision.run` (benchmarks/README.md)."""
