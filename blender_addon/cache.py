# SPDX-License-Identifier: GPL-3.0-or-later
"""Disk cache of processed frames (no bpy).

Layout: ``<root>/<task>/<clip key>/f<frame:06d>_<signature>.png`` plus ``clip.json`` describing the clip.
Files are written atomically (temporary name, then rename) so an interrupted run never leaves a half-written frame
that a later run would trust. The cache only ever writes inside its own root, never next to a user's file.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from pathlib import Path

import numpy as np

from .sources import decode_image

__all__ = ["ClipCache", "write_png", "read_png"]

log = logging.getLogger(__name__)


def write_png(path: Path, rgb: np.ndarray) -> None:
    """Write a uint8 RGB/RGBA array as PNG atomically."""
    import cv2  # heavy: imported on use

    if rgb.dtype != np.uint8 or rgb.ndim != 3 or rgb.shape[2] not in (3, 4):
        raise ValueError(f"expected uint8 HxWx3/4, got {rgb.dtype} {rgb.shape}")
    code = cv2.COLOR_RGB2BGR if rgb.shape[2] == 3 else cv2.COLOR_RGBA2BGRA
    ok, buf = cv2.imencode(".png", cv2.cvtColor(rgb, code), [cv2.IMWRITE_PNG_COMPRESSION, 1])
    if not ok:
        raise OSError(f"could not encode {path}")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".png", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(buf.tobytes())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def read_png(path: Path) -> np.ndarray:
    """Read a PNG written by :func:`write_png` back as uint8 RGB(A)."""
    img = decode_image(path)
    if img is None:
        raise OSError(f"could not read {path}")
    return img


class ClipCache:
    """The cached frames of one clip (one source processed with one set of settings and one model)."""

    def __init__(self, root: str | os.PathLike[str], task: str, key: str) -> None:
        self.root = Path(root).expanduser()
        self.task = task
        self.key = key
        self.dir = self.root / task / key

    def frame_path(self, frame: int, signature: str = "") -> Path:
        sig = f"_{signature}" if signature else ""
        return self.dir / f"f{frame:06d}{sig}.png"

    def write(self, frame: int, rgb: np.ndarray, signature: str = "") -> Path:
        path = self.frame_path(frame, signature)
        write_png(path, rgb)
        return path

    def read(self, frame: int, signature: str = "") -> np.ndarray:
        return read_png(self.frame_path(frame, signature))

    def write_info(self, info: dict[str, object]) -> None:
        """Record what the clip is (source, settings, model) for humans and for the refresh button."""
        self.dir.mkdir(parents=True, exist_ok=True)
        path = self.dir / "clip.json"
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(info, indent=2, sort_keys=True, default=str), encoding="utf-8")
        os.replace(tmp, path)

    def read_info(self) -> dict[str, object]:
        try:
            return json.loads((self.dir / "clip.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
