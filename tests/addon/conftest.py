# SPDX-License-Identifier: GPL-3.0-or-later
"""Fixtures for the Blender extension tests.

The bpy tests run the real bpy wheels (4.5 LTS in .venv-bpy45, 5.0 in .venv-bpy50) in subprocesses under a
timeout, each with its own HOME so the extension installs into a throw-away Blender user folder. A tiny ONNX model
(3x3 conv + tanh) with its card stands in for the shipped model, so the tests do not depend on training.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
import wave
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
BPY_VENVS = {"4.5": ROOT / ".venv-bpy45", "5.0": ROOT / ".venv-bpy50"}
W, H, N_FRAMES = 64, 48, 6


def bpy_python(version: str) -> Path:
    return BPY_VENVS[version] / "bin" / "python"


def require_bpy(version: str) -> Path:
    py = bpy_python(version)
    if not py.is_file():
        pytest.skip(f"bpy {version} venv missing ({BPY_VENVS[version]}); create it with 'make setup-blender'")
    return py


@pytest.fixture(scope="session")
def ext_zip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The extension zip, built with Blender's own tool (no wheels: the bpy venvs have the packages)."""
    if not any(bpy_python(v).is_file() for v in BPY_VENVS):
        pytest.skip("no bpy venv (.venv-bpy45 / .venv-bpy50); create them with 'make setup-blender'")
    out = tmp_path_factory.mktemp("dist")
    build = tmp_path_factory.mktemp("build")
    subprocess.run([sys.executable, str(ROOT / "scripts" / "build_extension.py"), "--no-wheels",
                    "--output-dir", str(out), "--build-dir", str(build / "extension")],
                   check=True, capture_output=True, text=True, timeout=120)
    zips = sorted(out.glob("toonflow-*.zip"))
    assert len(zips) == 1, zips
    return zips[0]


def make_tiny_model(folder: Path, name: str = "tinytoon") -> Path:
    """3x3 conv (fixed random weights) + tanh: input `image`, output `cartoon`, float32 NCHW in [-1, 1]."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(7)
    w = rng.normal(0.0, 0.6, size=(3, 3, 3, 3)).astype(np.float32)
    w[[0, 1, 2], [2, 0, 1], 1, 1] += 1.5  # a channel swap on top: clearly not the source
    b = np.array([0.1, -0.2, 0.05], np.float32)
    graph = helper.make_graph(
        [helper.make_node("Conv", ["image", "W", "B"], ["conv"], pads=[1, 1, 1, 1]),
         helper.make_node("Tanh", ["conv"], ["cartoon"])],
        "tiny",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, ["N", 3, "H", "W"])],
        [helper.make_tensor_value_info("cartoon", TensorProto.FLOAT, ["N", 3, "H", "W"])],
        [numpy_helper.from_array(w, "W"), numpy_helper.from_array(b, "B")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    folder.mkdir(parents=True, exist_ok=True)
    onnx_path = folder / f"{name}.onnx"
    onnx.save(model, str(onnx_path))
    card = {
        "format_version": 1, "name": name, "task": "cartoonize", "architecture": "tiny_conv",
        "input_name": "image", "output_name": "cartoon", "channels_in": 3, "channels_out": 3,
        "value_range": [-1, 1], "size_multiple": 4, "supports_fp16": False, "supports_tiling": True,
        "tile_overlap": 4, "postprocess": None,
        "sha256": hashlib.sha256(onnx_path.read_bytes()).hexdigest(),
        "recipe": "test", "description": "tiny test model (3x3 conv + tanh)", "training": {},
        "data": {"manifest": "", "sources": []}, "metrics": {}, "licence": "GPL-3.0-or-later", "attributions": [],
    }
    (folder / f"{name}.json").write_text(json.dumps(card, indent=1), encoding="utf-8")
    return onnx_path


def make_frames() -> list[np.ndarray]:
    yy, xx = np.mgrid[0:H, 0:W].astype(np.float32)
    frames = []
    for t in range(N_FRAMES):
        r = 127 + 120 * np.sin((xx + 3 * t) / 9.0)
        g = 127 + 120 * np.cos((yy - 2 * t) / 7.0)
        bl = (xx * 2 + yy * 3 + 10 * t) % 255
        frames.append(np.stack([r, g, bl], -1).clip(0, 255).astype(np.uint8))
    return frames


@pytest.fixture(scope="session")
def media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Sample inputs: a tiny model folder, a still PNG, a PNG sequence, a movie, a WAV."""
    import av
    import cv2

    root = tmp_path_factory.mktemp("media")
    model_dir = root / "models"
    make_tiny_model(model_dir)
    frames = make_frames()
    seq = root / "seq"
    seq.mkdir()
    for i, f in enumerate(frames, start=1):
        cv2.imwrite(str(seq / f"shot_{i:04d}.png"), cv2.cvtColor(f, cv2.COLOR_RGB2BGR))
    still = root / "still.png"
    cv2.imwrite(str(still), cv2.cvtColor(frames[0], cv2.COLOR_RGB2BGR))
    movie = root / "clip.mp4"
    with av.open(str(movie), "w") as out:
        stream = out.add_stream("mpeg4", rate=24)
        stream.width, stream.height, stream.pix_fmt = W, H, "yuv420p"
        stream.options = {"qscale": "2"}
        for f in frames + frames[:2]:
            for packet in stream.encode(av.VideoFrame.from_ndarray(f, format="rgb24")):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    sound = root / "tone.wav"
    with wave.open(str(sound), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(8000)
        t = np.arange(8000) / 8000.0
        wav.writeframes((np.sin(2 * np.pi * 440 * t) * 8000).astype(np.int16).tobytes())
    return {"root": str(root), "model_dir": str(model_dir), "model": "tinytoon", "still": str(still),
            "seq_first": str(seq / "shot_0001.png"), "movie": str(movie), "sound": str(sound),
            "width": W, "height": H, "n_frames": N_FRAMES}


def doubled_prefix_lines(stderr: str) -> list[str]:
    """Lines of the add-on's stderr whose "toonflow: " / "Toonflow error: " prefix is followed by another one."""
    doubled = re.compile(r"^toonflow( (error|warning|info))?: +toonflow( (error|warning|info))?:", re.IGNORECASE)
    return [line for line in stderr.splitlines() if doubled.match(line)]


@pytest.fixture(scope="session")
def scenario_media(media: dict[str, str]) -> dict:
    """What the driver's scenarios get as their media: `media`; a test module whose scenarios need more overrides it."""
    return media


@pytest.fixture(scope="module", params=sorted(BPY_VENVS))
def bpy_results(request: pytest.FixtureRequest, ext_zip: Path, scenario_media: dict,
                tmp_path_factory: pytest.TempPathFactory) -> tuple[str, dict]:
    """(bpy version, results): every scenario in the test module's SCENARIOS, one driver run per bpy version."""
    version = request.param
    work = tmp_path_factory.mktemp(f"{request.module.__name__.rpartition('.')[2]}_{version.replace('.', '')}")
    return version, run_driver(version, ext_zip, scenario_media, request.module.SCENARIOS, work, timeout=300)


def run_driver(version: str, ext_zip: Path, media: dict[str, str], scenarios: list[str], work: Path,
               timeout: float = 240) -> dict[str, dict[str, object]]:
    """Run tests/addon/bpy_driver.py under bpy ``version``; returns {scenario: {"ok": bool, "detail": ...}}."""
    py = require_bpy(version)
    home = work / "home"
    home.mkdir(parents=True, exist_ok=True)
    result_path = work / "results.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BLENDER_", "TOONFLOW_", "PYTHON"))}
    env.update(HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"), XDG_CACHE_HOME=str(home / ".cache"),
               OMP_NUM_THREADS="1")
    args = [str(py), str(HERE / "bpy_driver.py"), "--zip", str(ext_zip), "--media", json.dumps(media),
            "--work", str(work), "--out", str(result_path), *scenarios]
    try:
        proc = subprocess.run(args, env=env, capture_output=True, text=True, timeout=timeout, cwd=str(work))
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"bpy {version} driver timed out after {timeout}s\nstdout:\n{exc.stdout}\nstderr:\n{exc.stderr}")
    (work / "stdout.txt").write_text(proc.stdout)
    (work / "stderr.txt").write_text(proc.stderr)
    if not result_path.is_file():
        pytest.fail(f"bpy {version} driver wrote no results (rc {proc.returncode})\nstdout:\n{proc.stdout[-4000:]}"
                    f"\nstderr:\n{proc.stderr[-4000:]}")
    results = json.loads(result_path.read_text())
    results["_stderr"] = {"ok": True, "detail": proc.stderr}
    results["_rc"] = {"ok": proc.returncode == 0, "detail": proc.returncode}
    return results


def scenario_result(bpy_results: tuple[str, dict], scenario: str) -> dict[str, object]:
    """``scenario``'s entry in a driver run's results; fails when the driver did not run it or it failed."""
    version, results = bpy_results
    res = results.get(scenario)
    assert res is not None, f"bpy {version}: scenario {scenario} did not run\n{results.get('_stderr')}"
    assert res["ok"], f"bpy {version} {scenario}:\n{res['detail']}"
    return res


def assert_clean_exit(bpy_results: tuple[str, dict]) -> None:
    """The driver process of a run exited with code 0."""
    version, results = bpy_results
    assert results["_rc"]["ok"], f"bpy {version} driver exit code {results['_rc']['detail']}"
