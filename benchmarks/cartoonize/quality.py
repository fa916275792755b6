"""Quality section: Frechet distance of every method's outputs on the held-out photos to the held-out cartoon set
and to the photo set itself (the paper's Table 1 pattern, with VGG19 features instead of Inception).

Feature statistics of the cartoon and photo sets are computed once. A split-half distance (first half of the
photos against the second half) shows the sampling floor: differences smaller than it are noise.
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

import numpy as np

from training.metrics.frechet import (
    FeatureStatistics,
    extract_features,
    frechet_distance_from_statistics,
    statistics_from_features,
)

from .methods import Method

__all__ = ["FrechetRow", "QualityResults", "measure_frechet"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FrechetRow:
    method: str
    to_cartoon: float
    to_photo: float
    seconds: float


@dataclass
class QualityResults:
    """Distances per method, the sample counts and features used, and a few outputs for the sheet."""

    rows: dict[str, FrechetRow] = field(default_factory=dict)
    photo_count: int = 0
    photo_description: str = ""
    cartoon_count: int = 0
    layer: str = ""
    size: int = 0
    split_half_photo: float = float("nan")
    split_half_cartoon: float = float("nan")
    sheet_images: dict[str, list[np.ndarray]] = field(default_factory=dict)


def _split_half(features: np.ndarray, layer: str, size: int) -> float:
    half = features.shape[0] // 2
    if half < 2:
        return float("nan")
    a = statistics_from_features(features[:half], layer=layer, size=size)
    b = statistics_from_features(features[half : 2 * half], layer=layer, size=size)
    return frechet_distance_from_statistics(a, b)


def measure_frechet(
    photos: list[np.ndarray],
    cartoons: list[np.ndarray],
    methods: list[Method],
    *,
    layer: str,
    size: int,
    batch_size: int,
    sheet_count: int = 2,
) -> QualityResults:
    """Frechet distances of each method (that applies to stills) to the cartoon and photo sets."""
    results = QualityResults(photo_count=len(photos), cartoon_count=len(cartoons), layer=layer, size=size)
    photo_feats = extract_features(photos, layer=layer, size=size, batch_size=batch_size)
    cartoon_feats = extract_features(cartoons, layer=layer, size=size, batch_size=batch_size)
    photo_stats: FeatureStatistics = statistics_from_features(photo_feats, layer=layer, size=size)
    cartoon_stats: FeatureStatistics = statistics_from_features(cartoon_feats, layer=layer, size=size)
    results.split_half_photo = _split_half(photo_feats, layer, size)
    results.split_half_cartoon = _split_half(cartoon_feats, layer, size)
    picks = np.linspace(0, len(photos) - 1, min(sheet_count, len(photos))).round().astype(int)
    for method in methods:
        if method.run_image is None:
            continue
        start = time.perf_counter()
        outputs = [method.run_image(image) for image in photos]
        stats = (
            photo_stats
            if method.key == "source"
            else statistics_from_features(
                extract_features(outputs, layer=layer, size=size, batch_size=batch_size), layer=layer, size=size
            )
        )
        row = FrechetRow(
            method.key,
            frechet_distance_from_statistics(stats, cartoon_stats),
            frechet_distance_from_statistics(stats, photo_stats),
            time.perf_counter() - start,
        )
        results.rows[method.key] = row
        results.sheet_images[method.key] = [outputs[i] for i in picks]
        log.info("%-22s FD to cartoons %.2f, to photos %.2f", method.key, row.to_cartoon, row.to_photo)
    return results
