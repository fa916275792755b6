"""Error types raised by the engine.

Every error the engine raises on purpose is a :class:`ToonflowError`; its message names the file (and frame index
where there is one), says what went wrong and what to do about it, so that the CLI and the Blender add-on can show
it to the user as one line.
"""

from __future__ import annotations

__all__ = ["ToonflowError", "InputError", "ModelError", "OutputError", "SettingsError"]


class ToonflowError(Exception):
    """Base class of every error the engine raises on purpose."""


class InputError(ToonflowError):
    """An input video, image sequence or frame cannot be used (missing, unreadable, wrong shape or dtype)."""


class ModelError(ToonflowError):
    """A model file or model card is missing, corrupt, malformed or made for another task, or cannot be run."""


class OutputError(ToonflowError):
    """The output cannot be written (bad path, same file as the input, unsupported container, disk errors)."""


class SettingsError(ToonflowError):
    """An option is out of range or inconsistent (device name, strength, tile size)."""
