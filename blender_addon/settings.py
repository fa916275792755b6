# SPDX-License-Identifier: GPL-3.0-or-later
"""The add-on's settings as a plain object, read from its preferences (imports nothing of the add-on).

Every module that needs the model folder, device, tile size or cache folder calls :func:`addon_settings`; the
preferences panel that edits them is :mod:`preferences`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import bpy

__all__ = ["ADDON_ID", "AddonSettings", "addon_settings", "default_cache_root"]

#: the extension's module name, e.g. ``bl_ext.user_default.toonflow`` (this package's parent).
ADDON_ID: str = (__package__ or "toonflow.blender_addon").rpartition(".")[0] or "toonflow"


@dataclass(frozen=True)
class AddonSettings:
    model_dirs: tuple[str, ...]
    device: str
    tile_size: int
    cache_root: Path


def default_cache_root() -> Path:
    """Default cache folder when the preferences leave it empty (overridable with TOONFLOW_CACHE_DIR)."""
    env = os.environ.get("TOONFLOW_CACHE_DIR")
    if env:
        return Path(env).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "toonflow" / "blender"


def _default_cache_root() -> Path:
    try:
        return Path(bpy.utils.extension_path_user(ADDON_ID, path="cache", create=True))
    except (ValueError, AttributeError, OSError):  # not installed as an extension (e.g. a dev checkout)
        return default_cache_root()


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
