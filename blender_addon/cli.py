# SPDX-License-Identifier: GPL-3.0-or-later
"""``blender -b [file.blend] --command toonflow ...`` (registered with ``bpy.utils.register_cli_command``).

Prints progress to stdout, problems to stderr, and returns 0 on success, 1 when something failed, 2 on bad usage.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import bpy

from . import compat, engine_bridge, handlers, nodes, prerender
from .cli_args import parse_args
from .keys import ProcessSettings
from .settings import addon_settings
from .sources import MovieSource, open_source
from .strip_jobs import CARTOONIZE, COLORIZE, StripOverride, StripTask
from .strip_worker import process_strips_sync

__all__ = ["toonflow_command", "register", "unregister", "classes"]

log = logging.getLogger(__name__)
_handle: object = None
COMMAND_ID = "toonflow"


def _err(text: str) -> None:
    print(f"toonflow: {text}", file=sys.stderr, flush=True)


def _out(text: str) -> None:
    print(f"toonflow: {text}", flush=True)


def _scene(name: str | None) -> bpy.types.Scene:
    if name:
        scene = bpy.data.scenes.get(name)
        if scene is None:
            raise LookupError(f"no scene named {name!r}; scenes: {', '.join(s.name for s in bpy.data.scenes)}")
        return scene
    return bpy.context.scene or bpy.data.scenes[0]


def _chosen_strips(args: argparse.Namespace, scene: bpy.types.Scene, marked: Callable[[bpy.types.bpy_struct], bool]
                   ) -> tuple[list[bpy.types.bpy_struct], list[str]]:
    """The strips named by --strip / --all / --selected / --marked, and the names not found."""
    strips = compat.all_strips(scene)
    if args.strip:
        by_name = {s.name: s for s in strips}
        missing = [n for n in args.strip if n not in by_name]
        for n in missing:
            _err(f"no strip named {n!r} in scene {scene.name!r}")
        return [by_name[n] for n in args.strip if n in by_name], missing
    if args.all:
        return [s for s in strips if s.toonflow.role != "RESULT"], []
    if args.selected:
        return [s for s in strips if s.select and s.toonflow.role != "RESULT"], []
    return [s for s in strips if marked(s) and s.toonflow.role != "RESULT"], []


def _run_strips(args: argparse.Namespace, task: StripTask, override: StripOverride,
                marked: Callable[[bpy.types.bpy_struct], bool], device: str | None = None) -> int:
    scene = _scene(args.scene)
    chosen, missing = _chosen_strips(args, scene, marked)
    if not chosen:
        _err(f"no strips to {task.name} (mark strips in the Toonflow panel, or use --strip NAME / --all)")
        return 1

    def report(level: str, text: str) -> None:
        (_err if level in {"ERROR", "WARNING"} else _out)(text)

    _out(f"{task.name}: {len(chosen)} strip(s) in scene {scene.name!r}")
    ok, failed = process_strips_sync(scene, chosen, override, report=report, task=task, device=device)
    _out(f"done: {ok} strip(s) processed, {failed} failed")
    if args.save:
        target = Path(bpy.path.abspath(args.save))
        if target.exists():
            _err(f"not saving: {target} exists (Toonflow never overwrites files)")
            return 1
        bpy.ops.wm.save_as_mainfile(filepath=str(target), copy=True)
        _out(f"saved {target}")
    return 0 if failed == 0 and not missing else 1


def _cmd_strips(args: argparse.Namespace) -> int:
    override = StripOverride(model=args.model, strength=args.strength, temporal=args.temporal)
    return _run_strips(args, CARTOONIZE, override, lambda s: s.toonflow.marked, args.device)


def _cmd_colorize(args: argparse.Namespace) -> int:
    override = StripOverride(model=args.model, temporal=args.temporal, keys=tuple(args.key) or None,
                             two_sided=args.two_sided)
    return _run_strips(args, COLORIZE, override, lambda s: s.toonflow.colorize.marked, args.device)


def _cmd_file(args: argparse.Namespace) -> int:
    prefs = addon_settings()
    src_path = Path(args.input).expanduser()
    if not src_path.exists():
        _err(f"input not found: {src_path}")
        return 1
    out_dir = Path(args.output).expanduser()
    source = open_source(src_path)
    if isinstance(source, MovieSource):
        count = source.frame_count
        frames = args.frames or list(range(1, count + 1))
    else:
        frames = args.frames or [1]
    settings = ProcessSettings(model=args.model or "", strength=1.0 if args.strength is None else args.strength,
                               temporal=bool(args.temporal), tile_size=prefs.tile_size)
    device = args.device or prefs.device
    # the clip starts at frame 1 whatever --frames asks for, so a part agrees with the whole clip's run
    runner = engine_bridge.open_clip(source, settings, model_dirs=prefs.model_dirs, device=device,
                                     cache_root=prefs.cache_root, index_of=lambda f: f - 1, first_frame=1)
    out_dir.mkdir(parents=True, exist_ok=True)
    total = len(frames)

    def progress(done: int, n: int, frame: int) -> None:
        _out(f"frame {frame}: {done}/{n}")

    runner.ensure(frames, progress=progress)
    written = skipped = 0
    for f in frames:
        target = out_dir / f"{src_path.stem}_toon_{f:06d}.png"
        if target.exists():
            skipped += 1
            continue
        target.write_bytes(runner.frame_path(f).read_bytes())
        written += 1
    runner.source.close()
    _out(f"wrote {written} of {total} frames to {out_dir}" + (f" ({skipped} existing files left untouched)"
                                                              if skipped else ""))
    return 0


def _frames_of(scene: bpy.types.Scene, frames: Sequence[int] | None) -> list[int]:
    return list(frames) if frames else list(range(scene.frame_start, scene.frame_end + 1, scene.frame_step))


def _cmd_prerender(args: argparse.Namespace) -> int:
    scene = _scene(args.scene)
    if not prerender.render_layer_sources(scene):
        _out("no Toonflow node takes its input from a Render Layers node; nothing to pre-render")
        return 0
    written = prerender.prerender(scene, _frames_of(scene, args.frames), progress=_out)
    _out(f"pre-rendered {len(written)} frames")
    return 0


def _cmd_render(args: argparse.Namespace) -> int:
    scene = _scene(args.scene)
    frames = _frames_of(scene, args.frames)
    if not nodes.toonflow_nodes(scene):
        _err(f"scene {scene.name!r} has no Toonflow node in its compositor")
    if prerender.render_layer_sources(scene):
        _out("pass 1: rendering Render Layers sources into the cache")
        prerender.prerender(scene, frames, progress=_out)
        _out("pass 2: compositing with Toonflow")
    if args.output:
        scene.render.filepath = args.output
    failures_before = handlers.error_count()
    old = (scene.frame_start, scene.frame_end, scene.frame_step, scene.render.filepath)
    try:
        if frames == list(range(frames[0], frames[-1] + 1)):
            # a contiguous range renders exactly as `blender -b file.blend -a` does
            scene.frame_start, scene.frame_end, scene.frame_step = frames[0], frames[-1], 1
            _out(f"render frames {frames[0]}-{frames[-1]}")
            bpy.ops.render.render(animation=True, scene=scene.name)
        else:
            for f in frames:
                scene.frame_set(f)
                scene.render.filepath = scene.render.frame_path(frame=f)
                _out(f"render frame {f}")
                bpy.ops.render.render(write_still=True, scene=scene.name)
                scene.render.filepath = old[3]
    finally:
        scene.frame_start, scene.frame_end, scene.frame_step, scene.render.filepath = old
    failed = handlers.error_count() - failures_before
    if failed:
        _err(f"{failed} node frame(s) could not be processed (see the messages above)")
    _out(f"rendered {len(frames)} frame(s) to {scene.render.filepath}")
    return 1 if failed else 0


def _cmd_models(args: argparse.Namespace) -> int:
    cards = engine_bridge.list_models(addon_settings().model_dirs)
    for c in cards:
        _out(engine_bridge.model_line(c))
    if not cards:
        _err("no models found")
        return 1
    return 0


def _cmd_gpu(args: argparse.Namespace) -> int:
    from .gpu import gpu_report

    report = gpu_report()
    (_out if report.usable else _err)(report.message())
    return 0


def toonflow_command(argv: Sequence[str]) -> int:
    """The function registered as ``--command toonflow``; ``argv`` are the arguments after it."""
    try:
        args = parse_args(argv)
    except SystemExit as exc:  # argparse printed the usage / help
        return int(exc.code or 0) if isinstance(exc.code, int) else 2
    actions = {"strips": _cmd_strips, "colorize": _cmd_colorize, "file": _cmd_file, "render": _cmd_render,
               "prerender": _cmd_prerender, "models": _cmd_models, "gpu": _cmd_gpu}
    errors = engine_bridge.engine_errors() + (LookupError,)
    try:
        return actions[args.action](args)
    except errors as exc:
        _err(str(exc))
        return 1


def register() -> None:
    global _handle
    if compat.has_cli_command() and _handle is None:
        _handle = bpy.utils.register_cli_command(COMMAND_ID, toonflow_command)


def unregister() -> None:
    global _handle
    if _handle is not None:
        bpy.utils.unregister_cli_command(_handle)
        _handle = None


classes = ()
