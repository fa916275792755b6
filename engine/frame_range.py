"""A range of frames to write (``--frames A-B``), for farm chunks that must agree with one whole run.

Frames are counted from 0, like keyframe indices (``--key 0=...``). A range writes only its frames, but the engine
reads (and does not write) as many earlier frames as the temporal state needs: the stabiliser's warm-up for
cartoonize (:meth:`engine.temporal.TemporalStabilizer.warmup_frames`), the colour chain from the keyframe before
the range for colorize. See docs/CLI.md, "Frame ranges and farms".
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .errors import InputError, SettingsError

__all__ = ["FrameRange"]

_RANGE_RE = re.compile(r"^\s*(\d+)\s*(?:(-)\s*(\d*)\s*)?$")


@dataclass(frozen=True)
class FrameRange:
    """Frames ``first`` to ``last`` inclusive, counted from 0; ``last=None`` runs to the end of the input."""

    first: int
    last: int | None = None

    def __post_init__(self) -> None:
        if self.first < 0:
            raise SettingsError(f"frame range starts at {self.first}; frames count from 0")
        if self.last is not None and self.last < self.first:
            raise SettingsError(f"frame range {self.first}-{self.last} ends before it starts")

    @classmethod
    def parse(cls, text: str) -> FrameRange:
        """``"A-B"`` (inclusive), ``"A-"`` (to the end) or ``"A"`` (one frame).

        Raises:
            SettingsError: anything else, or a range that ends before it starts.
        """
        match = _RANGE_RE.match(text)
        if match is None:
            raise SettingsError(f"bad frame range {text!r}; use A-B (e.g. 0-99), A- (from A to the end) or A "
                                "(one frame), frames counted from 0")
        first, dash, last = match.groups()
        if not dash:
            return cls(int(first), int(first))
        return cls(int(first), int(last) if last else None)

    def stop(self, frame_count: int) -> int:
        """One past the last frame of this range in an input of ``frame_count`` frames.

        Raises:
            InputError: the range starts after the input's last frame.
        """
        if self.first >= frame_count:
            raise InputError(f"frame range {self} starts after the input's last frame ({frame_count - 1}); "
                             "frames count from 0")
        return frame_count if self.last is None else min(self.last + 1, frame_count)

    def __contains__(self, index: object) -> bool:
        return isinstance(index, int) and index >= self.first and (self.last is None or index <= self.last)

    def __str__(self) -> str:
        return f"{self.first}-{'' if self.last is None else self.last}"
