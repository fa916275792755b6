"""Resumable builds: a finished part leaves ``.parts/<part>.json`` holding the key of what it was built from.

Both data builds are long (renders, HED, video decoding) and run in pieces; a re-run reuses every part whose key
still matches and rebuilds the others. The key's field name differs between the builds ("params_hash" for
cartoonize, "key" for colorize) and is kept so that folders built earlier stay valid.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

__all__ = ["PartMarkers"]


class PartMarkers:
    """The ``.parts`` folder of a build under ``out``; ``key_field`` names the key inside each marker."""

    def __init__(self, out: Path, key_field: str) -> None:
        self.folder = Path(out) / ".parts"
        self.key_field = key_field

    def path(self, part: str) -> Path:
        return self.folder / f"{part}.json"

    def read(self, part: str, key: str | None = None) -> dict[str, Any] | None:
        """The part's marker, or None when it is missing, unreadable, or (given ``key``) of another key."""
        try:
            data = json.loads(self.path(part).read_text())
        except (OSError, json.JSONDecodeError):
            return None
        if key is not None and data.get(self.key_field) != key:
            return None
        return data

    def write(self, part: str, key: str, record: dict[str, Any]) -> None:
        """Mark a part finished (atomically: a marker is never half written)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        tmp = self.folder / f"{part}.json.tmp"
        tmp.write_text(json.dumps({self.key_field: key, **record}))
        tmp.replace(self.path(part))

    def remove(self, part: str) -> None:
        self.path(part).unlink(missing_ok=True)
