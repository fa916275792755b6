# SPDX-License-Identifier: GPL-3.0-or-later
"""The Render Layers pre-pass: render the view layers that feed Toonflow nodes into the cache, compositing off.

The render of the current frame does not exist yet when ``render_pre`` runs, and no handler runs between the render
and compositing. So a Render Layers source is rendered in a first pass (compositing off) into the cache
(:func:`prerender`, the "Pre-render for Toonflow" operator, ``--command toonflow render|prerender``); the normal render
then cartoonizes those frames, read back through :class:`PrerenderSource`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import bpy

from . import compat
from .errors import SourceError
from .keys import file_identity, short_hash
from .nodes import linked_node, toonflow_nodes
from .settings import addon_settings

__all__ = ["PrerenderSource", "prerender_dir", "render_layer_sources", "prerender", "in_progress"]

_state = {"running": False}


def in_progress() -> bool:
    """True while :func:`prerender` renders (the render_pre handler then leaves the nodes alone)."""
    return _state["running"]


def prerender_dir(scene: bpy.types.Scene, layer: str) -> Path:
    blend = bpy.data.filepath or "<unsaved>"
    return addon_settings().cache_root / "renders" / short_hash(f"{blend}|{scene.name}|{layer}", 16)


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


def render_layer_sources(scene: bpy.types.Scene) -> list[str]:
    """View layers whose Render Layers node feeds a Toonflow node."""
    layers: list[str] = []
    for node in toonflow_nodes(scene):
        src = linked_node(node)
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
    _state["running"] = True
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
        _state["running"] = False
        for vl in scene.view_layers:
            vl.use = old_use.get(vl.name, vl.use)
        r.filepath = old_path
        compat.restore_file_format(scene, old_fmt[0])
        r.image_settings.color_mode, r.image_settings.color_depth = old_fmt[1], old_fmt[2]
        scene.frame_set(old_frame)
    return written
