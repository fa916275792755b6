"""Training data: the offline dataset bootstrap, torch datasets, and the simulated next-frame affine."""
