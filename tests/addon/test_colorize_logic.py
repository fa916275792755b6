# SPDX-License-Identifier: GPL-3.0-or-later
"""The colorize side of the extension without bpy: keyframe checks, the cache-backed colour chain (against
``engine.Colorizer`` itself, with the engine's reference rule as the bridge passes it), caching, resume,
invalidation, CLI arguments."""

from __future__ import annotations

import argparse
import threading
from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np
import pytest

from blender_addon import cli_args
from blender_addon.cache import ClipCache
from blender_addon.colorize_runner import ColorizeRunner
from blender_addon.errors import CancelledError
from blender_addon.keyframes import Keyframe, KeyframeError, check_keyframes, keyframes_identity, parse_key_arg
from blender_addon.sources import SequenceSource
from engine import Colorizer, Reference
from engine.colour_chain import references
from engine.models import file_sha256
from engine.frames import to_rgb8
from engine.lineart import is_held_drawing, is_shot_cut, to_lineart_gray
from tests.engine.colorize_fixtures import clip, write_colorize_model

H, W, N = 48, 64, 8


class EngineAdapter:
    """The same calls engine_bridge.ColorizeEngineAdapter makes, on a plain-Python engine import; counts passes."""

    def __init__(self, colorizer: Colorizer) -> None:
        self.colorizer = colorizer
        self.passes: list[int] = []  # number of references per network pass

    def lineart(self, frame: np.ndarray, where: str) -> np.ndarray:
        return to_lineart_gray(frame, source=where)

    def colour(self, frame: np.ndarray, where: str) -> np.ndarray:
        return to_rgb8(frame, source=where).rgb

    def resize(self, img: np.ndarray, height: int, width: int) -> np.ndarray:
        shrink = height * width < img.shape[0] * img.shape[1]
        return cv2.resize(img, (width, height), interpolation=cv2.INTER_AREA if shrink else cv2.INTER_CUBIC)

    def colorize(self, gray: np.ndarray, references: Sequence[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
        self.passes.append(len(references))
        return self.colorizer.colorize_frame(gray, [Reference(g, c) for g, c in references])

    def colorize_between(self, lines: list[np.ndarray], first: np.ndarray, last: np.ndarray) -> list[np.ndarray]:
        self.passes.append(-len(lines))  # a whole stretch between two keyframes
        two_sided = Colorizer(self.colorizer.card.onnx_path, device="cpu", two_sided=True)
        return list(two_sided.colorize(lines, {0: first, len(lines) - 1: last}))[1:-1]

    def is_cut(self, previous: np.ndarray, current: np.ndarray) -> bool:
        return is_shot_cut(previous, current, self.colorizer.cut_threshold)

    def is_held(self, previous: np.ndarray, current: np.ndarray) -> bool:
        return is_held_drawing(previous, current)

    def references(self, index: int, key_indices: Sequence[int], previous: int | None) -> tuple[int, int | None]:
        return references(index, key_indices, previous)


@pytest.fixture(scope="module")
def colorizer(tmp_path_factory: pytest.TempPathFactory) -> Colorizer:
    return Colorizer(write_colorize_model(tmp_path_factory.mktemp("cmodels")), device="cpu")


def _write_clip(root: Path, n: int, key_frames: tuple[int, ...], cut_at: int | None = None) -> dict:
    """Line-art PNGs lines_0001.. (frame numbers 1..n) and the colour images of ``key_frames`` in ``root``."""
    lines, colours = clip(n, H, W, cut_at=cut_at)
    folder = root / "lines"
    folder.mkdir()
    for i, line in enumerate(lines, start=1):
        cv2.imwrite(str(folder / f"lines_{i:04d}.png"), line)
    keys = {}
    for frame in key_frames:
        keys[frame] = root / f"key_{frame}.png"
        cv2.imwrite(str(keys[frame]), cv2.cvtColor(colours[frame - 1], cv2.COLOR_RGB2BGR))
    return {"folder": folder, "first": folder / "lines_0001.png", "lines": lines, "colours": colours, "keys": keys}


@pytest.fixture()
def lineart(tmp_path: Path) -> dict:
    """8 frames (numbers 1..8), a cut at frame 6, keyframes on frames 1 and 7."""
    return _write_clip(tmp_path, N, (1, 7), cut_at=5)


def _runner(lineart: dict, colorizer: Colorizer, cache_root: Path, *, temporal: bool,
            keys: dict[int, Path] | None = None, key: str = "clip", two_sided: bool = False) -> ColorizeRunner:
    keys = keys or lineart["keys"]
    source = SequenceSource(lineart["first"])
    by_index = {f: Keyframe(f, p) for f, p in keys.items()}  # frame number = file number here
    return ColorizeRunner(source, ClipCache(cache_root, "colorize", key), EngineAdapter(colorizer), by_index,
                          lambda f: f, temporal=temporal, first_frame=1, two_sided=two_sided)


def _read(path: Path) -> np.ndarray:
    return cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB)


# ------------------------------------------------------------------------------------------------ keyframes

def test_parse_key_arg() -> None:
    assert parse_key_arg("12=/a/key.png") == Keyframe(12, Path("/a/key.png"))
    assert parse_key_arg(" -3 = k.png").frame == -3
    for bad in ("12", "x=k.png", "5=", "=k.png"):
        with pytest.raises(ValueError, match="FRAME=IMAGE"):
            parse_key_arg(bad)
    with pytest.raises(argparse.ArgumentTypeError):
        cli_args._key("nope")


def test_check_keyframes_messages(tmp_path: Path) -> None:
    img = tmp_path / "k.png"
    img.write_bytes(b"x")
    with pytest.raises(KeyframeError, match="node 'N': no keyframe"):
        check_keyframes([], "node 'N'")
    with pytest.raises(KeyframeError, match=r"keyframe image for frame 4 not found: .*missing\.png"):
        check_keyframes([Keyframe(1, img), Keyframe(4, tmp_path / "missing.png")], "node 'N'")
    with pytest.raises(KeyframeError, match="two keyframes on frame 1"):
        check_keyframes([Keyframe(1, img), Keyframe(1, img)], "strip 'S'")
    with pytest.raises(KeyframeError, match="frame 2 has no image file"):
        check_keyframes([Keyframe(2, Path(""))], "strip 'S'")
    assert [k.frame for k in check_keyframes([Keyframe(9, img), Keyframe(3, img)], "x")] == [3, 9]


def test_keyframes_identity_is_content(tmp_path: Path) -> None:
    a, b = tmp_path / "a.png", tmp_path / "b.png"
    a.write_bytes(b"one")
    b.write_bytes(b"one")
    assert keyframes_identity({1: a}, file_sha256) == keyframes_identity({1: b}, file_sha256)  # same content: same
    assert keyframes_identity({1: a}, file_sha256) != keyframes_identity({2: a}, file_sha256)
    a.write_bytes(b"two!")
    assert keyframes_identity({1: a}, file_sha256) != keyframes_identity({1: b}, file_sha256)  # repainted: new key


def test_colorize_cli_arguments() -> None:
    args = cli_args.parse_args(["colorize", "--strip", "Lines", "--key", "1=a.png", "--key", "9=b.png",
                                "--no-temporal", "--model", "mix"])
    assert args.action == "colorize" and args.strip == ["Lines"] and args.temporal is False
    assert [k.frame for k in args.key] == [1, 9]
    with pytest.raises(SystemExit):
        cli_args.parse_args(["colorize", "--key", "bad"])


# ------------------------------------------------------------------------------------------------ the runner

def test_temporal_chain_equals_engine_colorize(lineart: dict, colorizer: Colorizer, tmp_path: Path) -> None:
    """Frame by frame through the cache (in any request order) gives exactly the engine's own chain."""
    keys = {f - 1: cv2.cvtColor(cv2.imread(str(p)), cv2.COLOR_BGR2RGB) for f, p in lineart["keys"].items()}
    expected = list(colorizer.colorize(lineart["lines"], keys))
    runner = _runner(lineart, colorizer, tmp_path / "cache", temporal=True)
    res = runner.ensure([4])  # frame 4 alone: its chain 2, 3 is computed first (frame 1 is the keyframe)
    assert res.computed == [4] and res.warmup == [1, 2, 3]
    runner.ensure(list(range(1, N + 1)))
    for f in range(1, N + 1):
        got = _read(runner.frame_path(f))
        assert np.array_equal(got, expected[f - 1]), f"frame {f}"
    # a part after the keyframe on frame 7, in a fresh cache (a farm chunk): only the chain from that keyframe
    part = _runner(lineart, colorizer, tmp_path / "chunk_cache", temporal=True)
    res = part.ensure([8])
    assert res.computed == [8] and res.warmup == [7]
    assert np.array_equal(_read(part.frame_path(8)), expected[7])
    assert np.array_equal(_read(runner.frame_path(1)), lineart["colours"][0])  # the keyframe itself
    # the cut before frame 6: frame 6 used its keyframe (7) only
    adapter = EngineAdapter(colorizer)
    r2 = _runner(lineart, colorizer, tmp_path / "cache2", temporal=True)
    r2.processor = adapter
    r2.ensure(list(range(1, N + 1)))
    # frame 2: previous is key 1 (one reference); 3-5 chain; 6 after the cut and 8 after key 7: keyframe only
    assert adapter.passes == [1, 2, 2, 2, 1, 1], adapter.passes


@pytest.mark.parametrize("kind", ["twos", "drift"])
def test_held_drawings_follow_the_engine(lineart: dict, colorizer: Colorizer, tmp_path: Path, kind: str) -> None:
    """On twos (each drawing shown twice, the first one the keyframe's), and on a drawing that drifts by steps each
    under the hold tolerance: the cached chain (asked for frame 6 first, then all) repeats exactly the engine's
    held frames and colours, with the same network passes."""
    lines = lineart["lines"]
    if kind == "twos":
        frames = [lines[i // 2] for i in range(N)]
    else:  # cross-fades to itself moved by one pixel over 20 frames
        moved = np.roll(lines[0], 1, axis=1).astype(np.float32)
        frames = [np.rint(lines[0] + (moved - lines[0]) * t / 20).astype(np.uint8) for t in range(N)]
    folder = tmp_path / kind
    folder.mkdir()
    for i, line in enumerate(frames, start=1):
        cv2.imwrite(str(folder / f"lines_{i:04d}.png"), line)
    expected = list(colorizer.colorize(frames, {0: lineart["colours"][0]}))
    holds = list(colorizer.holds)
    assert holds == [1, 3, 5, 7]  # drift: two steps add up past the tolerance (consecutive checks would hold 1-7)
    runner = _runner({**lineart, "first": folder / "lines_0001.png"}, colorizer, tmp_path / "cache", temporal=True,
                     keys={1: lineart["keys"][1]})
    adapter = EngineAdapter(colorizer)
    runner.processor = adapter
    runner.ensure([6])
    runner.ensure(list(range(1, N + 1)))
    for f in range(1, N + 1):
        assert np.array_equal(_read(runner.frame_path(f)), expected[f - 1]), f"frame {f}"
    assert len(adapter.passes) == N - 1 - len(holds)  # one network pass per frame neither keyframe nor held


def test_two_sided_equals_engine_colorize(tmp_path: Path, colorizer: Colorizer) -> None:
    """Two-sided through the cache (a frame of a stretch, a farm chunk, everything) gives exactly the engine's
    two-sided run: the whole stretch between two keyframes at once; one-sided before the first and after the last."""
    clip_info = _write_clip(tmp_path, 12, (3, 9))
    lines, keys = clip_info["lines"], clip_info["keys"]
    engine_keys = {f - 1: cv2.cvtColor(cv2.imread(str(p)), cv2.COLOR_BGR2RGB) for f, p in keys.items()}
    expected = list(Colorizer(colorizer.card.onnx_path, device="cpu", two_sided=True).colorize(lines, engine_keys))
    runner = _runner(clip_info, colorizer, tmp_path / "cache", temporal=True, two_sided=True)
    res = runner.ensure([6])
    assert res.computed == [6] and res.warmup == [3, 4, 5, 7, 8]
    assert runner.processor.passes == [-7]  # the stretch 3..9 in one engine run
    runner.ensure(list(range(1, 13)))
    for f in range(1, 13):
        assert np.array_equal(_read(runner.frame_path(f)), expected[f - 1]), f"frame {f}"
    chunk = _runner(clip_info, colorizer, tmp_path / "chunk", temporal=True, two_sided=True)
    chunk.ensure([7, 8, 11])
    for f in (7, 8, 11):
        assert np.array_equal(_read(chunk.frame_path(f)), expected[f - 1]), f"chunk frame {f}"
    one_sided = _runner(clip_info, colorizer, tmp_path / "cache", temporal=True)
    assert one_sided.signature(6) != runner.signature(6) and one_sided.signature(11) == runner.signature(11)


def test_no_temporal_is_keyframe_only(lineart: dict, colorizer: Colorizer, tmp_path: Path) -> None:
    runner = _runner(lineart, colorizer, tmp_path / "cache", temporal=False)
    res = runner.ensure([3, 5])
    assert res.computed == [3, 5] and res.warmup == []
    for frame, key in ((3, 1), (5, 7)):  # the nearest keyframe only
        expected = colorizer.colorize_frame(lineart["lines"][frame - 1],
                                            [Reference(lineart["lines"][key - 1], lineart["colours"][key - 1])])
        assert np.array_equal(_read(runner.frame_path(frame)), expected), frame


def test_cache_reuse_resume_and_invalidation(lineart: dict, colorizer: Colorizer, tmp_path: Path) -> None:
    runner = _runner(lineart, colorizer, tmp_path / "cache", temporal=True)
    with pytest.raises(CancelledError):
        runner.ensure(list(range(1, N + 1)), stop_after=3)
    assert len(runner.cached(list(range(1, N + 1)))) == 3
    cancel = threading.Event()
    seen: list[int] = []

    def progress(done: int, total: int, frame: int) -> None:
        seen.append(frame)
        if done >= 5:
            cancel.set()

    with pytest.raises(CancelledError):
        runner.ensure(list(range(1, N + 1)), progress=progress, cancel=cancel)
    assert len(runner.cached(list(range(1, N + 1)))) == 5 and seen[1:] == [4, 5]
    res = runner.ensure(list(range(1, N + 1)))
    assert res.cached == [1, 2, 3, 4, 5] and res.computed == [6, 7, 8]
    mtimes = {f: runner.frame_path(f).stat().st_mtime_ns for f in range(1, N + 1)}
    assert runner.ensure(list(range(1, N + 1))).computed == []
    # redraw line-art frame 3: frames 3-6 of the chain are recomputed (temporal); 1-2 are kept, and so are 7-8,
    # because the chain restarts at the keyframe on frame 7
    p3 = lineart["folder"] / "lines_0003.png"
    img = cv2.imread(str(p3), cv2.IMREAD_GRAYSCALE)
    img[5:9, 5:9] = 0
    cv2.imwrite(str(p3), img)
    res = runner.ensure(list(range(1, N + 1)))
    assert res.cached == [1, 2, 7, 8] and res.computed == [3, 4, 5, 6], (res.cached, res.computed)
    assert all(runner.frame_path(f).stat().st_mtime_ns == mtimes[f] for f in (1, 2, 7, 8))


def test_keyframe_resized_with_warning_and_bad_keys(lineart: dict, colorizer: Colorizer, tmp_path: Path) -> None:
    big = tmp_path / "big_key.png"
    cv2.imwrite(str(big), cv2.resize(cv2.imread(str(lineart["keys"][1])), (W * 2, H * 2)))
    runner = _runner(lineart, colorizer, tmp_path / "cache", temporal=True, keys={1: big})
    runner.ensure([1, 2])
    assert any("128x96 but the line art is 64x48: resized" in w for w in runner.warnings), runner.warnings
    assert _read(runner.frame_path(1)).shape == (H, W, 3)
    outside = _runner(lineart, colorizer, tmp_path / "cache2", temporal=False, keys={40: lineart["keys"][1]})
    with pytest.raises(KeyframeError, match="keyframe at frame 40: its line-art frame cannot be read"):
        outside.ensure([2])
    colour_as_lines = tmp_path / "colour_lines"
    colour_as_lines.mkdir()
    for i, c in enumerate(lineart["colours"], start=1):
        cv2.imwrite(str(colour_as_lines / f"c_{i:04d}.png"), cv2.cvtColor(c, cv2.COLOR_RGB2BGR))
    wrong = ColorizeRunner(SequenceSource(colour_as_lines / "c_0001.png"), ClipCache(tmp_path / "c3", "colorize", "k"),
                           EngineAdapter(colorizer), {1: Keyframe(1, lineart["keys"][1])}, lambda f: f,
                           temporal=False, first_frame=1)
    from engine.errors import InputError

    with pytest.raises(InputError, match="not line art"):
        wrong.ensure([2])
