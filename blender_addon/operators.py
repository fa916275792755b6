# SPDX-License-Identifier: GPL-3.0-or-later
"""General operators: GPU check, model list, Render Layers pre-render, add-node (both nodes).

The report relay operator lives beside the reporting code (:mod:`report`), the strip operators beside the strip
jobs (:mod:`sequencer`), the keyframe list's operators beside the list (:mod:`keyframe_ui`)."""

from __future__ import annotations

import bpy

from . import engine_bridge, prerender
from .settings import addon_settings

__all__ = ["TOONFLOW_OT_check_gpu", "TOONFLOW_OT_list_models", "TOONFLOW_OT_prerender",
           "TOONFLOW_OT_add_cartoonize_node", "TOONFLOW_OT_add_colorize_node", "classes"]


class TOONFLOW_OT_check_gpu(bpy.types.Operator):
    """Check whether Toonflow can use the GPU (ONNX Runtime CUDA) and name any missing NVIDIA library"""

    bl_idname = "toonflow.check_gpu"
    bl_label = "Check GPU"

    def execute(self, context: bpy.types.Context) -> set[str]:
        from .gpu import gpu_report

        report = gpu_report()
        self.report({"INFO"} if report.usable else {"WARNING"}, report.message())
        return {"FINISHED"}


class TOONFLOW_OT_list_models(bpy.types.Operator):
    """List the installed Toonflow models in the report area"""

    bl_idname = "toonflow.list_models"
    bl_label = "List Models"

    def execute(self, context: bpy.types.Context) -> set[str]:
        cards = engine_bridge.list_models(addon_settings().model_dirs)
        if not cards:
            self.report({"WARNING"}, "no models found; set a Model Folder with .onnx + .json files")
            return {"CANCELLED"}
        for card in cards:
            self.report({"INFO"}, engine_bridge.model_line(card))
        return {"FINISHED"}


class TOONFLOW_OT_prerender(bpy.types.Operator):
    """Render the view layers that feed Toonflow nodes (compositing off) into the cache, so a following render can
    cartoonize them (the first of two passes for Render Layers sources)"""

    bl_idname = "toonflow.prerender"
    bl_label = "Pre-render for Toonflow"

    animation: bpy.props.BoolProperty(name="Animation", default=True,
                                      description="All frames of the scene's range (else the current frame)")

    def execute(self, context: bpy.types.Context) -> set[str]:
        scene = context.scene
        if not prerender.render_layer_sources(scene):
            self.report({"INFO"}, "no Toonflow node takes its input from a Render Layers node; nothing to do")
            return {"CANCELLED"}
        frames = range(scene.frame_start, scene.frame_end + 1, scene.frame_step) if self.animation \
            else [scene.frame_current]
        written = prerender.prerender(scene, frames)
        self.report({"INFO"}, f"pre-rendered {len(written)} frames; now render normally (F12 / Ctrl F12)")
        return {"FINISHED"}


class AddNodeOperator:
    """Add a Toonflow node, linked after the active node when it is an image source (subclasses name the node)."""

    node_idname: str
    bl_options = {"REGISTER", "UNDO"}

    @classmethod
    def poll(cls, context: bpy.types.Context) -> bool:
        space = context.space_data
        return space is not None and getattr(space, "tree_type", "") == "CompositorNodeTree" and \
            space.edit_tree is not None

    def execute(self, context: bpy.types.Context) -> set[str]:
        tree = context.space_data.edit_tree
        active = tree.nodes.active
        for n in tree.nodes:
            n.select = False
        node = tree.nodes.new(self.node_idname)
        node.select = True
        tree.nodes.active = node
        if active is not None and active.outputs and active.bl_idname in {
                "CompositorNodeImage", "CompositorNodeMovieClip", "CompositorNodeRLayers"}:
            node.location = (active.location.x + active.width + 60, active.location.y)
            tree.links.new(active.outputs[0], node.inputs[0])
        else:
            node.location = context.space_data.cursor_location
        return {"FINISHED"}


class TOONFLOW_OT_add_cartoonize_node(AddNodeOperator, bpy.types.Operator):
    """Add a Toonflow Cartoonize node, linked after the active node when it is an image source"""

    bl_idname = "toonflow.add_cartoonize_node"
    bl_label = "Toonflow Cartoonize"
    node_idname = "ToonflowCartoonizeNode"


class TOONFLOW_OT_add_colorize_node(AddNodeOperator, bpy.types.Operator):
    """Add a Toonflow Line Art Colorize node, linked after the active node when it is an image source"""

    bl_idname = "toonflow.add_colorize_node"
    bl_label = "Toonflow Line Art Colorize"
    node_idname = "ToonflowColorizeNode"


classes = (TOONFLOW_OT_check_gpu, TOONFLOW_OT_list_models, TOONFLOW_OT_prerender,
           TOONFLOW_OT_add_cartoonize_node, TOONFLOW_OT_add_colorize_node)
