from __future__ import annotations

from fractions import Fraction
import os
from pathlib import Path

import av
import cv2
import numpy as np
import pytest

from engine.errors import InputError, OutputError
from engine.image_files import natural_key
from engine.media_input import open_frames, probe
from engine.media_output import check_output_path, open_writer

from .helpers import audio_packets, make_video, pattern, read_video


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if "toonflow-tmp" in p.name)


def test_open_video_info_and_frames(video_with_audio: Path) -> None:
    frames, info = open_frames(video_with_audio)
    got = list(frames)
    assert (info.kind, info.width, info.height, info.frame_count, info.rate) == ("video", 64, 48, 12, 25)
    assert info.has_audio and info.fps == 25.0
    assert len(got) == 12 and got[0].shape == (48, 64, 3) and got[0].dtype == np.uint8
    assert np.abs(got[5].astype(int) - pattern(5, 48, 64)).mean() < 4  # decoded content is the encoded one


def test_frame_count_without_header(tmp_path: Path) -> None:
    p = tmp_path / "c.mkv"
    make_video(p, n=7, audio=None)
    frames, info = open_frames(p)
    assert info.frame_count == 7 and len(list(frames)) == 7


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"missing.mp4: no such file or folder"):
        open_frames(tmp_path / "missing.mp4")


@pytest.mark.parametrize("content", [b"hello, I am text\n" * 50, b""])
def test_not_a_video(tmp_path: Path, content: bytes) -> None:
    p = tmp_path / "fake.mp4"
    p.write_bytes(content)
    with pytest.raises(InputError, match=r"fake.mp4: .*not a video"):
        open_frames(p)


def test_audio_only_file_has_no_video_stream(tmp_path: Path) -> None:
    import av

    p = tmp_path / "sound.m4a"
    with av.open(str(p), "w", format="mp4") as c:
        s = c.add_stream("aac", rate=16000)
        s.layout = "mono"
        f = av.AudioFrame.from_ndarray(np.zeros((1, 1024), np.int16), format="s16", layout="mono")
        f.sample_rate = 16000
        for pk in s.encode(f):
            c.mux(pk)
        for pk in s.encode(None):
            c.mux(pk)
    with pytest.raises(InputError, match="no video stream"):
        open_frames(p)


def test_zero_frames(tmp_path: Path) -> None:
    y4m = tmp_path / "empty.y4m"  # a valid header with a video stream, and no frame
    y4m.write_bytes(b"YUV4MPEG2 W64 H48 F25:1 Ip A1:1 C420jpeg\n")
    with pytest.raises(InputError, match="empty.y4m: the video stream has zero frames"):
        open_frames(y4m)
    mp4 = tmp_path / "empty.mp4"  # FFmpeg writes no track at all for a stream without frames
    make_video(mp4, n=0, audio=None)
    with pytest.raises(InputError, match="empty.mp4: the file has no video stream"):
        open_frames(mp4)


def test_corrupt_frame_mid_stream_names_index(tmp_path: Path) -> None:
    p = tmp_path / "broken.mp4"
    make_video(p, n=30, size=(64, 48), audio=None)
    data = bytearray(p.read_bytes())
    n = len(data)
    data[n // 3:n // 3 + n // 6] = b"\xff" * (n // 6)
    p.write_bytes(bytes(data))
    frames, info = open_frames(p)
    got = []
    with pytest.raises(InputError, match=r"broken.mp4: frame (\d+) (could not be decoded|is corrupt)") as exc:
        for f in frames:
            got.append(f)
    assert 0 < len(got) < 30 and f"frame {len(got)} " in str(exc.value)


def test_image_sequence_natural_order_16bit_rgba_tiff(tmp_path: Path) -> None:
    seq = tmp_path / "seq"
    seq.mkdir()
    frames = [pattern(i, 20, 30) for i in range(11)]
    for i, f in enumerate(frames):
        bgr = cv2.cvtColor(f, cv2.COLOR_RGB2BGR)
        if i == 2:
            cv2.imwrite(str(seq / f"f{i}.png"), bgr.astype(np.uint16) * 257)  # 16 bit
        elif i == 3:
            cv2.imwrite(str(seq / f"f{i}.tif"), bgr)
        elif i == 4:
            cv2.imwrite(str(seq / f"f{i}.jpg"), bgr, [cv2.IMWRITE_JPEG_QUALITY, 100])
        else:
            cv2.imwrite(str(seq / f"f{i}.png"), bgr)
    (seq / "notes.txt").write_text("ignored")
    it, info = open_frames(seq, fps=12)
    got = list(it)
    assert (info.kind, info.frame_count, info.width, info.height, info.fps) == ("images", 11, 30, 20, 12.0)
    assert len(got) == 11
    for i in (0, 1, 2, 3, 10):  # f10 comes last, 16-bit and TIFF converted exactly
        np.testing.assert_array_equal(got[i], frames[i])
    assert np.abs(got[4].astype(int) - frames[4]).mean() < 3


def test_rgba_image_keeps_alpha(tmp_path: Path) -> None:
    rgba = np.dstack([pattern(0, 10, 12), np.full((10, 12), 128, np.uint8)])
    cv2.imwrite(str(tmp_path / "a.png"), cv2.cvtColor(rgba, cv2.COLOR_RGBA2BGRA))
    it, info = open_frames(tmp_path / "a.png")
    (frame,) = list(it)
    assert info.kind == "image" and info.has_alpha
    np.testing.assert_array_equal(frame, rgba)


def test_corrupt_image_in_sequence(tmp_path: Path) -> None:
    for i in range(3):
        cv2.imwrite(str(tmp_path / f"{i}.png"), pattern(i, 8, 8))
    (tmp_path / "1.png").write_bytes(b"\x89PNG garbage")
    it, _ = open_frames(tmp_path)
    next(it)
    with pytest.raises(InputError, match=r"1.png \(frame 1\): not a readable image"):
        next(it)


def test_sequence_size_mismatch(tmp_path: Path) -> None:
    cv2.imwrite(str(tmp_path / "0.png"), pattern(0, 8, 8))
    cv2.imwrite(str(tmp_path / "1.png"), pattern(0, 9, 8))
    it, _ = open_frames(tmp_path)
    with pytest.raises(InputError, match=r"frame 1\): size 8x9 differs"):
        list(it)


def test_empty_folder(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="folder contains no images"):
        open_frames(tmp_path)


def test_natural_key() -> None:
    assert sorted(["f10.png", "f2.png", "F1.png"], key=natural_key) == ["F1.png", "f2.png", "f10.png"]


def _write_through(src: Path, out: Path) -> tuple[list[np.ndarray], dict]:
    """Decode `src` and write every frame to `out` (audio from `src`); what `out` then holds."""
    frames, info = open_frames(src)
    with open_writer(out, info) as writer:
        for frame in frames:
            writer.write(frame)
    return read_video(out)


def test_writer_preserves_fps_count_and_copies_audio(video_with_audio: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.mp4"
    got, meta = _write_through(video_with_audio, out)
    assert len(got) == 12 and meta["rate"] == 25 and meta["frames_header"] == 12
    assert (meta["width"], meta["height"], meta["pix_fmt"], meta["codec"]) == (64, 48, "yuv420p", "h264")
    assert meta["audio"] == [("aac", 16000)]
    assert audio_packets(out) == audio_packets(video_with_audio)  # copied, not re-encoded
    assert leftovers(tmp_path) == []
    umask = os.umask(0)
    os.umask(umask)
    assert out.stat().st_mode & 0o777 == 0o666 & ~umask  # an ordinary new file, not mkstemp's 0600


def test_ntsc_rate_preserved(tmp_path: Path) -> None:
    src = tmp_path / "ntsc.mp4"
    make_video(src, n=5, rate=Fraction(30000, 1001), audio=None)
    frames, info = open_frames(src)
    assert info.rate == Fraction(30000, 1001)
    out = tmp_path / "o.mov"
    with open_writer(out, info) as w:
        for f in frames:
            w.write(f)
    got, meta = read_video(out)
    assert meta["rate"] == Fraction(30000, 1001) and len(got) == 5


def test_audio_reencoded_when_container_cannot_carry_it(tmp_path: Path) -> None:
    src = tmp_path / "pcm.mkv"
    make_video(src, n=10, audio="pcm_u8")
    got, meta = _write_through(src, tmp_path / "out.mp4")
    assert len(got) == 10 and meta["audio"] == [("aac", 16000)]


def test_stereo_pcm_that_mp4_refuses_only_at_the_end_is_reencoded_up_front(tmp_path: Path) -> None:
    # A camera's or an editor's .mkv: 48 kHz stereo pcm_s16le passes the mp4 muxer's header and used to fail when
    # the file was finished, after all the work ("finishing the video failed (Invalid argument)").
    src = tmp_path / "camera.mkv"
    make_video(src, n=12, audio="pcm_s16le", audio_rate=48000, audio_layout="stereo")
    got, meta = _write_through(src, tmp_path / "out.mp4")
    assert len(got) == 12 and meta["audio"] == [("aac", 48000)]


@pytest.mark.parametrize("size", [(33, 21), (1, 1), (64, 47)])
def test_odd_sizes_written_exactly(tmp_path: Path, size: tuple[int, int]) -> None:
    src = tmp_path / "src"
    src.mkdir()
    w, h = size
    for i in range(3):
        cv2.imwrite(str(src / f"{i}.png"), cv2.cvtColor(pattern(i, h, w), cv2.COLOR_RGB2BGR))
    got, meta = _write_through(src, tmp_path / "odd.mp4")
    assert (meta["width"], meta["height"], meta["pix_fmt"]) == (w, h, "yuv444p")
    assert len(got) == 3 and got[0].shape == (h, w, 3)
    assert np.abs(got[1].astype(int) - pattern(1, h, w)).mean() < 4


def test_error_while_writing_leaves_no_output(video_with_audio: Path, tmp_path: Path) -> None:
    frames, info = open_frames(video_with_audio)
    out = tmp_path / "out.mp4"
    with pytest.raises(RuntimeError, match="boom"):
        with open_writer(out, info) as w:
            for i, f in enumerate(frames):
                if i == 5:
                    raise RuntimeError("boom")
                w.write(f)
    assert not out.exists() and leftovers(tmp_path) == []


def test_previous_output_kept_on_failure(video_with_audio: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.mp4"
    out.write_bytes(b"previous result")
    frames, info = open_frames(video_with_audio)
    with pytest.raises(OutputError):
        with open_writer(out, info) as w:
            w.write(next(frames))
            w.write(np.zeros((10, 10, 3), np.uint8))  # wrong size
    assert out.read_bytes() == b"previous result" and leftovers(tmp_path) == []


def test_png_sequence_output_replaces_old_frames(tmp_path: Path, video_with_audio: Path) -> None:
    out = tmp_path / "frames"
    out.mkdir()
    (out / "frame_000099.png").write_bytes(b"old")
    frames, info = open_frames(video_with_audio)
    check_output_path(video_with_audio, out, info.frame_count)
    with open_writer(out, info) as w:
        for f in frames:
            w.write(f)
    names = sorted(p.name for p in out.iterdir())
    assert names == [f"frame_{i:06d}.png" for i in range(1, 13)]
    assert leftovers(tmp_path) == []


def test_rgba_sequence_output_keeps_alpha(tmp_path: Path) -> None:
    rgba = np.dstack([pattern(0, 6, 7), np.full((6, 7), 50, np.uint8)])
    cv2.imwrite(str(tmp_path / "in.png"), cv2.cvtColor(rgba, cv2.COLOR_RGBA2BGRA))
    frames, info = open_frames(tmp_path / "in.png")
    out = tmp_path / "out.png"
    with open_writer(out, info) as w:
        w.write(next(frames))
    back = cv2.imread(str(out), cv2.IMREAD_UNCHANGED)
    np.testing.assert_array_equal(cv2.cvtColor(back, cv2.COLOR_BGRA2RGBA), rgba)


def test_output_checks(video_with_audio: Path, tmp_path: Path) -> None:
    with pytest.raises(OutputError, match="the output is the input file"):
        check_output_path(video_with_audio, video_with_audio)
    link = tmp_path / "alias.mp4"
    link.symlink_to(video_with_audio)
    with pytest.raises(OutputError, match="the output is the input file"):
        check_output_path(video_with_audio, link)
    with pytest.raises(OutputError, match="does not exist"):
        check_output_path(video_with_audio, tmp_path / "nope" / "o.mp4")
    with pytest.raises(OutputError, match="cannot write .webm"):
        check_output_path(video_with_audio, tmp_path / "o.webm")
    with pytest.raises(OutputError, match="single image cannot hold 12 frames"):
        check_output_path(video_with_audio, tmp_path / "o.png", 12)
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "thesis.docx").write_text("precious")
    with pytest.raises(OutputError, match="already contains other files"):
        check_output_path(video_with_audio, busy)
    assert check_output_path(video_with_audio, tmp_path / "new_folder") == "images"
    assert check_output_path(video_with_audio, tmp_path / "o.mkv") == "video"


def test_probe_and_early_close_release_the_file(video_with_audio: Path) -> None:
    info = probe(video_with_audio)
    assert (info.frame_count, info.has_audio) == (12, True)
    frames, _ = open_frames(video_with_audio)
    next(frames)
    frames.close()
    with pytest.raises(StopIteration):
        next(frames)


def test_exr_linear_is_encoded_to_srgb(tmp_path: Path) -> None:
    import os

    os.environ.setdefault("OPENCV_IO_ENABLE_OPENEXR", "1")
    linear = np.full((4, 6, 3), 0.2140, np.float32)  # sRGB 0.5
    linear[0, 0] = 2.0  # over-range: clipped
    if not cv2.imwrite(str(tmp_path / "f.exr"), linear):
        pytest.skip("this OpenCV build cannot write EXR")
    frames, info = open_frames(tmp_path / "f.exr")
    (f,) = list(frames)
    assert f.dtype == np.uint8 and f.shape == (4, 6, 3)
    assert abs(int(f[2, 2, 0]) - 128) <= 1 and (f[0, 0] == 255).all()
