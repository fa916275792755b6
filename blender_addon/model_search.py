# SPDX-License-Identifier: GPL-3.0-or-later
"""Search callbacks of the Model fields (``StringProperty(search=...)``): the installed models of the field's task.

Thin on purpose: the listing, and its rule never to raise into Blender's UI, is :func:`model_choices.model_choices`
(bpy-free, tested in plain Python). Blender filters the suggestions by the typed text itself, so ``edit_text`` is
not used.
"""

from __future__ import annotations

import bpy

from . import engine_bridge
from .settings import addon_settings

__all__ = ["search_cartoonize_models", "search_colorize_models", "search_strip_models"]

Choices = list[tuple[str, str]]


def _choices(task: str) -> Choices:
    return engine_bridge.model_choices(addon_settings().model_dirs, task)


def search_cartoonize_models(self: bpy.types.bpy_struct, context: bpy.types.Context, edit_text: str) -> Choices:
    return _choices("cartoonize")


def search_colorize_models(self: bpy.types.bpy_struct, context: bpy.types.Context, edit_text: str) -> Choices:
    return _choices("colorize")


def search_strip_models(self: bpy.types.bpy_struct, context: bpy.types.Context, edit_text: str) -> Choices:
    """A strip's own Model field: cartoonize models (a colorize result strip keeps the colorize model it used)."""
    return _choices(self.task or "cartoonize")
