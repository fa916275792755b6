# SPDX-License-Identifier: GPL-3.0-or-later
"""The extension's bpy-free logic (planning, keys, cache, runner, CLI arguments, manifest), in plain Python."""

from __future__ import annotations

import argparse
import importlib.util
import logging
import threading
import tomllib
from pathlib import Path

import numpy as np
import pytest

import engine.models
from blender_addon import cli_args, planning
from blender_addon.cache import ClipCache
from blender_addon.errors import CancelledError
from blender_addon.keys import ProcessSettings, clip_key, file_identity
from blender_addon.model_choices import DESCRIPTION_CHARS, model_choices
from blender_addon.runner import ClipRunner
from blender_addon.sources import SequenceSource, sequence_frame_path
from tests.engine.colorize_fixtures import write_colorize_model
from tests.engine.helpers import write_model

ROOT = Path(__file__).resolve().parents[2]


def test_root_init_is_light() -> None:
    text = (ROOT / "__init__.py").read_text()
    assert "import bpy" not in text and "import engine" not in text and ".engine" not in text
    code = compile(text, "__init__.py", "exec")
    assert {"register", "unregister"} <= set(code.co_names)


def test_manifest() -> None:
    m = tomllib.loads((ROOT / "blender_manifest.toml").read_text())
    assert m["id"] == "toonflow" and m["blender_version_min"] == "4.2.0"
    assert m["license"] == ["SPDX:GPL-3.0-or-later"]
    assert "files" in m["permissions"] and "network" not in m["permissions"]
    pats = m["build"]["paths_exclude_pattern"]
    assert {"!/__init__.py", "!/blender_addon/", "!/engine/", "!/wheels/"} <= set(pats) and "/*" in pats


def test_build_script_writes_wheels_into_staged_manifest(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("build_extension", ROOT / "scripts" / "build_extension.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)  # type: ignore[union-attr]
    mod.write_manifest(tmp_path, ["av-18.1.0-cp311-abi3-manylinux_2_28_x86_64.whl"], ["linux-x64"])
    m = tomllib.loads((tmp_path / "blender_manifest.toml").read_text())
    assert m["wheels"] == ["./wheels/av-18.1.0-cp311-abi3-manylinux_2_28_x86_64.whl"]
    assert m["platforms"] == ["linux-x64"] and m["id"] == "toonflow"
    mod.stage(tmp_path / "stage")
    shipped = {p.relative_to(tmp_path / "stage").parts[0] for p in (tmp_path / "stage").rglob("*")}
    assert shipped == {"__init__.py", "blender_addon", "engine"}
    assert not list((tmp_path / "stage").rglob("__pycache__")) and not list((tmp_path / "stage").rglob("*.mk"))


def test_no_bpy_in_logic_modules() -> None:
    for name in ("keys", "keyframes", "cache", "planning", "sources", "runner", "colorize_runner", "engine_bridge",
                 "cli_args", "gpu", "errors", "model_choices"):
        text = (ROOT / "blender_addon" / f"{name}.py").read_text()
        assert "import bpy" not in text, name


@pytest.mark.parametrize("frame,expected", [(1, 1), (5, 5), (10, 10), (11, 10), (0, 0), (-3, 0)])
def test_image_user_frame_clamped(frame: int, expected: int) -> None:
    assert planning.image_user_frame(frame, 1, 10, 0, False) == expected


def test_image_user_frame_cyclic_and_offset() -> None:
    assert [planning.image_user_frame(f, 1, 3, 0, True) for f in range(1, 8)] == [1, 2, 3, 1, 2, 3, 1]
    assert planning.image_user_frame(5, 3, 100, 10, False) == 13
    assert planning.movie_clip_frame(12, 10, 2) == 4


def test_strip_index_and_support() -> None:
    assert planning.strip_source_index(15, 10, "MOVIE") == 5
    assert planning.strip_source_index(15, 10, "IMAGE", 1) == 0
    assert planning.strip_source_index(30, 10, "IMAGE", 4) == 3
    assert planning.strip_support("MOVIE") is None and planning.strip_support("IMAGE") is None
    for t in ("SOUND", "SCENE", "TEXT", "COLOR", "GAUSSIAN_BLUR"):
        assert planning.strip_support(t)


def test_pick_channel() -> None:
    assert planning.pick_channel(2, [], 10, 20) == 3
    assert planning.pick_channel(2, [(3, 15, 30)], 10, 20) == 4
    assert planning.pick_channel(2, [(3, 20, 30)], 10, 20) == 3  # touching, not overlapping


def test_plan_processing() -> None:
    steps = planning.plan_processing(range(1, 6), {1, 2}, temporal=False)
    assert [s.frame for s in steps] == [3, 4, 5]
    two = lambda n: min(n, 2)  # noqa: E731 - a warm-up of two frames
    steps = planning.plan_processing(range(1, 8), {1, 2, 3}, temporal=True, warmup=two, first_frame=1)
    assert [(s.frame, s.store) for s in steps] == [(2, False), (3, False), (4, True), (5, True), (6, True),
                                                    (7, True)]
    steps = planning.plan_processing([5], set(), temporal=True, warmup=two, first_frame=1, last_computed=4)
    assert [(s.frame, s.store) for s in steps] == [(5, True)]
    steps = planning.plan_processing([1, 2], set(), temporal=True, first_frame=1)
    assert all(s.store for s in steps)
    # no bound given: a run in the middle warms up from the clip's first frame
    steps = planning.plan_processing([6, 7], {1}, temporal=True, first_frame=1)
    assert [(s.frame, s.store) for s in steps] == [(1, False), (2, False), (3, False), (4, False), (5, False),
                                                    (6, True), (7, True)]


def test_clip_key_changes_with_each_part(tmp_path: Path) -> None:
    f = tmp_path / "a.png"
    f.write_bytes(b"x")
    base = clip_key(file_identity(f), ProcessSettings(), "m1")
    assert base == clip_key(file_identity(f), ProcessSettings(), "m1")
    assert base != clip_key(file_identity(f), ProcessSettings(strength=0.5), "m1")
    assert base != clip_key(file_identity(f), ProcessSettings(temporal=True), "m1")
    assert base != clip_key(file_identity(f), ProcessSettings(), "m2")
    f.write_bytes(b"xy")
    assert base != clip_key(file_identity(f), ProcessSettings(), "m1")
    assert "missing" in file_identity(tmp_path / "nope.png")


def test_sequence_paths() -> None:
    assert sequence_frame_path("/x/shot_0007.png", 12).name == "shot_0012.png"
    assert sequence_frame_path("/x/v2_take_01.exr", 3).name == "v2_take_03.exr"
    assert SequenceSource("/x/a_001.png").identity.endswith("a_#.png")


class FakeCartoonizer:
    def __init__(self) -> None:
        self.calls: list[int] = []
        self.resets = 0

    def process(self, frame: np.ndarray) -> np.ndarray:
        self.calls.append(int(frame[0, 0, 0]))
        return 255 - frame

    def reset(self) -> None:
        self.resets += 1

    def warmup_frames(self, first: int) -> int:
        return min(first, 2)


class FakeSource:
    identity = "fake"

    def read(self, index: int) -> np.ndarray:
        return np.full((4, 4, 3), index, np.uint8)

    def frame_identity(self, index: int) -> str:
        return ""

    def close(self) -> None:
        pass


def _runner(tmp_path: Path, temporal: bool) -> tuple[ClipRunner, FakeCartoonizer]:
    proc = FakeCartoonizer()
    cache = ClipCache(tmp_path, "cartoonize", "k")
    return ClipRunner(FakeSource(), cache, proc, lambda f: f - 10, temporal=temporal, first_frame=10), proc


def test_runner_caches_and_resumes(tmp_path: Path) -> None:
    runner, proc = _runner(tmp_path, temporal=True)
    with pytest.raises(CancelledError):
        runner.ensure(range(10, 20), stop_after=4)
    assert proc.calls == [0, 1, 2, 3]
    runner2, proc2 = _runner(tmp_path, temporal=True)
    seen: list[tuple[int, int]] = []
    res = runner2.ensure(range(10, 20), progress=lambda d, t, f: seen.append((d, t)))
    assert res.cached == [0, 1, 2, 3] and res.computed == [4, 5, 6, 7, 8, 9]
    assert res.warmup == [2, 3] and proc2.calls == [2, 3, 4, 5, 6, 7, 8, 9]
    assert seen[0] == (4, 10) and seen[-1] == (10, 10)
    out = runner2.cache.read(5)
    assert (out == 250).all()
    again = runner2.ensure(range(10, 20))
    assert again.computed == [] and len(again.cached) == 10


def test_runner_cancel_event(tmp_path: Path) -> None:
    runner, proc = _runner(tmp_path, temporal=False)
    ev = threading.Event()
    ev.set()
    with pytest.raises(CancelledError):
        runner.ensure(range(10, 15), cancel=ev)
    assert proc.calls == []


def test_cli_args() -> None:
    ns = cli_args.parse_args(["strips", "--strip", "A", "--strip", "B", "--temporal", "--strength", "0.5"])
    assert ns.action == "strips" and ns.strip == ["A", "B"] and ns.temporal is True and ns.strength == 0.5
    assert cli_args.parse_args(["strips"]).temporal is None
    assert cli_args.parse_args(["render", "--frames", "1-3,7"]).frames == [1, 2, 3, 7]
    with pytest.raises(SystemExit):
        cli_args.parse_args(["strips", "--all", "--marked"])
    with pytest.raises(argparse.ArgumentTypeError):
        cli_args.parse_frames("5-2")
    with pytest.raises(SystemExit):
        cli_args.parse_args(["file", "in.mp4"])  # --output is required
    for action in (["strips"], ["file", "in.mp4", "-o", "out"], ["colorize"]):
        assert cli_args.parse_args([*action, "--device", "gpu"]).device == "gpu"
        assert cli_args.parse_args(action).device is None  # None: the preferences' device
        with pytest.raises(SystemExit):
            cli_args.parse_args([*action, "--device", "tpu"])


def test_model_choices_lists_the_task_models_default_first(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                          caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.delenv(engine.models.MODEL_PATH_ENV, raising=False)
    folder = tmp_path / "models"
    write_model(folder, "zebra", description="stripes " * 40)
    write_model(folder, "alpha", seed=1, description="the alpha look")
    write_colorize_model(folder, "mix")
    broken = write_model(folder, "broken", seed=2)
    broken.with_suffix(".json").write_text("{not json")
    with caplog.at_level(logging.WARNING):
        toon = model_choices([str(folder)], "cartoonize", lambda: engine.models)
        colour = model_choices([str(folder)], "colorize", lambda: engine.models)
    bundled = {task: [c.name for c in engine.models.find_models([], task=task)] for task in ("cartoonize", "colorize")}
    default = engine.models.DEFAULT_MODELS["cartoonize"]
    assert default in bundled["cartoonize"]  # the shipped default, so it leads the list
    names = [name for name, _ in toon]
    assert names[0] == default and toon[0][1].startswith("default: ")
    # the preferences' folder in its (sorted) order, then the bundled weights; no colorize model, no broken card
    assert names == [default, "alpha", "zebra", *[n for n in bundled["cartoonize"] if n != default]]
    assert dict(toon)["alpha"] == "the alpha look"
    assert len(dict(toon)["zebra"]) == DESCRIPTION_CHARS and dict(toon)["zebra"].endswith("...")
    assert [n for n, _ in colour] == [*(["lcmftn"] if "lcmftn" in bundled["colorize"] else []), "mix",
                                      *[n for n in bundled["colorize"] if n != "lcmftn"]]
    assert dict(colour)["mix"] == "fixed-weight test fixture (reference mix), not trained"
    assert "broken" not in names and any("broken.json" in r.getMessage() for r in caplog.records)


def test_model_choices_never_raise(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    loop = tmp_path / "loop"
    loop.symlink_to(tmp_path / "loop2")
    (tmp_path / "loop2").symlink_to(loop)  # a model folder that cannot be resolved (RuntimeError in Python 3.11)
    with caplog.at_level(logging.WARNING):
        names = [name for name, _ in model_choices([str(loop)], "cartoonize", lambda: engine.models)]
    # the folder is skipped with a warning; the bundled models are still listed, the default first
    assert names[0] == engine.models.DEFAULT_MODELS["cartoonize"] and f"model folder {loop}" in caplog.text

    class UnreadableModels:
        @staticmethod
        def find_models(*_args: object, **_kwargs: object) -> list:
            raise PermissionError(13, "Permission denied", str(tmp_path))

    caplog.clear()
    with caplog.at_level(logging.WARNING):
        assert model_choices([str(tmp_path)], "cartoonize", lambda: UnreadableModels) == []
    assert "cannot list the installed cartoonize models" in caplog.text and "Permission denied" in caplog.text

    def engine_missing() -> None:
        raise ImportError("No module named 'onnxruntime'")

    caplog.clear()
    with caplog.at_level(logging.WARNING):
        assert model_choices([], "colorize", engine_missing) == []
    assert "onnxruntime" in caplog.text


def test_gpu_report_message() -> None:
    from blender_addon.gpu import GpuReport, gpu_report

    r = gpu_report()
    assert isinstance(r.message(), str) and r.providers
    missing = GpuReport(providers=["CUDAExecutionProvider", "CPUExecutionProvider"],
                        missing=[("libcudnn.so.9", "cuDNN 9 for CUDA 13")])
    assert "libcudnn.so.9" in missing.message() and "CPU" in missing.message()
    assert "no CUDA provider" in GpuReport(providers=["CPUExecutionProvider"]).message()
