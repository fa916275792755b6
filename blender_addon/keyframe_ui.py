# SPDX-License-Identifier: GPL-3.0-or-later
"""The keyframe list shown on the Line Art Colorize node and in the strip panel: a UIList and add/remove operators.

The same list works for both owners: a colorize node (``context.node``, else the active node) or the active strip's
colorize settings. A new keyframe takes the current frame; its image is picked in the list row.
"""

from __future__ import annotations

import bpy

__all__ = ["TOONFLOW_UL_keyframes", "TOONFLOW_OT_keyframe_add", "TOONFLOW_OT_keyframe_remove", "draw_keyframes",
           "keyframe_owner", "classes"]

_OWNERS = (("NODE", "Node", "The Line Art Colorize node"), ("STRIP", "Strip", "The active strip"))


def keyframe_owner(context: bpy.types.Context, kind: str) -> bpy.types.bpy_struct | None:
    """What holds the keyframes: a colorize node, or the active strip's colorize settings."""
    if kind == "NODE":
        node = getattr(context, "node", None) or getattr(context, "active_node", None)
        return node if node is not None and hasattr(node, "keyframes") else None
    sed = context.scene.sequence_editor if context.scene else None
    strip = sed.active_strip if sed is not None else None
    return strip.toonflow.colorize if strip is not None else None


class TOONFLOW_UL_keyframes(bpy.types.UIList):
    """Keyframes: frame number and coloured image"""

    bl_idname = "TOONFLOW_UL_keyframes"

    def draw_item(self, context: bpy.types.Context, layout: bpy.types.UILayout, data: object, item: object,
                  icon: int, active_data: object, active_propname: str, index: int = 0) -> None:
        row = layout.row(align=True)
        sub = row.row(align=True)
        sub.ui_units_x = 3.5
        sub.prop(item, "frame", text="", emboss=False)
        row.prop(item, "filepath", text="", icon="IMAGE_RGB" if item.filepath else "ERROR")


class TOONFLOW_OT_keyframe_add(bpy.types.Operator):
    """Add a coloured keyframe at the current frame (then pick its image in the list)"""

    bl_idname = "toonflow.keyframe_add"
    bl_label = "Add Keyframe"
    bl_options = {"REGISTER", "UNDO", "INTERNAL"}

    owner: bpy.props.EnumProperty(items=_OWNERS, default="NODE")
    frame: bpy.props.IntProperty(name="Frame", default=0, description="Frame number (0 with no image: current)",
                                 options={"SKIP_SAVE"})
    filepath: bpy.props.StringProperty(name="Image", subtype="FILE_PATH", default="", options={"SKIP_SAVE"})

    def execute(self, context: bpy.types.Context) -> set[str]:
        holder = keyframe_owner(context, self.owner)
        if holder is None:
            self.report({"ERROR"}, "select a Line Art Colorize node or a strip first")
            return {"CANCELLED"}
        item = holder.keyframes.add()
        item.frame = self.frame if (self.frame or self.filepath) else context.scene.frame_current
        item.filepath = self.filepath
        holder.keyframe_index = len(holder.keyframes) - 1
        return {"FINISHED"}


class TOONFLOW_OT_keyframe_remove(bpy.types.Operator):
    """Remove the selected keyframe from the list (the image file itself is kept)"""

    bl_idname = "toonflow.keyframe_remove"
    bl_label = "Remove Keyframe"
    bl_options = {"REGISTER", "UNDO", "INTERNAL"}

    owner: bpy.props.EnumProperty(items=_OWNERS, default="NODE")

    def execute(self, context: bpy.types.Context) -> set[str]:
        holder = keyframe_owner(context, self.owner)
        if holder is None or not len(holder.keyframes):
            return {"CANCELLED"}
        index = min(max(holder.keyframe_index, 0), len(holder.keyframes) - 1)
        holder.keyframes.remove(index)
        holder.keyframe_index = max(index - 1, 0)
        return {"FINISHED"}


def draw_keyframes(layout: bpy.types.UILayout, holder: bpy.types.bpy_struct, owner: str) -> None:
    """The keyframe list with its +/- buttons."""
    layout.label(text="Keyframes (frame: coloured image)")
    row = layout.row()
    row.template_list(TOONFLOW_UL_keyframes.bl_idname, owner, holder, "keyframes", holder, "keyframe_index",
                      rows=2)
    col = row.column(align=True)
    col.operator(TOONFLOW_OT_keyframe_add.bl_idname, icon="ADD", text="").owner = owner
    col.operator(TOONFLOW_OT_keyframe_remove.bl_idname, icon="REMOVE", text="").owner = owner
    if not len(holder.keyframes):
        layout.label(text="Add at least one keyframe", icon="ERROR")


classes = (TOONFLOW_UL_keyframes, TOONFLOW_OT_keyframe_add, TOONFLOW_OT_keyframe_remove)
