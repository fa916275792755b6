"""H.264 video output (PyAV, libx264) with the input's audio copied through, written atomically.

One output frame per input frame at the input's frame rate, BT.709. Even sizes use yuv420p (plays everywhere); odd
widths or heights use yuv444p at the exact size (H.264 4:2:0 needs even sizes, and padding would change the frame
size; note that some players, e.g. browsers and QuickTime, do not play 4:4:4). The input's first audio stream is
copied packet for packet, or re-encoded to AAC when the output container cannot carry its codec (e.g. PCM in MP4).
"""

from __future__ import annotations

import io
import logging
import os
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path

import av
import av.error
import numpy as np
from av.video.reformatter import Colorspace

from .atomic_output import FrameWriter, remove_quietly, temp_file
from .errors import OutputError

__all__ = ["VIDEO_EXTENSIONS", "VideoWriter"]

log = logging.getLogger(__name__)

#: output containers for H.264 -> FFmpeg muxer name
VIDEO_EXTENSIONS: dict[str, str] = {".mp4": "mp4", ".m4v": "mp4", ".mov": "mov", ".mkv": "matroska"}
_NAMED_LAYOUTS = {1: "mono", 2: "stereo", 3: "2.1", 4: "quad", 5: "5.0", 6: "5.1", 7: "6.1", 8: "7.1"}


def _can_copy_audio(container_format: str, source: Path) -> bool:
    """True when ``container_format`` can carry the first audio stream of ``source`` without re-encoding.

    Probed in memory with the stream's first packet and the trailer: some muxers take a codec's header and refuse it
    only when the file is finished (the mp4 muxer with PCM audio, "Invalid argument"), after all the work.
    """
    buf = io.BytesIO()
    try:
        source_in = av.open(str(source), mode="r")
    except av.error.FFmpegError:
        return False
    try:
        probe_out = av.open(buf, mode="w", format=container_format)
    except av.error.FFmpegError:
        source_in.close()
        return False
    try:
        stream = source_in.streams.audio[0]
        out_stream = probe_out.add_stream_from_template(stream)
        probe_out.start_encoding()
        packet = next((p for p in source_in.demux(stream) if p.size), None)
        if packet is not None:
            packet.stream = out_stream
            probe_out.mux(packet)
        probe_out.close()
        return True
    except (av.error.FFmpegError, ValueError) as exc:
        log.debug("audio of %s cannot be copied into %s: %s", source, container_format, exc)
        return False
    finally:
        source_in.close()
        try:
            probe_out.close()
        except av.error.FFmpegError:
            pass


class VideoWriter(FrameWriter):
    """H.264 video with the input's audio copied through (or re-encoded to AAC when it cannot be copied)."""

    def __init__(self, path: Path, *, rate: Fraction, width: int, height: int,
                 audio_from: Path | None = None, crf: int = 18, preset: str = "medium") -> None:
        super().__init__(path)
        self.rate = Fraction(rate)
        self.width, self.height = width, height
        fmt = VIDEO_EXTENSIONS[path.suffix.lower()]
        self._tmp = temp_file(path)
        self._audio_in: av.container.InputContainer | None = None
        try:
            self._out = av.open(str(self._tmp), mode="w", format=fmt)
            vs = self._out.add_stream("libx264", rate=self.rate)
            vs.width, vs.height = width, height
            self.pix_fmt = "yuv420p" if width % 2 == 0 and height % 2 == 0 else "yuv444p"
            if self.pix_fmt != "yuv420p":
                log.info("%dx%d has an odd side: encoding H.264 4:4:4 (yuv444p) at the exact size", width, height)
            vs.pix_fmt = self.pix_fmt
            vs.codec_context.time_base = 1 / self.rate
            vs.codec_context.colorspace = 1  # BT.709 matrix, primaries and transfer
            vs.codec_context.color_primaries = 1
            vs.codec_context.color_trc = 1
            vs.options = {"crf": str(crf), "preset": preset}
            self._vs = vs
            self._setup_audio(audio_from, fmt)
        except av.error.FFmpegError as exc:
            self._discard()
            raise OutputError(f"{path}: cannot create the video ({exc.strerror or exc})") from exc
        except BaseException:
            self._discard()
            raise

    def _setup_audio(self, audio_from: Path | None, fmt: str) -> None:
        self._as_in = self._as_out = None
        self._audio_packets: Iterator[av.Packet] | None = None
        self._audio_offset = 0.0
        self._reencode = False
        self._pending_audio: av.Packet | None = None
        if audio_from is None:
            return
        try:
            ain = av.open(str(audio_from), mode="r")
        except av.error.FFmpegError as exc:
            log.warning("%s: cannot open for audio (%s); writing video without audio", audio_from, exc)
            return
        if not ain.streams.audio:
            ain.close()
            return
        self._audio_in = ain
        a_in = ain.streams.audio[0]
        if ain.streams.video and ain.streams.video[0].start_time is not None:
            v = ain.streams.video[0]
            self._audio_offset = float(v.start_time * v.time_base)
        if _can_copy_audio(fmt, audio_from):
            self._as_out = self._out.add_stream_from_template(a_in)
            log.debug("copying audio (%s)", a_in.codec_context.name)
        else:
            self._reencode = True
            a_out = self._out.add_stream("aac", rate=a_in.codec_context.sample_rate or 48000)
            layout = a_in.codec_context.layout
            if layout.name.endswith("channels"):  # unnamed order (e.g. PCM from MKV): AAC needs a named layout
                layout = av.AudioLayout(_NAMED_LAYOUTS.get(layout.nb_channels, "stereo"))
            a_out.layout = layout
            self._as_out = a_out
            log.info("audio codec %s cannot go into %s: re-encoding it to AAC", a_in.codec_context.name, fmt)
        self._as_in = a_in
        self._audio_packets = ain.demux(a_in)

    def _mux_audio_until(self, t: float | None) -> None:
        """Write audio packets whose time is before ``t`` seconds of output time (all remaining when None)."""
        if self._audio_packets is None:
            return
        assert self._as_in is not None and self._as_out is not None
        try:
            while True:
                pending = self._pending_audio
                if pending is None:
                    pending = next(self._audio_packets, None)
                    if pending is None:
                        self._audio_packets = None
                        if self._reencode:
                            for p in self._as_out.encode(None):
                                self._out.mux(p)
                        return
                if pending.pts is not None and t is not None and \
                        float(pending.pts * pending.time_base) - self._audio_offset > t:
                    self._pending_audio = pending
                    return
                self._pending_audio = None
                self._write_audio_packet(pending)
        except av.error.FFmpegError as exc:
            log.warning("audio could not be copied (%s); the rest of the audio is dropped", exc)
            self._audio_packets = None

    def _write_audio_packet(self, packet: av.Packet) -> None:
        assert self._as_out is not None
        if self._reencode:
            for frame in packet.decode():
                frame.pts = None
                for p in self._as_out.encode(frame):
                    self._out.mux(p)
            return
        if packet.dts is None:  # demuxer flush packet
            return
        if self._audio_offset:
            shift = round(self._audio_offset / packet.time_base)
            if packet.pts is not None and packet.pts - shift < 0:
                return  # audio before the first video frame
            packet.pts = None if packet.pts is None else packet.pts - shift
            packet.dts = packet.dts - shift
        packet.stream = self._as_out
        self._out.mux(packet)

    def write(self, frame: np.ndarray) -> None:
        if frame.shape[0] != self.height or frame.shape[1] != self.width:
            raise OutputError(f"{self.path}: frame {self.frames_written} is {frame.shape[1]}x{frame.shape[0]}, the "
                              f"video is {self.width}x{self.height}; all frames of a video must have one size")
        if frame.shape[2] == 4:
            frame = frame[:, :, :3]
        try:
            vf = av.VideoFrame.from_ndarray(np.ascontiguousarray(frame), format="rgb24")
            vf = vf.reformat(format=self.pix_fmt, dst_colorspace=Colorspace.ITU709)
            vf.pts = self.frames_written
            vf.time_base = 1 / self.rate
            self._mux_audio_until(self.frames_written / self.rate)
            for packet in self._vs.encode(vf):
                self._out.mux(packet)
        except av.error.FFmpegError as exc:
            raise OutputError(f"{self.path}: encoding frame {self.frames_written} failed "
                              f"({exc.strerror or exc})") from exc
        except OSError as exc:
            raise OutputError(f"{self.path}: writing frame {self.frames_written} failed ({exc})") from exc
        self.frames_written += 1

    def _finish(self) -> None:
        if not self.frames_written:
            raise OutputError(f"{self.path}: no frame was written")
        try:
            for packet in self._vs.encode(None):
                self._out.mux(packet)
            self._mux_audio_until(None)
            self._out.close()
        except av.error.FFmpegError as exc:
            raise OutputError(f"{self.path}: finishing the video failed ({exc.strerror or exc})") from exc
        finally:
            if self._audio_in is not None:
                self._audio_in.close()
        os.replace(self._tmp, self.path)

    def _discard(self) -> None:
        for c in (getattr(self, "_out", None), self._audio_in):
            if c is not None:
                try:
                    c.close()
                except (av.error.FFmpegError, OSError, ValueError):
                    pass
        remove_quietly(self._tmp)
