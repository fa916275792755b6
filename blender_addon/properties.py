# SPDX-License-Identifier: GPL-3.0-or-later
"""Toonflow data stored on sequencer strips (settings, links between source and result, state)."""

from __future__ import annotations

import bpy

from . import compat
from .model_search import search_colorize_models, search_strip_models

__all__ = ["ToonflowKeyframe", "ToonflowColorizeProps", "ToonflowStripProps", "keyframe_list", "register",
           "unregister", "classes"]


class ToonflowKeyframe(bpy.types.PropertyGroup):
    """A coloured keyframe for line-art colorization: the colour image of the line art shown at ``frame``."""

    frame: bpy.props.IntProperty(name="Frame", default=1,
                                 description="Scene / timeline frame whose line art this image colours")
    filepath: bpy.props.StringProperty(name="Image", subtype="FILE_PATH", default="",
                                       description="The coloured image for this frame (PNG, JPEG, TIFF, ...)")


def keyframe_list(owner: bpy.types.bpy_struct) -> list:
    """The owner's keyframes (a colorize node or a strip's colorize settings) as ``keyframes.Keyframe``s."""
    from pathlib import Path

    from .keyframes import Keyframe

    return [Keyframe(int(k.frame), Path(bpy.path.abspath(k.filepath)) if k.filepath.strip() else Path(""))
            for k in owner.keyframes]


class ToonflowColorizeProps(bpy.types.PropertyGroup):
    """A line-art strip's colorize settings and state (the result strip is made by Colorize Strip)."""

    keyframes: bpy.props.CollectionProperty(type=ToonflowKeyframe)
    keyframe_index: bpy.props.IntProperty(name="Active Keyframe", default=0)
    model: bpy.props.StringProperty(
        name="Model", default="", search=search_colorize_models,
        description="Colorize model name (suggested: the installed colorize models) or .onnx path (empty: the default, "
                    "lcmftn)")
    temporal: bpy.props.BoolProperty(name="Temporal", default=True,
                                     description="Also colour each frame from the previous coloured frame")
    two_sided: bpy.props.BoolProperty(
        name="Two-Sided", default=False,
        description="Colour each frame between two keyframes from both of them (a forward and a backward chain "
                    "blended per pixel; about twice the work between keyframes). Needs Temporal")
    marked: bpy.props.BoolProperty(
        name="Marked", default=False,
        description="Colorize this strip in batch runs (blender -b file.blend --command toonflow colorize --marked)")
    result_name: bpy.props.StringProperty(name="Result Strip", default="")
    cache_dir: bpy.props.StringProperty(name="Cache", default="", subtype="DIR_PATH")
    state: bpy.props.StringProperty(name="State", default="")
    frames_done: bpy.props.IntProperty(name="Frames Done", default=0)
    frames_total: bpy.props.IntProperty(name="Frames", default=0)


class ToonflowStripProps(bpy.types.PropertyGroup):
    role: bpy.props.EnumProperty(
        name="Role", default="NONE",
        items=(("NONE", "None", ""), ("SOURCE", "Source", "Cartoonized into a result strip"),
               ("RESULT", "Result", "Made by Toonflow from a source strip")))
    marked: bpy.props.BoolProperty(
        name="Marked", default=False,
        description="Process this strip in batch runs (blender -b file.blend --command toonflow strips --marked)")
    task: bpy.props.StringProperty(name="Task", default="cartoonize")
    model: bpy.props.StringProperty(
        name="Model", default="", search=search_strip_models,
        description="Model name (suggested: the installed models) or .onnx path (empty: the default model)")
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
    colorize: bpy.props.PointerProperty(type=ToonflowColorizeProps)


def register() -> None:
    compat.STRIP_TYPE.toonflow = bpy.props.PointerProperty(type=ToonflowStripProps)


def unregister() -> None:
    if hasattr(compat.STRIP_TYPE, "toonflow"):
        del compat.STRIP_TYPE.toonflow


classes = (ToonflowKeyframe, ToonflowColorizeProps, ToonflowStripProps)
