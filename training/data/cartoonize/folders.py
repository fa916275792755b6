"""The folders and names of a bootstrap build (``python -m training bootstrap``) that several readers need: one
place that knows where the video clips are and which photos are stills of them."""
from __future__ import annotations

from pathlib import Path

__all__ = ["clip_folders", "is_clip_still", "CLIP_STILLS_PART"]

#: the photo part made of every n-th frame of each clip, in the clip's split (files ``video_frames__<clip>_<frame>``)
CLIP_STILLS_PART = "video_frames"


def clip_folders(root: Path, split: str) -> list[Path]:
    """Sorted clip folders (one per clip, its frames as images) under ``root/videos/<split>``; empty when the build
    has no clips for that split."""
    folder = Path(root) / "videos" / split
    return sorted(p for p in folder.iterdir() if p.is_dir()) if folder.is_dir() else []


def is_clip_still(photo: Path) -> bool:
    """Whether a photo of the build is a still of one of its clips (photos are named ``<part>__<name>``)."""
    return photo.name.startswith(f"{CLIP_STILLS_PART}__")
