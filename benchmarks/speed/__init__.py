"""File-to-file speed and memory of the shipped cartoonizers on a CPU (``python -m benchmarks.speed.run``)."""
