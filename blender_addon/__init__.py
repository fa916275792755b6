# SPDX-License-Identifier: GPL-3.0-or-later
"""Toonflow's Blender side: preferences, strip properties, compositor nodes, handlers, operators, UI, CLI command.

Modules register in order and unregister in reverse. Each bpy module ends with ``classes = (...)`` and may have
``register()`` / ``unregister()`` for what is not a class (handlers, menus, properties on Blender types).
Modules without bpy (keys, keyframes, cache, planning, sources, runner, colorize_runner, cli_args, gpu, errors,
model_choices) are importable in plain Python.
"""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)


def _modules() -> tuple:
    from . import cli, handlers, interface, keyframe_ui, nodes, operators, preferences, properties, sequencer

    return (preferences, properties, keyframe_ui, nodes, handlers, operators, sequencer, interface, cli)


def register() -> None:
    import bpy

    for mod in _modules():
        for cls in mod.classes:
            bpy.utils.register_class(cls)
        if hasattr(mod, "register"):
            mod.register()


def unregister() -> None:
    import bpy

    for mod in reversed(_modules()):
        if hasattr(mod, "unregister"):
            mod.unregister()
        for cls in reversed(mod.classes):
            bpy.utils.unregister_class(cls)
