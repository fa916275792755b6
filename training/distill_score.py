"""How close a distilled model comes to its teacher on held-out photos (the figure its model card states)."""
from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from engine import Cartoonizer
from engine.models import ModelCard

from .data.cartoonize.dataset import list_images, read_rgb_cached
from .data.cartoonize.distill_layout import DistillLayout
from .data.cartoonize.folders import is_clip_still
from .metrics.psnr import psnr_uint8
from .teacher import get_style
from .teacher.style import bootstrap_arguments

__all__ = ["can_score", "network_targets", "score_against_teacher"]

log = logging.getLogger(__name__)


def can_score(model: Path, data_root: Path, style: str) -> bool:
    """Whether `data_root` holds the style's finished teacher targets to score `model` against; when it does not, a
    warning names the folder and the command that builds it (the card is then written without the score)."""
    if DistillLayout(Path(data_root)).has_targets(style):
        return True
    log.warning("%s: not scored against its teacher: %s has no finished '%s' targets (build them with `python -m "
                "training bootstrap-distill --data %s %s`)", Path(model).name, data_root, style, data_root,
                bootstrap_arguments(style))
    return False


def _psnr8(cartoon: np.ndarray, target: np.ndarray) -> float:
    """PSNR (dB) of a float [0, 1] frame, saved to 8 bits as the engine writes it, against a uint8 target."""
    return psnr_uint8(np.rint(cartoon * 255.0).astype(np.uint8), target)


def network_targets(card: ModelCard, style: str) -> str:
    """The targets the network itself regressed, read from what the card has the engine draw
    (:meth:`~training.teacher.TeacherStyle.student_targets`)."""
    steps = card.tone_steps
    return get_style(style).student_targets(tones_in_engine=steps is not None and steps.levels > 0,
                                            ink_in_engine=card.ink_lines is not None,
                                            chroma_in_engine=steps is not None and steps.levels == 0).name


def score_against_teacher(model: Path, data_root: Path, style: str) -> dict[str, float | int | str]:
    """Mean PSNR (dB, 8-bit RGB) of an exported model against the teacher's target over the held-out photos
    (photos/test) of a bootstrap folder, run by the engine as users get it (fp32, whole frames, the card's
    post-filters): `psnr_to_teacher_db`; where the card names a post-filter (region flattening, tone steps, ink lines),
    `psnr_to_teacher_db_network` is the network's output before them. Where the network learned other targets than
    the finished frame (:func:`network_targets`) and they were built for these photos,
    `psnr_to_own_targets_db_network` scores the network against those (`psnr_own_targets` names them): how well it
    learned what it was given. The set says how many of the photos are stills of the held-out clips: a model chosen
    on this score saw those clips' look."""
    layout = DistillLayout(Path(data_root))
    photos = list_images(layout.source / "photos" / "test")
    stills = sum(map(is_clip_still, photos))
    cartoonizer = Cartoonizer(model, device="cpu", precision="fp32", tile_size=0)
    card = cartoonizer.card
    filtered = any(step is not None for step in (card.region_flatten, card.tone_steps, card.ink_lines))
    own_targets = network_targets(card, style)
    own_paths = [layout.target_path(own_targets, photo) for photo in photos]
    score_own = own_targets != style and all(path.is_file() for path in own_paths)
    scores, network_scores, own_scores = [], [], []
    for photo, own_path in zip(photos, own_paths):
        target = read_rgb_cached(layout.target_path(style, photo))
        network = cartoonizer.network_rgb(read_rgb_cached(photo))
        scores.append(_psnr8(cartoonizer.post_filters(network), target))
        if filtered:
            network_scores.append(_psnr8(network, target))
        if score_own:
            own_scores.append(_psnr8(network, read_rgb_cached(own_path)))
    metrics: dict[str, float | int | str] = {"psnr_to_teacher_db": round(float(np.mean(scores)), 2)}
    if filtered:
        metrics["psnr_to_teacher_db_network"] = round(float(np.mean(network_scores)), 2)
    if score_own:
        metrics["psnr_to_own_targets_db_network"] = round(float(np.mean(own_scores)), 2)
        metrics["psnr_own_targets"] = own_targets
    return {**metrics, "psnr_to_teacher_images": len(scores),
            "psnr_to_teacher_set": f"{layout.source.name}/photos/test (held out from training; {stills} of them "
                                   "stills of the held-out clips, which the distillation benchmark also plays)"}
