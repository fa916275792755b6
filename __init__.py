# SPDX-License-Identifier: GPL-3.0-or-later
"""Toonflow Blender extension entry point.

Blender imports this file as ``bl_ext.<repository>.toonflow``. It stays tiny on purpose: nothing heavy is imported
here; ``register``/``unregister`` forward to :mod:`blender_addon`, which imports the inference engine lazily.
"""


def register() -> None:
    from .blender_addon import register as _register

    _register()


def unregister() -> None:
    from .blender_addon import unregister as _unregister

    _unregister()
