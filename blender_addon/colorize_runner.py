# SPDX-License-Identifier: GPL-3.0-or-later
"""Colour a line-art clip from keyframes through the disk cache, frame by frame, in order (no bpy, no engine import).

It follows the engine's colour chain exactly (``engine.Colorizer.colorize``): line-art frame ``i`` is coloured from
its nearest keyframe and, with ``temporal``, from the coloured frame ``i - 1`` (unless that is the keyframe itself or
a shot cut lies between them); a keyframe's own frame shows the keyframe, and with ``temporal`` a frame that holds
the drawing of the last coloured frame repeats its colour (the engine's ``reuse_holds``; that frame, not a held one,
is then the previous reference). The previous coloured frame comes from the
cache, so rendering frame ``i`` needs frames ``first .. i - 1`` cached: the missing ones are computed first, in order.

Cache: the clip key covers the line-art source, the keyframes' content, the model and the settings; each frame file
is named by its source index plus a signature of the line-art files it depends on (its own and its keyframe's and,
with ``temporal``, its predecessor's signature unless it is a keyframe), so redrawing one frame recomputes exactly
what it changes.

Names its cache files like :class:`runner.ClipRunner` (both are :class:`runner.CachedClipFrames`) and has the same
``ensure``, so the node handler and the sequencer job machinery use either.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Protocol

import numpy as np

from .cache import ClipCache, read_png
from .errors import CancelledError, SourceError
from .keyframes import Keyframe, KeyframeError
from .keys import short_hash
from .runner import CachedClipFrames, ProgressFn, RunResult
from .sources import FrameSource, read_image

__all__ = ["ColorizeEngine", "ColorizeRunner"]

log = logging.getLogger(__name__)

#: (line art gray (H, W), colour RGB (H, W, 3)) of one reference
RefPair = tuple[np.ndarray, np.ndarray]


class ColorizeEngine(Protocol):
    """What the runner needs from the engine (``engine_bridge.ColorizeEngineAdapter`` inside Blender)."""

    def lineart(self, frame: np.ndarray, where: str) -> np.ndarray:
        """Validated gray line art (H, W) uint8; raises for colour frames."""

    def colour(self, frame: np.ndarray, where: str) -> np.ndarray:
        """uint8 RGB (H, W, 3)."""

    def resize(self, img: np.ndarray, height: int, width: int) -> np.ndarray: ...

    def colorize(self, gray: np.ndarray, references: Sequence[RefPair]) -> np.ndarray: ...

    def colorize_between(self, lines: list[np.ndarray], first: np.ndarray, last: np.ndarray) -> list[np.ndarray]:
        """Two-sided colours of ``lines[1:-1]`` (``engine.Colorizer(two_sided=True)``): ``lines`` are the gray line
        arts from one keyframe to the next, ``first`` and ``last`` those keyframes' colours."""

    def is_cut(self, previous: np.ndarray, current: np.ndarray) -> bool: ...

    def is_held(self, previous: np.ndarray, current: np.ndarray) -> bool:
        """True when the two line arts show the same drawing (the frame repeats the previous colour)."""

    @property
    def ran_on(self) -> str:
        """Model, device and precision once a frame was coloured (``"lcmftn on CPU in fp32"``), else empty."""

    def references(self, index: int, key_indices: Sequence[int], previous: int | None) -> tuple[int, int | None]:
        """The engine's reference rule (``engine.colour_chain.references``): (nearest keyframe, ``previous`` unless
        it is None or that keyframe)."""


class ColorizeRunner(CachedClipFrames):
    """Colours frames of one line-art clip in source order, caching each result.

    Args:
        source: the line-art frames.
        cache: the clip's cache folder (its key covers source, keyframes' content, model, settings).
        engine: the colorizer.
        keyframes: source index -> keyframe (frame number and coloured image).
        index_of: frame number (scene / timeline) -> source index.
        temporal: use the previous coloured frame as a reference.
        first_frame: the clip's first frame number (the colour chain starts there).
        two_sided: with ``temporal``, frames between two keyframes are coloured from both, a whole stretch from one
            keyframe to the next at a time (its line art is held in memory meanwhile).
    """

    def __init__(self, source: FrameSource, cache: ClipCache, engine: ColorizeEngine,
                 keyframes: Mapping[int, Keyframe], index_of: Callable[[int], int], *, temporal: bool,
                 first_frame: int, two_sided: bool = False) -> None:
        if not keyframes:
            raise KeyframeError("no keyframe")
        self.source = source
        self.cache = cache
        self.processor = engine
        self.keyframes = dict(keyframes)
        self.index_of = index_of
        self.temporal = temporal
        self.two_sided = two_sided and temporal
        self.first_frame = first_frame
        #: messages for the user (keyframes resized ...), each once
        self.warnings: list[str] = []
        self._signatures: dict[int, str] = {}
        self._grays: dict[int, np.ndarray] = {}
        self._keys: dict[int, RefPair] = {}
        self._last: tuple[int, np.ndarray] | None = None
        # signature of a frame -> the frame whose drawing and colour it shows (itself, or the last coloured frame
        # for a held one); a signature covers the chain's line art, so this survives between ensure calls
        self._drawn: dict[str, int] = {}

    @property
    def chain_start(self) -> int:
        return self.index_of(self.first_frame)

    @property
    def key_indices(self) -> list[int]:
        return sorted(self.keyframes)

    # ------------------------------------------------------------------------------------------- cache naming

    def signature(self, index: int) -> str:
        """Signature of the line-art files frame ``index``'s colour depends on (memoised per ``ensure``)."""
        if index in self._signatures:
            return self._signatures[index]
        stretch = self._stretch_of(index)
        if stretch is not None:
            # a two-sided frame depends on every line-art frame from one keyframe to the next
            first, last = stretch
            parts = ["two-sided", *(self.source.frame_identity(j) for j in range(first, last + 1))]
            self._signatures[index] = short_hash("|".join(parts), 8)
            return self._signatures[index]
        todo = [index]
        if self.temporal and index not in self.keyframes:
            j = index - 1
            while j >= self.chain_start and j not in self._signatures:
                todo.append(j)
                if j in self.keyframes:  # the chain restarts there: nothing before it counts
                    break
                j -= 1
        for j in reversed(todo):
            parts = [self.source.frame_identity(j), self.source.frame_identity(self._key_of(j))]
            if self.temporal and j - 1 >= self.chain_start and j not in self.keyframes:
                parts.append(self._signatures[j - 1])
            self._signatures[j] = short_hash("|".join(parts), 8)
        return self._signatures[index]

    def _stretch_of(self, index: int) -> tuple[int, int] | None:
        """With ``two_sided``: the keyframes (source indices) on either side of a frame strictly between two of them
        (and after the chain's start), else None."""
        if not self.two_sided or index in self.keyframes:
            return None
        before = [k for k in self.keyframes if self.chain_start <= k < index]
        after = [k for k in self.keyframes if k > index]
        return (max(before), min(after)) if before and after else None

    def _key_of(self, index: int) -> int:
        """The keyframe whose colours colour frame ``index`` (the engine's rule)."""
        return self.processor.references(index, self.key_indices, None)[0]

    def cached(self, frames: Sequence[int]) -> set[int]:
        self._signatures.clear()  # line-art files may have changed since the last call
        return super().cached(frames)

    # ------------------------------------------------------------------------------------------- processing

    def _plan(self, requested: list[int]) -> list[int]:
        """Source indices to compute, in order: the uncached requested ones and, with ``temporal``, the uncached
        frames before them that their colour chain goes through."""
        want = set(requested)
        todo = {i for i in requested if not self.index_path(i).is_file()}
        if self.temporal and todo:
            start = self.chain_start
            needed_next = False
            for j in range(max(todo), start - 1, -1):
                needed = not self.index_path(j).is_file() and (j in want or needed_next)
                if needed:
                    todo.add(j)
                elif j < min(want):
                    break
                needed_next = needed and j not in self.keyframes  # a keyframe's colour needs no earlier frame
        return sorted(todo)

    def ensure(self, frames: Sequence[int], *, progress: ProgressFn | None = None,
               cancel: threading.Event | None = None, stop_after: int | None = None) -> RunResult:
        """Make sure the colours of ``frames`` are cached, computing the missing ones (and their chain) in order.

        Raises:
            CancelledError: ``cancel`` was set or ``stop_after`` new frames were computed (frames done stay cached).
            KeyframeError, SourceError, engine errors: bad keyframes or line art, naming the frame.
        """
        t0 = time.perf_counter()
        self._signatures.clear()
        self._keys.clear()
        result = RunResult()
        requested = self.indices(frames)
        wanted = set(requested)
        steps = self._plan(requested)
        stretches = sorted({s for i in steps if (s := self._stretch_of(i)) is not None})
        steps = [i for i in steps if self._stretch_of(i) is None]
        todo = set(steps) | {i for first, last in stretches for i in range(first + 1, last)
                             if not self.index_path(i).is_file() or i in requested}
        result.cached = sorted(i for i in requested if i not in todo)
        total = len(requested)
        if progress is not None:
            progress(len(result.cached), total, requested[0] if requested else 0)

        def store(index: int, out: np.ndarray) -> None:
            self.cache.write(index, out, self.signature(index))
            if index not in wanted:
                result.warmup.append(index)  # chain frames the requested ones need (cached too)
                return
            result.computed.append(index)
            if progress is not None:
                progress(len(result.cached) + len(result.computed), total, index)

        for first, last in stretches:
            self._check_stop(result, cancel, stop_after)
            lines = [self._gray(first), *(self._stretch_gray(i) for i in range(first + 1, last)), self._gray(last)]
            colours = self.processor.colorize_between(lines, self._key_pair(first)[1], self._key_pair(last)[1])
            for index, out in zip(range(first + 1, last), colours):
                store(index, out)
        for index in steps:
            self._check_stop(result, cancel, stop_after)
            out = self._colour_of(index)
            store(index, out)
            self._last = (index, out)
        result.computed.sort()
        result.warmup.sort()
        result.seconds = time.perf_counter() - t0
        log.debug("colorize clip %s: %d computed, %d chain, %d cached in %.2fs", self.cache.key,
                  len(result.computed), len(result.warmup), len(result.cached), result.seconds)
        return result

    @staticmethod
    def _check_stop(result: RunResult, cancel: threading.Event | None, stop_after: int | None) -> None:
        if cancel is not None and cancel.is_set():
            raise CancelledError(f"cancelled after {len(result.computed)} new frames; rerun to resume")
        if stop_after is not None and len(result.computed) >= stop_after:
            raise CancelledError(f"stopped after {len(result.computed)} new frames; rerun to resume")

    def _gray(self, index: int) -> np.ndarray:
        if index not in self._grays:
            where = f"line-art frame {index}"
            if len(self._grays) >= 4:
                self._grays.pop(next(iter(self._grays)))
            self._grays[index] = self.processor.lineart(self.source.read(index), where)
        return self._grays[index]

    def _stretch_gray(self, index: int) -> np.ndarray:
        """The gray line art of a frame between two keyframes (not kept: a stretch reads each frame once)."""
        return self.processor.lineart(self.source.read(index), f"line-art frame {index}")

    def _key_pair(self, index: int) -> RefPair:
        """The keyframe at source ``index``: (its line art, its colour at the line art's size)."""
        if index not in self._keys:
            key = self.keyframes[index]
            try:
                gray = self._gray(index)
            except SourceError as exc:
                raise KeyframeError(f"keyframe at frame {key.frame}: its line-art frame cannot be read ({exc}); "
                                    "put keyframes on frames of the line-art clip") from exc
            rgb = self.processor.colour(read_image(key.path), f"keyframe {key.path}")
            if rgb.shape[:2] != gray.shape:
                msg = (f"keyframe at frame {key.frame} ({key.path.name}) is {rgb.shape[1]}x{rgb.shape[0]} but the "
                       f"line art is {gray.shape[1]}x{gray.shape[0]}: resized to the line art's size")
                if msg not in self.warnings:
                    self.warnings.append(msg)
                    log.warning("%s", msg)
                rgb = self.processor.resize(rgb, *gray.shape)
            self._keys[index] = (gray, rgb)
        return self._keys[index]

    def _output(self, index: int) -> np.ndarray:
        """The coloured frame ``index`` (just computed, or from the cache)."""
        if self._last is not None and self._last[0] == index:
            return self._last[1]
        img = read_png(self.index_path(index))
        return img[..., :3]

    def _drawn_frame(self, index: int) -> int:
        """The frame whose drawing (and colour) frame ``index`` shows: ``index`` itself, or for a held frame the last
        coloured frame before it. Only with ``temporal``."""
        todo = []
        j = index
        while j >= self.chain_start and self.signature(j) not in self._drawn:
            todo.append(j)
            if j in self.keyframes:
                break
            j -= 1
        for j in reversed(todo):
            drawn = j
            if j > self.chain_start and j not in self.keyframes:
                before = self._drawn[self.signature(j - 1)]
                if self.processor.is_held(self._gray(before), self._gray(j)):
                    drawn = before
            self._drawn[self.signature(j)] = drawn
        return self._drawn[self.signature(index)]

    def _colour_of(self, index: int) -> np.ndarray:
        gray = self._gray(index)
        key = self._key_of(index)
        key_gray, key_rgb = self._key_pair(key)
        if index == key:
            return key_rgb if key_rgb.shape[:2] == gray.shape else self.processor.resize(key_rgb, *gray.shape)
        if self.temporal and (drawn := self._drawn_frame(index)) != index:
            return self._output(drawn)
        # the previous reference: the last coloured frame, whose drawing frame index - 1 shows (dropped by the rule
        # when that is the keyframe's own drawing)
        previous = self._drawn_frame(index - 1) if self.temporal and index - 1 >= self.chain_start else None
        prev = self.processor.references(index, self.key_indices, previous)[1]
        refs = [(key_gray, key_rgb)]
        if prev is not None:
            prev_gray = self._gray(prev)
            if not self.processor.is_cut(prev_gray, gray):
                refs.append((prev_gray, self._output(prev)))
            else:
                log.info("shot cut before line-art frame %d: colour restarts from the keyframe", index)
        return self.processor.colorize(gray, refs)
