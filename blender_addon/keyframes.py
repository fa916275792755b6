# SPDX-License-Identifier: GPL-3.0-or-later
"""Coloured keyframes for line-art colorization (no bpy): parsing, checking, content identity.

A keyframe is a (frame number, image file) pair: the image is the colour of the line-art frame shown at that
frame number (a scene frame for the compositor node, a timeline frame for a sequencer strip). The runner maps
frame numbers to source indices; which keyframe colours which frame is the engine's rule (``engine.colour_chain``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from .errors import AddonError

__all__ = ["Keyframe", "KeyframeError", "parse_key_arg", "check_keyframes", "keyframes_identity"]


class KeyframeError(AddonError):
    """No keyframe, a missing keyframe file, two keyframes on one frame, or a keyframe outside the line art."""


@dataclass(frozen=True)
class Keyframe:
    frame: int  # scene / timeline frame number
    path: Path  # the coloured image for that frame


def parse_key_arg(text: str) -> Keyframe:
    """``"12=/path/key.png"`` -> ``Keyframe(12, Path("/path/key.png"))`` (the CLI's ``--key``)."""
    frame, sep, path = text.partition("=")
    try:
        number = int(frame.strip())
    except ValueError:
        number = None
    if not sep or number is None or not path.strip():
        raise ValueError(f"bad keyframe {text!r}; use FRAME=IMAGE, e.g. --key 1=key_0001.png")
    return Keyframe(number, Path(path.strip()).expanduser())


def check_keyframes(keys: Iterable[Keyframe], owner: str) -> list[Keyframe]:
    """Keyframes sorted by frame; raises KeyframeError naming ``owner`` (e.g. "node 'Colorize'") and the frame."""
    items = list(keys)
    if not items:
        raise KeyframeError(f"{owner}: no keyframe; colouring line art needs at least one coloured keyframe "
                            "(add one in the Keyframes list: a frame number and its coloured image)")
    seen: dict[int, Path] = {}
    for k in items:
        if not str(k.path).strip() or str(k.path) == ".":
            raise KeyframeError(f"{owner}: keyframe at frame {k.frame} has no image file; pick the coloured image")
        if k.frame in seen:
            raise KeyframeError(f"{owner}: two keyframes on frame {k.frame} ({seen[k.frame].name} and "
                                f"{k.path.name}); keep one")
        if not k.path.is_file():
            raise KeyframeError(f"{owner}: keyframe image for frame {k.frame} not found: {k.path}")
        seen[k.frame] = k.path
    return sorted(items, key=lambda k: k.frame)


def keyframes_identity(keys: Mapping[int, Path], file_sha256: Callable[[Path], str]) -> str:
    """Identity of keyframes by source index and *content* (a repainted keyframe changes it; a moved one not).

    ``file_sha256``: the engine's cached file hash (``engine.models.file_sha256``, passed in by the engine bridge).
    """
    return ",".join(f"{i}:{file_sha256(keys[i])[:24]}" for i in sorted(keys))
