"""How close the cartoonizers' network passes come to this machine's matrix-multiply peak, fp32 and int8.

    python -m benchmarks.speed.peak --out benchmarks/speed

fp32 peak: the best of numpy's (OpenBLAS), torch's (``benchmarks.cartoonize.speed.measure_matmul_rate``) and ONNX
Runtime's own float32 ``MatMul`` (the MLAS kernels its convolutions use: on an AMD EPYC numpy reached 194 GFLOP/s
where the cel network itself ran at 253, so a BLAS alone can understate the peak). int8 peak: ONNX Runtime's
``MatMulInteger`` (uint8 x int8 -> int32, the kernel family its QDQ convolutions use). Square matrices. A network's
rate is its multiply-accumulates (``benchmarks.cartoonize.flops``, convolutions only) x 2 over the engine session's
best time at the size. Writes ``PEAK.md``.
"""

from __future__ import annotations

import argparse
import logging
import os
import time
from pathlib import Path

import numpy as np
import onnxruntime as ort
from onnx import TensorProto, helper

from engine.models import resolve_model
from engine.runtime import get_session, session_options

from ..cartoonize.flops import count_macs_onnx
from ..cartoonize.speed import measure_matmul_rate
from ..cli_options import command_line, setup_logging

log = logging.getLogger("benchmarks.speed.peak")

ROOT = Path(__file__).resolve().parents[2]
MODELS = ("cel", "cel_lite")
SIZE = (720, 1280)


def ort_matmul_gops(integer: bool, n: int = 2048, repeats: int = 5) -> float:
    """Best matmul rate of ONNX Runtime on this CPU in G operations/s (2 n^3 per product): uint8 x int8
    ``MatMulInteger`` when ``integer``, else float32 ``MatMul``."""
    op, a_type, b_type, c_type = (("MatMulInteger", TensorProto.UINT8, TensorProto.INT8, TensorProto.INT32) if integer
                                  else ("MatMul", TensorProto.FLOAT, TensorProto.FLOAT, TensorProto.FLOAT))
    graph = helper.make_graph(
        [helper.make_node(op, ["a", "b"], ["c"])], "mm",
        [helper.make_tensor_value_info("a", a_type, [n, n]), helper.make_tensor_value_info("b", b_type, [n, n])],
        [helper.make_tensor_value_info("c", c_type, [n, n])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    session = ort.InferenceSession(model.SerializeToString(), session_options(), providers=["CPUExecutionProvider"])
    rng = np.random.default_rng(0)
    feeds = ({"a": rng.integers(0, 255, (n, n), dtype=np.uint8), "b": rng.integers(-127, 127, (n, n), dtype=np.int8)}
             if integer else {"a": rng.standard_normal((n, n), dtype=np.float32),
                              "b": rng.standard_normal((n, n), dtype=np.float32)})
    session.run(None, feeds)
    best = min(_timed(lambda: session.run(None, feeds)) for _ in range(repeats))
    return 2 * n**3 / best / 1e9


def _timed(fn: object) -> float:
    t0 = time.perf_counter()
    fn()  # type: ignore[operator]
    return time.perf_counter() - t0


def network_seconds(model: str, precision: str, repeats: int = 3) -> float:
    """Best seconds of the engine's session alone on a ``SIZE`` frame."""
    session = get_session(resolve_model(model, "cartoonize"), "cpu", precision=precision)
    x = np.random.default_rng(1).uniform(-1, 1, (1, 3, *SIZE)).astype(np.float32)
    session.run(x)
    return min(_timed(lambda: session.run(x)) for _ in range(repeats))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.speed.peak", description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "speed")
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args(argv)
    setup_logging(args.verbose)
    fp32 = measure_matmul_rate()
    ort_fp32 = ort_matmul_gops(integer=False)
    fp32_peak = max(fp32.best_gflops, ort_fp32)
    int8 = ort_matmul_gops(integer=True)
    rows = []
    for model in MODELS:
        card = resolve_model(model, "cartoonize")
        flops = 2 * count_macs_onnx(card.onnx_path, *SIZE).macs
        for precision, peak in (("fp32", fp32_peak), ("int8", int8)):
            seconds = network_seconds(model, precision)
            rate = flops / seconds / 1e9
            rows.append(f"| `{model}` | {precision} | {flops / 1e9:.1f} | {seconds:.3f} | {rate:.1f} | {peak:.1f} | "
                        f"{100 * rate / peak:.0f} % |")
            log.info("%s %s: %.3f s, %.1f GFLOP/s of %.1f", model, precision, seconds, rate, peak)
    load = " / ".join(f"{v:.2f}" for v in os.getloadavg())
    text = f"""# Share of the machine's matrix-multiply peak reached by the network passes

Command: `{command_line("python -m benchmarks.speed.peak", argv)}` ({os.cpu_count()} cores; load average at the end
{load}). One run. Peaks on this CPU: float32 matmul {fp32_peak:.1f} GFLOP/s (the best of numpy
{fp32.numpy_gflops:.1f}, torch {fp32.torch_gflops or 0:.1f} ({fp32.size}x{fp32.size}) and ONNX Runtime `MatMul`
{ort_fp32:.1f} (2048x2048)); ONNX Runtime uint8 x int8 `MatMulInteger` {int8:.1f} GOP/s (2048x2048).
Network: the engine's session alone on a {SIZE[1]}x{SIZE[0]} frame (best of 3);
operations = 2 x the convolutions' multiply-accumulates (elementwise work not counted, so the share is a lower
bound on how busy the cores are).

| model | precision | G operations per frame | seconds | G operations/s | peak | share of peak |
|---|---|---|---|---|---|---|
{chr(10).join(rows)}
"""
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "PEAK.md").write_text(text, encoding="utf-8")
    log.info("wrote %s", args.out / "PEAK.md")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
