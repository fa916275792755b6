"""How close a distilled generator comes to its teacher on held-out photos (the figure its model card states)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from .data.cartoonize.dataset import list_images, read_rgb_cached, to_tensor
from .data.cartoonize.distill_layout import DistillLayout
from .data.cartoonize.folders import is_clip_still
from .metrics.psnr import psnr

__all__ = ["score_against_teacher"]


def score_against_teacher(generator: torch.nn.Module, data_root: Path, style: str) -> dict[str, float | int | str]:
    """Mean PSNR (dB, 8-bit RGB) of the generator's output against the teacher's target over the held-out photos
    (photos/test) of a bootstrap folder, whole images (padded by reflection to the generator's multiple). The set
    says how many of them are stills of the held-out clips: a model chosen on this score saw those clips' look."""
    layout = DistillLayout(Path(data_root))
    photos = list_images(layout.source / "photos" / "test")
    stills = sum(map(is_clip_still, photos))
    multiple = generator.size_multiple
    scores = []
    generator.eval()
    with torch.no_grad():
        for photo in photos:
            image = to_tensor(read_rgb_cached(photo))[None]
            target = to_tensor(read_rgb_cached(layout.target_path(style, photo)))[None]
            height, width = image.shape[-2:]
            padded = F.pad(image, (0, -width % multiple, 0, -height % multiple), mode="reflect")
            output = generator(padded)[..., :height, :width]
            scores.append(float(psnr(output, target)[0]))
    return {"psnr_to_teacher_db": round(float(np.mean(scores)), 2), "psnr_to_teacher_images": len(scores),
            "psnr_to_teacher_set": f"{layout.source.name}/photos/test (held out from training; {stills} of them "
                                   "stills of the held-out clips, which the distillation benchmark also plays)"}
