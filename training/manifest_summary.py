"""What a model card quotes of a dataset manifest: each source's name, package, licence and counts, not its files,
and whether a local data build is the one the committed manifest describes."""
from __future__ import annotations

import json
from pathlib import Path

from engine.models import file_sha256

__all__ = ["card_sources", "build_provenance"]

# Per-file listings stay in the manifest the card names; a card only needs to say where the data came from.
_OMITTED_KEYS = ("files",)


def card_sources(data_manifest: Path | None) -> list[dict]:
    """The `sources` of a bootstrap manifest without their per-file lists; [] when there is no manifest file."""
    if data_manifest is None or not Path(data_manifest).is_file():
        return []
    sources = json.loads(Path(data_manifest).read_text()).get("sources", [])
    return [{key: value for key, value in source.items() if key not in _OMITTED_KEYS} for source in sources]


def build_provenance(data_root: Path, data_manifest: Path | None) -> dict | None:
    """Which build a card's scores came from: the folder, its manifest's SHA-256, and whether that manifest is
    byte-identical to `data_manifest` (the committed one the card names); None when the folder has no manifest."""
    built = Path(data_root) / "manifest.json"
    if not built.is_file():
        return None
    digest = file_sha256(built)
    committed = Path(data_manifest) if data_manifest is not None and Path(data_manifest).is_file() else None
    return {
        "folder": str(data_root),
        "manifest_sha256": digest,
        "same_as_manifest": None if committed is None else file_sha256(committed) == digest,
    }
