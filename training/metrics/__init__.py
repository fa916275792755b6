"""Evaluation metrics: temporal warping error and Frechet distance on VGG19 features (docs/METHODS.md, "Warping
error", "Frechet distance").

`warping_error` needs only numpy + OpenCV; `frechet_distance` imports torch lazily (it runs VGG19).
"""
from .flow import FlowPair, flow_pairs
from .warping import warping_error, warping_error_from_pairs

__all__ = [
    "FlowPair",
    "flow_pairs",
    "warping_error",
    "warping_error_from_pairs",
    "FeatureStatistics",
    "feature_statistics",
    "frechet_distance",
    "frechet_distance_from_statistics",
]


def __getattr__(name: str) -> object:
    # Keep `import training.metrics` light: the Frechet part pulls in torch and VGG19 only when used.
    if name in {"FeatureStatistics", "feature_statistics", "frechet_distance", "frechet_distance_from_statistics"}:
        from . import frechet

        return getattr(frechet, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
