# SPDX-License-Identifier: GPL-3.0-or-later
"""Errors of the Blender side (no bpy). Engine errors (engine.errors.ToonflowError) pass through unchanged."""

from __future__ import annotations

__all__ = ["AddonError", "SourceError", "UnsupportedStripError", "CancelledError"]


class AddonError(Exception):
    """Base class: the message says what is wrong and what to do."""


class SourceError(AddonError):
    """A source is missing, unreadable, or nothing is linked to a node's input."""


class UnsupportedStripError(AddonError):
    """A sequencer strip type that cannot be processed (sound, scene, text, colour, effects...)."""


class CancelledError(AddonError):
    """The user cancelled a running job (Esc) or it was stopped on purpose."""
