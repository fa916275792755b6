# SPDX-License-Identifier: GPL-3.0-or-later
"""Which source a Toonflow node reads, and which of its frames a scene frame is (source resolution).

A node reads its linked Image (still, movie, sequence), Movie Clip or Render Layers node itself (through Reroutes),
or its Source File when nothing is linked; Blender's own frame mapping of that node (start, offset, duration,
cyclic) gives the source index of each scene frame.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import bpy

from .errors import SourceError
from .nodes import linked_node
from .planning import image_user_frame, movie_clip_frame
from .prerender import PrerenderSource, prerender_dir
from .sources import FrameSource, MovieSource, SequenceSource, StillSource, open_source

__all__ = ["NodeSource", "resolve_source"]


@dataclass
class NodeSource:
    source: FrameSource
    index: int  # source index for this frame
    index_of: Callable[[int], int]
    first_frame: int
    description: str


def _abspath(filepath: str, library: bpy.types.ID | None = None) -> Path:
    return Path(bpy.path.abspath(filepath, library=library))


def resolve_source(scene: bpy.types.Scene, node: bpy.types.Node, frame: int) -> NodeSource:
    """Find the node's source and the source index for ``frame``; raises SourceError with a helpful message."""
    src = linked_node(node)
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
