#!/usr/bin/python3
"""Write a one-MatMul ONNX model for bench/gemm: out[M,N] = A[M,K] @ B[K,N].

    /usr/bin/python3 bench/make_matmul.py M K N OUTDIR

A is the graph input, B an initializer (as a Linear layer's weight is); both are seeded normal
fp32.  Writes OUTDIR/model.onnx, OUTDIR/inputs/A.npy and OUTDIR/outputs/out.npy (the product computed
in float64 by numpy, rounded to float32), the same layout as models/<name>/.  Needs onnx and numpy
(Debian's /usr/bin/python3 has them), not torch.
"""
import os
import sys

try:
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper
except ImportError as e:  # pragma: no cover
    sys.exit(f"error: make_matmul.py: {e} (run it with /usr/bin/python3)")


def main():
    if len(sys.argv) != 5:
        sys.exit("usage: make_matmul.py M K N OUTDIR")
    try:
        m, k, n = (int(x) for x in sys.argv[1:4])
    except ValueError:
        sys.exit("error: make_matmul.py: M K N must be whole numbers")
    if min(m, k, n) < 1 or m * k * n > 1 << 36:
        sys.exit("error: make_matmul.py: M K N must be >= 1 and M*K*N <= 2^36")
    out = sys.argv[4]
    rng = np.random.default_rng(1234)
    a = rng.standard_normal((m, k), dtype=np.float32)
    b = (rng.standard_normal((k, n), dtype=np.float32) / np.sqrt(k)).astype(np.float32)
    node = helper.make_node("MatMul", ["A", "B"], ["out"], name="MatMul_0")
    graph = helper.make_graph(
        [node], "gemm",
        [helper.make_tensor_value_info("A", TensorProto.FLOAT, [m, k])],
        [helper.make_tensor_value_info("out", TensorProto.FLOAT, [m, n])],
        initializer=[numpy_helper.from_array(b, "B")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="ingot-bench")
    model.ir_version = 8
    onnx.checker.check_model(model)
    os.makedirs(os.path.join(out, "inputs"), exist_ok=True)
    os.makedirs(os.path.join(out, "outputs"), exist_ok=True)
    onnx.save(model, os.path.join(out, "model.onnx"))
    np.save(os.path.join(out, "inputs", "A.npy"), a)
    np.save(os.path.join(out, "outputs", "out.npy"), (a.astype(np.float64) @ b.astype(np.float64)).astype(np.float32))
    print(f"wrote {out}/model.onnx: [{m},{k}] x [{k},{n}]")
    return 0


if __name__ == "__main__":
    sys.exit(main())
