"""Make samples/cockatoo.mp4: the first 72 frames of imageio's cockatoo.mp4, downscaled to 640x360, with audio.

Source: Debian package python3-imageio, /usr/lib/python3/dist-packages/imageio/resources/images/cockatoo.mp4
(BSD-2-Clause, see /usr/share/doc/python3-imageio/copyright). Run from the repository root:

    apt-get install -y python3-imageio   # if the source file is missing
    .venv/bin/python samples/make_sample.py

Only PyAV and numpy are used. The audio is cut to the same 3.6 s and re-encoded to AAC (the source's MP3 cannot be
cut at frame boundaries by copying packets).
"""

from __future__ import annotations

import argparse
from fractions import Fraction
from pathlib import Path

import av

SOURCE = Path("/usr/lib/python3/dist-packages/imageio/resources/images/cockatoo.mp4")
FRAMES = 72
SIZE = (640, 360)


def make(source: Path, out: Path, frames: int = FRAMES, size: tuple[int, int] = SIZE) -> None:
    with av.open(str(source)) as inp, av.open(str(out), "w", format="mp4") as dst:
        vin = inp.streams.video[0]
        rate = Fraction(vin.average_rate)
        vout = dst.add_stream("libx264", rate=rate)
        vout.width, vout.height = size
        vout.pix_fmt = "yuv420p"
        vout.codec_context.time_base = 1 / rate
        vout.codec_context.colorspace = vout.codec_context.color_primaries = vout.codec_context.color_trc = 1
        vout.options = {"crf": "23", "preset": "slow"}
        for i, frame in enumerate(inp.decode(vin)):
            if i >= frames:
                break
            small = frame.reformat(width=size[0], height=size[1], format="yuv420p", interpolation="AREA",
                                   dst_colorspace=av.video.reformatter.Colorspace.ITU709)
            small.pts = i
            small.time_base = 1 / rate
            for packet in vout.encode(small):
                dst.mux(packet)
        for packet in vout.encode(None):
            dst.mux(packet)

    duration = frames / rate
    with av.open(str(source)) as inp:
        if not inp.streams.audio:
            return
    # second pass for audio: mux into a fresh file together with the video just written
    tmp = out.with_suffix(".tmp.mp4")
    out.rename(tmp)
    try:
        with av.open(str(tmp)) as vsrc, av.open(str(source)) as asrc, av.open(str(out), "w", format="mp4") as dst:
            vt = dst.add_stream_from_template(vsrc.streams.video[0])
            ain = asrc.streams.audio[0]
            aout = dst.add_stream("aac", rate=ain.codec_context.sample_rate)
            aout.layout = ain.codec_context.layout
            aout.bit_rate = 64000
            for packet in vsrc.demux(vsrc.streams.video[0]):
                if packet.dts is None:
                    continue
                packet.stream = vt
                dst.mux(packet)
            for frame in asrc.decode(ain):
                if frame.time is not None and frame.time >= float(duration):
                    break
                frame.pts = None
                for packet in aout.encode(frame):
                    dst.mux(packet)
            for packet in aout.encode(None):
                dst.mux(packet)
    finally:
        tmp.unlink(missing_ok=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--source", type=Path, default=SOURCE)
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "cockatoo.mp4")
    args = parser.parse_args()
    make(args.source, args.out)
    with av.open(str(args.out)) as c:
        v = c.streams.video[0]
        print(f"{args.out}: {v.frames} frames {v.codec_context.width}x{v.codec_context.height} "
              f"at {v.average_rate} fps, audio: {bool(c.streams.audio)}, {args.out.stat().st_size} bytes")


if __name__ == "__main__":
    main()
