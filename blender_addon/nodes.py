# SPDX-License-Identifier: GPL-3.0-or-later
"""Compositor nodes: Python subclasses of ``CompositorNodeCustomGroup`` around built-in nodes.

A Python node that processes pixels itself crashes Blender's compositor, so each Toonflow node owns an inner node
group made of built-in nodes only: an Image node (image *sequence*) -> Group Output. The group's input socket is
where the user links the source; the handler reads that source itself.

The inner image is a numbered sequence in the node's own folder (``<cache>/nodes/<node uid>/f<frame+100000>.png``)
that Blender steps through by itself, frame by frame. The render_pre handler only has to make the current frame's
file exist (a hard link to the cached cartoon) before compositing. Nothing in the node tree changes per frame: in
animation renders the compositor works on an evaluated copy of the tree made before ``render_pre`` runs, so per-frame
edits to links or image paths would not be seen, while a file that appears on disk is.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import bpy

from . import compat
from .keyframe_ui import draw_keyframes
from .model_search import search_cartoonize_models, search_colorize_models
from .settings import addon_settings
from .properties import ToonflowKeyframe

__all__ = ["ToonflowCartoonizeNode", "ToonflowColorizeNode", "INNER_IMAGE", "node_frame_file", "toonflow_nodes",
           "linked_node", "publish_frame", "clear_frame", "classes"]

INNER_IMAGE = "Toonflow Result"
INNER_IN = "Group Input"
INNER_OUT = "Group Output"
FRAME_OFFSET = 100000  # file number = scene frame + FRAME_OFFSET, so frames down to -99999 work
FRAME_DURATION = 1048574  # Blender's maximum


def toonflow_nodes(scene: bpy.types.Scene) -> list[bpy.types.Node]:
    """The Toonflow nodes of the scene's compositor (inside group nodes too)."""
    tree = compat.compositor_tree(scene)
    if tree is None:
        return []
    return [n for n in compat.iter_tree_nodes(tree) if getattr(n, "is_toonflow", False)]


def linked_node(node: bpy.types.Node) -> bpy.types.Node | None:
    """The node linked to a Toonflow node's input (through Reroutes), or None."""
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


def node_folder(node: bpy.types.Node) -> Path:
    if not node.uid:
        node.uid = uuid.uuid4().hex[:16]
    return addon_settings().cache_root / "nodes" / node.uid


def node_frame_file(node: bpy.types.Node, frame: int) -> Path:
    return node_folder(node) / f"f{frame + FRAME_OFFSET:07d}.png"


def _new_inner_group(label: str) -> bpy.types.NodeTree:
    ng = bpy.data.node_groups.new(f".{label}", "CompositorNodeTree")
    ng.interface.new_socket("Image", in_out="INPUT", socket_type="NodeSocketColor")
    ng.interface.new_socket("Image", in_out="OUTPUT", socket_type="NodeSocketColor")
    gi = ng.nodes.new("NodeGroupInput")
    gi.name = INNER_IN
    gi.location = (-300, 0)
    go = ng.nodes.new("NodeGroupOutput")
    go.name = INNER_OUT
    go.location = (300, 0)
    im = ng.nodes.new("CompositorNodeImage")
    im.name = INNER_IMAGE
    ng.links.new(im.outputs[0], go.inputs[0])
    return ng


def ensure_inner(node: bpy.types.Node) -> bpy.types.Image:
    """Make sure the node has its inner group and its image sequence; returns the image."""
    ng = node.node_tree
    if ng is None or INNER_IMAGE not in ng.nodes:
        ng = _new_inner_group(node.bl_label)
        node.node_tree = ng
    im = ng.nodes[INNER_IMAGE]
    first = node_frame_file(node, 1)
    img = im.image
    if img is None:
        first.parent.mkdir(parents=True, exist_ok=True)
        img = bpy.data.images.new(f".Toonflow {node.uid}", 4, 4)
        img.source = "SEQUENCE"
        img.filepath = str(first)
        im.image = img
    elif Path(img.filepath) != first:
        img.source = "SEQUENCE"
        img.filepath = str(first)
    if (im.frame_start, im.frame_offset, im.frame_duration) != (1 - FRAME_OFFSET, 0, FRAME_DURATION):
        im.frame_start = 1 - FRAME_OFFSET
        im.frame_offset = 0
        im.frame_duration = FRAME_DURATION
        im.use_cyclic = False
    return img


def publish_frame(node: bpy.types.Node, frame: int, result: Path) -> Path:
    """Make ``result`` (a cached frame) the node's output at ``frame``: a hard link (copy where links fail)."""
    img = ensure_inner(node)
    dst = node_frame_file(node, frame)
    dst.parent.mkdir(parents=True, exist_ok=True)
    try:
        if dst.exists() and os.path.samefile(dst, result):
            return dst
    except OSError:
        pass
    tmp = dst.with_name(f".{dst.name}.{os.getpid()}.tmp")
    if tmp.exists():
        tmp.unlink()
    try:
        os.link(result, tmp)
    except OSError:
        tmp.write_bytes(result.read_bytes())
    replaced = dst.exists()
    os.replace(tmp, dst)
    if replaced:
        img.reload()  # drop Blender's buffer of the previous version of this frame
    return dst


def clear_frame(node: bpy.types.Node, frame: int) -> None:
    """No result for ``frame`` (error): the node outputs nothing rather than a stale frame."""
    dst = node_frame_file(node, frame)
    if dst.exists():
        dst.unlink()
        ensure_inner(node).reload()


class ToonflowNodeMixin:
    """Shared behaviour of Toonflow compositor nodes (inner group, image sequence, folder, status)."""

    is_toonflow = True
    toonflow_task = ""

    @classmethod
    def poll(cls, ntree: bpy.types.NodeTree) -> bool:
        return ntree.bl_idname == "CompositorNodeTree"

    def init(self, context: bpy.types.Context) -> None:
        self.uid = uuid.uuid4().hex[:16]
        self.node_tree = _new_inner_group(self.bl_label)
        ensure_inner(self)
        self.width = 220

    def copy(self, node: bpy.types.Node) -> None:
        # Each node owns its inner group, its image sequence and its folder.
        self.uid = uuid.uuid4().hex[:16]
        self.node_tree = _new_inner_group(self.bl_label)
        ensure_inner(self)

    def free(self) -> None:
        ng = self.node_tree
        if ng is not None and ng.users <= 1:
            im = ng.nodes.get(INNER_IMAGE)
            img = im.image if im is not None else None
            bpy.data.node_groups.remove(ng)
            if img is not None and img.users == 0:
                bpy.data.images.remove(img)

    def draw_source_and_status(self, layout: bpy.types.UILayout) -> None:
        """The source file field while nothing is linked to the input, then the last error, if any."""
        if not self.inputs[0].is_linked:
            layout.prop(self, "source_path", text="")
        if self.status:
            box = layout.box()
            for line in self.status.split("\n")[:3]:
                box.label(text=line[:120], icon="ERROR")
        elif self.ran_on:
            layout.label(text=self.ran_on, icon="INFO")

    def draw_buttons_ext(self, context: bpy.types.Context, layout: bpy.types.UILayout) -> None:
        self.draw_buttons(context, layout)
        layout.prop(self, "source_path")


class ToonflowCartoonizeNode(ToonflowNodeMixin, bpy.types.CompositorNodeCustomGroup):
    """Cartoonize the linked Image / Movie Clip / Render Layers source, frame by frame, through the disk cache"""

    bl_idname = "ToonflowCartoonizeNode"
    bl_label = "Toonflow Cartoonize"
    bl_icon = "IMAGE"
    toonflow_task = "cartoonize"

    uid: bpy.props.StringProperty(name="Node ID", default="", options={"HIDDEN"})
    status: bpy.props.StringProperty(name="Status", default="", options={"SKIP_SAVE"})
    ran_on: bpy.props.StringProperty(name="Ran on", default="", options={"SKIP_SAVE"},
                                     description="The model, device and precision of the last computed frame")
    model: bpy.props.StringProperty(
        name="Model", default="", search=search_cartoonize_models,
        description="Model name (suggested: the installed cartoonize models, the default first) or .onnx path "
                    "(empty: the default model)")
    strength: bpy.props.FloatProperty(name="Strength", default=1.0, min=0.0, max=1.0,
                                      description="0 = the source, 1 = full cartoon")
    temporal: bpy.props.BoolProperty(name="Temporal", default=False,
                                     description="Stabilise against the previous frame (frames render in order)")
    temporal_strength: bpy.props.FloatProperty(name="Temporal Strength", default=0.6, min=0.0, max=1.0)
    source_path: bpy.props.StringProperty(
        name="Source File", subtype="FILE_PATH", default="",
        description="Movie or image used when nothing is linked to the input")

    def draw_buttons(self, context: bpy.types.Context, layout: bpy.types.UILayout) -> None:
        layout.prop(self, "model")
        layout.prop(self, "strength", slider=True)
        row = layout.row(align=True)
        row.prop(self, "temporal")
        sub = row.row()
        sub.active = self.temporal
        sub.prop(self, "temporal_strength", text="")
        self.draw_source_and_status(layout)


class ToonflowColorizeNode(ToonflowNodeMixin, bpy.types.CompositorNodeCustomGroup):
    """Colour the linked line art (Image / Movie Clip / image sequence / Render Layers) from coloured keyframes,
    frame by frame in order, through the disk cache"""

    bl_idname = "ToonflowColorizeNode"
    bl_label = "Toonflow Line Art Colorize"
    bl_icon = "COLOR"
    toonflow_task = "colorize"

    uid: bpy.props.StringProperty(name="Node ID", default="", options={"HIDDEN"})
    status: bpy.props.StringProperty(name="Status", default="", options={"SKIP_SAVE"})
    ran_on: bpy.props.StringProperty(name="Ran on", default="", options={"SKIP_SAVE"},
                                     description="The model, device and precision of the last computed frame")
    model: bpy.props.StringProperty(
        name="Model", default="", search=search_colorize_models,
        description="Colorize model name (suggested: the installed colorize models) or .onnx path (empty: the default "
                    "model, lcmftn)")
    keyframes: bpy.props.CollectionProperty(type=ToonflowKeyframe)
    keyframe_index: bpy.props.IntProperty(name="Active Keyframe", default=0)
    temporal: bpy.props.BoolProperty(
        name="Temporal", default=True,
        description="Also colour each frame from the previous coloured frame (frames are coloured in order)")
    two_sided: bpy.props.BoolProperty(
        name="Two-Sided", default=False,
        description="Colour each frame between two keyframes from both of them (a forward and a backward chain "
                    "blended per pixel; about twice the work between keyframes). Needs Temporal")
    source_path: bpy.props.StringProperty(
        name="Source File", subtype="FILE_PATH", default="",
        description="Line-art movie or image used when nothing is linked to the input")

    def draw_buttons(self, context: bpy.types.Context, layout: bpy.types.UILayout) -> None:
        layout.context_pointer_set("node", self)
        layout.prop(self, "model")
        layout.prop(self, "temporal")
        row = layout.row()
        row.active = self.temporal
        row.prop(self, "two_sided")
        draw_keyframes(layout, self, "NODE")
        self.draw_source_and_status(layout)


classes = (ToonflowCartoonizeNode, ToonflowColorizeNode)
