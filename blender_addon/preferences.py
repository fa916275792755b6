# SPDX-License-Identifier: GPL-3.0-or-later
"""The add-on's preferences panel: model folder, device, tile size, cache folder (read through :mod:`settings`)."""

from __future__ import annotations

import bpy

from .operators import TOONFLOW_OT_check_gpu, TOONFLOW_OT_list_models
from .settings import ADDON_ID, addon_settings

__all__ = ["ToonflowPreferences", "classes"]


class ToonflowPreferences(bpy.types.AddonPreferences):
    bl_idname = ADDON_ID

    model_dir: bpy.props.StringProperty(
        name="Model Folder", subtype="DIR_PATH", default="",
        description="Extra folder with .onnx models and their .json cards (the bundled models are always available)",
    )
    device: bpy.props.EnumProperty(
        name="Device", default="AUTO",
        items=(("AUTO", "Auto", "NVIDIA GPU through ONNX Runtime CUDA when usable, else the CPU"),
               ("GPU", "GPU", "Ask for the GPU; falls back to the CPU with a message when CUDA is not usable"),
               ("CPU", "CPU", "Always the CPU")),
    )
    tile_size: bpy.props.IntProperty(
        name="Tile Size", default=1024, min=0, soft_max=4096,
        description="Frames larger than this are processed in overlapping tiles (0 = whole frames; more memory)",
    )
    cache_dir: bpy.props.StringProperty(
        name="Cache Folder", subtype="DIR_PATH", default="",
        description="Where cartoon frames are cached (empty = the extension's own user folder)",
    )

    def draw(self, context: bpy.types.Context) -> None:
        layout = self.layout
        layout.prop(self, "model_dir")
        layout.prop(self, "device")
        layout.prop(self, "tile_size")
        layout.prop(self, "cache_dir")
        col = layout.column(align=True)
        col.label(text=f"Cache: {addon_settings().cache_root}")
        row = layout.row()
        row.operator(TOONFLOW_OT_check_gpu.bl_idname, icon="INFO")
        row.operator(TOONFLOW_OT_list_models.bl_idname, icon="PRESET")


classes = (ToonflowPreferences,)
