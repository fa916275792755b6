"""Colorize bootstrap: cut detection, synfig line-art scenes, split rule, camera paths, a tiny real build."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import av
import cv2
import numpy as np
import pytest

from training.data import sources, synfig
from training.data.colorize import build as cb
from training.data.colorize import shots
from training.data.colorize.camera_paths import camera_path, film
from training.data.colorize.command import main as bootstrap_colorize_main
from training.data.colorize.parts import BuildOptions
from training.data.colorize.sequences import restyle
from training.data.colorize.split import held_out_range, shot_segments


def _scene(kind: int, t: int, size: tuple[int, int] = (48, 64)) -> np.ndarray:
    """Frame t of one of two scenes with different palettes; a disc moves a little each frame."""
    h, w = size
    background = ((40, 120, 200), (200, 180, 60))[kind]
    rgb = np.full((h, w, 3), background, np.uint8)
    cv2.rectangle(rgb, (0, h * 2 // 3), (w, h), ((30, 160, 60), (120, 60, 30))[kind], -1)
    cv2.circle(rgb, (8 + 2 * t % (w - 16), h // 3), 7, ((240, 240, 240), (20, 20, 120))[kind], -1)
    return rgb


def test_cut_detector_finds_a_hard_cut_and_ignores_motion() -> None:
    frames = [_scene(0, t) for t in range(12)] + [_scene(1, t) for t in range(9)]
    distances = shots.histogram_distances([shots.frame_histogram(f) for f in frames])
    assert distances[0] == 0 and distances[12] > 0.25 and np.delete(distances, 12).max() < 0.05
    assert shots.detect_cuts(distances) == [12]
    assert shots.split_shots(frames) == [range(0, 12), range(12, 21)]
    assert shots.split_shots(frames, min_length=10) == [range(0, 12)]
    assert shots.split_shots([_scene(0, t) for t in range(15)]) == [range(0, 15)]


_SIF = """<?xml version="1.0" encoding="UTF-8"?>
<canvas version="0.5" width="64" height="64" xres="2834.6" yres="2834.6" view-box="-1.0 1.0 1.0 -1.0"
        antialias="1" fps="24" begin-time="0f" end-time="2s 0f">
  <layer type="SolidColor" active="true" version="0.1">
    <param name="color"><color><r>0.1</r><g>0.2</g><b>0.9</b><a>1.0</a></color></param>
  </layer>
  <layer type="circle" active="true" version="0.2">
    <param name="color"><color><r>0.9</r><g>0.1</g><b>0.1</b><a>1.0</a></color></param>
    <param name="radius"><real value="0.5"/></param>
    <param name="origin"><vector><x>0.0</x><y>0.0</y></vector></param>
  </layer>
  <layer type="outline" active="true" version="0.2">
    <param name="color"><color><r>0.9</r><g>0.9</g><b>0.1</b><a>1.0</a></color></param>
    <param name="width"><real value="0.08"/></param>
    <param name="bline"><bline type="bline_point" loop="false">{points}</bline></param>
  </layer>
</canvas>
"""
_POINT = ("<entry><composite type=\"bline_point\"><point><vector><x>{x}</x><y>-0.8</y></vector></point>"
          "<width><real value=\"1\"/></width><origin><real value=\"0.5\"/></origin><split><bool value=\"false\"/>"
          "</split><t1><vector><x>0</x><y>0</y></vector></t1><t2><vector><x>0</x><y>0</y></vector></t2>"
          "</composite></entry>")


def _write_sif(path: Path) -> Path:
    path.write_text(_SIF.format(points=_POINT.format(x=-0.8) + _POINT.format(x=0.8)))
    return path


def test_line_art_scene_inks_strokes_whitens_fills_and_switches_off_the_rest(tmp_path: Path) -> None:
    sif = _write_sif(tmp_path / "scene.sif")
    info = synfig.scene_info(sif)
    assert (info.width, info.height, info.fps, info.frames) == (64, 64, 24.0, 49)
    counts = synfig.line_art_scene(sif, tmp_path / "lines.sif")
    assert counts == {"strokes": 1, "fills": 1, "off": 1}
    text = (tmp_path / "lines.sif").read_text()
    assert 'type="SolidColor" active="false"' in text
    if shutil.which("synfig") is None:
        pytest.skip("synfig not installed (apt-get install synfig)")
    (colour,) = synfig.render_frames(sif, 0, 0, 64, 64)
    (lines,) = synfig.render_frames(tmp_path / "lines.sif", 0, 0, 64, 64)
    assert colour.shape == lines.shape == (64, 64, 4)
    assert colour[32, 32, 0] > 200 and colour[2, 2, 2] > 200  # red disc on blue
    assert tuple(lines[56, 32]) == (0, 0, 0, 255)  # the stroke along y = -0.8 is black ...
    assert tuple(lines[32, 32, :3]) == (255, 255, 255) and lines[2, 2, 3] == 0  # ... the disc white, no background
    with pytest.raises(synfig.SynfigError, match="synfig failed"):
        synfig.render_frames(tmp_path / "missing.sif", 0, 0, 8, 8)


def test_one_synfig_reader_serves_stills_and_frame_ranges(tmp_path: Path) -> None:
    """The cartoonize build's stills (a time in seconds) and the colorize build's frames go through one renderer."""
    sif = _write_sif(tmp_path / "scene.sif")
    info = synfig.scene_info(sif)
    assert info.seconds == 2.0 and info.frames == 49
    if shutil.which("synfig") is None:
        pytest.skip("synfig not installed (apt-get install synfig)")
    (first,) = synfig.render_frames(sif, 0, 0, 48, 32)
    still = synfig.render_still(sif, 0.0, 48, 32)
    assert still.shape == (32, 48, 4) and np.array_equal(still, first)
    with pytest.raises(synfig.SynfigError, match="synfig failed .* t=0.50"):
        synfig.render_still(tmp_path / "missing.sif", 0.5, 8, 8)


def test_shot_segments_hold_out_a_benchmark_length_test_segment_with_a_gap() -> None:
    options = BuildOptions()
    seen_head = set()
    for k in range(20):
        segments = shot_segments(f"shot{k}", 150, test_frames=options.test_frames, gap=options.gap, seed=options.seed)
        by_split = {split: (a, b) for split, a, b in segments}
        test, train = by_split["test"], by_split["train"]
        assert test[1] - test[0] == 41 and train[1] - train[0] == 150 - 41 - 10
        assert test[1] + 10 <= train[0] or train[1] + 10 <= test[0]  # disjoint, 10 frames apart
        seen_head.add(test[0] == 0)
    assert seen_head == {True, False}  # the hash picks head or tail
    assert len(shot_segments("short", 60, test_frames=41, gap=10, seed=0)) == 1
    ranges = ((40, 80), (96, 176), (200, 230))  # the last is shorter than a test segment: never held out
    picks = {held_out_range(f"scene{k}", ranges, test_frames=41, seed=0) for k in range(20)}
    assert picks == {(40, 80), (96, 176)}


def test_camera_path_is_smooth_and_sees_only_the_still() -> None:
    import random

    path = camera_path(random.Random(0), 30, (300, 420), (96, 128))
    assert len(path) == 30
    corners = np.array([[0, 0, 1], [127, 0, 1], [0, 95, 1], [127, 95, 1]], np.float64).T
    steps = []
    for m in path:
        inverse = cv2.invertAffineTransform(m)
        seen = inverse @ corners  # output corners in still pixels
        assert seen.min() >= -2 and seen[0].max() <= 422 and seen[1].max() <= 302
        steps.append(inverse[:, 2])
    jumps = np.linalg.norm(np.diff(np.array(steps), axis=0), axis=1)
    assert jumps.max() < 25 and jumps.sum() > 5  # it moves, without jumps
    still = np.full((300, 420, 3), 40, np.uint8)
    frames = film(still, path, (96, 128), (255, 255, 255))
    assert len(frames) == 30 and frames[0].shape == (96, 128, 3)
    assert (np.array(frames) == 40).all()  # the camera sees only the still, never the white border


def test_missing_packages_name_the_install_command(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(sources, "missing_packages", lambda needed=None: (["tupi-data"], []))
    with pytest.raises(sources.MissingSourcesError, match="apt-get install -y --no-install-recommends tupi-data"):
        cb.build(tmp_path, parts=["tupi"], options=BuildOptions(hed=False))
    assert bootstrap_colorize_main(["--check", "--parts", "tupi", "--no-hed"]) == 1
    with pytest.raises(ValueError, match="unknown parts"):
        cb.build(tmp_path, parts=["nope"])


def _write_video(path: Path, frames: list[np.ndarray]) -> None:
    with av.open(str(path), "w") as container:
        stream = container.add_stream("mpeg4", rate=24)
        stream.width, stream.height = frames[0].shape[1], frames[0].shape[0]
        stream.pix_fmt = "yuv420p"
        for rgb in frames:
            for packet in stream.encode(av.VideoFrame.from_ndarray(rgb, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)


def test_tiny_build_splits_shots_into_disjoint_sequences_and_resumes(tmp_path: Path, monkeypatch) -> None:
    """The tupi part on a stand-in video with one cut: 2 shots -> test + train segments, manifest, resume."""
    video = tmp_path / "example.avi"
    _write_video(video, [_scene(0, t) for t in range(100)] + [_scene(1, t) for t in range(30)])
    monkeypatch.setattr(sources, "TUPI_AVI", video)
    monkeypatch.setattr(sources, "missing_packages", lambda needed=None: ([], []))
    out = tmp_path / "data"
    options = BuildOptions(hed=False)
    manifest = cb.build(out, parts=["tupi"], options=options)
    assert manifest == json.loads((out / "manifest.json").read_text())
    seqs = {s["id"]: s for s in manifest["sequences"]}
    shot0 = [s for s in seqs.values() if s["id"].startswith("tupi_shot00")]
    assert sorted(s["split"] for s in shot0) == ["test", "train"]
    assert {s["frames"] for s in shot0} == {41, 100 - 41 - 10}
    assert [s["frames"] for s in seqs.values() if s["id"].startswith("tupi_shot01")] == [30]
    for s in seqs.values():
        folder = out / s["split"] / s["id"]
        assert len(list((folder / "color").glob("*.png"))) == s["frames"]
        assert s["styles"] == ["xdog"] and len(list((folder / "lineart" / "xdog").glob("*.png"))) == s["frames"]
        grey = cv2.imread(str(folder / "lineart" / "xdog" / "000000.png"), cv2.IMREAD_UNCHANGED)
        assert grey.ndim == 2 and grey.dtype == np.uint8 and np.median(grey) == 255
    ranges = {split: set() for split in ("train", "test")}
    for s in seqs.values():
        first, last = map(int, s["origin"].split("#frames=")[1].split("-"))
        ranges[s["split"]].update(range(first, last + 1))
    assert not ranges["train"] & ranges["test"]  # no frame of a test sequence is in train
    entry = manifest["sources"][0]
    assert entry["name"] == "tupi" and entry["packages"][0]["licence"] == "GPL-2+"
    assert entry["files"] == [str(video)] and manifest["totals"]["test/sequences"] >= 1

    mtimes = {p: p.stat().st_mtime_ns for p in out.rglob("*.png")}
    again = cb.build(out, parts=["tupi"], options=options)
    assert again["totals"] == manifest["totals"]
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*.png")} == mtimes  # finished part reused
    other = cb.build(out, parts=["tupi"], options=BuildOptions(hed=False, seed=5))
    assert other["totals"]["train/frames"] + other["totals"]["test/frames"] == 130 - 10
    assert len([d for split in ("train", "test") for d in (out / split).iterdir()]) == 3  # no leftovers


@pytest.mark.skipif(not sources.OPENCLIPART_DIR.is_dir(), reason="apt-get install openclipart-png")
def test_quick_clipart_part_writes_synthetic_camera_shots(tmp_path: Path) -> None:
    manifest = cb.build(tmp_path, parts=["clipart"], options=BuildOptions(quick=True, hed=False))
    seqs = manifest["sequences"]
    assert len(seqs) == 2 and all(s["synthetic"] and s["styles"] == ["xdog"] and s["frames"] == 8 for s in seqs)
    assert all(s["origin"].startswith(str(sources.OPENCLIPART_DIR)) for s in seqs)
    (entry,) = manifest["sources"]
    assert entry["synthetic"] and entry["packages"][0]["name"] == "openclipart-png"
    folder = tmp_path / seqs[0]["split"] / seqs[0]["id"] / "color"
    first, last = (cv2.imread(str(folder / f"{i:06d}.png")) for i in (0, 7))
    assert first.shape == (96, 128, 3) and np.abs(first.astype(int) - last).mean() > 1  # the camera moved
    assert restyle(tmp_path) == 0  # no sequence has the hed style to recompute
    with pytest.raises(ValueError, match="only the 'hed' style"):
        restyle(tmp_path, "xdog")
