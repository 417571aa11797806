#!/usr/bin/python3
"""Tiny numpy evaluator for the ONNX ops used by the models in this folder.

onnx 1.12 (Debian) has no onnx.reference and there is no onnxruntime here,
so this is how make_models.py checks that each exported graph computes what
torch computed.  It is an independent, straightforward reading of the ONNX
operator spec (opset 17), meant for correctness, not speed.

    /usr/bin/python3 models/onnx_ref.py models/dit      # run + compare one model dir
"""

import os
import sys

import numpy as np
import onnx
from onnx import numpy_helper


def _attrs(node):
    out = {}
    for a in node.attribute:
        out[a.name] = onnx.helper.get_attribute_value(a)
        if isinstance(out[a.name], bytes):
            out[a.name] = out[a.name].decode()
    return out


def _conv2d(x, w, b, strides, pads, dilations, group):
    n, c, h, wd = x.shape
    m, cg, kh, kw = w.shape
    pt, pl, pb, pr = pads
    xp = np.pad(x, ((0, 0), (0, 0), (pt, pb), (pl, pr)))
    sh, sw = strides
    dh, dw = dilations
    oh = (h + pt + pb - dh * (kh - 1) - 1) // sh + 1
    ow = (wd + pl + pr - dw * (kw - 1) - 1) // sw + 1
    out = np.zeros((n, m, oh, ow), dtype=np.float64)
    mg = m // group
    for g in range(group):
        xs = xp[:, g * cg:(g + 1) * cg]
        ws = w[g * mg:(g + 1) * mg].astype(np.float64)
        for i in range(kh):
            for j in range(kw):
                patch = xs[:, :, i * dh: i * dh + sh * (oh - 1) + 1: sh,
                           j * dw: j * dw + sw * (ow - 1) + 1: sw]  # n, cg, oh, ow
                out[:, g * mg:(g + 1) * mg] += np.einsum("nchw,mc->nmhw", patch, ws[:, :, i, j])
    if b is not None:
        out += b.reshape(1, -1, 1, 1)
    return out.astype(x.dtype)


def run_node(node, env):
    op = node.op_type
    a = _attrs(node)
    ins = [env[i] if i else None for i in node.input]
    x = ins[0] if ins else None

    if op == "Constant":
        return [numpy_helper.to_array(a["value"])]
    if op == "Identity":
        return [x]
    if op in ("Add", "Sub", "Mul", "Div", "Pow"):
        y = ins[1]
        if op == "Add":
            r = x + y
        elif op == "Sub":
            r = x - y
        elif op == "Mul":
            r = x * y
        elif op == "Pow":
            r = np.power(x, y)
        else:
            if np.issubdtype(x.dtype, np.integer):
                r = np.trunc(x / y).astype(x.dtype)
            else:
                r = x / y
        return [np.asarray(r).astype(x.dtype)]
    if op == "Sqrt":
        return [np.sqrt(x)]
    if op == "Reciprocal":
        return [(1.0 / x).astype(x.dtype)]
    if op == "Neg":
        return [-x]
    if op == "Exp":
        return [np.exp(x)]
    if op == "Sigmoid":
        return [(1.0 / (1.0 + np.exp(-x.astype(np.float64)))).astype(x.dtype)]
    if op == "Tanh":
        return [np.tanh(x)]
    if op == "Sin":
        return [np.sin(x.astype(np.float64)).astype(x.dtype)]
    if op == "Cos":
        return [np.cos(x.astype(np.float64)).astype(x.dtype)]
    if op == "Erf":
        import math
        return [np.vectorize(math.erf)(x).astype(x.dtype)]
    if op == "Relu":
        return [np.maximum(x, 0)]
    if op == "Softmax":
        ax = a.get("axis", -1)
        e = np.exp(x - x.max(axis=ax, keepdims=True))
        return [(e / e.sum(axis=ax, keepdims=True)).astype(x.dtype)]
    if op == "MatMul":
        return [np.matmul(x, ins[1])]
    if op == "Gemm":
        A = x.T if a.get("transA", 0) else x
        B = ins[1].T if a.get("transB", 0) else ins[1]
        r = a.get("alpha", 1.0) * (A @ B)
        if len(ins) > 2 and ins[2] is not None:
            r = r + a.get("beta", 1.0) * ins[2]
        return [r.astype(x.dtype)]
    if op == "Conv":
        w = ins[1]
        k = w.shape[2:]
        assert len(k) == 2, "2-D conv only"
        assert a.get("auto_pad", "NOTSET") == "NOTSET"
        pads = a.get("pads", [0, 0, 0, 0])
        pads = [pads[0], pads[1], pads[2], pads[3]]
        return [_conv2d(x, w, ins[2] if len(ins) > 2 else None, a.get("strides", [1, 1]),
                        pads, a.get("dilations", [1, 1]), a.get("group", 1))]
    if op == "LayerNormalization":
        ax = a.get("axis", -1)
        eps = a.get("epsilon", 1e-5)
        axes = tuple(range(ax % x.ndim, x.ndim))
        xd = x.astype(np.float64)
        mu = xd.mean(axis=axes, keepdims=True)
        var = ((xd - mu) ** 2).mean(axis=axes, keepdims=True)
        r = (xd - mu) / np.sqrt(var + eps) * ins[1]
        if len(ins) > 2 and ins[2] is not None:
            r = r + ins[2]
        return [r.astype(x.dtype)]
    if op == "InstanceNormalization":
        eps = a.get("epsilon", 1e-5)
        axes = tuple(range(2, x.ndim))
        xd = x.astype(np.float64)
        mu = xd.mean(axis=axes, keepdims=True)
        var = ((xd - mu) ** 2).mean(axis=axes, keepdims=True)
        sh = (1, -1) + (1,) * (x.ndim - 2)
        r = (xd - mu) / np.sqrt(var + eps) * ins[1].reshape(sh) + ins[2].reshape(sh)
        return [r.astype(x.dtype)]
    if op in ("ReduceMean", "ReduceSum"):
        axes = a.get("axes")
        if axes is None and len(ins) > 1 and ins[1] is not None:
            axes = ins[1]
        axes = None if axes is None else tuple(int(i) for i in axes)
        keep = bool(a.get("keepdims", 1))
        f = np.mean if op == "ReduceMean" else np.sum
        return [f(x.astype(np.float64), axis=axes, keepdims=keep).astype(x.dtype)]
    if op == "Reshape":
        shape = [int(s) for s in ins[1]]
        if not a.get("allowzero", 0):
            shape = [x.shape[i] if s == 0 else s for i, s in enumerate(shape)]
        return [x.reshape(shape)]
    if op == "Flatten":
        ax = a.get("axis", 1)
        return [x.reshape(int(np.prod(x.shape[:ax])), -1)]
    if op == "Transpose":
        return [np.transpose(x, a.get("perm"))]
    if op == "Concat":
        return [np.concatenate([i for i in ins], axis=a["axis"])]
    if op == "Split":
        ax = a.get("axis", 0)
        if len(ins) > 1 and ins[1] is not None:
            sizes = [int(s) for s in ins[1]]
        else:
            n = len(node.output)
            sizes = [x.shape[ax] // n] * n
        idx = np.cumsum(sizes)[:-1]
        return list(np.split(x, idx, axis=ax))
    if op == "Slice":
        starts, ends = ins[1], ins[2]
        axes = ins[3] if len(ins) > 3 and ins[3] is not None else range(len(starts))
        steps = ins[4] if len(ins) > 4 and ins[4] is not None else [1] * len(starts)
        sl = [slice(None)] * x.ndim
        for s, e, ax, st in zip(starts, ends, axes, steps):
            ax = int(ax) % x.ndim
            dim = x.shape[ax]
            s, e, st = int(s), int(e), int(st)
            # clamp like the spec (int64 max/min sentinels)
            s = max(-dim - 1, min(dim, s))
            e = max(-dim - 1, min(dim, e))
            if st > 0:
                s = s + dim if s < 0 else s
                e = e + dim if e < 0 else e
                sl[ax] = slice(max(0, s), max(0, e), st)
            else:
                sl[ax] = slice(s, e if e >= -dim else None, st)
        return [x[tuple(sl)]]
    if op == "Gather":
        ax = a.get("axis", 0)
        idx = ins[1].astype(np.int64)
        idx = np.where(idx < 0, idx + x.shape[ax], idx)
        return [np.take(x, idx, axis=ax)]
    if op == "Unsqueeze":
        r = x
        axes = sorted(int(i) % (x.ndim + len(ins[1])) for i in ins[1])
        for ax in axes:
            r = np.expand_dims(r, ax)
        return [r]
    if op == "Squeeze":
        if len(ins) > 1 and ins[1] is not None:
            return [np.squeeze(x, axis=tuple(int(i) for i in ins[1]))]
        return [np.squeeze(x)]
    if op == "Shape":
        s = np.array(x.shape, dtype=np.int64)
        start = a.get("start", 0)
        end = a.get("end", None)
        return [s[start:end]]
    if op == "Cast":
        to = onnx.mapping.TENSOR_TYPE_TO_NP_TYPE[a["to"]]
        return [x.astype(to)]
    if op == "Einsum":
        return [np.einsum(a["equation"], *ins)]
    if op == "Expand":
        shape = tuple(int(s) for s in ins[1])
        return [x * np.ones(shape, dtype=x.dtype)]
    if op == "Where":
        return [np.where(x, ins[1], ins[2])]
    if op == "Equal":
        return [np.equal(x, ins[1])]
    if op == "ConstantOfShape":
        v = numpy_helper.to_array(a["value"]) if "value" in a else np.zeros(1, np.float32)
        return [np.full(tuple(int(s) for s in x), v.reshape(-1)[0], dtype=v.dtype)]
    if op == "Range":
        return [np.arange(x, ins[1], ins[2]).astype(x.dtype)]
    if op == "Resize":
        mode = a.get("mode", "nearest")
        ctm = a.get("coordinate_transformation_mode", "half_pixel")
        nm = a.get("nearest_mode", "round_prefer_floor")
        assert mode == "nearest" and ctm == "asymmetric" and nm == "floor", (mode, ctm, nm)
        scales = ins[2] if len(ins) > 2 and ins[2] is not None and ins[2].size else None
        if scales is not None:
            out_shape = [int(np.floor(d * s)) for d, s in zip(x.shape, scales)]
        else:
            out_shape = [int(s) for s in ins[3]]
            scales = [o / d for o, d in zip(out_shape, x.shape)]
        r = x
        for ax, (od, s) in enumerate(zip(out_shape, scales)):
            idx = np.minimum(np.floor(np.arange(od) / s).astype(np.int64), x.shape[ax] - 1)
            r = np.take(r, idx, axis=ax)
        return [r]
    raise NotImplementedError(op)


def run_model(model, feeds):
    env = {}
    for init in model.graph.initializer:
        env[init.name] = numpy_helper.to_array(init)
    env.update(feeds)
    for node in model.graph.node:
        outs = run_node(node, env)
        for name, v in zip(node.output, outs):
            if name:
                env[name] = np.asarray(v)
    return {o.name: env[o.name] for o in model.graph.output}


def verify_dir(d, rtol=1e-4, atol=1e-4, verbose=True):
    """Run <d>/model.onnx on <d>/inputs/*.npy and compare with <d>/outputs/*.npy."""
    model = onnx.load(os.path.join(d, "model.onnx"))
    inits = {i.name for i in model.graph.initializer}
    feeds = {}
    for vi in model.graph.input:
        if vi.name in inits:
            continue
        feeds[vi.name] = np.load(os.path.join(d, "inputs", vi.name + ".npy"))
    got = run_model(model, feeds)
    ok = True
    for name, v in got.items():
        ref = np.load(os.path.join(d, "outputs", name + ".npy"))
        good = v.shape == ref.shape and np.allclose(v, ref, rtol=rtol, atol=atol)
        err = float(np.abs(v.astype(np.float64) - ref).max()) if v.shape == ref.shape else float("inf")
        if verbose:
            print(f"   numpy-eval {os.path.basename(d)}:{name} shape={v.shape} "
                  f"max|diff|={err:.3g} {'OK' if good else 'MISMATCH'}")
        ok = ok and good
    return ok


if __name__ == "__main__":
    res = [verify_dir(d) for d in sys.argv[1:]]
    sys.exit(0 if all(res) else 1)
