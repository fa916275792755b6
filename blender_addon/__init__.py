# SPDX-License-Identifier: GPL-3.0-or-later
"""Toonflow's Blender side: preferences, reports, strip properties, compositor nodes, handlers, operators, UI, CLI.

Modules register in order and unregister in reverse. Each bpy module ends with ``classes = (...)`` and may have
``register()`` / ``unregister()`` for what is not a class (handlers, menus, properties on Blender types). No
module imports one that imports it back (tests/addon/test_imports.py): settings are read from :mod:`settings`,
which imports nothing of the add-on, and UI modules import the operators they show, never the other way round.
Modules without bpy (keys, keyframes, cache, planning, sources, runner, colorize_runner, engine_bridge, cli_args,
gpu, errors, model_choices) are importable in plain Python; the submodules are imported only in :func:`register`, so
importing one of them does not need Blender.
"""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)


def _modules() -> tuple:
    from . import (cli, handlers, interface, keyframe_ui, nodes, operators, preferences, properties, report,
                   sequencer)

    return (preferences, report, properties, keyframe_ui, nodes, handlers, operators, sequencer, interface, cli)


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
