"""The folders of a bootstrap build (``python -m training bootstrap``) that several readers list: one place that
knows where the video clips are."""
from __future__ import annotations

from pathlib import Path

__all__ = ["clip_folders"]


def clip_folders(root: Path, split: str) -> list[Path]:
    """Sorted clip folders (one per clip, its frames as images) under ``root/videos/<split>``; empty when the build
    has no clips for that split."""
    folder = Path(root) / "videos" / split
    return sorted(p for p in folder.iterdir() if p.is_dir()) if folder.is_dir() else []
