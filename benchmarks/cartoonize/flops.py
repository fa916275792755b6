"""Multiply-accumulate count of an ONNX model at a given frame size, read from the graph's shapes.

Counted: Conv / ConvTranspose (N * C_out * H_out * W_out * C_in/groups * k_h * k_w), MatMul and Gemm
(output elements * inner size). Not counted: elementwise ops, softmax, resize, pooling (for the SSA generator the
SSA window products add about 1 % on top of the convolutions). FLOPs = 2 * MACs.

Shapes come from ONNX shape inference with the input fixed to [1, 3, H, W]; where inference leaves a shape unknown,
the model is run once with ONNX Runtime at that size to read the real shapes.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

__all__ = ["MacCount", "count_macs_onnx", "count_macs_torch"]

log = logging.getLogger(__name__)
_COUNTED = ("Conv", "ConvTranspose", "MatMul", "Gemm")


@dataclass(frozen=True)
class MacCount:
    """Multiply-accumulates per frame of size `height` x `width`, total and per op type."""

    height: int
    width: int
    macs: int
    by_op: dict[str, int] = field(default_factory=dict)
    method: str = "onnx shape inference"

    @property
    def flops(self) -> int:
        """2 * MACs (one multiply and one add each)."""
        return 2 * self.macs


def _static_model(path: Path, height: int, width: int) -> "object":
    import onnx

    model = onnx.load(str(path))
    graph_input = model.graph.input[0]
    dims = graph_input.type.tensor_type.shape.dim
    if len(dims) != 4:
        raise ValueError(f"{path}: expected a 4-d image input, got {len(dims)} dims")
    for dim, value in zip(dims, (1, 3, height, width)):
        dim.ClearField("dim_param")
        dim.dim_value = value
    return model


def _shape_table(model: "object") -> dict[str, tuple[int, ...] | None]:
    import onnx

    inferred = onnx.shape_inference.infer_shapes(model, data_prop=True)
    table: dict[str, tuple[int, ...] | None] = {}
    for info in list(inferred.graph.value_info) + list(inferred.graph.input) + list(inferred.graph.output):
        dims = info.type.tensor_type.shape.dim
        values = tuple(d.dim_value if d.HasField("dim_value") else -1 for d in dims)
        table[info.name] = values if values and all(v > 0 for v in values) else None
    for init in inferred.graph.initializer:
        table[init.name] = tuple(init.dims)
    return table


def _run_shapes(model: "object", names: list[str], height: int, width: int) -> dict[str, tuple[int, ...]]:
    """Run the model once with the wanted tensors added as outputs; returns their real shapes."""
    import onnx
    import onnxruntime as ort

    extended = onnx.ModelProto()
    extended.CopyFrom(model)
    existing = {o.name for o in extended.graph.output}
    for name in names:
        if name not in existing:
            extended.graph.output.append(onnx.ValueInfoProto(name=name))
    session = ort.InferenceSession(extended.SerializeToString(), providers=["CPUExecutionProvider"])
    feed = {session.get_inputs()[0].name: np.zeros((1, 3, height, width), np.float32)}
    outputs = session.run(names, feed)
    return {name: tuple(out.shape) for name, out in zip(names, outputs)}


def _node_macs(node: "object", shapes: dict[str, tuple[int, ...] | None]) -> int:
    op = node.op_type
    if op in ("Conv", "ConvTranspose"):
        weight = shapes[node.input[1]]
        groups = next((a.i for a in node.attribute if a.name == "group"), 1)
        if op == "Conv":
            out = shapes[node.output[0]]
            # weight [C_out, C_in / groups, kh, kw]: every output element needs C_in/groups * kh * kw MACs.
            return int(np.prod(out)) * int(np.prod(weight[1:]))
        # ConvTranspose weight [C_in, C_out / groups, kh, kw]: every input element scatters to C_out/groups * k * k.
        inp = shapes[node.input[0]]
        return int(np.prod(inp)) * int(np.prod(weight[1:]))
    if op in ("MatMul", "Gemm"):
        out = shapes[node.output[0]]
        a = shapes[node.input[0]]
        trans_a = next((a_.i for a_ in node.attribute if a_.name == "transA"), 0)
        inner = a[-2] if (op == "Gemm" and trans_a) else a[-1]
        return int(np.prod(out)) * int(inner)
    return 0


def count_macs_onnx(path: str | Path, height: int, width: int) -> MacCount:
    """MACs of one forward pass of the ONNX model at [1, 3, height, width]."""
    path = Path(path)
    model = _static_model(path, height, width)
    shapes = _shape_table(model)
    nodes = [n for n in model.graph.node if n.op_type in _COUNTED]
    needed = sorted(
        {name for n in nodes for name in (*n.input[:2], n.output[0]) if name and shapes.get(name) is None}
    )
    method = "onnx shape inference"
    if needed:
        log.info("%s: %d shapes unknown after inference; running the model once to read them", path.name, len(needed))
        shapes.update(_run_shapes(model, needed, height, width))
        method = "onnx shapes (onnxruntime run)"
    by_op: dict[str, int] = {}
    for node in nodes:
        by_op[node.op_type] = by_op.get(node.op_type, 0) + _node_macs(node, shapes)
    return MacCount(height, width, sum(by_op.values()), by_op, method)


def count_macs_torch(module: "object", height: int, width: int) -> MacCount:
    """MACs of `module` at [1, 3, height, width] counted by forward hooks on its convolutions and linear layers
    (cross-check; `training.nets.complexity`, the counter the training docs use)."""
    from training.nets.complexity import measure_complexity

    size = measure_complexity(module, height, width)
    return MacCount(height, width, size.macs, {"Conv+Gemm": size.macs}, "torch forward hooks")
