# SPDX-License-Identifier: GPL-3.0-or-later
"""The render_pre handler that fills Toonflow nodes.

``render_pre`` runs once per frame in F12 renders, animation renders and ``blender -b -a`` (frames in order), before
compositing. For each Toonflow node it resolves the linked source's frame (:mod:`node_sources`), runs the engine
(through the disk cache) and makes the node's inner image sequence show the result (:func:`nodes.publish_frame`).
While the Render Layers pre-pass renders (:mod:`prerender`), it leaves the nodes alone.
"""

from __future__ import annotations

import logging
from pathlib import Path

import bpy
from bpy.app.handlers import persistent

from . import engine_bridge, nodes, prerender
from .colorize_runner import ColorizeRunner
from .keyframes import Keyframe, check_keyframes
from .keys import ProcessSettings, file_identity
from .node_sources import NodeSource, resolve_source
from .properties import keyframe_list
from .report import user_message
from .runner import ClipRunner
from .settings import addon_settings

__all__ = ["error_count", "on_render_pre", "on_load_post", "update_node", "node_settings", "register", "unregister",
           "classes"]

log = logging.getLogger(__name__)

_runners: dict[tuple[str, str, str], tuple[str, ClipRunner | ColorizeRunner]] = {}
_state: dict[str, int] = {"errors": 0}
_warned: set[str] = set()


def error_count() -> int:
    """Frames that could not be processed since the add-on was loaded (the CLI's exit code uses it)."""
    return int(_state["errors"])


def node_settings(node: bpy.types.Node) -> ProcessSettings:
    prefs = addon_settings()
    if node.toonflow_task == "colorize":
        # the colorizer caps the network size itself (the model card's max_side): no tiles, no strength
        return ProcessSettings(task="colorize", model=node.model.strip(), temporal=bool(node.temporal), tile_size=0,
                               two_sided=bool(node.temporal and node.two_sided))
    return ProcessSettings(task=node.toonflow_task, model=node.model.strip(), strength=float(node.strength),
                           temporal=bool(node.temporal), temporal_strength=float(node.temporal_strength),
                           tile_size=prefs.tile_size)


def _node_keyframes(node: bpy.types.Node) -> list[Keyframe]:
    return check_keyframes(keyframe_list(node), f"node '{node.name}'")


def _runner_for(scene: bpy.types.Scene, node: bpy.types.Node, ns: NodeSource) -> ClipRunner | ColorizeRunner:
    prefs = addon_settings()
    settings = node_settings(node)
    ident = (scene.name, node.id_data.name, node.name)
    keys = _node_keyframes(node) if settings.task == "colorize" else []
    # keyframes are mapped to source indices when the runner is made: a changed frame mapping makes a new one
    key_marker = ";".join(f"{k.frame}>{ns.index_of(k.frame)}={file_identity(k.path)}" for k in keys)
    marker = f"{ns.source.identity}|{ns.first_frame}|{settings}|{prefs}|{key_marker}"
    cached = _runners.get(ident)
    if cached is not None and cached[0] == marker:
        ns.source.close()  # same source: keep the runner's open reader (movies decode fastest in order)
        return cached[1]
    if cached is not None:
        cached[1].source.close()
    info = {"node": node.name, "source_path": ns.description}
    if settings.task == "colorize":
        runner: ClipRunner | ColorizeRunner = engine_bridge.open_colorize_clip(
            ns.source, settings, keys, model_dirs=prefs.model_dirs, device=prefs.device,
            cache_root=prefs.cache_root, index_of=ns.index_of, first_frame=ns.first_frame,
            owner=f"node '{node.name}'", info=info)
    else:
        runner = engine_bridge.open_clip(
            ns.source, settings, model_dirs=prefs.model_dirs, device=prefs.device, cache_root=prefs.cache_root,
            index_of=ns.index_of, first_frame=ns.first_frame, info=info)
    _runners[ident] = (marker, runner)
    return runner


def _report_warnings(runner: ClipRunner | ColorizeRunner) -> None:
    """Warnings a runner collected (a keyframe resized ...), each shown once."""
    for text in getattr(runner, "warnings", ()):
        if text not in _warned:
            _warned.add(text)
            user_message(text, "WARNING")


def update_node(scene: bpy.types.Scene, node: bpy.types.Node, frame: int) -> Path | None:
    """Fill one node for ``frame``; on bad input, pass the source through and tell the user why."""
    errors = engine_bridge.engine_errors()
    try:
        ns = resolve_source(scene, node, frame)
        runner = _runner_for(scene, node, ns)
        runner.index_of = ns.index_of
        runner.ensure([frame])
        _report_warnings(runner)
        path = nodes.publish_frame(node, frame, runner.frame_path(frame))
        if node.status:
            node.status = ""
        ran_on = runner.processor.ran_on
        if ran_on and node.ran_on != ran_on:
            node.ran_on = ran_on
        return path
    except errors as exc:
        node.status = str(exc)
        _state["errors"] = int(_state["errors"]) + 1
        nodes.clear_frame(node, frame)
        user_message(f"frame {frame}: {exc}", "ERROR")
        return None


@persistent
def on_render_pre(scene: bpy.types.Scene, _depsgraph: object = None) -> None:
    if prerender.in_progress() or not scene.render.use_compositing:
        return
    frame = scene.frame_current
    for node in nodes.toonflow_nodes(scene):
        if node.mute:
            continue
        update_node(scene, node, frame)


@persistent
def on_load_post(_file: object = None, _depsgraph: object = None) -> None:
    for _marker, runner in _runners.values():
        runner.source.close()
    _runners.clear()


def register() -> None:
    if on_render_pre not in bpy.app.handlers.render_pre:
        bpy.app.handlers.render_pre.append(on_render_pre)
    if on_load_post not in bpy.app.handlers.load_post:
        bpy.app.handlers.load_post.append(on_load_post)


def unregister() -> None:
    for lst, fn in ((bpy.app.handlers.render_pre, on_render_pre), (bpy.app.handlers.load_post, on_load_post)):
        while fn in lst:
            lst.remove(fn)
    on_load_post()


classes = ()
