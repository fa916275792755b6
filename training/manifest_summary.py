"""What a model card quotes of a dataset manifest: each source's name, package, licence and counts, not its files,
and whether a local data build is the one the committed manifest describes."""
from __future__ import annotations

import json
from pathlib import Path

from engine.models import file_sha256

__all__ = ["card_sources", "build_provenance"]

# Per-file listings stay in the manifest the card names; a card only needs to say where the data came from.
_OMITTED_KEYS = ("files",)
# When and how fast a build ran, not what it holds: two builds of the same data differ only in these.
_BUILD_RECORD_KEYS = frozenset({"created_utc", "build_seconds", "restyled_utc"})


def card_sources(data_manifest: Path | None, kinds: frozenset[str] | None = None) -> list[dict]:
    """The `sources` of a bootstrap manifest without their per-file lists, only those of `kinds` (photos, videos,
    cartoons) when given; [] when there is no manifest file."""
    if data_manifest is None or not Path(data_manifest).is_file():
        return []
    sources = json.loads(Path(data_manifest).read_text()).get("sources", [])
    return [{key: value for key, value in source.items() if key not in _OMITTED_KEYS} for source in sources
            if kinds is None or source.get("kind") in kinds]


def _content(manifest: object) -> object:
    """A manifest without its build records (timestamps, durations), at every depth."""
    if isinstance(manifest, dict):
        return {key: _content(value) for key, value in manifest.items() if key not in _BUILD_RECORD_KEYS}
    if isinstance(manifest, list):
        return [_content(value) for value in manifest]
    return manifest


def build_provenance(data_root: Path, data_manifest: Path | None) -> dict | None:
    """Which build a card's scores came from: the folder, its manifest's SHA-256, and whether that manifest describes
    the same data as `data_manifest` (the committed one the card names: equal once the build records, when it ran
    and for how long, are left out); None when the folder has no manifest."""
    built = Path(data_root) / "manifest.json"
    if not built.is_file():
        return None
    committed = Path(data_manifest) if data_manifest is not None and Path(data_manifest).is_file() else None
    same = None
    if committed is not None:
        same = _content(json.loads(built.read_text())) == _content(json.loads(committed.read_text()))
    return {"folder": str(data_root), "manifest_sha256": file_sha256(built), "same_as_manifest": same}
