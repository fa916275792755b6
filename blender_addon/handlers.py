# SPDX-License-Identifier: GPL-3.0-or-later
"""The render_pre handler that fills Toonflow nodes, the node source resolution, and the Render Layers pre-pass.

``render_pre`` runs once per frame in F12 renders, animation renders and ``blender -b -a`` (frames in order), before
compositing. For each Toonflow node it reads the linked source's frame, runs the engine (through the disk cache) and
points the node's inner Image node at the result.

Render Layers: the render of the current frame does not exist yet when ``render_pre`` runs, and no handler runs
between the render and compositing. So a Render Layers source is rendered in a first pass (compositing off) into
the cache (:func:`prerender`, the "Pre-render for Toonflow" operator, ``--command toonflow render|prerender``);
the normal render then cartoonizes those frames.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import bpy
from bpy.app.handlers import persistent

from . import compat, engine_bridge, nodes
from .colorize_runner import ColorizeRunner
from .errors import SourceError
from .keyframes import Keyframe, check_keyframes
from .keys import ProcessSettings, file_identity, short_hash
from .planning import image_user_frame, movie_clip_frame
from .settings import addon_settings
from .properties import keyframe_list
from .report import user_message
from .runner import ClipRunner
from .sources import FrameSource, MovieSource, SequenceSource, StillSource, open_source

__all__ = ["error_count", "on_render_pre", "update_node", "resolve_source", "prerender", "prerender_dir",
           "toonflow_nodes", "register", "unregister", "classes"]

log = logging.getLogger(__name__)

_runners: dict[tuple[str, str, str], tuple[str, ClipRunner | ColorizeRunner]] = {}
_state: dict[str, object] = {"prerendering": False, "errors": 0}
_warned: set[str] = set()


@dataclass
class NodeSource:
    source: FrameSource
    index: int  # source index for this frame
    index_of: Callable[[int], int]
    first_frame: int
    description: str


class PrerenderSource:
    """Raw frames written by :func:`prerender` (``f000001.png`` ...), addressed by scene frame."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.identity = "render:" + str(folder)

    def path(self, frame: int) -> Path:
        return self.folder / f"f{frame:06d}.png"

    def read(self, index: int):  # noqa: ANN201 - numpy array
        from .sources import read_image

        p = self.path(index)
        if not p.is_file():
            raise SourceError(
                f"the Render Layers input of frame {index} has not been pre-rendered ({p} missing). A node's input "
                "cannot see the render of the frame being rendered: run 'Pre-render for Toonflow' in the node "
                "editor (or 'blender -b file.blend --command toonflow render') first")
        return read_image(p)

    def frame_identity(self, index: int) -> str:
        return file_identity(self.path(index))

    def close(self) -> None:
        pass


def error_count() -> int:
    """Frames that could not be processed since the add-on was loaded (the CLI's exit code uses it)."""
    return int(_state["errors"])


def toonflow_nodes(scene: bpy.types.Scene) -> list[bpy.types.Node]:
    tree = compat.compositor_tree(scene)
    if tree is None:
        return []
    return [n for n in compat.iter_tree_nodes(tree) if getattr(n, "is_toonflow", False)]


def _linked_node(node: bpy.types.Node) -> bpy.types.Node | None:
    sock = node.inputs[0]
    seen = 0
    while sock.is_linked and seen < 64:
        link = sock.links[0]
        src = link.from_node
        if src.bl_idname == "NodeReroute" and src.inputs and src.inputs[0].is_linked:
            sock = src.inputs[0]
            seen += 1
            continue
        return src
    return None


def prerender_dir(scene: bpy.types.Scene, layer: str) -> Path:
    blend = bpy.data.filepath or "<unsaved>"
    return addon_settings().cache_root / "renders" / short_hash(f"{blend}|{scene.name}|{layer}", 16)


def _abspath(filepath: str, library: bpy.types.ID | None = None) -> Path:
    return Path(bpy.path.abspath(filepath, library=library))


def resolve_source(scene: bpy.types.Scene, node: bpy.types.Node, frame: int) -> NodeSource:
    """Find the node's source and the source index for ``frame``; raises SourceError with a helpful message."""
    src = _linked_node(node)
    label = f"node '{node.name}'"
    if src is None:
        if not node.source_path.strip():
            raise SourceError(f"{label}: nothing is linked to its Image input and no source file is set; link an "
                              "Image, Movie Clip or Render Layers node, or set Source File")
        path = _abspath(node.source_path)
        if not path.exists():
            raise SourceError(f"{label}: source file not found: {path}")
        source = open_source(path)
        first = scene.frame_start
        if isinstance(source, MovieSource):
            return NodeSource(source, frame - first, lambda f: f - first, first, str(path))
        return NodeSource(source, 0, lambda f: 0, first, str(path))

    kind = src.bl_idname
    if kind == "CompositorNodeImage":
        img = src.image
        if img is None:
            raise SourceError(f"{label}: the linked Image node '{src.name}' has no image")
        if img.source in {"GENERATED", "VIEWER"} or img.packed_file is not None or not img.filepath:
            raise SourceError(f"{label}: image '{img.name}' is not a file on disk (generated, packed or render "
                              "result); save it as a file (Image > Save As) and link that")
        path = _abspath(img.filepath_raw or img.filepath, img.library)
        dur, start, off, cyc = src.frame_duration, src.frame_start, src.frame_offset, src.use_cyclic
        if img.source == "MOVIE":
            if not path.is_file():
                raise SourceError(f"{label}: movie file not found: {path}")

            def idx(f: int) -> int:
                return max(image_user_frame(f, start, dur, off, cyc) - 1, 0)

            return NodeSource(MovieSource(path), idx(frame), idx, start, str(path))
        if img.source == "SEQUENCE":
            def num(f: int) -> int:
                return image_user_frame(f, start, dur, off, cyc)

            seq = SequenceSource(path)
            if not seq.path(num(frame)).is_file():
                raise SourceError(f"{label}: frame file not found: {seq.path(num(frame))}")
            return NodeSource(seq, num(frame), num, start, str(path))
        if not path.is_file():
            raise SourceError(f"{label}: image file not found: {path}")
        return NodeSource(StillSource(path), 0, lambda f: 0, scene.frame_start, str(path))
    if kind == "CompositorNodeMovieClip":
        clip = src.clip
        if clip is None:
            raise SourceError(f"{label}: the linked Movie Clip node '{src.name}' has no clip")
        path = _abspath(clip.filepath, clip.library)
        cstart, coff = clip.frame_start, clip.frame_offset
        if clip.source == "SEQUENCE":
            seq = SequenceSource(path)
            digits = [int(t) for t in re.findall(r"\d+", path.stem)]
            base = digits[-1] if digits else 1

            def cnum(f: int) -> int:
                return base + movie_clip_frame(f, cstart, coff)

            if not seq.path(cnum(frame)).is_file():
                raise SourceError(f"{label}: clip frame file not found: {seq.path(cnum(frame))}")
            return NodeSource(seq, cnum(frame), cnum, cstart, str(path))
        if not path.is_file():
            raise SourceError(f"{label}: movie clip file not found: {path}")

        def cidx(f: int) -> int:
            return max(movie_clip_frame(f, cstart, coff), 0)

        return NodeSource(MovieSource(path), cidx(frame), cidx, cstart, str(path))
    if kind == "CompositorNodeRLayers":
        layer = src.layer or scene.view_layers[0].name
        folder = prerender_dir(src.scene or scene, layer)
        return NodeSource(PrerenderSource(folder), frame, lambda f: f, scene.frame_start,
                          f"render of view layer '{layer}'")
    raise SourceError(f"{label}: its input comes from a '{src.bl_label}' node; Toonflow reads its source "
                      "directly, so link an Image, Movie Clip or Render Layers node to it (put other effects "
                      "after the Toonflow node)")


def node_settings(node: bpy.types.Node) -> ProcessSettings:
    prefs = addon_settings()
    if node.toonflow_task == "colorize":
        # the colorizer caps the network size itself (the model card's max_side): no tiles, no strength
        return ProcessSettings(task="colorize", model=node.model.strip(), temporal=bool(node.temporal), tile_size=0)
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
        return path
    except errors as exc:
        node.status = str(exc)
        _state["errors"] = int(_state["errors"]) + 1
        nodes.clear_frame(node, frame)
        user_message(f"frame {frame}: {exc}", "ERROR")
        return None


@persistent
def on_render_pre(scene: bpy.types.Scene, _depsgraph: object = None) -> None:
    if _state["prerendering"] or not scene.render.use_compositing:
        return
    frame = scene.frame_current
    for node in toonflow_nodes(scene):
        if node.mute:
            continue
        update_node(scene, node, frame)


@persistent
def on_load_post(_file: object = None, _depsgraph: object = None) -> None:
    for _marker, runner in _runners.values():
        runner.source.close()
    _runners.clear()


def render_layer_sources(scene: bpy.types.Scene) -> list[str]:
    """View layers whose Render Layers node feeds a Toonflow node."""
    layers: list[str] = []
    for node in toonflow_nodes(scene):
        src = _linked_node(node)
        if src is not None and src.bl_idname == "CompositorNodeRLayers" and not node.mute:
            name = src.layer or scene.view_layers[0].name
            if name not in layers:
                layers.append(name)
    return layers


@contextmanager
def _saved(obj: object, **values: object) -> Iterator[None]:
    old = {k: getattr(obj, k) for k in values}
    try:
        for k, v in values.items():
            setattr(obj, k, v)
        yield
    finally:
        for k, v in old.items():
            setattr(obj, k, v)


def prerender(scene: bpy.types.Scene, frames: Iterable[int], progress: Callable[[str], None] | None = None
              ) -> list[Path]:
    """First pass for Render Layers sources: render each needed view layer without compositing into the cache.

    Written as 8-bit PNG with the Standard view transform (the final pass applies the scene's own view transform
    to the cartoon). Existing pre-rendered frames are rendered again (the scene may have changed).
    """
    layers = render_layer_sources(scene)
    written: list[Path] = []
    if not layers:
        return written
    frames = list(frames)
    r = scene.render
    vs = scene.view_settings
    old_use = {vl.name: vl.use for vl in scene.view_layers}
    old_frame = scene.frame_current
    old_path = r.filepath
    old_fmt = (r.image_settings.file_format, r.image_settings.color_mode, r.image_settings.color_depth)
    _state["prerendering"] = True
    try:
        with _saved(r, use_compositing=False, use_sequencer=False), \
                _saved(vs, view_transform="Standard", look="None", exposure=0.0, gamma=1.0):
            compat.set_image_output(scene, "PNG")
            r.image_settings.color_mode = "RGBA"
            r.image_settings.color_depth = "8"
            for layer in layers:
                for vl in scene.view_layers:
                    vl.use = vl.name == layer
                folder = prerender_dir(scene, layer)
                folder.mkdir(parents=True, exist_ok=True)
                for f in frames:
                    scene.frame_set(f)
                    path = folder / f"f{f:06d}.png"
                    r.filepath = str(path)
                    if progress is not None:
                        progress(f"pre-render '{layer}' frame {f}")
                    bpy.ops.render.render(write_still=True, scene=scene.name)
                    written.append(path)
    finally:
        _state["prerendering"] = False
        for vl in scene.view_layers:
            vl.use = old_use.get(vl.name, vl.use)
        r.filepath = old_path
        compat.restore_file_format(scene, old_fmt[0])
        r.image_settings.color_mode, r.image_settings.color_depth = old_fmt[1], old_fmt[2]
        scene.frame_set(old_frame)
    return written


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
