#!/usr/bin/python3
"""Write a one-MatMul ONNX model for bench/gemm_shapes.sh.

    /usr/bin/python3 bench/gemm_models.py weight M K N OUTDIR     out[M,N] = A[M,K] @ B[K,N], B an initializer
    /usr/bin/python3 bench/gemm_models.py batched H M K N OUTDIR  out[H,M,N] = A[H,M,K] @ B[H,K,N], both inputs

"weight" is a Linear layer (B a constant weight, packed by the compiler); "batched" is attention's
Q @ K^T or P @ V over H heads (B an activation, read in place).  Writes OUTDIR/model.onnx,
OUTDIR/inputs/{A,B}.npy and OUTDIR/outputs/out.npy (the product in float64, rounded to float32).
Needs onnx and numpy (Debian's /usr/bin/python3 has them).
"""
import os
import sys

try:
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper
except ImportError as e:  # pragma: no cover
    sys.exit(f"error: gemm_models.py: {e} (run it with /usr/bin/python3)")


def usage():
    sys.exit("usage: gemm_models.py weight M K N OUTDIR | batched H M K N OUTDIR")


def main():
    if len(sys.argv) < 2 or sys.argv[1] not in ("weight", "batched"):
        usage()
    kind = sys.argv[1]
    want = 3 if kind == "weight" else 4
    if len(sys.argv) != 2 + want + 1:
        usage()
    try:
        dims = [int(x) for x in sys.argv[2:2 + want]]
    except ValueError:
        sys.exit("error: gemm_models.py: sizes must be whole numbers")
    if min(dims) < 1 or np.prod(dims, dtype=np.float64) > 2.0 ** 36:
        sys.exit("error: gemm_models.py: sizes must be >= 1 and their product <= 2^36")
    out = sys.argv[-1]
    rng = np.random.default_rng(1234)
    if kind == "weight":
        m, k, n = dims
        a = rng.standard_normal((m, k), dtype=np.float32)
        b = (rng.standard_normal((k, n), dtype=np.float32) / np.sqrt(k)).astype(np.float32)
        inputs = [helper.make_tensor_value_info("A", TensorProto.FLOAT, [m, k])]
        inits = [numpy_helper.from_array(b, "B")]
        outs = [helper.make_tensor_value_info("out", TensorProto.FLOAT, [m, n])]
        feeds = {"A": a}
    else:
        h, m, k, n = dims
        a = rng.standard_normal((h, m, k), dtype=np.float32)
        b = (rng.standard_normal((h, k, n), dtype=np.float32) / np.sqrt(k)).astype(np.float32)
        inputs = [helper.make_tensor_value_info("A", TensorProto.FLOAT, [h, m, k]),
                  helper.make_tensor_value_info("B", TensorProto.FLOAT, [h, k, n])]
        inits = []
        outs = [helper.make_tensor_value_info("out", TensorProto.FLOAT, [h, m, n])]
        feeds = {"A": a, "B": b}
    node = helper.make_node("MatMul", ["A", "B"], ["out"], name="MatMul_0")
    graph = helper.make_graph([node], "gemm", inputs, outs, initializer=inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="ingot-bench")
    model.ir_version = 8
    onnx.checker.check_model(model)
    os.makedirs(os.path.join(out, "inputs"), exist_ok=True)
    os.makedirs(os.path.join(out, "outputs"), exist_ok=True)
    onnx.save(model, os.path.join(out, "model.onnx"))
    for name, v in feeds.items():
        np.save(os.path.join(out, "inputs", name + ".npy"), v)
    np.save(os.path.join(out, "outputs", "out.npy"), (a.astype(np.float64) @ b.astype(np.float64)).astype(np.float32))
    return 0


if __name__ == "__main__":
    sys.exit(main())
