# SPDX-License-Identifier: GPL-3.0-or-later
"""Coloured keyframes for line-art colorization (no bpy): checking, content identity, the reference rule.

A keyframe is a (frame number, image file) pair: the image is the colour of the line-art frame shown at that
frame number (a scene frame for the compositor node, a timeline frame for a sequencer strip). The runner maps
frame numbers to source indices; the reference rule below works on source indices, as the engine's own chain does.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from .errors import AddonError

__all__ = ["Keyframe", "KeyframeError", "parse_key_arg", "check_keyframes", "keyframes_identity", "file_sha256",
           "nearest_keyframe", "references_for"]

_sha_cache: dict[tuple[str, int, int], str] = {}


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


def file_sha256(path: str | os.PathLike[str]) -> str:
    """Content hash of a file, computed once per (path, size, modification time)."""
    p = Path(path)
    st = p.stat()
    key = (str(p.resolve()), st.st_size, st.st_mtime_ns)
    if key not in _sha_cache:
        h = hashlib.sha256()
        with open(p, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
        _sha_cache[key] = h.hexdigest()
    return _sha_cache[key]


def keyframes_identity(keys: Mapping[int, Path]) -> str:
    """Identity of keyframes by source index and *content* (a repainted keyframe changes it; a moved one not)."""
    return ",".join(f"{i}:{file_sha256(keys[i])[:24]}" for i in sorted(keys))


def nearest_keyframe(index: int, key_indices: Sequence[int]) -> int:
    """The keyframe nearest to ``index`` (the earlier one on a tie), as the engine's colorizer picks it."""
    if not key_indices:
        raise KeyframeError("no keyframe")
    return min(key_indices, key=lambda k: (abs(k - index), k))


def references_for(index: int, key_indices: Sequence[int], *, temporal: bool,
                   chain_start: int) -> tuple[int, int | None]:
    """(keyframe index, previous index or None) whose colours colour line-art frame ``index``.

    The previous coloured frame is a reference only with ``temporal``, inside the clip (``index - 1 >=
    chain_start``) and when it is not the keyframe itself (already a reference). Shot cuts are decided by the caller
    on the pixels.
    """
    key = nearest_keyframe(index, key_indices)
    prev = index - 1
    if not temporal or prev < chain_start or prev == key:
        return key, None
    return key, prev
