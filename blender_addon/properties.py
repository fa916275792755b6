# SPDX-License-Identifier: GPL-3.0-or-later
"""Toonflow data stored on sequencer strips (settings, links between source and result, state)."""

from __future__ import annotations

import bpy

from . import compat

__all__ = ["ToonflowStripProps", "register", "unregister", "classes"]


class ToonflowStripProps(bpy.types.PropertyGroup):
    role: bpy.props.EnumProperty(
        name="Role", default="NONE",
        items=(("NONE", "None", ""), ("SOURCE", "Source", "Cartoonized into a result strip"),
               ("RESULT", "Result", "Made by Toonflow from a source strip")))
    marked: bpy.props.BoolProperty(
        name="Marked", default=False,
        description="Process this strip in batch runs (blender -b file.blend --command toonflow strips --marked)")
    task: bpy.props.StringProperty(name="Task", default="cartoonize")
    model: bpy.props.StringProperty(name="Model", default="",
                                    description="Model name or .onnx path (empty: the default model)")
    strength: bpy.props.FloatProperty(name="Strength", default=1.0, min=0.0, max=1.0)
    temporal: bpy.props.BoolProperty(name="Temporal", default=False,
                                     description="Stabilise each frame against the previous one")
    temporal_strength: bpy.props.FloatProperty(name="Temporal Strength", default=0.6, min=0.0, max=1.0)
    source_name: bpy.props.StringProperty(name="Source Strip", default="")
    result_name: bpy.props.StringProperty(name="Result Strip", default="")
    cache_dir: bpy.props.StringProperty(name="Cache", default="", subtype="DIR_PATH")
    state: bpy.props.StringProperty(name="State", default="")
    frames_done: bpy.props.IntProperty(name="Frames Done", default=0)
    frames_total: bpy.props.IntProperty(name="Frames", default=0)


def register() -> None:
    compat.STRIP_TYPE.toonflow = bpy.props.PointerProperty(type=ToonflowStripProps)


def unregister() -> None:
    if hasattr(compat.STRIP_TYPE, "toonflow"):
        del compat.STRIP_TYPE.toonflow


classes = (ToonflowStripProps,)
