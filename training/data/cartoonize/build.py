"""Build the training data folders from offline Debian/PyPI sources (``python -m training bootstrap``).

Layout written under ``out``::

    photos/{train,test}/<source>__<name>.png     real photographs, short side 256-384, RGB PNG
    cartoons/{train,test}/<source>__<name>.png   cartoon images (clip-art, stamps, synfig renders, tupi frames)
    videos/{train,test}/<clip>/%06d.png          consecutive real frames
    manifest.json                                sources, packages, licences, counts, origin paths, parameters

Photos and cartoons are split by a hash of (seed, source, group key), so the split is deterministic and stable when
other files are added (twins such as stereo pairs share a group). Video clips are split by name (sources.CLIPS): the
test clips (cockatoo, tree, realshort) are never read by training and serve the benchmark. Every 10th frame of each
clip is also a still in photos/ of the clip's own split.

Each source is a "part": when finished it leaves ``.parts/<source>.json``; a re-run with the same parameters
reuses finished parts, and a part whose parameters changed is deleted and rebuilt.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import hashlib
import json
import logging
import random
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import av
import cv2
import numpy as np
from tqdm import tqdm

from . import imageops, sources

logger = logging.getLogger(__name__)

__all__ = ["build", "main", "check_requirements", "split_of", "MissingSourcesError", "DEBIAN_PACKAGES",
           "PYPI_NO_DEPS", "ALL_SOURCES"]

BOOTSTRAP_VERSION = 1
#: Bumped when a source's recipe changes: only that part is rebuilt on the next run.
PART_VERSIONS: dict[str, int] = {"synfig": 2, "tuxpaint_stamps": 3, "openclipart": 3, "video_frames": 2, "videos": 2}
#: What the sources need on a fresh machine (the Makefile's `data-debs` installs the Debian ones).
DEBIAN_PACKAGES = sources.APT_PACKAGES
PYPI_NO_DEPS = sources.PIP_NO_DEPS
SPLITS = ("train", "test")
PHOTO_SOURCES = ("skimage", "matplotlib", "opencv_photos", "tuxpaint_photos", "video_frames")
CARTOON_SOURCES = ("synfig", "tupi", "tuxpaint_stamps", "openclipart")
VIDEO_SOURCES = ("videos",)
ALL_SOURCES = PHOTO_SOURCES + CARTOON_SOURCES + VIDEO_SOURCES
PHOTO_SHORT = (256, 384)
CARTOON_SHORT = (256, 384)


class MissingSourcesError(RuntimeError):
    """Packages the bootstrap needs are not installed; the message lists the commands to install them."""


@dataclass(frozen=True)
class Item:
    """One image to write: ``group`` decides the split (items of a group share it)."""

    name: str
    group: str
    origin: str
    load: Callable[[], np.ndarray | None]  # returns H x W x 3 uint8 RGB, or None to skip
    split: str | None = None  # fixed split (frames of a clip follow the clip), else the hash of the group


@dataclass
class PartResult:
    """What one source produced (a manifest entry)."""

    name: str
    kind: str
    package: dict[str, str | None]
    counts: dict[str, int] = field(default_factory=lambda: {s: 0 for s in SPLITS})
    skipped: int = 0
    files: dict[str, str] = field(default_factory=dict)  # output path relative to root -> origin
    notes: str = ""

    def to_json(self) -> dict:
        """JSON-ready dict."""
        return {"name": self.name, "kind": self.kind, "package": self.package, "counts": self.counts,
                "skipped": self.skipped, "notes": self.notes, "files": dict(sorted(self.files.items()))}


def split_of(key: str, seed: int, test_fraction: float) -> str:
    """Deterministic split for a group key: "test" for about ``test_fraction`` of keys, else "train"."""
    digest = hashlib.sha1(f"{seed}:{key}".encode()).digest()
    u = int.from_bytes(digest[:8], "big") / 2.0**64
    return "test" if u < test_fraction else "train"


def safe_name(text: str) -> str:
    """File-name-safe version of a relative path or name."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("_")[:120]


# ----------------------------------------------------------------------------------------------------- photos


def _skimage_items() -> Iterator[Item]:
    import skimage.data as skdata

    def loader(n: str) -> Callable[[], np.ndarray]:
        def load() -> np.ndarray:
            img = getattr(skdata, n)()
            if isinstance(img, tuple):  # stereo_motorcycle -> (left, right, disparity): keep the left view
                img = img[0]
            return imageops.to_rgb_uint8(img)
        return load

    for n in sources.SKIMAGE_PHOTOS:
        yield Item(n, n, f"skimage.data.{n}", loader(n))


def _matplotlib_items() -> Iterator[Item]:
    import matplotlib.cbook as cbook

    try:
        path = Path(cbook.get_sample_data("grace_hopper.jpg", asfileobj=False))
    except (OSError, ValueError) as exc:
        logger.warning("matplotlib sample data unavailable: %s", exc)
        return
    if path.is_file():
        yield Item("grace_hopper", "grace_hopper", str(path), lambda: imageops.read_rgb(path))


def _files_items(paths: Sequence[Path], root: Path) -> Iterator[Item]:
    for p in paths:
        rel = str(p.relative_to(root)) if p.is_relative_to(root) else p.name
        stem = safe_name(str(Path(rel).with_suffix("")))
        yield Item(stem, stem, str(p), lambda p=p: imageops.read_rgb(p))


def _opencv_photo_items() -> Iterator[Item]:
    for rel, group in sources.OPENCV_PHOTOS:
        path = sources.OPENCV_DIR / rel
        if path.is_file():
            yield Item(safe_name(str(Path(rel).with_suffix(""))), group, str(path),
                       lambda p=path: imageops.read_rgb(p))


def _tuxpaint_photo_items() -> Iterator[Item]:
    paths = sorted(p for p in sources.TUXPAINT_TEMPLATES.glob("*") if p.suffix.lower() in (".jpg", ".jpeg", ".png"))
    yield from _files_items(paths, sources.TUXPAINT_TEMPLATES)


def _video_frame_items(every: int, max_clip_frames: int | None) -> Iterator[Item]:
    """Every ``every``-th frame of each clip as a still, in the clip's own split (held-out clips stay held out)."""
    for clip in sources.CLIPS:
        path = sources.clip_path(clip)
        if path is None:
            continue
        for i, frame in enumerate(read_video(path, _clip_limit(clip, max_clip_frames))):
            if i % every == 0:
                yield Item(f"{clip.name}_{i:06d}", clip.name, f"{path}#frame={i}", lambda f=frame: f, clip.split)


# --------------------------------------------------------------------------------------------------- cartoons


def _clipart_loader(path: Path, min_flat: float = 0.0) -> Callable[[], np.ndarray | None]:
    def load() -> np.ndarray | None:
        try:
            rgb = imageops.read_rgb(path)
        except ValueError:
            return None
        if min(rgb.shape[:2]) < 48:
            return None
        rgb = imageops.crop_to_content(rgb)
        if not imageops.is_good_cartoon(imageops.cartoon_stats(rgb), min_flat=min_flat):
            return None
        return imageops.pad_aspect(rgb, 2.0)
    return load


def _openclipart_items(seed: int) -> Iterator[Item]:
    root = sources.OPENCLIPART_DIR
    paths = sorted(p for p in root.rglob("*.png") if p.relative_to(root).parts[0] not in sources.OPENCLIPART_EXCLUDE)
    random.Random(seed).shuffle(paths)
    for p in paths:
        stem = safe_name(str(p.relative_to(root).with_suffix("")))
        # colour / black-and-white twins (foo.png, foo_bw.png) share a group so they share a split
        group = re.sub(r"(_bw|_black_white|_outline)$", "", stem)
        yield Item(stem, group, str(p), _clipart_loader(p))


def _tuxpaint_stamp_items(seed: int) -> Iterator[Item]:
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


def _sif_timing(path: Path) -> tuple[float, int, int]:
    """(duration in seconds, width, height) from the root canvas of a .sif file."""
    head = path.read_text(errors="replace")[:4000]
    m = re.search(r"<canvas\s[^>]*>", head)
    tag = m.group(0) if m else ""

    def attr(name: str, default: str) -> str:
        am = re.search(rf'{name}="([^"]*)"', tag)
        return am.group(1) if am else default

    fps = float(attr("fps", "24") or 24)
    end = attr("end-time", "0f")
    secs = 0.0
    for num, unit in re.findall(r"([0-9.]+)\s*([hmsf])", end):
        secs += float(num) * {"h": 3600.0, "m": 60.0, "s": 1.0, "f": 1.0 / fps}[unit]
    return secs, int(float(attr("width", "480"))), int(float(attr("height", "270")))


def render_synfig(sif: Path, time_s: float, width: int, height: int, timeout: float = 60.0) -> np.ndarray | None:
    """Render one frame of a synfig scene to RGB (alpha composited on white); None when synfig fails."""
    exe = shutil.which("synfig")
    if exe is None:
        return None
    with tempfile.TemporaryDirectory(prefix="toonflow_synfig_") as tmp:
        out = Path(tmp) / "frame.png"
        cmd = [exe, str(sif), "--time", f"{time_s:.3f}", "-o", str(out), "-w", str(width), "-h", str(height)]
        try:
            proc = subprocess.run(cmd, capture_output=True, timeout=timeout, check=False)
        except subprocess.TimeoutExpired:
            logger.warning("synfig timed out on %s at t=%.2f", sif.name, time_s)
            return None
        if proc.returncode != 0 or not out.is_file():
            logger.warning("synfig failed on %s (rc %s)", sif.name, proc.returncode)
            return None
        try:
            return imageops.read_rgb(out)
        except ValueError:
            return None


def _synfig_items(renders_per_file: int) -> Iterator[Item]:
    """Renders of each scene at ``renders_per_file`` times spread over its animation (short side 384);
    a render almost identical to the scene's previous one is dropped."""
    previous: dict[str, np.ndarray] = {}
    for stem in sources.SYNFIG_FILES:
        sif = sources.SYNFIG_DIR / f"{stem}.sif"
        if not sif.is_file():
            continue
        duration, w, h = _sif_timing(sif)
        scale = min(384 / min(w, h), 1024 / max(w, h))
        w, h = max(2, round(w * scale)), max(2, round(h * scale))
        n = renders_per_file if duration > 0 else 1
        for k in range(n):
            t = duration * (k + 0.5) / n if duration > 0 else 0.0

            def load(sif: Path = sif, stem: str = stem, t: float = t, w: int = w, h: int = h) -> np.ndarray | None:
                rgb = render_synfig(sif, t, w, h)
                if rgb is None or imageops.cartoon_stats(rgb).colours < 8:
                    return None
                last = previous.get(stem)
                if last is not None and last.shape == rgb.shape and \
                        float(np.abs(last.astype(np.int16) - rgb).mean()) < 2.0:
                    return None
                previous[stem] = rgb
                return rgb

            yield Item(f"{stem}_t{t:06.2f}", stem, f"{sif}#time={t:.3f}", load)


def _tupi_items(every: int) -> Iterator[Item]:
    if not sources.TUPI_AVI.is_file():
        return
    for i, frame in enumerate(read_video(sources.TUPI_AVI, None)):
        if i % every == 0:
            # groups of 30 frames share a split: near-identical neighbours never straddle train/test
            yield Item(f"example_{i:06d}", f"example_{i // 30}", f"{sources.TUPI_AVI}#frame={i}", lambda f=frame: f)


# ----------------------------------------------------------------------------------------------------- videos


def read_video(path: Path, max_frames: int | None) -> Iterator[np.ndarray]:
    """Decode a video file with PyAV; yields H x W x 3 uint8 RGB frames in order."""
    with av.open(str(path)) as container:
        for i, frame in enumerate(container.decode(video=0)):
            if max_frames is not None and i >= max_frames:
                break
            yield frame.to_ndarray(format="rgb24")


def _clip_packages() -> dict:
    """Manifest package record of the clip sources: each package with its version and licence."""
    names = sorted({clip.package for clip in sources.CLIPS})
    described = [sources.PACKAGES[n].describe() for n in names]
    return {"name": ", ".join(names), "registry": "pypi+debian",
            "version": "; ".join(f"{d['name']} {d['version']}" for d in described),
            "licence": "; ".join(f"{d['name']}: {d['licence']}" for d in described)}


def _clip_limit(clip: sources.Clip, max_clip_frames: int | None) -> int | None:
    caps = [c for c in (clip.max_frames, max_clip_frames) if c is not None]
    return min(caps) if caps else None


def _downscale_clip_frame(rgb: np.ndarray, max_short: int) -> np.ndarray:
    """Downscale (never upscale) so the short side is at most ``max_short``, keeping even sizes."""
    if min(rgb.shape[:2]) <= max_short:
        return rgb
    out = imageops.resize_short_side(rgb, 1, max_short)
    h, w = out.shape[:2]
    return out[: h - h % 2, : w - w % 2]


# ----------------------------------------------------------------------------------------------------- driver


class _Builder:
    def __init__(self, out: Path, *, seed: int, test_fraction: float, progress: bool, params_hash: str) -> None:
        self.out = out
        self.seed = seed
        self.test_fraction = test_fraction
        self.progress = progress
        self.params_hash = params_hash
        self.parts_dir = out / ".parts"

    # parts bookkeeping
    def _part_hash(self, name: str) -> str:
        return f"{self.params_hash}-v{PART_VERSIONS.get(name, 1)}"

    def load_part(self, name: str) -> dict | None:
        marker = self.parts_dir / f"{name}.json"
        if not marker.is_file():
            return None
        try:
            data = json.loads(marker.read_text())
        except (OSError, json.JSONDecodeError):
            return None
        if data.get("params_hash") != self._part_hash(name):
            return None
        if not all((self.out / rel).exists() for rel in data["result"]["files"]):
            return None
        return data["result"]

    def clear_part(self, name: str, kind: str) -> None:
        (self.parts_dir / f"{name}.json").unlink(missing_ok=True)
        if kind == "videos":
            for split in SPLITS:
                for clip in sources.CLIPS:
                    shutil.rmtree(self.out / "videos" / split / clip.name, ignore_errors=True)
            return
        for split in SPLITS:
            folder = self.out / kind / split
            if folder.is_dir():
                for f in folder.glob(f"{name}__*"):
                    f.unlink()

    def save_part(self, result: PartResult) -> None:
        self.parts_dir.mkdir(parents=True, exist_ok=True)
        tmp = self.parts_dir / f"{result.name}.json.tmp"
        tmp.write_text(json.dumps({"params_hash": self._part_hash(result.name), "result": result.to_json()}))
        tmp.replace(self.parts_dir / f"{result.name}.json")

    # image parts
    def image_part(self, name: str, kind: str, items: Iterator[Item], *, limit: int | None,
                   short: tuple[int, int], total: int | None = None, notes: str = "",
                   package: dict | None = None) -> PartResult:
        if package is None:
            package = sources.PACKAGES[sources.SOURCE_PACKAGES[name]].describe()
        result = PartResult(name, kind, package, notes=notes)
        bar = tqdm(items, total=total, desc=f"{kind}/{name}", disable=not self.progress, leave=False)
        for seen, item in enumerate(bar):
            if limit is not None and sum(result.counts.values()) >= limit:
                break
            if not self.progress and seen and seen % 500 == 0:
                logger.info("%s/%s: %d read, %d kept", kind, name, seen, sum(result.counts.values()))
            split = item.split or split_of(f"{name}/{item.group}", self.seed, self.test_fraction)
            rel = f"{kind}/{split}/{name}__{safe_name(item.name)}.png"
            try:
                rgb = item.load()
            except (OSError, ValueError, RuntimeError) as exc:
                logger.warning("skipping %s: %s", item.origin, exc)
                rgb = None
            if rgb is None:
                result.skipped += 1
                continue
            rgb = imageops.resize_short_side(rgb, *short)
            imageops.write_png(self.out / rel, rgb)
            result.counts[split] += 1
            result.files[rel] = item.origin
        bar.close()
        logger.info("%s/%s: %d train, %d test, %d skipped", kind, name, result.counts["train"],
                    result.counts["test"], result.skipped)
        return result

    def video_part(self, max_clip_frames: int | None) -> PartResult:
        result = PartResult("videos", "videos", _clip_packages())
        clips_meta = []
        for clip in sources.CLIPS:
            path = sources.clip_path(clip)
            if path is None:
                logger.warning("clip %s: %s not installed, skipped", clip.name, clip.package)
                continue
            folder = self.out / "videos" / clip.split / clip.name
            shutil.rmtree(folder, ignore_errors=True)
            n = 0
            size = None
            for i, frame in enumerate(tqdm(read_video(path, _clip_limit(clip, max_clip_frames)),
                                           desc=f"videos/{clip.name}", disable=not self.progress, leave=False)):
                frame = _downscale_clip_frame(frame, clip.max_short_side)
                size = frame.shape[:2]
                imageops.write_png(folder / f"{i:06d}.png", frame)
                n += 1
            result.counts[clip.split] += n
            result.files[f"videos/{clip.split}/{clip.name}"] = str(path)
            pkg = sources.PACKAGES[clip.package]
            clips_meta.append({"clip": clip.name, "split": clip.split, "frames": n, "height_width": size,
                               "origin": str(path), "package": pkg.describe()})
            logger.info("videos/%s/%s: %d frames %s", clip.split, clip.name, n, size)
        result.notes = json.dumps(clips_meta)
        return result


def check_requirements(selected: Sequence[str]) -> tuple[list[str], list[str], list[str]]:
    """(missing apt packages, missing pip requirements, install commands) for the selected sources."""
    apt, pip = sources.missing_packages(sources.packages_for(selected))
    return apt, pip, sources.install_commands(apt, pip)


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
    """
    t0 = time.monotonic()
    out = Path(out)
    selected = tuple(sources_only) if sources_only is not None else ALL_SOURCES
    unknown = set(selected) - set(ALL_SOURCES)
    if unknown:
        raise ValueError(f"unknown sources {sorted(unknown)}; choose from {list(ALL_SOURCES)}")
    apt, pip, cmds = check_requirements(selected)
    if (apt or pip) and not allow_missing:
        raise MissingSourcesError("bootstrap data sources are missing; install them with:\n  " + "\n  ".join(cmds)
                                  + "\n(or pass --allow-missing to build from what is installed)")
    for cmd in cmds:
        logger.warning("missing data source, skipped; to include it run: %s", cmd)

    params = {"version": BOOTSTRAP_VERSION, "seed": seed, "max_cartoons": max_cartoons,
              "test_fraction": test_fraction, "max_clip_frames": max_clip_frames,
              "synfig_renders": synfig_renders, "video_photo_every": video_photo_every, "tupi_every": tupi_every,
              "photo_short_side": list(PHOTO_SHORT), "cartoon_short_side": list(CARTOON_SHORT)}
    params_hash = hashlib.sha1(json.dumps(params, sort_keys=True).encode()).hexdigest()[:16]
    builder = _Builder(out, seed=seed, test_fraction=test_fraction, progress=progress, params_hash=params_hash)
    out.mkdir(parents=True, exist_ok=True)
    for kind in ("photos", "cartoons", "videos"):
        for split in SPLITS:
            (out / kind / split).mkdir(parents=True, exist_ok=True)

    results: dict[str, dict] = {}
    cartoons_left = max_cartoons

    def run(name: str, kind: str, make: Callable[[], PartResult]) -> None:
        nonlocal cartoons_left
        done = builder.load_part(name)
        if done is None and name in selected:
            if name not in ("videos", "video_frames"):
                apt, pip = sources.missing_packages(sources.packages_for([name]))
                if apt or pip:
                    logger.warning("source %s skipped: %s not installed", name, ", ".join(apt + pip))
                    return
            builder.clear_part(name, kind)
            t = time.monotonic()
            result = make()
            logger.info("source %s built in %.1f s", name, time.monotonic() - t)
            builder.save_part(result)
            done = result.to_json()
        elif done is not None:
            logger.info("source %s already built, reused", name)
        if done is not None:
            results[name] = done
            if kind == "cartoons":
                cartoons_left -= sum(done["counts"].values())

    photo_makers: dict[str, Callable[[], PartResult]] = {
        "skimage": lambda: builder.image_part("skimage", "photos", _skimage_items(), limit=None, short=PHOTO_SHORT),
        "matplotlib": lambda: builder.image_part("matplotlib", "photos", _matplotlib_items(), limit=None,
                                                 short=PHOTO_SHORT),
        "opencv_photos": lambda: builder.image_part("opencv_photos", "photos", _opencv_photo_items(), limit=None,
                                                    short=PHOTO_SHORT),
        "tuxpaint_photos": lambda: builder.image_part("tuxpaint_photos", "photos", _tuxpaint_photo_items(),
                                                      limit=None, short=PHOTO_SHORT),
        "video_frames": lambda: builder.image_part(
            "video_frames", "photos", _video_frame_items(video_photo_every, max_clip_frames), limit=None,
            short=PHOTO_SHORT, notes="every n-th frame of each clip, in the clip's split",
            package=_clip_packages()),
    }
    for name, make in photo_makers.items():
        run(name, "photos", make)
    run("videos", "videos", lambda: builder.video_part(max_clip_frames))
    cartoon_makers: dict[str, Callable[[], PartResult]] = {
        "synfig": lambda: builder.image_part("synfig", "cartoons", _synfig_items(synfig_renders),
                                             limit=max(0, cartoons_left), short=CARTOON_SHORT,
                                             total=len(sources.SYNFIG_FILES) * synfig_renders),
        "tupi": lambda: builder.image_part("tupi", "cartoons", _tupi_items(tupi_every), limit=max(0, cartoons_left),
                                           short=CARTOON_SHORT),
        "tuxpaint_stamps": lambda: builder.image_part("tuxpaint_stamps", "cartoons", _tuxpaint_stamp_items(seed),
                                                      limit=max(0, cartoons_left), short=CARTOON_SHORT),
        "openclipart": lambda: builder.image_part("openclipart", "cartoons", _openclipart_items(seed),
                                                  limit=max(0, cartoons_left), short=CARTOON_SHORT),
    }
    for name, make in cartoon_makers.items():
        run(name, "cartoons", make)

    manifest = _manifest(out, results, params, time.monotonic() - t0)
    tmp = out / "manifest.json.tmp"
    tmp.write_text(json.dumps(manifest, indent=1))
    tmp.replace(out / "manifest.json")
    logger.info("bootstrap done in %.1f s: %s", time.monotonic() - t0, manifest["totals"])
    return manifest


def _manifest(out: Path, results: dict[str, dict], params: dict, seconds: float) -> dict:
    totals: dict[str, int] = {}
    for kind in ("photos", "cartoons"):
        for split in SPLITS:
            totals[f"{kind}/{split}"] = len(list((out / kind / split).glob("*.png")))
    for split in SPLITS:
        folder = out / "videos" / split
        clips = [d for d in folder.iterdir() if d.is_dir()] if folder.is_dir() else []
        totals[f"videos/{split}/clips"] = len(clips)
        totals[f"videos/{split}/frames"] = sum(len(list(d.glob("*.png"))) for d in clips)
    size = sum(f.stat().st_size for f in out.rglob("*.png"))
    entries = []
    for name, res in results.items():
        entry = dict(res)
        if name == "videos" and entry.get("notes"):
            entry["clips"] = json.loads(entry.pop("notes"))
        entries.append(entry)
    return {
        "format": "toonflow-cartoonize-data",
        "version": BOOTSTRAP_VERSION,
        "created_utc": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "parameters": params,
        "part_versions": PART_VERSIONS,
        "split_rule": "photos/cartoons: sha1(f'{seed}:{source}/{group}') < test_fraction -> test; "
                      "stills sampled from clips follow their clip; videos: by clip (cockatoo, tree, realshort "
                      "are test)",
        "build_seconds": round(seconds, 1),
        "bytes": size,
        "totals": totals,
        "sources": entries,
    }


def main(argv: Sequence[str] | None = None) -> int:
    """CLI: ``python -m training bootstrap [--out DIR] [--max-cartoons N] [--seed S] [--check]``."""
    parser = argparse.ArgumentParser(prog="python -m training bootstrap",
                                     description="Build photo / cartoon / video folders from offline packages.")
    parser.add_argument("--out", type=Path, default=Path("data/cartoonize"), help="output folder")
    parser.add_argument("--max-cartoons", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--test-fraction", type=float, default=0.1)
    parser.add_argument("--sources", nargs="+", choices=ALL_SOURCES, help="build only these sources")
    parser.add_argument("--allow-missing", action="store_true", help="skip sources whose package is missing")
    parser.add_argument("--check", action="store_true",
                        help="only check the packages; print install commands; exit 1 if any are missing")
    parser.add_argument("--no-progress", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if args.check:
        apt, pip, cmds = check_requirements(args.sources or ALL_SOURCES)
        if cmds:
            print("missing data sources; run:")
            for c in cmds:
                print("  " + c)
            return 1
        print("all bootstrap data sources are installed")
        return 0
    try:
        manifest = build(args.out, max_cartoons=args.max_cartoons, seed=args.seed, progress=not args.no_progress,
                         sources_only=args.sources, test_fraction=args.test_fraction,
                         allow_missing=args.allow_missing)
    except MissingSourcesError as exc:
        print(str(exc))
        return 2
    print(json.dumps(manifest["totals"], indent=1))
    print(f"{manifest['bytes'] / 1e6:.1f} MB in {manifest['build_seconds']} s -> {args.out / 'manifest.json'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
