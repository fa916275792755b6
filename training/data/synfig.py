"""The one synfig reader of both data builds: a scene's canvas (size, frame rate, length), its renders, and a
line-art copy of it.

The cartoonize build renders single frames of each scene as cartoon stills (:func:`render_still`); the colorize
build renders frame ranges (:func:`render_frames`) of a scene and of its line-art copy (:func:`line_art_scene`).

synfig-examples draw characters as separate outline layers (the strokes) over region layers (the fills). A copy of
a scene in which every outline is black, every fill is white and every shading/texture layer is off renders as
exact line art of the colour render, occlusion included (fills still hide the strokes behind them).
"""
from __future__ import annotations

import logging
import re
import shutil
import subprocess
import tempfile
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

__all__ = ["SceneInfo", "scene_info", "line_art_scene", "render_frames", "render_still", "SynfigError"]

logger = logging.getLogger(__name__)

#: Layers that draw strokes: painted black in the line-art scene.
STROKE_LAYERS = frozenset({"outline", "advanced_outline"})
#: Layers that draw filled shapes: painted white (they still occlude strokes behind them).
FILL_LAYERS = frozenset({"region", "polygon", "circle", "rectangle", "star", "filled_rectangle"})
#: Layers that only group, move or deform others: left as they are.
STRUCTURE_LAYERS = frozenset({
    "PasteCanvas", "group", "switch", "filter_group", "translate", "rotate", "zoom", "stretch", "warp",
    "skeleton_deformation", "skeleton", "spherize", "noise_distort", "twirl", "inside_out", "super_sample",
    "duplicate", "timeloop", "stroboscope", "freetime", "xor_pattern_", "clamp",
})
# Everything else (gradients, noise, shade, bevel, blur, solid colour backgrounds, text, imported bitmaps) is off.


class SynfigError(RuntimeError):
    """synfig is missing or failed to render a scene."""


@dataclass(frozen=True)
class SceneInfo:
    """Root canvas of a .sif file."""

    width: int
    height: int
    fps: float
    seconds: float  # end time of the animation (0 for a still scene)

    @property
    def frames(self) -> int:
        """Number of animation frames (1 for a still scene)."""
        return max(1, int(round(self.seconds * self.fps)) + 1) if self.seconds > 0 else 1


def scene_info(path: Path) -> SceneInfo:
    """Size, frame rate and length of a .sif scene, from its root canvas tag."""
    head = Path(path).read_text(errors="replace")[:4000]
    match = re.search(r"<canvas\s[^>]*>", head)
    if match is None:
        raise SynfigError(f"{path}: no <canvas> root tag")
    tag = match.group(0)

    def attr(name: str, default: str) -> str:
        found = re.search(rf'\s{name}="([^"]*)"', tag)
        return found.group(1) if found else default

    fps = float(attr("fps", "24") or 24)
    seconds = 0.0
    for number, unit in re.findall(r"([0-9.]+)\s*([hmsf])", attr("end-time", "0f")):
        seconds += float(number) * {"h": 3600.0, "m": 60.0, "s": 1.0, "f": 1.0 / fps}[unit]
    return SceneInfo(int(float(attr("width", "480"))), int(float(attr("height", "270"))), fps, seconds)


def _set_colour(layer: ET.Element, rgba: tuple[float, float, float, float]) -> None:
    """Replace the layer's "color" parameter (constant, animated or linked) by a constant colour."""
    for param in layer.findall("param"):
        if param.get("name") != "color":
            continue
        for child in list(param):
            param.remove(child)
        param.attrib.pop("use", None)
        colour = ET.SubElement(param, "color")
        for channel, value in zip("rgba", rgba):
            ET.SubElement(colour, channel).text = f"{value:.6f}"


def line_art_scene(src: Path, dst: Path) -> dict[str, int]:
    """Write a copy of scene ``src`` to ``dst`` that renders as black strokes on white fills.

    Returns how many layers were inked, whitened and switched off. Relative file references keep working when
    ``dst`` sits in the same folder as ``src`` or the scene references no files.
    """
    tree = ET.parse(src)
    counts = {"strokes": 0, "fills": 0, "off": 0}
    for layer in tree.getroot().iter("layer"):
        kind = layer.get("type", "")
        if kind in STROKE_LAYERS:
            _set_colour(layer, (0.0, 0.0, 0.0, 1.0))
            counts["strokes"] += 1
        elif kind in FILL_LAYERS:
            _set_colour(layer, (1.0, 1.0, 1.0, 1.0))
            counts["fills"] += 1
        elif kind not in STRUCTURE_LAYERS:
            layer.set("active", "false")
            counts["off"] += 1
    tree.write(dst, encoding="UTF-8", xml_declaration=True)
    return counts


def render_frames(scene: Path, first: int, last: int, width: int, height: int, *,
                  timeout: float = 600.0) -> list[np.ndarray]:
    """Render frames ``first..last`` (inclusive, in frame units) of a scene; H x W x 4 uint8 RGBA each.

    Raises:
        SynfigError: synfig is not installed (``apt-get install synfig``), failed, or wrote no frames.
    """
    times = ["--time", str(first)] if first == last else ["--begin-time", str(first), "--end-time", str(last)]
    frames = _render(scene, times, width, height, timeout, f"frames {first}-{last}")
    if len(frames) != last - first + 1:
        logger.warning("synfig wrote %d frames for %s %d-%d", len(frames), scene.name, first, last)
    return frames


def render_still(scene: Path, seconds: float, width: int, height: int, *, timeout: float = 60.0) -> np.ndarray:
    """Render the frame at ``seconds`` (to the millisecond) of a scene; H x W x 4 uint8 RGBA.

    Raises:
        SynfigError: as :func:`render_frames`.
    """
    return _render(scene, ["--time", f"{seconds:.3f}"], width, height, timeout, f"t={seconds:.2f}")[0]


def _render(scene: Path, times: list[str], width: int, height: int, timeout: float, what: str) -> list[np.ndarray]:
    """Run synfig on ``scene`` for the ``times`` arguments; the RGBA frames it wrote, in order."""
    exe = shutil.which("synfig")
    if exe is None:
        raise SynfigError("synfig not found: apt-get update && apt-get install -y synfig")
    with tempfile.TemporaryDirectory(prefix="toonflow_synfig_") as tmp:
        out = Path(tmp) / "f.png"
        cmd = [exe, str(scene), "-q", "-T", "1", "-w", str(width), "-h", str(height), "-o", str(out), *times]
        try:
            proc = subprocess.run(cmd, capture_output=True, timeout=timeout, check=False)
        except subprocess.TimeoutExpired as exc:
            raise SynfigError(f"synfig timed out on {scene} {what}") from exc
        files = sorted(Path(tmp).glob("f*.png"))
        if proc.returncode != 0 or not files:
            tail = proc.stderr.decode(errors="replace")[-400:]
            raise SynfigError(f"synfig failed on {scene} {what} (rc {proc.returncode}): {tail}")
        frames = []
        for f in files:
            image = cv2.imread(str(f), cv2.IMREAD_UNCHANGED)
            if image is None or image.ndim != 3 or image.shape[2] != 4:
                raise SynfigError(f"synfig wrote an unreadable frame {f.name} for {scene}")
            frames.append(cv2.cvtColor(image, cv2.COLOR_BGRA2RGBA))
        return frames
