"""The cartoonize build's parts (one per source) and their resumable bookkeeping.

A finished part leaves ``.parts/<source>.json`` (:mod:`training.data.part_markers`) holding its manifest entry and
the hash of the build parameters and of the part's version; a re-run reuses the part while both match and its files
are all still there, and otherwise deletes what the part wrote and builds it again.
"""
from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

from .. import sources
from ..part_markers import PartMarkers
from ..splits import SPLITS

__all__ = ["PART_VERSIONS", "PartResult", "PartStore"]

#: Bumped when a source's recipe changes: only that part is rebuilt on the next run.
PART_VERSIONS: dict[str, int] = {"synfig": 2, "tuxpaint_stamps": 3, "openclipart": 3, "video_frames": 2, "videos": 2}


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


class PartStore:
    """The finished parts of the build under ``out`` for the parameters hashed as ``params_hash``."""

    def __init__(self, out: Path, params_hash: str) -> None:
        self.out = out
        self.params_hash = params_hash
        self.markers = PartMarkers(out, "params_hash")

    def _key(self, name: str) -> str:
        return f"{self.params_hash}-v{PART_VERSIONS.get(name, 1)}"

    def load(self, name: str) -> dict | None:
        """The part's manifest entry when it was built with these parameters and its files are all present."""
        data = self.markers.read(name, self._key(name))
        if data is None or not all((self.out / rel).exists() for rel in data["result"]["files"]):
            return None
        return data["result"]

    def clear(self, name: str, kind: str) -> None:
        """Delete what an earlier (other-parameter or unfinished) build of this part wrote."""
        self.markers.remove(name)
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

    def save(self, result: PartResult) -> None:
        self.markers.write(result.name, self._key(result.name), {"result": result.to_json()})
