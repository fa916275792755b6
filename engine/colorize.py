"""The Colorizer: line-art frames plus coloured keyframes in, coloured frames out, in order.

Each frame is coloured by the network from references, pairs of (line art, colour): the nearest keyframe (its own
line-art frame and its colour) and the previous coloured output (the line art and colour of the last frame that was
not a held one, normally i-1), so colour follows the drawing from frame to frame. A shot cut detected on the line
art (:func:`engine.lineart.is_shot_cut`) drops the previous output for that frame: the chain restarts from the
keyframe alone. A keyframe's own index outputs the keyframe's colour unchanged, and a frame that holds the previous
frame's drawing (animation on twos or threes; :func:`engine.lineart.is_held_drawing`) repeats the previous output
exactly. A hold is judged against the drawing that colour was made for, not the frame just before, so many small
steps (a slow drift) add up to a change. A model whose card asks for reference alignment (``reference_alignment:
"dis"``) gets every reference warped into the frame's geometry by optical flow between the line arts first
(:mod:`engine.reference_alignment`).

Two-sided colouring (``two_sided=True``): a frame between two keyframes A < B is coloured by two chains, one
forward from A (A and the previous output as references) and one backward from B (B and the next output), and shows a
per-pixel blend that trusts each side by its distance in time, by how well the flow tracked each pixel from that
keyframe and by how much of the frame that keyframe shows (:mod:`engine.two_sided`). The frames up to B are read
ahead onto disk first. Before the first keyframe and after the last the chain is one-sided as above; a shot cut
between A and B gives the frames before it to A's chain and the frames after it to B's.

Large frames: the network's global matching is quadratic in the number of positions, so frames whose longer side
exceeds ``max_side`` (the model card's, or the caller's) are coloured at that capped size and brought back to full
size: the colour is upsampled with the (blurry) low-resolution lines filled in from the surrounding colour, then
multiplied by the full-resolution line art, so the lines stay as sharp as drawn. No tiles: every position still
sees every reference position.
"""

from __future__ import annotations

import itertools
import logging
import os
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from .colour_chain import chain_start, nearest_keyframe
from .errors import InputError, SettingsError
from .frame_range import FrameRange
from .frames import from_network, resize_image, to_network, to_rgb8, unit_to_uint8
from .lineart import DEFAULT_CUT_THRESHOLD, DEFAULT_HOLD_TOLERANCE, is_held_drawing, is_shot_cut, to_lineart_gray
from .models import ModelCard, resolve_model
from .reference_alignment import align_reference, align_reference_coarse_and_fine
from .runtime import DEVICES, ModelSession, check_precision, get_session
from .sequence import FrameSequence
from .tiling import pad_to_multiple
from .two_sided import ChainTrust, blend, cut_off, follow, start_trust

__all__ = ["Reference", "Colorizer"]

log = logging.getLogger(__name__)

#: called after each frame with (frames done, total frames)
ProgressFn = Callable[[int, int], None]

#: Gaussian sigma (low-resolution pixels) of the colour fill under the lines before upsampling
_FILL_SIGMA = 1.5


@dataclass(frozen=True, eq=False)
class Reference:
    """One reference frame: its line art and its colour (same height and width).

    Attributes:
        lineart: ``(H, W)`` or ``(H, W, 3)`` uint8 (any frame :func:`engine.frames.to_rgb8` accepts), dark lines on
            white.
        color: ``(H, W, 3)`` uint8 RGB.
    """

    lineart: np.ndarray
    color: np.ndarray


@dataclass(frozen=True)
class _Ref:
    """A validated reference: gray line art ``(H, W)`` and RGB colour ``(H, W, 3)``, both uint8, same size."""

    gray: np.ndarray
    rgb: np.ndarray


def _sketch_to_network(gray: np.ndarray) -> np.ndarray:
    """``(H, W)`` uint8 -> ``(1, H, W)`` float32 in [-1, 1], paper = +1."""
    x = gray.astype(np.float32)[None]
    x *= 2.0 / 255.0
    x -= 1.0
    return x


def _pad_stack(x: np.ndarray, multiple: int) -> np.ndarray:
    """Reflection-pad ``(N, C, H, W)`` at the bottom/right to multiples of ``multiple``."""
    n, c, h, w = x.shape
    padded, _ = pad_to_multiple(x.reshape(n * c, h, w), multiple)
    return padded.reshape(n, c, padded.shape[1], padded.shape[2])


class Colorizer:
    """Colour line-art frames from coloured keyframes with an ONNX model (task ``colorize``).

    Args:
        model: model name (e.g. ``"lcmftn"``), path to an ``.onnx`` file, or ``None`` for the default model.
        device: ``"auto"`` (GPU when available), ``"cpu"`` or ``"gpu"``.
        max_side: longest side fed to the network; larger frames are coloured at this size and brought back to full
            size (see module docstring). ``None``: the model card's ``max_side``; ``0``: no limit.
        cut_threshold: ink correlation below which two consecutive line-art frames are a shot cut.
        reuse_holds: a frame that holds the previous frame's drawing (:func:`engine.lineart.is_held_drawing`)
            repeats the previous output exactly instead of being coloured again: no flicker on held drawings, and
            animation on twos costs half the network runs.
        hold_tolerance: largest 3 x 3 blurred difference (0-255) between two line arts of one held drawing; raise
            it for compressed input (:data:`engine.lineart.VIDEO_HOLD_TOLERANCE` for H.264 video).
        extra_model_dirs: more folders to search for models.
        two_sided: colour the frames between two keyframes from both (module docstring): about twice the network
            runs there, and the frames up to the next keyframe are read ahead onto disk (the system's temporary
            folder) before the first of them is yielded.
        fine_alignment: for a model that aligns its references (card ``reference_alignment: "dis"``), offer the
            first reference (a sequence's keyframe) a second time, aligned by flow on the unblurred line arts where
            that agrees with the blurred one (:data:`engine.reference_alignment.FINE_FLOW_AGREEMENT`): sharper
            colour where the motion is small,
            at the cost of one more reference per network pass (about 1.5x the time per frame with ``lcmftn``).
        precision: ``"auto"`` (the model card's int8 copy on the CPU when its quality held and it was measured
            faster, fp16 on a GPU where the card allows it, else fp32), ``"fp32"`` (always full precision) or
            ``"int8"`` (the int8 copy on the CPU, or a ModelError); :attr:`precision` says which ran.

    Raises:
        ModelError: model not found, corrupt, or made for another task.
        SettingsError: an option out of range.
    """

    def __init__(self, model: str | os.PathLike[str] | None = None, *, device: str = "auto",
                 max_side: int | None = None, cut_threshold: float = DEFAULT_CUT_THRESHOLD, reuse_holds: bool = True,
                 hold_tolerance: float = DEFAULT_HOLD_TOLERANCE,
                 extra_model_dirs: Sequence[str | os.PathLike[str]] = (),
                 precision: str = "auto", two_sided: bool = False, fine_alignment: bool = True) -> None:
        if device not in DEVICES:
            raise SettingsError(f"unknown device {device!r}; use one of {', '.join(DEVICES)}")
        check_precision(precision)
        if not -1.0 <= cut_threshold <= 1.0:
            raise SettingsError(f"cut threshold must be in [-1, 1], got {cut_threshold}")
        if not 0.0 <= hold_tolerance <= 255.0:
            raise SettingsError(f"hold tolerance must be in [0, 255] (levels of difference), got {hold_tolerance}")
        self.card: ModelCard = resolve_model(model, "colorize", extra_model_dirs)
        if max_side is None:
            max_side = self.card.max_side
        elif max_side < 0:
            raise SettingsError(f"max side must be >= 0 (0: no limit), got {max_side}")
        elif max_side != 0 and max_side < self.card.size_multiple:
            raise SettingsError(f"max side {max_side} is too small for model '{self.card.name}'; use at least "
                                f"{self.card.size_multiple}, or 0 for no limit")
        self.max_side = int(max_side)
        self.cut_threshold = float(cut_threshold)
        self.reuse_holds = reuse_holds
        self.hold_tolerance = float(hold_tolerance)
        self.two_sided = two_sided
        self.fine_alignment = fine_alignment
        self.device = device
        self._session: ModelSession = get_session(self.card, device, precision=precision)
        #: shot cuts found by the last :meth:`colorize` run
        self.cuts: list[int] = []
        #: frames of the last :meth:`colorize` run that repeated the previous output (held drawings)
        self.holds: list[int] = []

    @property
    def providers(self) -> list[str]:
        """The onnxruntime providers in use (e.g. ``["CPUExecutionProvider"]``)."""
        return list(self._session.providers)

    @property
    def precision(self) -> str:
        """The precision the network runs in: ``"int8"``, ``"fp16"`` or ``"fp32"``."""
        return self._session.precision

    def network_size(self, height: int, width: int) -> tuple[int, int]:
        """The ``(height, width)`` a frame of this size is coloured at (before padding to the size multiple)."""
        longest = max(height, width)
        if not self.max_side or longest <= self.max_side:
            return height, width
        scale = self.max_side / longest
        return max(1, round(height * scale)), max(1, round(width * scale))

    # ------------------------------------------------------------------------------------------------ one frame

    def colorize_frame(self, lineart: np.ndarray, references: Sequence[Reference]) -> np.ndarray:
        """Colour one line-art frame from ``references``; returns uint8 RGB ``(H, W, 3)`` of the line art's size.

        References of another size are resized to the line art's (logged). Stateless.

        Raises:
            InputError: no reference, a frame that is not an image, or colour frames passed as line art.
        """
        gray = to_lineart_gray(lineart, source="line art")
        if not references:
            raise InputError("no reference: colouring a frame needs at least one reference (line art + colour)")
        refs = [self._reference(r.lineart, r.color, f"reference {j}", gray.shape) for j, r in enumerate(references)]
        return self._colorize_gray(gray, refs)

    def _reference(self, lineart: object, color: object, name: str, size: tuple[int, int]) -> _Ref:
        gray = to_lineart_gray(lineart, source=f"{name} line art")
        rgb = to_rgb8(color, source=f"{name} colour").rgb
        if rgb.shape[:2] != gray.shape:
            raise InputError(f"{name}: its colour is {rgb.shape[1]}x{rgb.shape[0]} but its line art is "
                             f"{gray.shape[1]}x{gray.shape[0]}; a reference's line art and colour must match")
        if gray.shape != size:
            log.warning("%s is %dx%d, the line art is %dx%d: resized to match", name, gray.shape[1], gray.shape[0],
                        size[1], size[0])
            gray, rgb = resize_image(gray, *size), resize_image(rgb, *size)
        return _Ref(gray, rgb)

    def _colorize_gray(self, gray: np.ndarray, refs: Sequence[_Ref]) -> np.ndarray:
        """Network pass on validated inputs (all ``(H, W)``): uint8 RGB ``(H, W, 3)``."""
        h, w = gray.shape
        nh, nw = self.network_size(h, w)
        m = self.card.size_multiple
        sketch_small = resize_image(gray, nh, nw)
        small_refs = [(resize_image(r.gray, nh, nw), resize_image(r.rgb, nh, nw)) for r in refs]
        if self.card.reference_alignment == "dis":
            if self.fine_alignment:
                first, fine = align_reference_coarse_and_fine(sketch_small, *small_refs[0])
                others = [align_reference(sketch_small, ref_gray, ref_rgb) for ref_gray, ref_rgb in small_refs[1:]]
                small_refs = [first, *others, fine]
            else:
                small_refs = [align_reference(sketch_small, ref_gray, ref_rgb) for ref_gray, ref_rgb in small_refs]
        sketch = _pad_stack(_sketch_to_network(sketch_small)[None], m)
        ref_sketch = _pad_stack(np.stack([_sketch_to_network(ref_gray) for ref_gray, _ in small_refs]), m)
        ref_color = _pad_stack(np.stack([to_network(ref_rgb) for _, ref_rgb in small_refs]), m)
        out = self._session.run_inputs({"sketch": sketch, "reference_sketch": ref_sketch,
                                        "reference_color": ref_color})
        colour = from_network(out[0, :, :nh, :nw])
        if (nh, nw) != (h, w):
            colour = _restore_full_size(colour, sketch_small, gray)
        return unit_to_uint8(colour)

    # ------------------------------------------------------------------------------------------------ sequences

    def colorize(self, lineart: Sequence[np.ndarray], keyframes: Mapping[int, np.ndarray], *,
                 progress: ProgressFn | None = None, frame_range: FrameRange | None = None) -> Iterator[np.ndarray]:
        """Colour a line-art sequence from coloured keyframes; yields one uint8 RGB frame per line-art frame (of
        ``frame_range`` when given).

        Args:
            lineart: the line-art frames: anything with ``len()``, indexing (only the keyframes' indices are read
                by index, in increasing order) and iteration in frame order, e.g. a list of arrays or an
                :class:`engine.sequence.FrameSequence` over a video or an image folder (memory stays bounded).
            keyframes: frame index -> coloured frame (uint8 RGB) for that index's line art. Keyframes of another
                size than their line art are resized (logged).
            progress: called after each frame with (frames done, total).
            frame_range: colour only these frames. The chain is run (not yielded) from the last keyframe at or
                before the range's first frame (from frame 0 when there is none), where a whole run's colour
                chain restarts too, so the frames are exactly those of a whole run.

        The inputs are checked (and the keyframes' line art read) before this returns, so bad keyframes raise
        here, before any output is written.

        Raises:
            InputError: no keyframe, a keyframe index outside the sequence, unreadable frames, colour frames
                passed as line art (each naming the frame).
        """
        source = str(getattr(lineart, "path", "line art"))
        if not keyframes:
            raise InputError(f"{source}: no keyframe; colouring line art needs at least one coloured keyframe "
                             "(frame index -> image, e.g. --key 0=key0.png)")
        total = len(lineart)
        for k in keyframes:
            if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 0 <= k < total:
                raise InputError(f"{source}: keyframe {k!r} is outside the line-art sequence (frames 0-{total - 1}); "
                                 "keyframe indices count line-art frames from 0")
        keys: dict[int, _Ref] = {}
        for k in sorted(int(k) for k in keyframes):
            try:
                line = lineart[k]
            except IndexError as exc:
                raise InputError(f"{source}: keyframe {k} is outside the line-art sequence ({exc})") from exc
            gray = to_lineart_gray(line, k, source)
            rgb = to_rgb8(keyframes[k], k, f"keyframe {k} colour").rgb
            if rgb.shape[:2] != gray.shape:
                log.warning("keyframe %d is %dx%d but its line art is %dx%d: resized to the line art's size", k,
                            rgb.shape[1], rgb.shape[0], gray.shape[1], gray.shape[0])
                rgb = resize_image(rgb, *gray.shape)
            keys[k] = _Ref(gray, rgb)
        self.cuts, self.holds = [], []
        wanted = FrameRange(0) if frame_range is None else frame_range
        stop = wanted.stop(total)
        return self._stream(lineart, keys, wanted, stop - wanted.first, source, progress)

    def _stream(self, lineart: Sequence[np.ndarray], keys: Mapping[int, _Ref], wanted: FrameRange, total: int,
                source: str, progress: ProgressFn | None) -> Iterator[np.ndarray]:
        order = sorted(keys)
        start = chain_start(wanted.first, order)
        frames = enumerate(_frames_from(lineart, start), start=start)
        # The last coloured frame: its index, and its line art with the colour made for that line art. Held frames
        # repeat its colour and leave it in place.
        previous: tuple[int, _Ref] | None = None
        pending: tuple[int, np.ndarray] | None = None
        done = 0
        while True:
            item = pending if pending is not None else next(frames, None)
            pending = None
            if item is None or (wanted.last is not None and item[0] > wanted.last):
                break
            i, frame = item
            gray = to_lineart_gray(frame, i, source)
            if i in keys:
                out = keys[i].rgb if keys[i].rgb.shape[:2] == gray.shape else resize_image(keys[i].rgb, *gray.shape)
                held = False
            else:
                nearest = nearest_keyframe(i, order)
                out, held, _ = self._chain_colour(i, gray, nearest, keys[nearest], previous, record=i in wanted)
            if not held:
                previous = (i, _Ref(gray, out))
            if i >= wanted.first:
                done += 1
                if progress is not None:
                    progress(done, max(total, done))
                yield out
            following = next((k for k in order if k > i), None) if self.two_sided and i in keys else None
            if following is not None and (wanted.last is None or wanted.last > i):
                # Frames up to the next keyframe are read ahead onto disk and coloured from both keyframes.
                with tempfile.TemporaryDirectory(prefix="toonflow-two-sided-") as folder:
                    spill = _Spill(Path(folder))
                    for j, frame_j in frames:
                        if j == following:
                            pending = (j, frame_j)
                            break
                        spill.save_line(j, to_lineart_gray(frame_j, j, source))
                    for j, out in self._between(i, following, keys, spill, wanted):
                        done += 1
                        if progress is not None:
                            progress(done, max(total, done))
                        yield out
                        if wanted.last is not None and j >= wanted.last:
                            return
                previous = None

    def _chain_colour(self, index: int, gray: np.ndarray, key_index: int, key: _Ref,
                      previous: tuple[int, _Ref] | None, *, record: bool) -> tuple[np.ndarray, bool, bool]:
        """One step of a colour chain: (colour, held, cut) of line-art frame ``index`` (gray ``(H, W)``) from keyframe
        ``key_index`` and the chain's last coloured frame ``previous`` (index and reference; None at its start).

        A shot cut since ``previous`` drops it (the chain restarts from the keyframe); a frame holding ``previous``'s
        drawing repeats its colour (with ``reuse_holds``). ``record``: note cuts and holds in :attr:`cuts` and
        :attr:`holds`.
        """
        cut = previous is not None and is_shot_cut(previous[1].gray, gray, self.cut_threshold)
        if cut and record:
            log.info("shot cut before frame %d; colour chain restarts from the keyframe", index)
            self.cuts.append(index)
        if self.reuse_holds and previous is not None and is_held_drawing(previous[1].gray, gray, self.hold_tolerance):
            if record:
                self.holds.append(index)
            return previous[1].rgb, True, cut
        if key.gray.shape != gray.shape:
            key = _Ref(resize_image(key.gray, *gray.shape), resize_image(key.rgb, *gray.shape))
        refs = [key]
        if previous is not None and not cut and previous[0] != key_index:
            refs.append(previous[1])
        return self._colorize_gray(gray, refs), False, cut

    def _between(self, first: int, last: int, keys: Mapping[int, _Ref], spill: _Spill,
                 wanted: FrameRange) -> Iterator[tuple[int, np.ndarray]]:
        """(index, colour) of the frames strictly between keyframes ``first`` and ``last`` that ``wanted`` holds,
        in order: a backward chain from ``last`` is run and spilled first, then a forward chain from ``first``,
        each frame blended per pixel (:mod:`engine.two_sided`)."""
        if last - first < 2:
            return
        size = self.network_size(*keys[first].gray.shape)
        for key_index, indices, store in ((last, range(last - 1, first, -1), True),
                                          (first, range(first + 1, last), False)):
            previous = (key_index, keys[key_index])
            # the trust is followed at the network's size: the previous coloured frame's line art there
            previous_small = resize_image(keys[key_index].gray, *size)
            trust = start_trust(size)
            shown: np.ndarray | None = None
            for j in indices:
                gray = spill.line(j)
                record = not store and j in wanted
                out, held, cut = self._chain_colour(j, gray, key_index, keys[key_index], previous, record=record)
                if cut:
                    trust = cut_off(trust)
                if not held:
                    gray_small = resize_image(gray, *size)
                    if not cut:
                        trust = follow(trust, previous_small, gray_small)
                    previous, previous_small = (j, _Ref(gray, out)), gray_small
                if store:
                    spill.save_colour(j, out, trust)
                    continue
                if held:
                    # a held drawing shows exactly what the frame it holds showed
                    shown = out if shown is None else shown
                else:
                    backward, backward_trust = spill.colour(j)
                    shown = blend(out, backward, trust, backward_trust, (j - first) / (last - first), gray_small)
                if j >= wanted.first:
                    yield j, shown


class _Spill:
    """Line art, colour and trust of the frames between two keyframes, one file each in ``folder`` (two-sided
    colouring reads ahead to the next keyframe without holding the frames in memory)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def save_line(self, index: int, gray: np.ndarray) -> None:
        np.save(self.folder / f"line_{index}.npy", gray)

    def line(self, index: int) -> np.ndarray:
        return np.load(self.folder / f"line_{index}.npy")

    def save_colour(self, index: int, rgb: np.ndarray, trust: ChainTrust) -> None:
        np.savez(self.folder / f"colour_{index}.npz", rgb=rgb, reliability=trust.reliability,
                 to_keyframe=trust.to_keyframe, change=trust.change, cut=trust.cut)

    def colour(self, index: int) -> tuple[np.ndarray, ChainTrust]:
        with np.load(self.folder / f"colour_{index}.npz") as saved:
            trust = ChainTrust(saved["reliability"], saved["to_keyframe"], saved["change"], bool(saved["cut"]))
            return saved["rgb"], trust


def _frames_from(lineart: Sequence[np.ndarray], start: int) -> Iterator[np.ndarray]:
    """The frames of ``lineart`` from index ``start`` on, in order (a file sequence skips the earlier ones unread)."""
    if isinstance(lineart, FrameSequence):
        return lineart.frames_from(start)
    return itertools.islice(iter(lineart), start, None)


def _restore_full_size(colour: np.ndarray, sketch_small: np.ndarray, sketch_full: np.ndarray) -> np.ndarray:
    """Bring colour made at low resolution back to the full line art's size with sharp lines.

    ``colour``: float32 ``(h, w, 3)`` in [0, 1]; ``sketch_small``: its uint8 gray line art ``(h, w)``;
    ``sketch_full``: uint8 gray ``(H, W)``. Line pixels of the low-resolution colour are refilled from nearby
    paper pixels (normalised Gaussian average), the result is upsampled, then multiplied by the full-resolution
    line art (paper = 1 keeps the colour, ink darkens it).
    """
    paper = (sketch_small.astype(np.float32) / 255.0) ** 4
    blurred_weight = cv2.GaussianBlur(paper, (0, 0), _FILL_SIGMA)
    blurred_colour = cv2.GaussianBlur(colour * paper[..., None], (0, 0), _FILL_SIGMA)
    fill = blurred_colour / np.maximum(blurred_weight, 1e-3)[..., None]
    flat = colour * paper[..., None] + np.clip(fill, 0.0, 1.0) * (1.0 - paper[..., None])
    h, w = sketch_full.shape
    up = cv2.resize(flat, (w, h), interpolation=cv2.INTER_LINEAR)
    return np.clip(up * (sketch_full.astype(np.float32) / 255.0)[..., None], 0.0, 1.0)
