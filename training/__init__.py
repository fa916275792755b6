"""Toonflow training: networks, losses, datasets, recipes, trainer and ONNX export (PyTorch)."""
