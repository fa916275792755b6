"""Build the line-art colorization data from offline sources (``python -m training bootstrap-colorize``).

Layout written under ``out`` (the colorize data contract; docs/TRAINING_DATA_COLORIZE.md)::

    {train,test}/<sequence>/color/000000.png           colour frames of one shot, RGB PNG
    {train,test}/<sequence>/lineart/<style>/000000.png line art of the same frames, 8-bit grey, dark on white
    {train,test}/<sequence>/meta.json                  source, origin, frame range, styles, extractor parameters
    manifest.json                                      sources, packages, versions, licences, counts, parameters

This module drives a build: it checks the packages, builds the selected parts, and keeps each finished part
(``.parts/<part>.json``, :mod:`training.data.part_markers`) for the next run. What the parts are made from:
:mod:`training.data.colorize.sources`; how: :mod:`training.data.colorize.parts` (synthetic shots filmed by
:mod:`training.data.colorize.camera_paths`); the folder of one sequence and its line-art styles:
:mod:`training.data.colorize.sequences`; the train/test split: :mod:`training.data.colorize.split`; the manifest:
:mod:`training.data.colorize.manifest`; the command line: :mod:`training.data.colorize.command`.

Every sequence gets styles "xdog" (random parameters per sequence) and, except clip-art, "hed" (HED network,
thinned by ridge non-maximum suppression); synfig parts also get the exact "true" lines.
"""
from __future__ import annotations

import hashlib
import json
import logging
import shutil
import time
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path

from ..part_markers import PartMarkers
from ..sources import MissingSourcesError
from ..splits import SPLITS
from .manifest import FORMAT_VERSION, manifest as build_manifest
from .parts import PART_BUILDERS, PART_OPTIONS, PART_VERSIONS, BuildOptions
from .sequences import SequenceWriter
from .sources import PARTS, check_requirements, missing_for

__all__ = ["build"]

logger = logging.getLogger(__name__)


# ---------------------------------------------------------------------------------------------- part markers


def _part_key(part: str, options: BuildOptions) -> str:
    """Hash of what a part's output depends on: format, part version and the options that part reads."""
    used = {name: value for name, value in options.to_json().items() if name in PART_OPTIONS[part]}
    blob = json.dumps({"format": FORMAT_VERSION, "part": PART_VERSIONS[part], "options": used}, sort_keys=True)
    return hashlib.sha1(blob.encode()).hexdigest()[:16]


def _load_part(markers: PartMarkers, out: Path, part: str, options: BuildOptions) -> dict | None:
    """The part's marker (its sequence records and build seconds) when it was built with these options and every
    sequence is still there."""
    data = markers.read(part, _part_key(part, options))
    if data is None or not all((out / r["split"] / r["id"] / "meta.json").is_file() for r in data["sequences"]):
        return None
    return data


#: Folder-name prefix of each part's sequences (to find those interrupted before their meta.json).
_PREFIX = {"tupi": "tupi_", "bbb": "bbb_", "synfig_stills": "synfig_", "synfig_animated": "synfig_",
           "clipart": "clipart_"}


def _clear_part(markers: PartMarkers, out: Path, part: str) -> None:
    """Delete what an earlier (other-parameter or unfinished) build of this part wrote."""
    markers.remove(part)
    for split in SPLITS:
        folder = out / split
        if not folder.is_dir():
            continue
        for meta in folder.glob("*/meta.json"):
            try:
                source = json.loads(meta.read_text()).get("source")
            except (OSError, json.JSONDecodeError):
                source = None
            if source == part:
                shutil.rmtree(meta.parent)
        for seq in folder.iterdir():  # sequences interrupted before their meta.json
            if seq.is_dir() and not (seq / "meta.json").exists() and seq.name.startswith(_PREFIX[part]):
                shutil.rmtree(seq)


# --------------------------------------------------------------------------------------------------- driver


def build(out: Path, *, parts: Sequence[str] | None = None, options: BuildOptions = BuildOptions(),
          allow_missing: bool = False) -> dict:
    """Build (or complete) the colorization data under ``out``; returns the manifest (also ``out/manifest.json``).

    Raises:
        training.data.sources.MissingSourcesError: a needed package is missing (the message has the install
            commands), unless ``allow_missing``, which skips the parts whose packages are missing.
        ValueError: an unknown part name.
    """
    t0 = time.monotonic()
    out = Path(out)
    selected = tuple(parts) if parts is not None else PARTS
    unknown = set(selected) - set(PARTS)
    if unknown:
        raise ValueError(f"unknown parts {sorted(unknown)}; choose from {list(PARTS)}")
    cmds = check_requirements(selected, hed=options.hed)
    if cmds and not allow_missing:
        raise MissingSourcesError("colorize data sources are missing; install them with:\n  " + "\n  ".join(cmds)
                                  + "\n(or pass --allow-missing to build from what is installed)")
    out.mkdir(parents=True, exist_ok=True)
    writer = SequenceWriter(out, seed=options.seed, hed=options.hed)
    markers = PartMarkers(out, "key")
    finished: dict[str, dict] = {}
    for part in PARTS:
        done = _load_part(markers, out, part, options)
        if done is not None:
            records, seconds = done["sequences"], done.get("seconds")
            logger.info("part %s already built (%d sequences), reused", part, len(records))
        elif part in selected:
            apt, pip = missing_for([part], hed=False)
            if apt or pip:
                logger.warning("part %s skipped: %s not installed", part, ", ".join(apt + pip))
                continue
            _clear_part(markers, out, part)
            t = time.monotonic()
            logger.info("building part %s", part)
            records = [asdict(r) for r in PART_BUILDERS[part](writer, options)]
            seconds = round(time.monotonic() - t, 1)
            markers.write(part, _part_key(part, options), {"seconds": seconds, "sequences": records})
            logger.info("part %s built in %.0f s: %d sequences", part, seconds, len(records))
        else:
            continue
        finished[part] = {"sequences": records, "seconds": seconds}
    manifest = build_manifest(finished, options, time.monotonic() - t0)
    tmp = out / "manifest.json.tmp"
    tmp.write_text(json.dumps(manifest, indent=1))
    tmp.replace(out / "manifest.json")
    logger.info("colorize bootstrap done in %.0f s: %s", time.monotonic() - t0, manifest["totals"])
    return manifest
