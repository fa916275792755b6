"""``manifest.json`` of a colorize build: sources, packages, versions, licences, counts, parameters, sequences."""
from __future__ import annotations

import datetime as _dt
from collections.abc import Sequence

from ..splits import SPLITS
from .parts import PART_VERSIONS, BuildOptions
from .sequences import LINE_ART_STYLES
from .sources import HED_PACKAGE, package_records
from .split import SPLIT_RULE

__all__ = ["FORMAT_VERSION", "manifest"]

FORMAT_VERSION = 1


def _counts(records: Sequence[dict]) -> dict[str, int]:
    counts = {}
    for split in SPLITS:
        mine = [r for r in records if r["split"] == split]
        counts[f"{split}/sequences"] = len(mine)
        counts[f"{split}/frames"] = sum(r["frames"] for r in mine)
    return counts


def manifest(finished: dict[str, dict], options: BuildOptions, seconds: float) -> dict:
    """The manifest of a build: ``finished`` maps each part to its sequence records and build seconds."""
    everything = [r for part in finished.values() for r in part["sequences"]]
    hed_package = HED_PACKAGE.describe() if options.hed else None
    entries = []
    for part, data in finished.items():
        records = data["sequences"]
        entries.append({
            "name": part,
            "packages": package_records(part),
            "files": sorted({r["origin"].split("#")[0] for r in records}),
            "counts": _counts(records),
            "build_seconds": data["seconds"],
            "synthetic": any(r["synthetic"] for r in records),
        })
    return {
        "format": "toonflow-colorize-data",
        "version": FORMAT_VERSION,
        "created_utc": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "parameters": options.to_json(),
        "part_versions": {p: PART_VERSIONS[p] for p in finished},
        "line_art": {**LINE_ART_STYLES, "hed_package": hed_package},
        "split_rule": SPLIT_RULE,
        "build_seconds": round(seconds, 1),
        "totals": _counts(everything),
        "sources": entries,
        "sequences": [{k: r[k] for k in ("id", "split", "source", "frames", "height", "width", "styles",
                                         "synthetic", "origin")} for r in everything],
    }
