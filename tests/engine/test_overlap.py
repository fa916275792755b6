"""Decoding ahead and encoding behind the network (engine.overlap): the same output bytes as the serial path, errors
raised where they happened, nothing left behind."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import cv2
import pytest

from engine import Cartoonizer, cartoonize_file
from engine.errors import InputError
from engine.overlap import ReadAhead, WriteBehind

from .helpers import make_video, pattern


def _bytes(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.glob("*.png"))}


def test_overlapped_run_writes_the_serial_bytes(tmp_path: Path, tiny_model: Path) -> None:
    clip = tmp_path / "clip.mp4"
    make_video(clip, n=10, size=(96, 64), audio=None)
    toon = Cartoonizer(str(tiny_model), device="cpu", temporal=True)
    cartoonize_file(clip, tmp_path / "serial", cartoonizer=toon, overlap=False)
    cartoonize_file(clip, tmp_path / "overlap", cartoonizer=toon, overlap=True)
    serial = _bytes(tmp_path / "serial")
    assert len(serial) == 10 and serial == _bytes(tmp_path / "overlap")


def test_bad_frame_midway_names_it_and_leaves_no_output(tmp_path: Path, tiny_model: Path) -> None:
    folder = tmp_path / "frames"
    folder.mkdir()
    for i in range(8):
        cv2.imwrite(str(folder / f"f{i:02d}.png"), pattern(i, 32, 48))
    (folder / "f05.png").write_bytes(b"broken")
    with pytest.raises(InputError, match=r"f05\.png.*frame 5"):
        cartoonize_file(folder, tmp_path / "out.mp4", model=str(tiny_model), device="cpu")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["frames"]


def test_read_ahead_keeps_order_and_raises_in_place() -> None:
    def items() -> Iterator[int]:
        yield from range(5)
        raise ValueError("item 5 is bad")

    got: list[int] = []
    with ReadAhead(items(), depth=2) as ahead, pytest.raises(ValueError, match="item 5"):
        for item in ahead:
            got.append(item)
    assert got == [0, 1, 2, 3, 4]


def test_read_ahead_stops_early_without_reading_everything() -> None:
    produced: list[int] = []

    def items() -> Iterator[int]:
        for i in range(1000):
            produced.append(i)
            yield i

    with ReadAhead(items(), depth=3) as ahead:
        assert next(ahead) == 0
    assert len(produced) <= 6  # the consumer's item, the queue, the one in hand
    assert not any(t.name == "toonflow-read" for t in threading.enumerate())


def test_write_behind_writes_in_order_and_reports_failures() -> None:
    written: list[int] = []
    with WriteBehind(written.append, depth=2) as behind:
        for i in range(20):
            behind.put(i)
    assert written == list(range(20))

    def fail_on_three(item: int) -> None:
        if item == 3:
            raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"), WriteBehind(fail_on_three, depth=1) as behind:
        for i in range(50):
            behind.put(i)
    assert not any(t.name == "toonflow-write" for t in threading.enumerate())


def test_write_behind_abort_drops_the_queue() -> None:
    release = threading.Event()
    written: list[int] = []

    def slow(item: int) -> None:
        release.wait(5)
        written.append(item)

    with pytest.raises(KeyboardInterrupt), WriteBehind(slow, depth=4) as behind:
        for i in range(3):
            behind.put(i)
        release.set()
        raise KeyboardInterrupt
    assert written in ([], [0])  # the item in hand may finish; the queued ones are dropped
