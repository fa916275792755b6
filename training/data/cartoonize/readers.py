"""What each cartoonize source yields: the images to write (``Item``), read lazily so that a resumed build skips
finished sources without decoding them.

Photos: skimage, matplotlib, opencv-doc, tuxpaint templates, and every n-th frame of each video clip. Cartoons:
synfig renders, tupi's example animation, tuxpaint stamps and openclipart drawings (both through the clip-art filter
of :mod:`training.data.clipart`).
"""
from __future__ import annotations

import logging
import random
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .. import clipart, sources, synfig
from ..media import read_rgb, read_video, to_rgb_uint8

__all__ = ["Item", "safe_name", "clip_limit", "clip_packages", "skimage_items", "matplotlib_items",
           "opencv_photo_items", "tuxpaint_photo_items", "video_frame_items", "openclipart_items",
           "tuxpaint_stamp_items", "synfig_items", "tupi_items"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Item:
    """One image to write: ``group`` decides the split (items of a group share it)."""

    name: str
    group: str
    origin: str
    load: Callable[[], np.ndarray | None]  # returns H x W x 3 uint8 RGB, or None to skip
    split: str | None = None  # fixed split (frames of a clip follow the clip), else the hash of the group


def safe_name(text: str) -> str:
    """File-name-safe version of a relative path or name."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("_")[:120]


def clip_limit(clip: sources.Clip, max_clip_frames: int | None) -> int | None:
    """Frames to read of a clip: its own cap and the build's, whichever is lower."""
    caps = [c for c in (clip.max_frames, max_clip_frames) if c is not None]
    return min(caps) if caps else None


def clip_packages() -> dict:
    """Manifest package record of the clip sources: each package with its version and licence."""
    names = sorted({clip.package for clip in sources.CLIPS})
    described = [sources.PACKAGES[n].describe() for n in names]
    return {"name": ", ".join(names), "registry": "pypi+debian",
            "version": "; ".join(f"{d['name']} {d['version']}" for d in described),
            "licence": "; ".join(f"{d['name']}: {d['licence']}" for d in described)}


# ----------------------------------------------------------------------------------------------------- photos


def skimage_items() -> Iterator[Item]:
    import skimage.data as skdata

    def loader(n: str) -> Callable[[], np.ndarray]:
        def load() -> np.ndarray:
            img = getattr(skdata, n)()
            if isinstance(img, tuple):  # stereo_motorcycle -> (left, right, disparity): keep the left view
                img = img[0]
            return to_rgb_uint8(img)
        return load

    for n in sources.SKIMAGE_PHOTOS:
        yield Item(n, n, f"skimage.data.{n}", loader(n))


def matplotlib_items() -> Iterator[Item]:
    import matplotlib.cbook as cbook

    try:
        path = Path(cbook.get_sample_data("grace_hopper.jpg", asfileobj=False))
    except (OSError, ValueError) as exc:
        logger.warning("matplotlib sample data unavailable: %s", exc)
        return
    if path.is_file():
        yield Item("grace_hopper", "grace_hopper", str(path), lambda: read_rgb(path))


def _files_items(paths: Sequence[Path], root: Path) -> Iterator[Item]:
    for p in paths:
        rel = str(p.relative_to(root)) if p.is_relative_to(root) else p.name
        stem = safe_name(str(Path(rel).with_suffix("")))
        yield Item(stem, stem, str(p), lambda p=p: read_rgb(p))


def opencv_photo_items() -> Iterator[Item]:
    for rel, group in sources.OPENCV_PHOTOS:
        path = sources.OPENCV_DIR / rel
        if path.is_file():
            yield Item(safe_name(str(Path(rel).with_suffix(""))), group, str(path), lambda p=path: read_rgb(p))


def tuxpaint_photo_items() -> Iterator[Item]:
    paths = sorted(p for p in sources.TUXPAINT_TEMPLATES.glob("*") if p.suffix.lower() in (".jpg", ".jpeg", ".png"))
    yield from _files_items(paths, sources.TUXPAINT_TEMPLATES)


def video_frame_items(every: int, max_clip_frames: int | None) -> Iterator[Item]:
    """Every ``every``-th frame of each clip as a still, in the clip's own split (held-out clips stay held out)."""
    for clip in sources.CLIPS:
        path = sources.clip_path(clip)
        if path is None:
            continue
        for i, frame in enumerate(read_video(path, clip_limit(clip, max_clip_frames))):
            if i % every == 0:
                yield Item(f"{clip.name}_{i:06d}", clip.name, f"{path}#frame={i}", lambda f=frame: f, clip.split)


# --------------------------------------------------------------------------------------------------- cartoons


def _clipart_loader(path: Path, min_flat: float = 0.0) -> Callable[[], np.ndarray | None]:
    def load() -> np.ndarray | None:
        try:
            rgb = read_rgb(path)
        except ValueError:
            return None
        if min(rgb.shape[:2]) < 48:
            return None
        rgb = clipart.crop_to_content(rgb)
        if not clipart.is_good_cartoon(clipart.cartoon_stats(rgb), min_flat=min_flat):
            return None
        return clipart.pad_aspect(rgb, 2.0)
    return load


def openclipart_items(seed: int) -> Iterator[Item]:
    root = sources.OPENCLIPART_DIR
    paths = sorted(p for p in root.rglob("*.png") if p.relative_to(root).parts[0] not in sources.OPENCLIPART_EXCLUDE)
    random.Random(seed).shuffle(paths)
    for p in paths:
        stem = safe_name(str(p.relative_to(root).with_suffix("")))
        # colour / black-and-white twins (foo.png, foo_bw.png) share a group so they share a split
        group = re.sub(r"(_bw|_black_white|_outline)$", "", stem)
        yield Item(stem, group, str(p), _clipart_loader(p))


def tuxpaint_stamp_items(seed: int) -> Iterator[Item]:
    root = sources.TUXPAINT_STAMPS
    paths = []
    for p in sorted(root.rglob("*.png")):
        rel = p.relative_to(root).as_posix()
        if any(rel.startswith(x + "/") for x in sources.TUXPAINT_STAMPS_EXCLUDE):
            continue
        if p.stem.endswith(("_mirror", "_flip", "_back")):
            continue
        paths.append(p)
    random.Random(seed + 1).shuffle(paths)
    for p in paths:
        stem = safe_name(str(p.relative_to(root).with_suffix("")))
        yield Item(stem, stem, str(p), _clipart_loader(p, min_flat=0.4))  # stamps include photo cut-outs


def _synfig_render(sif: Path, seconds: float, width: int, height: int) -> np.ndarray | None:
    """One frame as RGB on white, or None (logged) when synfig fails: a build skips that render, not the source."""
    try:
        return to_rgb_uint8(synfig.render_still(sif, seconds, width, height))
    except synfig.SynfigError as exc:
        logger.warning("%s", exc)
        return None


def synfig_items(renders_per_file: int) -> Iterator[Item]:
    """Renders of each scene at ``renders_per_file`` times spread over its animation (short side 384);
    a render almost identical to the scene's previous one is dropped."""
    previous: dict[str, np.ndarray] = {}
    for stem in sources.SYNFIG_FILES:
        sif = sources.SYNFIG_DIR / f"{stem}.sif"
        if not sif.is_file():
            continue
        try:
            info = synfig.scene_info(sif)
        except synfig.SynfigError as exc:
            logger.warning("%s", exc)
            continue
        duration, w, h = info.seconds, info.width, info.height
        scale = min(384 / min(w, h), 1024 / max(w, h))
        w, h = max(2, round(w * scale)), max(2, round(h * scale))
        n = renders_per_file if duration > 0 else 1
        for k in range(n):
            t = duration * (k + 0.5) / n if duration > 0 else 0.0

            def load(sif: Path = sif, stem: str = stem, t: float = t, w: int = w, h: int = h) -> np.ndarray | None:
                rgb = _synfig_render(sif, t, w, h)
                if rgb is None or clipart.cartoon_stats(rgb).colours < 8:
                    return None
                last = previous.get(stem)
                if last is not None and last.shape == rgb.shape and \
                        float(np.abs(last.astype(np.int16) - rgb).mean()) < 2.0:
                    return None
                previous[stem] = rgb
                return rgb

            yield Item(f"{stem}_t{t:06.2f}", stem, f"{sif}#time={t:.3f}", load)


def tupi_items(every: int) -> Iterator[Item]:
    if not sources.TUPI_AVI.is_file():
        return
    for i, frame in enumerate(read_video(sources.TUPI_AVI, None)):
        if i % every == 0:
            # groups of 30 frames share a split: near-identical neighbours never straddle train/test
            yield Item(f"example_{i:06d}", f"example_{i // 30}", f"{sources.TUPI_AVI}#frame={i}", lambda f=frame: f)
