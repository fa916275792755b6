"""What a model card quotes of a dataset manifest: each source's name, package, licence and counts, not its files."""
from __future__ import annotations

import json
from pathlib import Path

__all__ = ["card_sources"]

# Per-file listings stay in the manifest the card names; a card only needs to say where the data came from.
_OMITTED_KEYS = ("files",)


def card_sources(data_manifest: Path | None) -> list[dict]:
    """The `sources` of a bootstrap manifest without their per-file lists; [] when there is no manifest file."""
    if data_manifest is None or not Path(data_manifest).is_file():
        return []
    sources = json.loads(Path(data_manifest).read_text()).get("sources", [])
    return [{key: value for key, value in source.items() if key not in _OMITTED_KEYS} for source in sources]
