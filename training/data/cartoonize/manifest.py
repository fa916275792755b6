"""``manifest.json`` of a cartoonize build: sources, packages, licences, counts, origin paths, parameters."""
from __future__ import annotations

import datetime as _dt
import json
from pathlib import Path

from ..splits import SPLITS
from .parts import PART_VERSIONS

__all__ = ["BOOTSTRAP_VERSION", "manifest"]

BOOTSTRAP_VERSION = 1


def manifest(out: Path, results: dict[str, dict], params: dict, seconds: float) -> dict:
    """The manifest of a build: totals counted on disk, each finished part's entry, the parameters."""
    totals: dict[str, int] = {}
    for kind in ("photos", "cartoons"):
        for split in SPLITS:
            totals[f"{kind}/{split}"] = len(list((out / kind / split).glob("*.png")))
    for split in SPLITS:
        folder = out / "videos" / split
        clips = [d for d in folder.iterdir() if d.is_dir()] if folder.is_dir() else []
        totals[f"videos/{split}/clips"] = len(clips)
        totals[f"videos/{split}/frames"] = sum(len(list(d.glob("*.png"))) for d in clips)
    size = sum(f.stat().st_size for f in out.rglob("*.png"))
    entries = []
    for name, res in results.items():
        entry = dict(res)
        if name == "videos" and entry.get("notes"):
            entry["clips"] = json.loads(entry.pop("notes"))
        entries.append(entry)
    return {
        "format": "toonflow-cartoonize-data",
        "version": BOOTSTRAP_VERSION,
        "created_utc": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "parameters": params,
        "part_versions": PART_VERSIONS,
        "split_rule": "photos/cartoons: sha1(f'{seed}:{source}/{group}') < test_fraction -> test; "
                      "stills sampled from clips follow their clip; videos: by clip (cockatoo, tree, realshort "
                      "are test)",
        "build_seconds": round(seconds, 1),
        "bytes": size,
        "totals": totals,
        "sources": entries,
    }
