"""The colour chain's reference rule (plain Python: no numpy, no model).

A line-art frame is coloured from references: its nearest keyframe (the earlier one on a tie) and the last coloured
frame before it, unless there is none (the chain's first frame, a shot cut, no temporal reference) or that frame is
the nearest keyframe itself (already a reference). A keyframe's colour depends on nothing before it, so the chain
that reaches a frame starts at the last keyframe at or before it (frame 0 when there is none).

:class:`engine.colorize.Colorizer` colours by this rule; the Blender extension's cached runs, which colour frames
one by one out of the disk cache, call these functions through its engine bridge so both stay the same rule.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["nearest_keyframe", "references", "chain_start"]


def nearest_keyframe(index: int, key_indices: Iterable[int]) -> int:
    """The keyframe nearest to frame ``index`` (the earlier one on a tie).

    Raises:
        ValueError: no keyframe.
    """
    keys = list(key_indices)
    if not keys:
        raise ValueError("no keyframe")
    return min(keys, key=lambda k: (abs(k - index), k))


def references(index: int, key_indices: Iterable[int], previous: int | None) -> tuple[int, int | None]:
    """(keyframe, previous coloured frame or None) whose colours colour line-art frame ``index``.

    ``previous`` is the last coloured frame before ``index`` when the chain may use it (``None`` at the chain's
    first frame, after a shot cut or without temporal references); it is dropped when it is the keyframe itself.
    """
    key = nearest_keyframe(index, key_indices)
    return key, (None if previous is None or previous == key else previous)


def chain_start(first: int, key_indices: Iterable[int]) -> int:
    """The frame a chain that must reach frame ``first`` starts from: the last keyframe at or before it, else 0."""
    return max((k for k in key_indices if k <= first), default=0)
