# SPDX-License-Identifier: GPL-3.0-or-later
"""Menus and panels: compositor Add menu, sequencer Strip menu, sequencer sidebar panel, node editor panel."""

from __future__ import annotations

import bpy

from . import operators, prerender, sequencer
from .keyframe_ui import draw_keyframes
from .nodes import ToonflowCartoonizeNode, ToonflowColorizeNode

__all__ = ["SEQUENCER_PT_toonflow", "SEQUENCER_PT_toonflow_colorize", "NODE_PT_toonflow", "register", "unregister",
           "classes"]


def draw_node_add_menu(self: bpy.types.Menu, context: bpy.types.Context) -> None:
    space = context.space_data
    if getattr(space, "tree_type", "") != "CompositorNodeTree":
        return
    layout = self.layout
    layout.separator()
    for node_type in (ToonflowCartoonizeNode, ToonflowColorizeNode):
        op = layout.operator("node.add_node", text=node_type.bl_label, icon=node_type.bl_icon)
        op.type = node_type.bl_idname
        op.use_transform = True


def draw_strip_menu(self: bpy.types.Menu, context: bpy.types.Context) -> None:
    layout = self.layout
    layout.separator()
    layout.operator(sequencer.TOONFLOW_OT_cartoonize_strip.bl_idname, icon="IMAGE")
    layout.operator(sequencer.TOONFLOW_OT_colorize_strip.bl_idname, icon="COLOR")


def _draw_job_state(layout: bpy.types.UILayout, state: bpy.types.bpy_struct) -> None:
    """Cached frames, last run's outcome and result strip of one task (cartoonize or colorize)."""
    if state.frames_total:
        layout.label(text=f"Cached: {state.frames_done}/{state.frames_total} frames")
    if state.state:
        layout.label(text=f"State: {state.state}"[:120], icon="INFO" if state.state == "done" else "ERROR")
    if state.result_name:
        layout.label(text=f"Result strip: {state.result_name}", icon="SEQ_STRIP_DUPLICATE")


class SEQUENCER_PT_toonflow(bpy.types.Panel):
    bl_space_type = "SEQUENCE_EDITOR"
    bl_region_type = "UI"
    bl_category = "Toonflow"
    bl_label = "Toonflow"

    @classmethod
    def poll(cls, context: bpy.types.Context) -> bool:
        sed = context.scene.sequence_editor if context.scene else None
        return sed is not None and sed.active_strip is not None

    def draw(self, context: bpy.types.Context) -> None:
        layout = self.layout
        strip = context.scene.sequence_editor.active_strip
        tf = strip.toonflow
        if tf.role == "RESULT":
            layout.label(text=f"Result of '{tf.source_name}'", icon="LINKED")
            if tf.task == "colorize":
                layout.label(text=f"Colorize, model: {tf.model or 'default'}" + (", temporal" if tf.temporal else ""))
            else:
                layout.label(text=f"Model: {tf.model or 'default'}, strength {tf.strength:.2f}"
                                  + (", temporal" if tf.temporal else ""))
        else:
            col = layout.column()
            col.prop(tf, "model")
            col.prop(tf, "strength", slider=True)
            row = col.row(align=True)
            row.prop(tf, "temporal")
            sub = row.row()
            sub.active = tf.temporal
            sub.prop(tf, "temporal_strength", text="")
            col.prop(tf, "marked", text="Include in batch runs")
            _draw_job_state(col, tf)
            layout.operator(sequencer.TOONFLOW_OT_cartoonize_strip.bl_idname, icon="IMAGE")
        if tf.cache_dir:
            layout.label(text=f"Cache: {tf.cache_dir}"[:120])
        layout.operator(sequencer.TOONFLOW_OT_refresh_strip.bl_idname, icon="FILE_REFRESH")


class SEQUENCER_PT_toonflow_colorize(bpy.types.Panel):
    """Line-art colorization of the active strip: keyframes, model, temporal, state"""

    bl_space_type = "SEQUENCE_EDITOR"
    bl_region_type = "UI"
    bl_category = "Toonflow"
    bl_label = "Line Art Colorize"
    bl_parent_id = "SEQUENCER_PT_toonflow"

    @classmethod
    def poll(cls, context: bpy.types.Context) -> bool:
        strip = context.scene.sequence_editor.active_strip
        return strip.toonflow.role != "RESULT"

    def draw(self, context: bpy.types.Context) -> None:
        layout = self.layout
        tc = context.scene.sequence_editor.active_strip.toonflow.colorize
        col = layout.column()
        col.prop(tc, "model")
        col.prop(tc, "temporal")
        row = col.row()
        row.active = tc.temporal
        row.prop(tc, "two_sided")
        draw_keyframes(col, tc, "STRIP")
        col.prop(tc, "marked", text="Include in batch runs")
        _draw_job_state(col, tc)
        if tc.cache_dir:
            col.label(text=f"Cache: {tc.cache_dir}"[:120])
        layout.operator(sequencer.TOONFLOW_OT_colorize_strip.bl_idname, icon="COLOR")


class NODE_PT_toonflow(bpy.types.Panel):
    bl_space_type = "NODE_EDITOR"
    bl_region_type = "UI"
    bl_category = "Toonflow"
    bl_label = "Toonflow"

    @classmethod
    def poll(cls, context: bpy.types.Context) -> bool:
        return getattr(context.space_data, "tree_type", "") == "CompositorNodeTree"

    def draw(self, context: bpy.types.Context) -> None:
        layout = self.layout
        layout.operator(operators.TOONFLOW_OT_add_cartoonize_node.bl_idname, icon="ADD")
        layout.operator(operators.TOONFLOW_OT_add_colorize_node.bl_idname, icon="ADD")
        node = context.active_node
        if node is not None and getattr(node, "is_toonflow", False):
            layout.context_pointer_set("node", node)
            node.draw_buttons_ext(context, layout)
        if context.scene is not None and prerender.render_layer_sources(context.scene):
            box = layout.box()
            box.label(text="Render Layers source: two passes", icon="RENDER_STILL")
            box.operator(operators.TOONFLOW_OT_prerender.bl_idname)
        layout.operator(operators.TOONFLOW_OT_check_gpu.bl_idname, icon="INFO")


def register() -> None:
    bpy.types.NODE_MT_add.append(draw_node_add_menu)
    bpy.types.SEQUENCER_MT_strip.append(draw_strip_menu)


def unregister() -> None:
    bpy.types.SEQUENCER_MT_strip.remove(draw_strip_menu)
    bpy.types.NODE_MT_add.remove(draw_node_add_menu)


classes = (SEQUENCER_PT_toonflow, SEQUENCER_PT_toonflow_colorize, NODE_PT_toonflow)
