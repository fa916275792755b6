# SPDX-License-Identifier: GPL-3.0-or-later
"""Compositor nodes: Python subclasses of ``CompositorNodeCustomGroup`` around built-in nodes.

A Python node that processes pixels itself crashes Blender's compositor, so each Toonflow node owns an inner node
group made of built-in nodes only: Group Input -> (pass-through) / Image node -> Group Output. The render_pre handler
(:mod:`handlers`) fills the Image node with the cached cartoon of the frame being rendered and links it to the
output; when a frame cannot be processed the source passes through unchanged and the node shows why.
"""

from __future__ import annotations

import bpy

__all__ = ["ToonflowCartoonizeNode", "TOONFLOW_NODE_TYPES", "INNER_IMAGE", "set_result", "set_passthrough",
           "classes"]

INNER_IMAGE = "Toonflow Result"
INNER_IN = "Group Input"
INNER_OUT = "Group Output"


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
    im.location = (0, -150)
    ng.links.new(gi.outputs[0], go.inputs[0])
    return ng


def _inner(node: bpy.types.Node) -> tuple[bpy.types.NodeTree, bpy.types.Node, bpy.types.Node, bpy.types.Node]:
    ng = node.node_tree
    if ng is None or INNER_IMAGE not in ng.nodes:
        ng = _new_inner_group(node.bl_label)
        node.node_tree = ng
    return ng, ng.nodes[INNER_IN], ng.nodes[INNER_IMAGE], ng.nodes[INNER_OUT]


def set_result(node: bpy.types.Node, filepath: str) -> None:
    """Show ``filepath`` (a cached cartoon frame) as the node's output."""
    ng, _gi, im, go = _inner(node)
    name = f".Toonflow {node.id_data.name} {node.name}"[:63]
    img = im.image
    if img is None:
        img = bpy.data.images.get(name)
        if img is None:
            img = bpy.data.images.load(filepath, check_existing=False)
            img.name = name
        im.image = img
    if img.filepath != filepath:
        img.source = "FILE"
        img.filepath = filepath
    img.reload()
    ng.links.new(im.outputs[0], go.inputs[0])


def set_passthrough(node: bpy.types.Node) -> None:
    """Output the node's input unchanged (used when the frame could not be processed)."""
    ng, gi, _im, go = _inner(node)
    ng.links.new(gi.outputs[0], go.inputs[0])


class ToonflowNodeMixin:
    """Shared behaviour of Toonflow compositor nodes (the colorize node will reuse it)."""

    is_toonflow = True
    toonflow_task = ""

    status: bpy.props.StringProperty(name="Status", default="", options={"SKIP_SAVE"})

    @classmethod
    def poll(cls, ntree: bpy.types.NodeTree) -> bool:
        return ntree.bl_idname == "CompositorNodeTree"

    def init(self, context: bpy.types.Context) -> None:
        self.node_tree = _new_inner_group(self.bl_label)
        self.width = 220

    def copy(self, node: bpy.types.Node) -> None:
        # Each node owns its inner group and result image.
        self.node_tree = _new_inner_group(self.bl_label)
        im = self.node_tree.nodes[INNER_IMAGE]
        im.image = None

    def free(self) -> None:
        ng = self.node_tree
        if ng is not None and ng.users <= 1:
            im = ng.nodes.get(INNER_IMAGE)
            img = im.image if im is not None else None
            bpy.data.node_groups.remove(ng)
            if img is not None and img.users == 0:
                bpy.data.images.remove(img)

    def draw_status(self, layout: bpy.types.UILayout) -> None:
        if self.status:
            box = layout.box()
            for line in self.status.split("\n")[:3]:
                box.label(text=line[:120], icon="ERROR")


class ToonflowCartoonizeNode(ToonflowNodeMixin, bpy.types.CompositorNodeCustomGroup):
    """Cartoonize the linked Image / Movie Clip / Render Layers source, frame by frame, through the disk cache"""

    bl_idname = "ToonflowCartoonizeNode"
    bl_label = "Toonflow Cartoonize"
    bl_icon = "IMAGE"
    toonflow_task = "cartoonize"

    model: bpy.props.StringProperty(
        name="Model", default="", description="Model name or .onnx path (empty: the default model, pmc)")
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
        if not self.inputs[0].is_linked:
            layout.prop(self, "source_path", text="")
        self.draw_status(layout)

    def draw_buttons_ext(self, context: bpy.types.Context, layout: bpy.types.UILayout) -> None:
        self.draw_buttons(context, layout)
        layout.prop(self, "source_path")

    def settings_key_dict(self) -> dict[str, object]:
        return {"model": self.model, "strength": self.strength, "temporal": self.temporal,
                "temporal_strength": self.temporal_strength}


#: every Toonflow node type (the colorize node is added here once the engine has a Colorizer).
TOONFLOW_NODE_TYPES: tuple[type, ...] = (ToonflowCartoonizeNode,)

classes = (ToonflowCartoonizeNode,)
