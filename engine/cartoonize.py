"""The Cartoonizer: frames in, cartoon frames out, in order."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Iterator, Sequence

import numpy as np

from .errors import SettingsError
from .frames import attach_alpha, from_network, to_network, to_rgb8, unit_to_uint8
from .guided_filter import guided_filter
from .ink_lines import draw_ink_lines
from .memory_budget import network_bytes_per_pixel, tile_for_budget
from .models import ModelCard, resolve_model
from .region_flatten import flatten_regions
from .runtime import DEVICES, ModelSession, check_precision, get_session
from .temporal import TemporalStabilizer
from .tiling import run_padded, run_tiled
from .tone_steps import tone_steps_and_lightness

__all__ = ["Cartoonizer"]

log = logging.getLogger(__name__)


class Cartoonizer:
    """Cartoonize frames with an ONNX model.

    Frames go in as numpy arrays (uint8/uint16/float, gray/RGB/RGBA, any size; see :mod:`engine.frames`) and come
    out as uint8 RGB of the same height and width (RGBA when the input had alpha, alpha unchanged). Feed the frames
    of one clip in order: the optional temporal stabiliser keeps state between calls; call :meth:`reset` between
    clips.

    Args:
        model: model name (e.g. ``"cel"``), path to an ``.onnx`` file, or ``None`` for the default model.
        device: ``"auto"`` (GPU when available), ``"cpu"`` or ``"gpu"``.
        tile_size: frames with a side larger than this are processed in overlapping tiles (0 disables tiling).
        strength: 1 = full cartoon, 0 = the source frame; values between blend linearly.
        temporal: enable the inference-time temporal stabiliser.
        temporal_strength: blend strength of the stabiliser, in [0, 1].
        extra_model_dirs: more folders to search for models.
        max_memory_mb: keep a frame's estimated peak memory under this many MB by processing it in smaller tiles
            (:meth:`tile_for`); ``None``: tiles of ``tile_size``.
        precision: ``"auto"`` (the model card's int8 copy on the CPU when its quality held and it was measured
            faster, fp16 on a GPU where the card allows it, else fp32), ``"fp32"`` (always full precision) or
            ``"int8"`` (the int8 copy on the CPU, or a ModelError); :attr:`precision` says which ran.

    Raises:
        ModelError: model not found, corrupt, or made for another task.
        SettingsError: an option out of range.
    """

    def __init__(self, model: str | os.PathLike[str] | None = None, *, device: str = "auto",
                 tile_size: int = 1024, strength: float = 1.0, temporal: bool = False,
                 temporal_strength: float = 0.6, extra_model_dirs: Sequence[str | os.PathLike[str]] = (),
                 precision: str = "auto", max_memory_mb: int | None = None) -> None:
        if device not in DEVICES:
            raise SettingsError(f"unknown device {device!r}; use one of {', '.join(DEVICES)}")
        check_precision(precision)
        if not 0.0 <= strength <= 1.0:
            raise SettingsError(f"strength must be in [0, 1], got {strength}")
        if tile_size < 0:
            raise SettingsError(f"tile size must be >= 0 (0 disables tiling), got {tile_size}")
        self.card: ModelCard = resolve_model(model, "cartoonize", extra_model_dirs)
        if tile_size and self.card.supports_tiling:
            m = self.card.size_multiple
            minimum = self.min_tile
            if tile_size < minimum:
                raise SettingsError(f"tile size {tile_size} is too small for model '{self.card.name}' "
                                    f"(overlap {self.card.tile_overlap}); use at least {minimum}, or 0 to disable "
                                    "tiling")
            tile_size = -(-tile_size // m) * m  # round up to the size multiple
        elif tile_size and not self.card.supports_tiling:
            log.info("model %s does not support tiling; frames are processed whole", self.card.name)
            tile_size = 0
        self.device = device
        self.tile_size = tile_size
        self.strength = float(strength)
        self.stabilizer: TemporalStabilizer | None = (
            TemporalStabilizer(temporal_strength) if temporal else None)
        if not temporal and not 0.0 <= temporal_strength <= 1.0:
            raise SettingsError(f"temporal strength must be in [0, 1], got {temporal_strength}")
        self._session: ModelSession = get_session(self.card, device, precision=precision)
        self.frame_index = 0
        if max_memory_mb is not None and max_memory_mb <= 0:
            raise SettingsError(f"max memory must be a positive number of MB, got {max_memory_mb}")
        self.max_memory_mb = max_memory_mb
        self._budget_tiles: dict[tuple[int, int], int] = {}

    @property
    def min_tile(self) -> int:
        """The smallest tile side this model can be tiled with: its overlap on both sides plus one size step."""
        return 2 * self.card.tile_overlap + self.card.size_multiple + 1

    @property
    def providers(self) -> list[str]:
        """The onnxruntime providers in use (e.g. ``["CPUExecutionProvider"]``)."""
        return list(self._session.providers)

    @property
    def precision(self) -> str:
        """The precision the network runs in: ``"int8"``, ``"fp16"`` or ``"fp32"``."""
        return self._session.precision

    def warmup_frames(self, first: int) -> int:
        """How many frames before frame ``first`` of a clip to run (and not write) so that frames from ``first`` on
        agree with a whole run's within one level (:meth:`TemporalStabilizer.warmup_frames`); 0 without the
        stabiliser, all of them when its reach never decays."""
        if self.stabilizer is None:
            return 0
        reach = self.stabilizer.warmup_frames()
        return first if reach is None else min(first, reach)

    def reset(self, first_index: int = 0) -> None:
        """Start a new clip (or a part of one that starts at frame ``first_index``, for error messages): clears the
        temporal state."""
        if self.stabilizer is not None:
            self.stabilizer.reset()
        self.frame_index = first_index

    def _net(self, batch: np.ndarray) -> np.ndarray:
        return self._session.run(batch)

    def tile_for(self, height: int, width: int) -> int:
        """The tile side used for frames of this size (0: whole frames): ``tile_size``, made smaller when the
        memory budget asks for it (:mod:`engine.memory_budget`)."""
        if self.max_memory_mb is None or not self.card.supports_tiling:
            return self.tile_size
        if (height, width) not in self._budget_tiles:
            side = tile_for_budget(self.max_memory_mb * 2**20, width, height,
                                   network_per_pixel=network_bytes_per_pixel(self.card.onnx_path),
                                   temporal=self.stabilizer is not None, multiple=self.card.size_multiple,
                                   minimum=self.min_tile)
            tile = min(side, self.tile_size) if self.tile_size else side
            log.info("%dx%d frames in tiles of at most %d px to stay within %d MB", width, height, tile,
                     self.max_memory_mb)
            self._budget_tiles[height, width] = tile
        return self._budget_tiles[height, width]

    def network_rgb(self, rgb: np.ndarray) -> np.ndarray:
        """The network's output for one uint8 RGB frame, before :meth:`post_filters`: float32 ``(H, W, 3)`` in [0, 1].
        Tiled where the frame is large; guided-filtered by the frame where the card asks (White-box models are
        trained with that filter in the loop, so it belongs to the network's output). Stateless."""
        x = to_network(rgb)
        tile = self.tile_for(*rgb.shape[:2])
        if tile and (rgb.shape[0] > tile or rgb.shape[1] > tile):
            y = run_tiled(x, self._net, multiple=self.card.size_multiple, tile=tile,
                          overlap=self.card.tile_overlap)
        else:
            y = run_padded(x, self._net, self.card.size_multiple)
        if self.card.guided_filter is not None:
            gf = self.card.guided_filter
            y = guided_filter(x.transpose(1, 2, 0), y.transpose(1, 2, 0), gf.radius, gf.eps).transpose(2, 0, 1)
        return from_network(y)

    def post_filters(self, cartoon: np.ndarray) -> np.ndarray:
        """The card's post-filters on a :meth:`network_rgb` output, on the whole frame (after the tiles are joined):
        the region flattening (:mod:`engine.region_flatten`), then, for a model that leaves them to the engine, the
        tone steps (:mod:`engine.tone_steps`) and the ink lines (:mod:`engine.ink_lines`), the lines found on the
        lightness before the tone steps as the teacher finds them; the output itself when the card names none."""
        card = self.card
        if card.region_flatten is not None:
            cartoon = flatten_regions(cartoon, card.region_flatten.sigma_spatial, card.region_flatten.sigma_color)
        lightness = None
        if card.tone_steps is not None:
            cartoon, lightness = tone_steps_and_lightness(cartoon, card.tone_steps)
        if card.ink_lines is not None:
            cartoon = draw_ink_lines(cartoon, card.ink_lines, lightness=lightness)
        return cartoon

    def cartoonize_rgb(self, rgb: np.ndarray) -> np.ndarray:
        """The network and the card's post-filters on one uint8 RGB frame: float32 ``(H, W, 3)`` in [0, 1].
        Stateless."""
        return self.post_filters(self.network_rgb(rgb))

    def process(self, frame: np.ndarray) -> np.ndarray:
        """Cartoonize the next frame of the clip; returns uint8 RGB (RGBA if the input had alpha), same H x W."""
        split = to_rgb8(frame, self.frame_index)
        out8 = unit_to_uint8(self.cartoonize_rgb(split.rgb))
        if self.stabilizer is not None:
            out8 = self.stabilizer(split.rgb, out8)
        if self.strength < 1.0:
            blend = out8.astype(np.float32) * self.strength + split.rgb.astype(np.float32) * (1.0 - self.strength)
            out8 = np.clip(np.rint(blend), 0, 255).astype(np.uint8)
        self.frame_index += 1
        return attach_alpha(out8, split.alpha)

    def stream(self, frames: Iterable[np.ndarray]) -> Iterator[np.ndarray]:
        """Cartoonize ``frames`` lazily, in order (one output per input)."""
        for frame in frames:
            yield self.process(frame)
