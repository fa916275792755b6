"""ONNX Runtime sessions: provider selection, GPU -> CPU fallback, fp16 on GPU, IO binding, session cache.

Providers are always given explicitly, in the order TensorRT, CUDA, CPU (CPU always last). ``device="cpu"`` uses
the CPU only; ``"auto"`` uses the GPU providers that this onnxruntime build offers; ``"gpu"`` does the same but
warns when no GPU provider is available. Whenever a GPU provider is asked for but not used (missing CUDA / cuDNN
libraries, failed session creation, failed first run), the reason is logged and the CPU is used instead.

fp16: on a GPU, models whose card sets ``supports_fp16`` are converted to float16 with float32 inputs and outputs
(``keep_io_types``) using onnxruntime's own converter (``onnxruntime.transformers.float16``, which needs the
``onnx`` package). Without ``onnx`` the model runs in float32 and this is logged. TensorRT gets
``trt_fp16_enable`` instead (it chooses precisions itself from the float32 graph).

int8: on the CPU, ``precision="auto"`` runs the card's int8 copy (``training/quantize.py``) when the card says its
quality held and it was measured faster (:attr:`~.models.Int8Variant.preferred_on_cpu`); a missing or corrupt int8
file then falls back to fp32 with a warning. ``precision="int8"`` insists on that file (CPU only; a missing or
corrupt file is a :class:`~.errors.ModelError`); ``"fp32"`` never uses it. :attr:`ModelSession.precision` says
which ran.

Threads: see :func:`session_options` and docs/PERFORMANCE.md for the measurements behind the settings.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort
from onnxruntime.capi import onnxruntime_pybind11_state as _ort_state

from .errors import ModelError, SettingsError
from .models import ModelCard, verify_file

__all__ = ["DEVICES", "PRECISIONS", "THREADS_ENV", "ProviderChoice", "select_providers", "ModelSession", "get_session",
           "clear_session_cache", "check_precision", "session_options"]

log = logging.getLogger(__name__)

#: the environment variable that sets the inference thread count (farm workers sharing a machine use it too)
THREADS_ENV = "TOONFLOW_THREADS"

DEVICES = ("auto", "cpu", "gpu")
#: what callers may ask for: ``auto`` (int8 on the CPU where the card allows it, fp16 on a GPU where it does, else
#: fp32), ``fp32`` (never int8 or fp16), ``int8`` (the card's int8 copy on the CPU, or an error)
PRECISIONS = ("auto", "fp32", "int8")
CPU = "CPUExecutionProvider"
CUDA = "CUDAExecutionProvider"
TENSORRT = "TensorrtExecutionProvider"
GPU_PROVIDERS = (TENSORRT, CUDA)

#: Exceptions onnxruntime raises (its pybind exception types derive from Exception directly).
ORT_ERRORS: tuple[type[BaseException], ...] = tuple(
    t for t in (getattr(_ort_state, n, None) for n in dir(_ort_state))
    if isinstance(t, type) and issubclass(t, Exception)
) + (RuntimeError,)

ProviderSpec = str | tuple[str, dict[str, Any]]


@dataclass(frozen=True)
class ProviderChoice:
    """The providers to request, and why GPU providers are absent when they are."""

    providers: list[ProviderSpec]
    reason: str = ""

    @property
    def names(self) -> list[str]:
        return [p if isinstance(p, str) else p[0] for p in self.providers]

    @property
    def uses_gpu(self) -> bool:
        return any(n in GPU_PROVIDERS for n in self.names)


def _cache_dir() -> Path:
    base = os.environ.get("TOONFLOW_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"), "toonflow")
    return Path(base)


def check_precision(precision: str) -> None:
    """Raise :class:`SettingsError` unless ``precision`` is one of :data:`PRECISIONS`."""
    if precision not in PRECISIONS:
        raise SettingsError(f"unknown precision {precision!r}; use one of {', '.join(PRECISIONS)}")


def select_providers(device: str = "auto", available: Sequence[str] | None = None,
                     fp16: bool = False) -> ProviderChoice:
    """Choose the provider list for ``device`` from the providers this onnxruntime build offers.

    Args:
        device: ``"auto"``, ``"cpu"`` or ``"gpu"``.
        available: providers to choose from; defaults to ``onnxruntime.get_available_providers()``.
        fp16: ask TensorRT for fp16 kernels.

    Raises:
        SettingsError: unknown device name.
    """
    if device not in DEVICES:
        raise SettingsError(f"unknown device {device!r}; use one of {', '.join(DEVICES)}")
    if available is None:
        available = ort.get_available_providers()
    if device == "cpu":
        return ProviderChoice([CPU])
    providers: list[ProviderSpec] = []
    if TENSORRT in available:
        trt_opts = {
            "trt_fp16_enable": bool(fp16),
            "trt_engine_cache_enable": True,
            "trt_engine_cache_path": str(_cache_dir() / "tensorrt"),
        }
        providers.append((TENSORRT, trt_opts))
    if CUDA in available:
        providers.append((CUDA, {"cudnn_conv_algo_search": "HEURISTIC"}))
    reason = ""
    if not providers:
        reason = (f"this onnxruntime build has no GPU provider (available: {', '.join(available)}); "
                  "install onnxruntime-gpu with its CUDA and cuDNN runtime libraries (CUDA 13 and cuDNN 9 for "
                  "onnxruntime-gpu 1.31) to use a GPU")
        if device == "gpu":
            log.warning("device 'gpu' requested but %s; running on the CPU", reason)
        else:
            log.debug("running on the CPU: %s", reason)
    providers.append(CPU)
    return ProviderChoice(providers, reason)


def _fp16_model_bytes(path: Path) -> bytes | None:
    """Convert the ONNX file to float16 with float32 IO; ``None`` (logged) when that is not possible here."""
    try:
        import onnx  # noqa: PLC0415 - optional, only on GPU
        from onnxruntime.transformers.float16 import convert_float_to_float16  # noqa: PLC0415
    except ImportError as exc:
        log.info("fp16 conversion needs the 'onnx' package (%s); running the model in fp32", exc)
        return None
    try:
        model = onnx.load(str(path))
        model16 = convert_float_to_float16(model, keep_io_types=True)
        return model16.SerializeToString()
    except (ValueError, RuntimeError, AttributeError, TypeError) as exc:
        log.warning("fp16 conversion of %s failed (%s); running the model in fp32", path, exc)
        return None


@dataclass
class ModelSession:
    """One onnxruntime session for one model file on one device in one precision.

    ``run`` takes and returns float32 NCHW arrays (an int8 or fp16 graph keeps float32 inputs and outputs). On a
    GPU, inputs and outputs go through IO binding; if a GPU run fails, the session is rebuilt on the CPU in fp32
    (logged) and the run is repeated once.
    """

    card: ModelCard
    device: str
    session: ort.InferenceSession
    providers: list[str]
    fp16: bool = False
    int8: bool = False
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def on_gpu(self) -> bool:
        return any(p in GPU_PROVIDERS for p in self.providers)

    @property
    def precision(self) -> str:
        """What runs: ``"int8"`` (the card's int8 copy), ``"fp16"`` (GPU) or ``"fp32"``."""
        return "int8" if self.int8 else "fp16" if self.fp16 else "fp32"

    @property
    def model_path(self) -> Path:
        """The ONNX file this session was made from (the int8 copy when :attr:`precision` is ``"int8"``)."""
        if self.int8 and self.card.int8 is not None and self.card.int8.path is not None:
            return self.card.int8.path
        return self.card.onnx_path

    def run(self, x: np.ndarray) -> np.ndarray:
        """Run a single-input network on ``x`` (float32 ``[N, C, H, W]``), return float32 ``[N, C', H, W]``."""
        return self.run_inputs({self.card.input_name: x})

    def run_inputs(self, feeds: Mapping[str, np.ndarray]) -> np.ndarray:
        """Run the network on named float32 inputs (the card's ``input_names``); return its first output."""
        feeds = {name: np.ascontiguousarray(value, dtype=np.float32) for name, value in feeds.items()}
        with self._lock:
            try:
                return self._run(feeds)
            except ORT_ERRORS as exc:
                if not self.on_gpu:
                    shapes = (str(next(iter(feeds.values())).shape) if len(feeds) == 1 else
                              ", ".join(f"{n} {v.shape}" for n, v in feeds.items()))
                    raise ModelError(f"{self.model_path}: inference failed on input of shape {shapes}: "
                                     f"{exc}") from exc
                log.warning("GPU inference with %s failed (%s); falling back to the CPU",
                            self.card.onnx_path.name, exc)
                self.session, self.providers = _create(self.card, select_providers("cpu"))
                self.fp16 = False
                return self._run(feeds)

    def _run(self, feeds: Mapping[str, np.ndarray]) -> np.ndarray:
        if self.on_gpu:
            return self._run_bound(feeds, "cuda")
        return self.session.run([self.card.output_name], dict(feeds))[0]

    def _run_bound(self, feeds: Mapping[str, np.ndarray], device_type: str) -> np.ndarray:
        """IO binding: inputs copied to the device once, output allocated on the device and copied back once."""
        binding = self.session.io_binding()
        for name, x in feeds.items():
            binding.bind_ortvalue_input(name, ort.OrtValue.ortvalue_from_numpy(x, device_type, 0))
        binding.bind_output(self.card.output_name, device_type)
        self.session.run_with_iobinding(binding)
        return binding.copy_outputs_to_cpu()[0]


def session_options() -> ort.SessionOptions:
    """The engine's ONNX Runtime settings (measured on a 2-core CPU: docs/PERFORMANCE.md).

    * one intra-op pool of as many threads as physical cores (onnxruntime's default, 0), or ``TOONFLOW_THREADS``;
    * sequential execution and a single inter-op thread: these graphs are one chain of convolutions, so the parallel
      executor only adds scheduling and a second pool that competes for the same cores;
    * no spinning: idle pool threads sleep instead of busy-waiting for the next operator, leaving the cores to the
      decoding, optical flow and encoding that run between (and, pipelined, beside) the network passes, for a cost
      within the timing noise on the network alone.
    """
    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    opts.inter_op_num_threads = 1
    opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
    # ONNX Runtime's CPU arena grows in powers of two and keeps the high-water mark: 1.07 GB instead of 0.64 GB for
    # one 1024 x 1024 tile of the default style, the difference between a 4K frame fitting 1.5 GB or not; plain
    # allocations cost a few per cent of speed (docs/PERFORMANCE.md, "Memory").
    opts.enable_cpu_mem_arena = False
    threads = os.environ.get(THREADS_ENV)
    if threads:
        try:
            opts.intra_op_num_threads = max(0, int(threads))
        except ValueError:
            log.warning("%s=%r is not an integer; ignored", THREADS_ENV, threads)
    opts.log_severity_level = 3
    return opts


def _check_io(card: ModelCard, session: ort.InferenceSession) -> None:
    inputs = [i.name for i in session.get_inputs()]
    outputs = [o.name for o in session.get_outputs()]
    if any(n not in inputs for n in card.input_names) or any(n not in outputs for n in card.output_names):
        if len(card.input_names) == 1 and len(card.output_names) == 1:
            expected = f"input_name {card.input_name!r} / output_name {card.output_name!r}"
        else:
            expected = f"input_names {list(card.input_names)} / output_names {list(card.output_names)}"
        raise ModelError(f"{card.onnx_path}: graph inputs {inputs} / outputs {outputs} do not match the card's "
                         f"{expected}; re-export the model")


def _create(card: ModelCard, choice: ProviderChoice, model_bytes: bytes | None = None, path: Path | None = None
            ) -> tuple[ort.InferenceSession, list[str]]:
    """A session for ``path`` (default: the card's fp32 file) or for ``model_bytes`` (the fp16 conversion)."""
    path = path or card.onnx_path
    source: str | bytes = model_bytes if model_bytes is not None else str(path)
    try:
        session = ort.InferenceSession(source, sess_options=session_options(), providers=choice.providers)
    except ORT_ERRORS as exc:
        if choice.uses_gpu:
            log.warning("could not create a GPU session for %s (%s); falling back to the CPU",
                        card.onnx_path.name, exc)
            return _create(card, select_providers("cpu"))
        raise ModelError(f"{path}: onnxruntime cannot load this model ({exc}); "
                         "the file is not a valid ONNX model, reinstall or re-export it") from exc
    _check_io(card, session)
    used = session.get_providers()
    missing = [n for n in choice.names if n in GPU_PROVIDERS and n not in used]
    if missing:
        log.warning("%s not usable for %s (CUDA/cuDNN/TensorRT libraries missing or incompatible; see "
                    "onnxruntime's log above); running on %s", ", ".join(missing), card.onnx_path.name,
                    ", ".join(used))
    return session, used


_cache: dict[tuple[str, str, str, str], ModelSession] = {}
_cache_lock = threading.Lock()


def _int8_file(card: ModelCard, precision: str, choice: ProviderChoice) -> Path | None:
    """The verified int8 copy to run, or ``None`` for float; see the module docstring for the rules.

    Raises:
        ModelError: ``int8`` asked for and the card lists no usable int8 file, or that file is missing or corrupt.
    """
    if precision == "fp32" or (precision == "auto" and choice.uses_gpu):
        return None
    variant = card.int8
    if precision == "auto" and (variant is None or not variant.preferred_on_cpu):
        return None
    if variant is None or variant.path is None:  # only "int8" gets here without a file: preferred_on_cpu has one
        why = "its card has no int8 section" if variant is None else "its int8 form failed the quality target"
        raise ModelError(f"{card.card_path}: model '{card.name}' has no int8 file ({why}); use precision auto or "
                         "fp32, or make one with `python -m training quantize`")
    try:
        verify_file(variant.path, variant.sha256)
    except ModelError as exc:
        if precision == "int8":
            raise
        log.warning("%s; running %s in fp32 instead", exc, card.name)
        return None
    return variant.path


def get_session(card: ModelCard, device: str = "auto", fp16: bool = True,
                available: Sequence[str] | None = None, precision: str = "auto") -> ModelSession:
    """Return the cached :class:`ModelSession` for (model file, device, precision), creating it on first use.

    Args:
        card: a validated card (see :func:`~.models.resolve_model`).
        device: ``"auto"``, ``"cpu"`` or ``"gpu"``.
        fp16: allow fp16 on a GPU when the card supports it.
        available: override of the available providers (tests).
        precision: one of :data:`PRECISIONS` (see the module docstring).

    Raises:
        SettingsError: unknown device or precision, or ``int8`` with ``device="gpu"``.
        ModelError: ``int8`` without a usable int8 file; a model onnxruntime cannot load.
    """
    check_precision(precision)
    if precision == "int8":
        if device == "gpu":
            raise SettingsError("precision int8 runs on the CPU (the int8 files are made and measured for CPU "
                                "kernels); use device cpu or auto with it, or precision auto / fp32 on the GPU")
        device_choice = select_providers("cpu", available)
    else:
        device_choice = select_providers(device, available, fp16=fp16 and card.supports_fp16 and precision != "fp32")
    int8_path = _int8_file(card, precision, device_choice)
    want_fp16 = bool(fp16 and precision == "auto" and card.supports_fp16 and device_choice.uses_gpu)
    wanted = "int8" if int8_path is not None else "fp16" if want_fp16 else "fp32"
    key = (str(card.onnx_path.resolve()), card.sha256, device, wanted)
    with _cache_lock:
        cached = _cache.get(key)
        if cached is not None:
            return cached
        model_bytes = None
        if want_fp16 and CUDA in device_choice.names and TENSORRT not in device_choice.names:
            model_bytes = _fp16_model_bytes(card.onnx_path)
        session, used = _create(card, device_choice, model_bytes, int8_path)
        is_fp16 = model_bytes is not None and any(p in GPU_PROVIDERS for p in used)
        if model_bytes is not None and not is_fp16:
            # fell back to the CPU: the fp16 graph is not what we want there
            session, used = _create(card, select_providers("cpu"))
        if precision == "auto" and device_choice.uses_gpu and not any(p in GPU_PROVIDERS for p in used):
            # a GPU was asked for but could not be used: the CPU gets its own best precision
            int8_path = _int8_file(card, precision, select_providers("cpu"))
            if int8_path is not None:
                session, used = _create(card, select_providers("cpu"), path=int8_path)
        ms = ModelSession(card=card, device=device, session=session, providers=used, fp16=is_fp16,
                          int8=int8_path is not None)
        log.info("model %s on %s (%s)", card.name, ", ".join(used), ms.precision)
        _cache[key] = ms
        return ms


def clear_session_cache() -> None:
    """Drop all cached sessions (frees their memory)."""
    with _cache_lock:
        _cache.clear()
