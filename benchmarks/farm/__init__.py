"""Scale-out benchmark: chunked runs against whole runs, and 1 vs 2 local Dask workers (``python -m benchmarks.farm``)."""
