"""Distillation data: the teacher's cartoon of every training image and the flows between consecutive frames,
computed once (``python -m training bootstrap-distill``) into the folder `bootstrap` wrote (layout:
:mod:`training.data.cartoonize.distill_layout`).

Resumable: every file is written atomically and skipped when present. A style folder whose recorded parameters
differ from the current style is deleted and rebuilt, so targets always match the style named in the manifest.
Held-out clips (videos/test) are never read: they are the benchmark's.
"""
from __future__ import annotations

import argparse
import json
import logging
import shutil
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from tqdm import tqdm

from engine.models import file_sha256

from ...metrics.flow import to_gray, trusted_flow
from ...teacher import TEACHER_STYLES, TeacherStyle, cartoon_abstraction, get_style
from ..media import read_rgb, write_png
from .dataset import list_images
from .distill_layout import DistillLayout
from .stable_targets import build_stable_targets

__all__ = ["build_flows", "build_targets", "main"]

log = logging.getLogger(__name__)

#: Bumped when the teacher operator itself changes (not its parameters): every style folder is rebuilt.
TEACHER_VERSION = 2
_STYLE_RECORD = "style.json"


def _save_npy(path: Path, array: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".partial.npy")
    np.save(temporary, array)
    temporary.replace(path)


def build_flows(layout: DistillLayout, *, progress: bool = True) -> int:
    """Flow and trust mask from every training-clip frame to the next; returns how many were computed now."""
    pairs = [(frames[t], frames[t + 1]) for clip in layout.clips() for frames in [list_images(clip)]
             for t in range(len(frames) - 1)]
    computed = 0
    for first, second in tqdm(pairs, desc="flows", disable=not progress):
        path = layout.flow_path(first)
        if path.is_file():
            continue
        flow, trusted = trusted_flow(to_gray(read_rgb(first)), to_gray(read_rgb(second)))
        _save_npy(path, np.concatenate([flow, trusted[..., None]], axis=2).astype(np.float16))
        computed += 1
    return computed


def _target_sources(layout: DistillLayout) -> list[Path]:
    photos = [p for split in ("train", "test") if (layout.source / "photos" / split).is_dir()
              for p in list_images(layout.source / "photos" / split)]
    frames = [f for clip in layout.clips() for f in list_images(clip)]
    return photos + frames


def _prepare_style_folder(layout: DistillLayout, style: TeacherStyle) -> Path:
    """The style's folder, emptied first when it holds targets of other parameters or another teacher version."""
    folder = layout.root / style.name
    record = {"teacher_version": TEACHER_VERSION, "style": style.as_dict()}
    record_path = folder / _STYLE_RECORD
    if record_path.is_file() and json.loads(record_path.read_text()) != record:
        log.info("style %s changed since its targets were built: rebuilding %s", style.name, folder)
        shutil.rmtree(folder)
    folder.mkdir(parents=True, exist_ok=True)
    record_path.write_text(json.dumps(record, indent=2) + "\n")
    return folder


def build_targets(layout: DistillLayout, style: TeacherStyle, *, progress: bool = True) -> dict:
    """The teacher's output for every training image of `layout` in `style`; returns the style's manifest."""
    folder = _prepare_style_folder(layout, style)
    started = time.monotonic()
    sources = _target_sources(layout)
    computed = 0
    for image in tqdm(sources, desc=f"teacher {style.name}", disable=not progress):
        path = layout.target_path(style.name, image)
        if path.is_file():
            continue
        try:
            write_png(path, cartoon_abstraction(read_rgb(image), style))
        except (OSError, ValueError) as error:
            raise RuntimeError(f"teacher {style.name} failed on {image}: {error}") from error
        computed += 1
    source_manifest = layout.source / "manifest.json"
    manifest = {
        "teacher_version": TEACHER_VERSION,
        "style": style.as_dict(),
        "source_manifest_sha256": file_sha256(source_manifest) if source_manifest.is_file() else None,
        "counts": {
            "photos_train": sum(1 for p in sources if p.parts[-3:-1] == ("photos", "train")),
            "photos_test": sum(1 for p in sources if p.parts[-3:-1] == ("photos", "test")),
            "clip_frames_train": sum(1 for p in sources if "videos" in p.parts),
        },
        "computed_this_run": computed,
        "seconds_this_run": round(time.monotonic() - started, 1),
    }
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m training bootstrap-distill",
        description="Compute the teacher's targets and the clips' flows for distillation (resumable).")
    parser.add_argument("--data", type=Path, default=Path("data/cartoonize"), help="folder written by `bootstrap`")
    parser.add_argument("--style", nargs="+", default=sorted(TEACHER_STYLES), choices=sorted(TEACHER_STYLES),
                        help="teacher styles to build (default: all)")
    parser.add_argument("--stable", action="store_true",
                        help="also run each style's clip targets through the engine's stabiliser (the targets of "
                             "recipes trained with --stable-targets)")
    parser.add_argument("--without-ink", action="store_true",
                        help="build each style's targets before its ink lines (folder <style>_noink): the targets of "
                             "recipes trained with --ink-in-engine, whose lines the engine draws")
    parser.add_argument("--flat-only", action="store_true",
                        help="build each style's flattened frames only, before its tone steps, chroma lift and ink "
                             "(folder <style>_flat): the targets of recipes trained with --tones-in-engine")
    parser.add_argument("--unlifted", action="store_true",
                        help="build each style's targets without its chroma lift (folder <style>_unlifted): the "
                             "targets of recipes trained with --chroma-in-engine")
    parser.add_argument("--no-progress", action="store_true")
    args = parser.parse_args(argv)
    if args.without_ink + args.flat_only + args.unlifted > 1:
        parser.error("--without-ink, --flat-only and --unlifted build different targets: choose one")
    if (args.without_ink or args.flat_only or args.unlifted) and args.stable:
        parser.error("--stable is not available with --without-ink, --flat-only or --unlifted (no recipe trains on "
                     "stable targets of a variant)")
    if not (args.data / "photos" / "train").is_dir():
        parser.error(f"{args.data} holds no photos/train folder: run `python -m training bootstrap` first")
    layout = DistillLayout(args.data)
    computed = build_flows(layout, progress=not args.no_progress)
    log.info("flows: %d computed now", computed)
    for name in args.style:
        style = get_style(name).student_targets(tones_in_engine=args.flat_only, ink_in_engine=args.without_ink,
                                                chroma_in_engine=args.unlifted)
        manifest = build_targets(layout, style, progress=not args.no_progress)
        log.info("teacher %s: %s (%d computed now)", style.name, manifest["counts"], manifest["computed_this_run"])
        if args.stable:
            record = build_stable_targets(layout, name, progress=not args.no_progress)
            log.info("stable targets %s: %s", name, record["clips"])
    return 0
