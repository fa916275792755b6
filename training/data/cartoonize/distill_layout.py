"""Where the distillation files of a bootstrap folder live: what ``python -m training bootstrap-distill`` writes and
the distillation dataset, scoring and export read.

Layout under ``<data>/distill``::

    flows/<clip>/<frame>.npy                      float16 [H, W, 3]: DIS flow (dx, dy) from the frame to the next
                                                  one, and 1 where that flow is trusted (not occluded, not a motion
                                                  boundary, target inside the frame), else 0
    <style>/photos/{train,test}/<name>.png        the teacher's output for photos/<split>/<name>.png
    <style>/videos/train/<clip>/<frame>.png       ... for every frame of the training clips
    <style>/manifest.json                         the style's parameters, counts, source manifest digest, timing
    <style>/stable/<clip>/<frame>.png             the clip's targets run through the engine's stabiliser
                                                  (optional: training.data.cartoonize.stable_targets)
    <style>/stable/stable.json                    the stabiliser's settings, written once every clip is done
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .folders import clip_folders

__all__ = ["DistillLayout"]


@dataclass(frozen=True)
class DistillLayout:
    """Where the distillation files of a bootstrap folder live."""

    source: Path  # the folder `python -m training bootstrap` wrote

    @property
    def root(self) -> Path:
        return self.source / "distill"

    def clips(self, split: str = "train") -> list[Path]:
        return clip_folders(self.source, split)

    def flow_path(self, frame: Path) -> Path:
        return self.root / "flows" / frame.parent.name / f"{frame.stem}.npy"

    def has_targets(self, style: str) -> bool:
        """Whether `bootstrap-distill` finished the style's targets here (it writes the manifest last)."""
        return (self.root / style / "manifest.json").is_file()

    def target_path(self, style: str, image: Path) -> Path:
        return self.root / style / image.relative_to(self.source).with_suffix(".png")

    def stable_root(self, style: str) -> Path:
        return self.root / style / "stable"

    def has_stable_targets(self, style: str) -> bool:
        """Whether the style's stable clip targets were finished here (the record is written last)."""
        return (self.stable_root(style) / "stable.json").is_file()

    def stable_target_path(self, style: str, frame: Path) -> Path:
        """The stable target of a training-clip frame."""
        return self.stable_root(style) / frame.parent.name / f"{frame.stem}.png"
