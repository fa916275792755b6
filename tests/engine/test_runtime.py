from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest

from engine import runtime
from engine.errors import SettingsError
from engine.models import resolve_model
from engine.runtime import CPU, CUDA, TENSORRT, get_session, select_providers

CPU_ONLY = ["AzureExecutionProvider", CPU]
ALL_GPU = [TENSORRT, CUDA, CPU]


def test_cpu_device_uses_cpu_only() -> None:
    assert select_providers("cpu", ALL_GPU).names == [CPU]


def test_auto_orders_tensorrt_cuda_cpu() -> None:
    choice = select_providers("auto", ALL_GPU, fp16=True)
    assert choice.names == [TENSORRT, CUDA, CPU]
    trt_opts = choice.providers[0][1]  # type: ignore[index]
    assert trt_opts["trt_fp16_enable"] is True
    assert select_providers("auto", [CUDA, CPU]).names == [CUDA, CPU]


def test_auto_without_gpu_is_cpu_with_reason(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG):
        choice = select_providers("auto", CPU_ONLY)
    assert choice.names == [CPU] and "no GPU provider" in choice.reason


def test_gpu_without_cuda_warns_and_uses_cpu(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        choice = select_providers("gpu", CPU_ONLY)
    assert choice.names == [CPU]
    assert "device 'gpu' requested" in caplog.text and "running on the CPU" in caplog.text


def test_default_available_providers_are_read_from_onnxruntime(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ort, "get_available_providers", lambda: [CUDA, CPU])
    assert select_providers("auto").names == [CUDA, CPU]


def test_unknown_device() -> None:
    with pytest.raises(SettingsError, match="unknown device 'tpu'"):
        select_providers("tpu")


def test_session_cached_per_model_and_device(tiny_model: Path) -> None:
    card = resolve_model(tiny_model, "cartoonize")
    a = get_session(card, "cpu")
    assert get_session(card, "cpu") is a
    assert get_session(card, "auto") is not a
    assert a.providers == [CPU] and not a.on_gpu


def test_gpu_session_creation_failure_falls_back_to_cpu(tiny_model: Path, monkeypatch: pytest.MonkeyPatch,
                                                        caplog: pytest.LogCaptureFixture) -> None:
    """onnxruntime-gpu without CUDA libraries: the GPU session fails, the CPU takes over with a logged reason."""
    real = ort.InferenceSession
    requested: list[list[str]] = []

    def fake_session(source: object, sess_options: object = None, providers: list | None = None) -> object:
        names = [p if isinstance(p, str) else p[0] for p in providers or []]
        requested.append(names)
        if CUDA in names:
            raise runtime._ort_state.Fail("libcudnn.so.9: cannot open shared object file")
        return real(source, sess_options=sess_options, providers=providers)

    monkeypatch.setattr(ort, "get_available_providers", lambda: [CUDA, CPU])
    monkeypatch.setattr(ort, "InferenceSession", fake_session)
    monkeypatch.setattr(runtime, "_fp16_model_bytes", lambda path: None)
    card = resolve_model(tiny_model, "cartoonize")
    with caplog.at_level(logging.WARNING):
        s = get_session(card, "gpu")
    assert requested == [[CUDA, CPU], [CPU]]
    assert s.providers == [CPU]
    assert "libcudnn.so.9" in caplog.text and "falling back to the CPU" in caplog.text
    out = s.run(np.zeros((1, 3, 8, 8), np.float32))
    assert out.shape == (1, 3, 8, 8)


def test_gpu_provider_silently_dropped_is_logged(tiny_model: Path, monkeypatch: pytest.MonkeyPatch,
                                                 caplog: pytest.LogCaptureFixture) -> None:
    """onnxruntime-gpu drops CUDA itself when its libraries are missing: we log that and run on the CPU."""
    real = ort.InferenceSession

    def dropping_session(source: object, sess_options: object = None, providers: list | None = None) -> object:
        return real(source, sess_options=sess_options, providers=[CPU])

    monkeypatch.setattr(ort, "get_available_providers", lambda: [CUDA, CPU])
    monkeypatch.setattr(ort, "InferenceSession", dropping_session)
    monkeypatch.setattr(runtime, "_fp16_model_bytes", lambda path: None)
    card = resolve_model(tiny_model, "cartoonize")
    with caplog.at_level(logging.WARNING):
        s = get_session(card, "auto")
    assert s.providers == [CPU]
    assert "CUDAExecutionProvider not usable" in caplog.text


def test_io_binding_path_matches_plain_run(tiny_model: Path) -> None:
    card = resolve_model(tiny_model, "cartoonize")
    s = get_session(card, "cpu")
    x = np.random.default_rng(0).uniform(-1, 1, (1, 3, 12, 16)).astype(np.float32)
    np.testing.assert_allclose(s._run_bound({"image": x}, "cpu"), s.run(x), atol=1e-6)


def test_fp16_conversion_keeps_float32_io(tiny_model: Path) -> None:
    data = runtime._fp16_model_bytes(tiny_model)
    assert data is not None
    model = onnx.load_from_string(data)
    assert model.graph.input[0].type.tensor_type.elem_type == onnx.TensorProto.FLOAT
    assert model.graph.output[0].type.tensor_type.elem_type == onnx.TensorProto.FLOAT
    fp16_inits = [i for i in model.graph.initializer if i.data_type == onnx.TensorProto.FLOAT16]
    assert fp16_inits, "weights should be float16"


def test_gpu_run_failure_falls_back_to_cpu(tiny_model: Path, caplog: pytest.LogCaptureFixture) -> None:
    class FailingGpuSession:
        def io_binding(self) -> object:
            raise runtime._ort_state.Fail("CUDA error: out of memory")

    card = resolve_model(tiny_model, "cartoonize")
    s = runtime.ModelSession(card=card, device="gpu", session=FailingGpuSession(),  # type: ignore[arg-type]
                             providers=[CUDA, CPU], fp16=True)
    x = np.zeros((1, 3, 8, 8), np.float32)
    with caplog.at_level(logging.WARNING):
        out = s.run(x)
    assert out.shape == (1, 3, 8, 8)
    assert s.providers == [CPU] and not s.fp16
    assert "out of memory" in caplog.text and "falling back to the CPU" in caplog.text


def test_cpu_run_failure_is_model_error(tiny_model: Path) -> None:
    from engine.errors import ModelError

    card = resolve_model(tiny_model, "cartoonize")
    s = get_session(card, "cpu")
    with pytest.raises(ModelError, match=r"inference failed on input of shape \(1, 2, 8, 8\)"):
        s.run(np.zeros((1, 2, 8, 8), np.float32))  # 2 channels: the conv rejects it
