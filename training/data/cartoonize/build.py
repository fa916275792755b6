"""Drive the cartoonize build (``python -m training bootstrap``): check the packages, build each selected source
as a resumable part, write the manifest.

Layout written under ``out``::

    photos/{train,test}/<source>__<name>.png     real photographs, short side 256-384, RGB PNG
    cartoons/{train,test}/<source>__<name>.png   cartoon images (clip-art, stamps, synfig renders, tupi frames)
    videos/{train,test}/<clip>/%06d.png          consecutive real frames
    manifest.json                                sources, packages, licences, counts, origin paths, parameters

Photos and cartoons are split by a hash of (seed, source, group key), so the split is deterministic and stable when
other files are added (twins such as stereo pairs share a group). Video clips are split by name (sources.CLIPS): the
test clips (cockatoo, tree, realshort) are never read by training and serve the benchmark. Every 10th frame of each
clip is also a still in photos/ of the clip's own split.

Each source is a "part" (:mod:`training.data.cartoonize.parts`): a re-run with the same parameters reuses finished
parts, and a part whose parameters changed is deleted and rebuilt. What each source yields:
:mod:`training.data.cartoonize.readers`; the manifest: :mod:`training.data.cartoonize.manifest`; the command line:
:mod:`training.data.cartoonize.command`.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import shutil
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from tqdm import tqdm

from .. import sources
from ..media import read_video, resize_short_side, write_png
from ..splits import SPLITS, split_of
from . import readers
from .folders import CLIP_STILLS_PART
from .manifest import BOOTSTRAP_VERSION, manifest as build_manifest
from .parts import PartResult, PartStore
from .readers import Item

logger = logging.getLogger(__name__)

__all__ = ["build", "check_requirements", "ALL_SOURCES", "PHOTO_SOURCES", "CARTOON_SOURCES", "VIDEO_SOURCES"]

PHOTO_SOURCES = ("skimage", "matplotlib", "opencv_photos", "tuxpaint_photos", CLIP_STILLS_PART)
CARTOON_SOURCES = ("synfig", "tupi", "tuxpaint_stamps", "openclipart")
VIDEO_SOURCES = ("videos",)
ALL_SOURCES = PHOTO_SOURCES + CARTOON_SOURCES + VIDEO_SOURCES
PHOTO_SHORT = (256, 384)
CARTOON_SHORT = (256, 384)


def _image_part(out: Path, name: str, kind: str, items: Iterator[Item], *, seed: int, test_fraction: float,
                progress: bool, limit: int | None, short: tuple[int, int], total: int | None = None,
                notes: str = "", package: dict | None = None) -> PartResult:
    """Write a source's images (short side in ``short``), each in the split of its group, up to ``limit``."""
    if package is None:
        package = sources.PACKAGES[sources.SOURCE_PACKAGES[name]].describe()
    result = PartResult(name, kind, package, notes=notes)
    bar = tqdm(items, total=total, desc=f"{kind}/{name}", disable=not progress, leave=False)
    for seen, item in enumerate(bar):
        if limit is not None and sum(result.counts.values()) >= limit:
            break
        if not progress and seen and seen % 500 == 0:
            logger.info("%s/%s: %d read, %d kept", kind, name, seen, sum(result.counts.values()))
        split = item.split or split_of(f"{name}/{item.group}", seed, test_fraction)
        rel = f"{kind}/{split}/{name}__{readers.safe_name(item.name)}.png"
        try:
            rgb = item.load()
        except (OSError, ValueError, RuntimeError) as exc:
            logger.warning("skipping %s: %s", item.origin, exc)
            rgb = None
        if rgb is None:
            result.skipped += 1
            continue
        write_png(out / rel, resize_short_side(rgb, *short))
        result.counts[split] += 1
        result.files[rel] = item.origin
    bar.close()
    logger.info("%s/%s: %d train, %d test, %d skipped", kind, name, result.counts["train"],
                result.counts["test"], result.skipped)
    return result


def _video_part(out: Path, max_clip_frames: int | None, progress: bool) -> PartResult:
    """Write every clip's frames (short side capped per clip, even sizes) into the clip's split."""
    result = PartResult("videos", "videos", readers.clip_packages())
    clips_meta = []
    for clip in sources.CLIPS:
        path = sources.clip_path(clip)
        if path is None:
            logger.warning("clip %s: %s not installed, skipped", clip.name, clip.package)
            continue
        folder = out / "videos" / clip.split / clip.name
        shutil.rmtree(folder, ignore_errors=True)
        n = 0
        size = None
        for i, frame in enumerate(tqdm(read_video(path, readers.clip_limit(clip, max_clip_frames)),
                                       desc=f"videos/{clip.name}", disable=not progress, leave=False)):
            frame = resize_short_side(frame, 1, clip.max_short_side, even=True)
            size = frame.shape[:2]
            write_png(folder / f"{i:06d}.png", frame)
            n += 1
        result.counts[clip.split] += n
        result.files[f"videos/{clip.split}/{clip.name}"] = str(path)
        pkg = sources.PACKAGES[clip.package]
        clips_meta.append({"clip": clip.name, "split": clip.split, "frames": n, "height_width": size,
                           "origin": str(path), "package": pkg.describe()})
        logger.info("videos/%s/%s: %d frames %s", clip.split, clip.name, n, size)
    result.notes = json.dumps(clips_meta)
    return result


def check_requirements(selected: Sequence[str]) -> list[str]:
    """Install commands for whatever the selected sources miss (empty when all is installed)."""
    apt, pip = sources.missing_packages(sources.packages_for(selected))
    return sources.install_commands(apt, pip)


def build(out: Path, *, max_cartoons: int = 3000, seed: int = 0, progress: bool = True,
          sources_only: Sequence[str] | None = None, test_fraction: float = 0.1,
          max_clip_frames: int | None = None, synfig_renders: int = 4, video_photo_every: int = 10,
          tupi_every: int = 3, allow_missing: bool = False) -> dict:
    """Build (or complete) the dataset folders under ``out`` and return the manifest.

    Args:
        out: output root (created).
        max_cartoons: cap on cartoon images over all cartoon sources (openclipart fills what the others leave).
        seed: seed of the split hash and of the openclipart/stamp sampling order.
        progress: show tqdm progress bars.
        sources_only: build only these sources (names in ALL_SOURCES); others keep what a previous run left.
        test_fraction: share of photo/cartoon groups held out in the test split.
        max_clip_frames: cap on frames per video clip (for tests; None = each clip's own cap).
        synfig_renders: frames rendered per animated synfig scene.
        video_photo_every: sample every n-th train-clip frame into photos/train.
        tupi_every: sample every n-th frame of tupi's example.avi into cartoons.
        allow_missing: skip sources whose package is missing instead of raising MissingSourcesError.

    Returns:
        The manifest dict (also written to ``out/manifest.json``).

    Raises:
        sources.MissingSourcesError: a needed package is missing (the message has the install commands), unless
            ``allow_missing``.
        ValueError: an unknown source name.
    """
    t0 = time.monotonic()
    out = Path(out)
    selected = tuple(sources_only) if sources_only is not None else ALL_SOURCES
    unknown = set(selected) - set(ALL_SOURCES)
    if unknown:
        raise ValueError(f"unknown sources {sorted(unknown)}; choose from {list(ALL_SOURCES)}")
    cmds = check_requirements(selected)
    if cmds and not allow_missing:
        raise sources.MissingSourcesError("bootstrap data sources are missing; install them with:\n  "
                                          + "\n  ".join(cmds)
                                          + "\n(or pass --allow-missing to build from what is installed)")
    for cmd in cmds:
        logger.warning("missing data source, skipped; to include it run: %s", cmd)

    params = {"version": BOOTSTRAP_VERSION, "seed": seed, "max_cartoons": max_cartoons,
              "test_fraction": test_fraction, "max_clip_frames": max_clip_frames,
              "synfig_renders": synfig_renders, "video_photo_every": video_photo_every, "tupi_every": tupi_every,
              "photo_short_side": list(PHOTO_SHORT), "cartoon_short_side": list(CARTOON_SHORT)}
    params_hash = hashlib.sha1(json.dumps(params, sort_keys=True).encode()).hexdigest()[:16]
    store = PartStore(out, params_hash)
    out.mkdir(parents=True, exist_ok=True)
    for kind in ("photos", "cartoons", "videos"):
        for split in SPLITS:
            (out / kind / split).mkdir(parents=True, exist_ok=True)

    results: dict[str, dict] = {}
    cartoons_left = max_cartoons

    def run(name: str, kind: str, make: Callable[[], PartResult]) -> None:
        nonlocal cartoons_left
        done = store.load(name)
        if done is None and name in selected:
            if name not in ("videos", "video_frames"):
                apt, pip = sources.missing_packages(sources.packages_for([name]))
                if apt or pip:
                    logger.warning("source %s skipped: %s not installed", name, ", ".join(apt + pip))
                    return
            store.clear(name, kind)
            t = time.monotonic()
            result = make()
            logger.info("source %s built in %.1f s", name, time.monotonic() - t)
            store.save(result)
            done = result.to_json()
        elif done is not None:
            logger.info("source %s already built, reused", name)
        if done is not None:
            results[name] = done
            if kind == "cartoons":
                cartoons_left -= sum(done["counts"].values())

    image_part = functools.partial(_image_part, out, seed=seed, test_fraction=test_fraction, progress=progress)

    photo_makers: dict[str, Callable[[], PartResult]] = {
        "skimage": lambda: image_part("skimage", "photos", readers.skimage_items(), limit=None, short=PHOTO_SHORT),
        "matplotlib": lambda: image_part("matplotlib", "photos", readers.matplotlib_items(), limit=None,
                                         short=PHOTO_SHORT),
        "opencv_photos": lambda: image_part("opencv_photos", "photos", readers.opencv_photo_items(), limit=None,
                                            short=PHOTO_SHORT),
        "tuxpaint_photos": lambda: image_part("tuxpaint_photos", "photos", readers.tuxpaint_photo_items(),
                                              limit=None, short=PHOTO_SHORT),
        "video_frames": lambda: image_part(
            "video_frames", "photos", readers.video_frame_items(video_photo_every, max_clip_frames), limit=None,
            short=PHOTO_SHORT, notes="every n-th frame of each clip, in the clip's split",
            package=readers.clip_packages()),
    }
    for name, make in photo_makers.items():
        run(name, "photos", make)
    run("videos", "videos", lambda: _video_part(out, max_clip_frames, progress))
    cartoon_makers: dict[str, Callable[[], PartResult]] = {
        "synfig": lambda: image_part("synfig", "cartoons", readers.synfig_items(synfig_renders),
                                     limit=max(0, cartoons_left), short=CARTOON_SHORT,
                                     total=len(sources.SYNFIG_FILES) * synfig_renders),
        "tupi": lambda: image_part("tupi", "cartoons", readers.tupi_items(tupi_every), limit=max(0, cartoons_left),
                                   short=CARTOON_SHORT),
        "tuxpaint_stamps": lambda: image_part("tuxpaint_stamps", "cartoons", readers.tuxpaint_stamp_items(seed),
                                              limit=max(0, cartoons_left), short=CARTOON_SHORT),
        "openclipart": lambda: image_part("openclipart", "cartoons", readers.openclipart_items(seed),
                                          limit=max(0, cartoons_left), short=CARTOON_SHORT),
    }
    for name, make in cartoon_makers.items():
        run(name, "cartoons", make)

    manifest = build_manifest(out, results, params, time.monotonic() - t0)
    tmp = out / "manifest.json.tmp"
    tmp.write_text(json.dumps(manifest, indent=1))
    tmp.replace(out / "manifest.json")
    logger.info("bootstrap done in %.1f s: %s", time.monotonic() - t0, manifest["totals"])
    return manifest
