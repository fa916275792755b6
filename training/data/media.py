"""Image and video files as numpy arrays, shared by both data builds and the cartoonize datasets.

All images here are numpy ``uint8`` arrays, H x W x 3 RGB (or H x W x 4 RGBA where stated). Writes are atomic
(temporary file, then rename) because builds are resumable: an interrupted run must never leave a half-written
frame that a later run would take as finished.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path

import av
import cv2
import numpy as np

__all__ = ["to_rgb_uint8", "composite_on_white", "png_size", "read_rgb", "write_png", "resize_short_side",
           "read_video"]


def to_rgb_uint8(image: np.ndarray) -> np.ndarray:
    """Convert grey, RGBA (composited on white), bool, 16-bit or float images to uint8 RGB.

    Args:
        image: H x W, H x W x 1, H x W x 3 or H x W x 4 array; bool, uint8, uint16 or float in [0, 1].

    Returns:
        H x W x 3 uint8 RGB array.
    """
    x = np.asarray(image)
    if x.dtype == bool:
        x = x.astype(np.uint8) * 255
    elif x.dtype == np.uint16:
        x = (x // 257).astype(np.uint8)
    elif np.issubdtype(x.dtype, np.floating):
        x = (np.clip(x, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)
    elif x.dtype != np.uint8:
        x = np.clip(x, 0, 255).astype(np.uint8)
    if x.ndim == 2:
        x = x[:, :, None]
    if x.shape[2] == 1:
        x = np.repeat(x, 3, axis=2)
    elif x.shape[2] == 4:
        x = composite_on_white(x)
    elif x.shape[2] != 3:
        raise ValueError(f"unsupported channel count {x.shape[2]}")
    return np.ascontiguousarray(x)


def composite_on_white(rgba: np.ndarray) -> np.ndarray:
    """Alpha-composite an H x W x 4 uint8 RGBA image onto white; returns H x W x 3 uint8 RGB."""
    rgb = rgba[:, :, :3].astype(np.float32)
    alpha = rgba[:, :, 3:4].astype(np.float32) / 255.0
    out = rgb * alpha + 255.0 * (1.0 - alpha)
    return (out + 0.5).astype(np.uint8)


def png_size(path: Path) -> tuple[int, int] | None:
    """(height, width) from a PNG file's header without decoding it; None for other files."""
    with open(path, "rb") as f:
        head = f.read(24)
    if len(head) < 24 or head[:8] != b"\x89PNG\r\n\x1a\n":
        return None
    return int.from_bytes(head[20:24], "big"), int.from_bytes(head[16:20], "big")


def read_rgb(path: Path, *, max_pixels: int = 40_000_000, max_side: int = 2048) -> np.ndarray:
    """Read any image file OpenCV decodes as uint8 RGB (alpha composited on white).

    Images larger than ``max_side`` are downscaled (INTER_AREA) before compositing, so a huge clip-art PNG
    costs its decode only.

    Raises:
        ValueError: the file cannot be decoded, or (PNG) has more than ``max_pixels`` pixels.
    """
    size = png_size(Path(path))
    if size is not None and size[0] * size[1] > max_pixels:
        raise ValueError(f"{path}: {size[1]}x{size[0]} is larger than {max_pixels} pixels")
    raw = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if raw is None:
        raise ValueError(f"cannot decode image {path}")
    if max(raw.shape[:2]) > max_side and raw.dtype == np.uint8:
        scale = max_side / max(raw.shape[:2])
        raw = cv2.resize(raw, (max(1, round(raw.shape[1] * scale)), max(1, round(raw.shape[0] * scale))),
                         interpolation=cv2.INTER_AREA)
    if raw.ndim == 3 and raw.shape[2] == 3:
        raw = cv2.cvtColor(raw, cv2.COLOR_BGR2RGB)
    elif raw.ndim == 3 and raw.shape[2] == 4:
        raw = cv2.cvtColor(raw, cv2.COLOR_BGRA2RGBA)
    return to_rgb_uint8(raw)


def write_png(path: Path, rgb: np.ndarray) -> None:
    """Write an H x W x 3 uint8 RGB array as PNG (atomically: temp file then rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp.png")
    if not cv2.imwrite(str(tmp), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_PNG_COMPRESSION, 3]):
        raise OSError(f"cannot write {path}")
    tmp.replace(path)


def resize_short_side(image: np.ndarray, low: int, high: float = math.inf, *, even: bool = False) -> np.ndarray:
    """Scale (keeping aspect) so that the short side lies in [low, high]; an image already in range is returned
    as it is.

    One rule for every caller: the bootstrap's range (256-384), the clips' cap (``low`` 1: never upscale), the
    datasets' exact size (``low == high``) and their minimum (no ``high``). Upscaling uses INTER_CUBIC, downscaling
    INTER_AREA (which averages, so thin lines survive as grey). ``even`` crops the last row / column of odd sizes,
    which video encoders need (yuv420).
    """
    height, width = image.shape[:2]
    short = min(height, width)
    out = image
    if not low <= short <= high:
        target = low if short < low else high
        scale = target / short
        size = (max(target, round(width * scale)), max(target, round(height * scale)))
        out = cv2.resize(image, size, interpolation=cv2.INTER_CUBIC if scale > 1 else cv2.INTER_AREA)
    if even:
        rows, cols = out.shape[:2]
        out = np.ascontiguousarray(out[: rows - rows % 2, : cols - cols % 2])
    return out


def read_video(path: Path, max_frames: int | None) -> Iterator[np.ndarray]:
    """Decode a video file with PyAV; yields H x W x 3 uint8 RGB frames in order."""
    with av.open(str(path)) as container:
        for i, frame in enumerate(container.decode(video=0)):
            if max_frames is not None and i >= max_frames:
                break
            yield frame.to_ndarray(format="rgb24")
