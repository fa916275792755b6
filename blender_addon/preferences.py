# SPDX-License-Identifier: GPL-3.0-or-later
"""Add-on preferences: model folder, device, tile size, cache folder."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import bpy

from .cache import default_cache_root

__all__ = ["ADDON_ID", "ToonflowPreferences", "AddonSettings", "addon_settings", "classes"]

log = logging.getLogger(__name__)

#: the extension's module name, e.g. ``bl_ext.user_default.toonflow`` (this package's parent).
ADDON_ID: str = (__package__ or "toonflow.blender_addon").rpartition(".")[0] or "toonflow"


@dataclass(frozen=True)
class AddonSettings:
    model_dirs: tuple[str, ...]
    device: str
    tile_size: int
    cache_root: Path


def _default_cache_root() -> Path:
    try:
        return Path(bpy.utils.extension_path_user(ADDON_ID, path="cache", create=True))
    except (ValueError, AttributeError, OSError):  # not installed as an extension (e.g. a dev checkout)
        return default_cache_root()


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
        from . import operators  # avoid an import cycle at module load

        layout = self.layout
        layout.prop(self, "model_dir")
        layout.prop(self, "device")
        layout.prop(self, "tile_size")
        layout.prop(self, "cache_dir")
        col = layout.column(align=True)
        col.label(text=f"Cache: {addon_settings().cache_root}")
        row = layout.row()
        row.operator(operators.TOONFLOW_OT_check_gpu.bl_idname, icon="INFO")
        row.operator(operators.TOONFLOW_OT_list_models.bl_idname, icon="PRESET")


def addon_settings() -> AddonSettings:
    """The current preferences as a plain object (defaults when the add-on's preferences are unavailable)."""
    prefs = None
    addon = bpy.context.preferences.addons.get(ADDON_ID)
    if addon is not None:
        prefs = addon.preferences
    if prefs is None:
        return AddonSettings((), "auto", 1024, _default_cache_root())
    dirs = (bpy.path.abspath(prefs.model_dir),) if prefs.model_dir.strip() else ()
    cache = Path(bpy.path.abspath(prefs.cache_dir)) if prefs.cache_dir.strip() else _default_cache_root()
    return AddonSettings(dirs, prefs.device.lower(), int(prefs.tile_size), cache)


classes = (ToonflowPreferences,)
