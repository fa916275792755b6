"""Builders for the engine tests: tiny real ONNX models with cards, and short real videos (PyAV)."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from .onnx_fixtures import finish_model, save_fixture

#: Card fields of the tiny cartoonize model (the rest: tests/engine/onnx_fixtures.py).
TINY_CARD_FIELDS: dict[str, Any] = {
    "task": "cartoonize",
    "architecture": "tiny_test_net",
    "input_name": "image",
    "output_name": "cartoon",
    "channels_in": 3,
    "channels_out": 3,
    "value_range": [-1, 1],
    "size_multiple": 4,
    "supports_fp16": True,
    "supports_tiling": True,
    "tile_overlap": 8,
    "postprocess": None,
}


def tiny_graph(seed: int = 0) -> onnx.ModelProto:
    """image [N,3,H,W] -> conv3x3 -> tanh -> conv3x3 (+ 2x2 max-pool/upsample branch) -> tanh -> cartoon.

    The pool/upsample branch makes the graph fail on odd H or W, like a strided generator: the engine must pad.
    """
    rng = np.random.default_rng(seed)
    w1 = (rng.standard_normal((3, 3, 3, 3)) * 0.3).astype(np.float32)
    b1 = (rng.standard_normal(3) * 0.1).astype(np.float32)
    w2 = (rng.standard_normal((3, 3, 3, 3)) * 0.3).astype(np.float32)
    w2[:, :, 1, 1] += np.eye(3, dtype=np.float32)  # keep it close to the input so content is recognisable
    b2 = np.zeros(3, dtype=np.float32)
    scales = np.array([1, 1, 2, 2], dtype=np.float32)
    nodes = [
        helper.make_node("Conv", ["image", "w1", "b1"], ["c1"], pads=[1, 1, 1, 1]),
        helper.make_node("Tanh", ["c1"], ["t1"]),
        helper.make_node("Conv", ["t1", "w2", "b2"], ["c2"], pads=[1, 1, 1, 1]),
        helper.make_node("MaxPool", ["t1"], ["p1"], kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("Resize", ["p1", "", "scales"], ["u1"], mode="nearest"),
        helper.make_node("Mul", ["u1", "k"], ["u2"]),
        helper.make_node("Add", ["c2", "u2"], ["s"]),
        helper.make_node("Tanh", ["s"], ["cartoon"]),
    ]
    inits = [numpy_helper.from_array(a, n) for a, n in
             [(w1, "w1"), (b1, "b1"), (w2, "w2"), (b2, "b2"), (scales, "scales"),
              (np.array(0.2, dtype=np.float32), "k")]]
    graph = helper.make_graph(
        nodes, "tiny_cartoon",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, ["N", 3, "H", "W"])],
        [helper.make_tensor_value_info("cartoon", TensorProto.FLOAT, ["N", 3, "H", "W"])],
        inits)
    return finish_model(graph)


def write_model(folder: Path, name: str = "tiny", *, seed: int = 0, model_bytes: bytes | None = None,
                **card_overrides: Any) -> Path:
    """Write ``name.onnx`` + ``name.json`` (correct sha256 unless overridden); returns the .onnx path."""
    data = model_bytes if model_bytes is not None else tiny_graph(seed).SerializeToString()
    return save_fixture(folder, name, data, TINY_CARD_FIELDS, "tiny fixed-weight test model", card_overrides)


def pattern(i: int, h: int, w: int) -> np.ndarray:
    """Deterministic RGB frame: smooth colour gradients and a bright square moving right by 2 px per frame."""
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    img = np.stack([x / max(w - 1, 1), y / max(h - 1, 1), 0.5 + 0.5 * np.sin((x + y) / 7.0)], -1) * 200 + 20
    s = max(2, min(h, w) // 4)
    x0 = (4 + 2 * i) % max(1, w - s)
    img[h // 3:h // 3 + s, x0:x0 + s] = (250, 240, 30)
    return img.astype(np.uint8)


def make_video(path: Path, n: int = 12, size: tuple[int, int] = (64, 48), rate: Fraction = Fraction(25),
               audio: str | None = "aac", fmt: str | None = None, audio_rate: int = 16000,
               audio_layout: str = "mono") -> list[np.ndarray]:
    """Write a small H.264 video (size = (w, h)), optionally with a 440 Hz tone (codec `audio`, `audio_rate` Hz,
    the same tone on every channel of `audio_layout`); returns the frames written."""
    w, h = size
    frames = [pattern(i, h, w) for i in range(n)]
    with av.open(str(path), "w", format=fmt) as c:
        vs = c.add_stream("libx264", rate=rate)
        vs.width, vs.height, vs.pix_fmt = w, h, "yuv420p"
        vs.options = {"crf": "10", "preset": "ultrafast"}
        aus = None
        if audio:
            aus = c.add_stream(audio, rate=audio_rate)
            aus.layout = audio_layout
        for i, f in enumerate(frames):
            vf = av.VideoFrame.from_ndarray(f, format="rgb24")
            vf.pts = i
            vf.time_base = 1 / rate
            for p in vs.encode(vf):
                c.mux(p)
        for p in vs.encode(None):
            c.mux(p)
        if n == 0:
            c.start_encoding()  # write the header of an empty file
        if aus is not None:
            total = int(audio_rate * n / rate)
            t = np.arange(total) / audio_rate
            samples = (np.sin(2 * np.pi * 440 * t) * 0.3 * 32767).astype(np.int16)
            channels = aus.layout.nb_channels
            for k in range(0, total, 1024):
                chunk = np.repeat(samples[k:k + 1024], channels)[None]  # packed s16: channels interleaved
                af = av.AudioFrame.from_ndarray(chunk, format="s16", layout=audio_layout)
                af.sample_rate = audio_rate
                af.pts = k
                af.time_base = Fraction(1, audio_rate)
                for p in aus.encode(af):
                    c.mux(p)
            for p in aus.encode(None):
                c.mux(p)
    return frames


def read_video(path: Path) -> tuple[list[np.ndarray], dict[str, Any]]:
    with av.open(str(path)) as c:
        v = c.streams.video[0]
        meta: dict[str, Any] = {"rate": v.average_rate, "frames_header": v.frames, "pix_fmt": v.codec_context.pix_fmt,
                                "width": v.codec_context.width, "height": v.codec_context.height,
                                "codec": v.codec_context.name,
                                "audio": [(a.codec_context.name, a.codec_context.sample_rate) for a in c.streams.audio]}
        frames = [f.to_ndarray(format="rgb24") for f in c.decode(v)]
    return frames, meta


def audio_packets(path: Path) -> list[bytes]:
    with av.open(str(path)) as c:
        return [bytes(p) for p in c.demux(c.streams.audio[0]) if p.size]
