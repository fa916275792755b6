# SPDX-License-Identifier: GPL-3.0-or-later
"""The one place that imports the engine (lazily: onnxruntime, OpenCV and PyAV load on first use).

Inside Blender the engine is the sibling package ``<extension>.engine``; it is imported relatively.
"""

from __future__ import annotations

import dataclasses
import logging
import os
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .cache import ClipCache
from .colorize_runner import ColorizeRunner, RefPair
from .keyframes import Keyframe, KeyframeError, keyframes_identity
from .keys import ProcessSettings, clip_key
from .model_choices import model_choices as _model_choices
from .runner import ClipRunner
from .sources import FrameSource, MovieSource

__all__ = ["engine_module", "engine_errors", "resolve_model", "model_hash", "make_processor", "open_clip",
           "open_colorize_clip", "ColorizeEngineAdapter", "list_models", "model_line", "model_choices", "device_note",
           "ran_on"]

log = logging.getLogger(__name__)
_device_noted: set[str] = set()


def engine_module() -> Any:
    from .. import engine

    return engine


def engine_errors() -> tuple[type[BaseException], ...]:
    """Exception types that mean 'bad input / model / settings' (reported, not crashed on)."""
    from ..engine.errors import ToonflowError

    from .errors import AddonError

    return (ToonflowError, AddonError, OSError, ValueError)


class ColorizeEngineAdapter:
    """The engine's Colorizer behind :class:`colorize_runner.ColorizeEngine`; the model loads on first use."""

    def __init__(self, settings: ProcessSettings, model_dirs: tuple[str, ...], device: str, *,
                 movie: bool = False) -> None:
        self._settings, self._model_dirs, self._device = settings, model_dirs, device
        self._movie = movie  # line art decoded from a movie: the engine's looser hold tolerance for video
        self._colorizer: Any = None

    @property
    def ran_on(self) -> str:
        """:func:`ran_on` of the Colorizer; empty until a frame was coloured."""
        return ran_on(self._colorizer) if self._colorizer is not None else ""

    def _get(self) -> Any:
        if self._colorizer is None:
            device_note(self._device)
            self._colorizer = engine_module().Colorizer(self._settings.model or None, device=self._device,
                                                        extra_model_dirs=self._model_dirs,
                                                        hold_tolerance=self.hold_tolerance,
                                                        two_sided=self._settings.two_sided)
            log.info("Toonflow: %s", ran_on(self._colorizer))
        return self._colorizer

    def lineart(self, frame: np.ndarray, where: str) -> np.ndarray:
        from ..engine.lineart import to_lineart_gray

        return to_lineart_gray(frame, source=where)

    def colour(self, frame: np.ndarray, where: str) -> np.ndarray:
        from ..engine.frames import to_rgb8

        return to_rgb8(frame, source=where).rgb

    def resize(self, img: np.ndarray, height: int, width: int) -> np.ndarray:
        from ..engine.colorize import resize_image

        return resize_image(img, height, width)

    def colorize(self, gray: np.ndarray, references: list[RefPair]) -> np.ndarray:
        engine = engine_module()
        return self._get().colorize_frame(gray, [engine.Reference(g, c) for g, c in references])

    def colorize_between(self, lines: list[np.ndarray], first: np.ndarray, last: np.ndarray) -> list[np.ndarray]:
        return list(self._get().colorize(lines, {0: first, len(lines) - 1: last}))[1:-1]

    def is_cut(self, previous: np.ndarray, current: np.ndarray) -> bool:
        from ..engine.lineart import is_shot_cut

        return is_shot_cut(previous, current, self._get().cut_threshold)

    @property
    def hold_tolerance(self) -> float:
        """The engine's hold tolerance for this line art (looser for a movie's coding noise)."""
        from ..engine.lineart import hold_tolerance_for

        return hold_tolerance_for(video=self._movie)

    def is_held(self, previous: np.ndarray, current: np.ndarray) -> bool:
        from ..engine.lineart import is_held_drawing

        return is_held_drawing(previous, current, self.hold_tolerance)

    def references(self, index: int, key_indices: Sequence[int], previous: int | None) -> tuple[int, int | None]:
        from ..engine.colour_chain import references

        return references(index, key_indices, previous)


def resolve_model(settings: ProcessSettings, model_dirs: tuple[str, ...]) -> Any:
    from ..engine.models import resolve_model as _resolve

    return _resolve(settings.model or None, settings.task, model_dirs)


def model_hash(card: Any) -> str:
    """The model's SHA-256 as its card records it (resolving a model checks the file against it), and its int8
    copy's when the engine would run that on a CPU (its colours differ slightly: a cache made with one is not
    the other's)."""
    int8 = card.int8
    return f"{card.sha256}+{int8.sha256}" if int8 is not None and int8.preferred_on_cpu else card.sha256


def device_note(device: str) -> str:
    """When the GPU was asked for (or auto) but is not usable: the message naming what is missing.

    Logged once as a warning (stderr) for ``gpu``, and for ``auto`` when an NVIDIA driver is present but the CUDA
    libraries are not (a GPU machine that is one install away from working); silent for ``auto`` elsewhere.
    """
    if device == "cpu":
        return ""
    from .gpu import DRIVER_LIBRARIES, gpu_report

    report = gpu_report()
    if report.usable:
        return ""
    msg = report.message()
    driver_present = report.has_cuda_provider and not any(lib in DRIVER_LIBRARIES for lib, _ in report.missing)
    if (device == "gpu" or driver_present) and msg not in _device_noted:
        _device_noted.add(msg)
        log.warning("Toonflow: %s", msg)
    return msg


def ran_on(engine_obj: Any) -> str:
    """What the user is told ran: ``"cel on CPU in int8"`` (model, device, precision)."""
    where = ", ".join(p.replace("ExecutionProvider", "") for p in engine_obj.providers[:1])
    return f"{engine_obj.card.name} on {where} in {engine_obj.precision}"


class LazyProcessor:
    """Creates the engine object only when a frame actually has to be computed (cache hits need no model)."""

    def __init__(self, factory: Callable[[], Any]) -> None:
        self._factory = factory
        self._obj: Any = None

    @property
    def ran_on(self) -> str:
        """:func:`ran_on` of the engine object; empty until a frame was computed."""
        return ran_on(self._obj) if self._obj is not None else ""

    def _get(self) -> Any:
        if self._obj is None:
            self._obj = self._factory()
            log.info("Toonflow: %s", ran_on(self._obj))
        return self._obj

    def process(self, frame: np.ndarray) -> np.ndarray:
        return self._get().process(frame)

    def reset(self) -> None:
        if self._obj is not None:
            self._obj.reset()

    def warmup_frames(self, first: int) -> int:
        return int(self._get().warmup_frames(first))


def make_processor(settings: ProcessSettings, model_dirs: tuple[str, ...], device: str, tile_size: int) -> Any:
    engine = engine_module()
    if settings.task != "cartoonize":
        raise NotImplementedError(f"make_processor builds cartoonizers; task {settings.task!r} runs through "
                                  "open_colorize_clip")
    device_note(device)
    return engine.Cartoonizer(
        settings.model or None, device=device, tile_size=tile_size, strength=settings.strength,
        temporal=settings.temporal, temporal_strength=settings.temporal_strength, extra_model_dirs=model_dirs,
    )


def open_clip(source: FrameSource, settings: ProcessSettings, *, model_dirs: tuple[str, ...], device: str,
              cache_root: os.PathLike[str] | str, index_of: Callable[[int], int], first_frame: int,
              info: dict[str, object] | None = None) -> ClipRunner:
    """A runner for ``source`` with ``settings``: resolves the model (errors early), keys the cache."""
    card = resolve_model(settings, model_dirs)
    settings = dataclasses.replace(settings, model=settings.model or card.name)
    key = clip_key(source.identity, settings, model_hash(card))
    cache = ClipCache(cache_root, settings.task, key)
    if not cache.read_info():
        cache.write_info({"source": source.identity, "settings": settings.as_key_dict(), "model": card.name,
                          "model_path": str(card.onnx_path), **(info or {})})
    proc = LazyProcessor(lambda: make_processor(settings, model_dirs, device, settings.tile_size))
    return ClipRunner(source, cache, proc, index_of, temporal=settings.temporal, first_frame=first_frame)


def open_colorize_clip(source: FrameSource, settings: ProcessSettings, keyframes: list[Keyframe], *,
                       model_dirs: tuple[str, ...], device: str, cache_root: os.PathLike[str] | str,
                       index_of: Callable[[int], int], first_frame: int, owner: str,
                       info: dict[str, object] | None = None) -> ColorizeRunner:
    """A colorize runner: resolves the model (errors early), maps keyframes to source indices, keys the cache.

    ``keyframes`` must be checked already (:func:`keyframes.check_keyframes`).
    """
    card = resolve_model(settings, model_dirs)
    settings = dataclasses.replace(settings, model=settings.model or card.name)
    by_index: dict[int, Keyframe] = {}
    for key in keyframes:
        index = index_of(key.frame)
        if index in by_index:
            raise KeyframeError(f"{owner}: keyframes at frames {by_index[index].frame} and {key.frame} fall on the "
                                f"same line-art frame ({index}); keep one")
        by_index[index] = key
    adapter = ColorizeEngineAdapter(settings, model_dirs, device, movie=isinstance(source, MovieSource))
    # The hold tolerance decides which frames repeat the previous colour, so it is part of the key: caches made
    # before movies got the video tolerance (20, not 12) must not be reused.
    keys_identity = keyframes_identity({i: k.path for i, k in by_index.items()}, _engine_models().file_sha256)
    # Since the engine offers the keyframe twice (fine alignment) its colours differ from older caches': marked too.
    identity = f"{source.identity}|keys:{keys_identity}|holds:{adapter.hold_tolerance}|fine-alignment"
    cache = ClipCache(cache_root, settings.task, clip_key(identity, settings, model_hash(card)))
    if not cache.read_info():
        cache.write_info({"source": source.identity, "settings": settings.as_key_dict(), "model": card.name,
                          "model_path": str(card.onnx_path),
                          "keyframes": {str(k.frame): str(k.path) for k in keyframes}, **(info or {})})
    return ColorizeRunner(source, cache, adapter, by_index, index_of, temporal=settings.temporal,
                          first_frame=first_frame, two_sided=settings.two_sided)


def list_models(model_dirs: tuple[str, ...], task: str | None = None) -> list[Any]:
    from ..engine.models import find_models

    return find_models(model_dirs, task=task)


def model_line(card: Any) -> str:
    """The engine's one-line description of an installed model (name, task, whether default, description)."""
    return _engine_models().model_line(card)


def _engine_models() -> Any:
    from ..engine import models

    return models


def model_choices(model_dirs: tuple[str, ...], task: str) -> list[tuple[str, str]]:
    """The Model fields' search suggestions: ``(name, description)`` of the ``task`` models; never raises."""
    return _model_choices(model_dirs, task, _engine_models)
