#!/usr/bin/python3
"""Generates the hostile-input corpus for the ONNX importer.

    /usr/bin/python3 tests/hostile/make_corpus.py

writes tests/hostile/corpus/* (one bad model per file, each under 100 KB) and
tests/hostile/expected.txt.  The generated files are committed, so the test
(tests/e2e/hostile.sh) needs no python.  Everything is deterministic: a rerun
gives byte-identical files.

The rule every case checks: bad input gets exit 1 (malformed / hostile /
inconsistent) or 2 (valid but unsupported) and exactly one stderr line,
"error: ...", containing the substring given here; never a signal, a hang or
more memory than the file justifies.

Where the error comes from shape inference or the verifier rather than the
importer, the substring is the offending node's name (each case gives its
node a unique one), so the test does not depend on the exact wording.

Uses Debian's python (onnx 1.12, numpy); models are built with onnx.helper
where it can express the damage, and from raw protobuf bytes where it can't.
"""
import lzma
import os
import random
import shutil
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
OUT = os.path.join(HERE, "corpus")
MAX_BYTES = 100 * 1024

F = TensorProto.FLOAT
cases = []  # (file name, exit code, substring, description)


def write(name, data, code, substr, desc):
    assert len(data) < MAX_BYTES, (name, len(data))
    assert "\n" not in substr and "\t" not in substr
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)
    cases.append((name, code, substr, desc))


def model_bytes(nodes, inputs, outputs, inits=(), opset=17, ir=8, extra_opsets=(), sparse=()):
    g = helper.make_graph(list(nodes), "hostile", list(inputs), list(outputs), list(inits))
    if sparse:
        g.sparse_initializer.extend(sparse)
    ops = [helper.make_opsetid("", opset)] + [helper.make_opsetid(d, v) for d, v in extra_opsets]
    m = helper.make_model(g, opset_imports=ops, producer_name="ingot-hostile")
    m.ir_version = ir
    return m.SerializeToString()


def case(name, code, substr, desc, *args, **kw):
    write(name, model_bytes(*args, **kw), code, substr, desc)


def vi(name, dims, dt=F):
    return helper.make_tensor_value_info(name, dt, dims)


def raw_tensor(name, dims, raw, dt=F):
    t = TensorProto()
    t.name = name
    t.data_type = dt
    t.dims.extend(dims)
    t.raw_data = raw
    return t


def typed_tensor(name, dims, dt, field, values):
    """A tensor with values in a typed field, unchecked (helper.make_tensor checks counts)."""
    t = TensorProto()
    t.name = name
    t.data_type = dt
    t.dims.extend(dims)
    getattr(t, field).extend(values)
    return t


def ext_tensor(name, dims, kv, dt=F):
    t = TensorProto()
    t.name = name
    t.data_type = dt
    t.dims.extend(dims)
    t.data_location = TensorProto.EXTERNAL
    for k, v in kv:
        e = t.external_data.add()
        e.key = k
        e.value = v
    return t


# ---- raw protobuf wire format ---------------------------------------------------

def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def key(field, wt):
    return varint(field << 3 | wt)


def fbytes(field, payload):
    return key(field, 2) + varint(len(payload)) + payload


def fvarint(field, v):
    return key(field, 0) + varint(v)


def tiny_valid():
    """x[2,3] @ W[3,4] -> Relu -> y: a small valid model to cut up."""
    w = raw_tensor("W", [3, 4], np.arange(12, dtype=np.float32).tobytes())
    return model_bytes([helper.make_node("MatMul", ["x", "W"], ["h"], name="mm"),
                        helper.make_node("Relu", ["h"], ["y"], name="relu")],
                       [vi("x", [2, 3])], [vi("y", [2, 4])], [w])


def nested_if(levels):
    """levels of If nested through then_branch; each body reads the outer x."""
    inner = helper.make_graph([helper.make_node("Identity", ["x"], ["o%d" % levels], name="leaf")],
                              "leaf", [], [vi("o%d" % levels, [2])])
    for k in range(levels - 1, -1, -1):
        other = helper.make_graph([helper.make_node("Identity", ["x"], ["e%d" % k], name="else%d" % k)],
                                  "else%d" % k, [], [vi("e%d" % k, [2])])
        node = helper.make_node("If", ["c"], ["o%d" % k], name="if%d" % k, then_branch=inner, else_branch=other)
        inner = helper.make_graph([node], "level%d" % k, [], [vi("o%d" % k, [2])])
    g = helper.make_graph(list(inner.node), "root", [vi("c", [], TensorProto.BOOL), vi("x", [2])],
                          [vi("o0", [2])])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)], producer_name="ingot-hostile")
    m.ir_version = 8
    return m.SerializeToString()


def deep_typeproto(levels):
    """A graph input whose TypeProto nests sequence_type -> elem_type `levels`
    messages deep.  Built outside-in from precomputed lengths (O(n))."""
    # message chain: TypeProto.sequence_type(4) -> Sequence.elem_type(1) -> TypeProto ...
    core = b""  # innermost TypeProto: empty
    tags = [key(4, 2) if i % 2 == 0 else key(1, 2) for i in range(levels)]
    lens = [0] * levels
    inner = len(core)
    for i in range(levels - 1, -1, -1):
        lens[i] = inner
        inner += len(tags[i]) + len(varint(inner))
    typeproto = b"".join(tags[i] + varint(lens[i]) for i in range(levels)) + core
    value_info = fbytes(1, b"x") + fbytes(2, typeproto)
    graph = fbytes(11, value_info) + fbytes(2, b"deep")
    return fvarint(1, 8) + fbytes(7, graph) + fbytes(8, fvarint(2, 17))


def main():
    if os.path.isdir(OUT):
        shutil.rmtree(OUT)
    os.makedirs(OUT)
    rng = random.Random(20240611)
    relu = [helper.make_node("Relu", ["x"], ["y"], name="relu")]
    x23, y23 = vi("x", [2, 3]), vi("y", [2, 3])

    # ---- not an ONNX file at all ------------------------------------------------
    write("empty.onnx", b"", 1, "empty file", "zero bytes")
    write("random_bytes.onnx", bytes(rng.randrange(256) for _ in range(4096)), 1, "protobuf",
          "4 KiB of seeded random bytes")
    write("plain_text.onnx", b"This is not an ONNX model.\nIt is a plain text file, as a user might pass by "
          b"mistake.\n" * 4, 1, "protobuf", "a text file")
    write("png_header.onnx", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(32), 1, "protobuf",
          "the start of a PNG")
    write("wire_type_7.onnx", key(1, 7) + b"\x00" * 8, 1, "wire type 7", "an invalid wire type")
    write("field_number_zero.onnx", key(0, 0) + b"\x01", 1, "field number 0", "field number 0")
    write("varint_too_long.onnx", b"\x08" + b"\xff" * 10 + b"\x01" + fbytes(7, fbytes(2, b"g")), 1, "varint",
          "an 11-byte varint (ir_version), followed by more fields")
    write("length_claims_2e60.onnx", key(7, 2) + varint(1 << 60) + b"\x00" * 16, 1, "claims more bytes",
          "graph field whose length prefix claims 2^60 bytes")
    write("no_graph.onnx", fvarint(1, 8) + fbytes(8, fvarint(2, 17)), 1, "no graph", "ir_version and opset only")
    write("no_ir_version.onnx", fbytes(7, fbytes(2, b"g")) + fbytes(8, fvarint(2, 17)), 1, "no ir_version",
          "graph without ir_version")

    # ---- truncated valid models ---------------------------------------------------
    tiny = tiny_valid()
    write("valid_tiny.onnx", tiny, 0, "-", "a valid model (control: must succeed)")
    for cut in (1, 7, len(tiny) // 3, len(tiny) // 2, len(tiny) - 10, len(tiny) - 1):
        write("truncated_tiny_at_%d.onnx" % cut, tiny[:cut], 1, "truncated",
              "valid_tiny.onnx cut to %d of %d bytes" % (cut, len(tiny)))
    dit = open(os.path.join(ROOT, "models", "dit", "model.onnx"), "rb").read()
    for cut in (3, 333, 4097, 65000):
        write("truncated_dit_at_%d.onnx" % cut, dit[:cut], 1, "truncated",
              "models/dit/model.onnx cut to %d of %d bytes" % (cut, len(dit)))

    # ---- model header ----------------------------------------------------------------
    case("ir_version_3.onnx", 2, "ir_version 3", "ir_version 3 (too old)", relu, [x23], [y23], ir=3)
    case("ir_version_99.onnx", 2, "ir_version 99", "ir_version 99 (from the future)", relu, [x23], [y23], ir=99)
    case("opset_7.onnx", 2, "opset 7", "default-domain opset 7", relu, [x23], [y23], opset=7)
    case("opset_99.onnx", 2, "opset 99", "default-domain opset 99", relu, [x23], [y23], opset=99)
    g = helper.make_graph(relu, "g", [x23], [y23])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("com.example", 1)])
    m.ir_version = 8
    write("no_default_opset.onnx", m.SerializeToString(), 1, "no default-domain opset",
          "opset_import lists only a custom domain")

    # ---- dims -----------------------------------------------------------------------------
    case("input_dim_2e62.onnx", 1, "more than 2^40 elements", "graph input with dim 2^62",
         relu, [vi("x", [2, 1 << 62])], [vi("y", [2, 1 << 62])])
    case("input_negative_dim.onnx", 1, "negative dim -3", "graph input with dim -3",
         relu, [vi("x", [2, -3])], [y23])
    case("input_dims_overflow_int64.onnx", 1, "overflows", "graph input dims 2^32 x 2^32 (product overflows int64)",
         relu, [vi("x", [1 << 32, 1 << 32])], [y23])
    case("input_rank_9.onnx", 2, "rank 9", "graph input of rank 9", relu, [vi("x", [1] * 9)], [y23])
    case("init_dim_2e62.onnx", 1, "more than 2^40 elements", "initializer with dims [2^62] and 4 bytes of raw_data",
         [helper.make_node("Add", ["x", "b"], ["y"], name="add")], [x23], [y23],
         [raw_tensor("b", [1 << 62], bytes(4))])
    case("init_negative_dim.onnx", 1, "negative dim -1", "initializer with dims [-1]",
         [helper.make_node("Add", ["x", "b"], ["y"], name="add")], [x23], [y23], [raw_tensor("b", [-1], bytes(4))])
    case("init_dims_overflow_int64.onnx", 1, "overflows", "initializer dims 2^32 x 2^32",
         [helper.make_node("Add", ["x", "b"], ["y"], name="add")], [x23], [y23],
         [raw_tensor("b", [1 << 32, 1 << 32], bytes(4))])
    case("init_dims_2e39_raw_4_bytes.onnx", 1, "raw_data holds 4 bytes but dims need 2199023255552",
         "initializer claiming 2^39 floats (2 TiB) with 4 bytes of raw_data: must not allocate",
         [helper.make_node("Add", ["x", "b"], ["y"], name="add")], [x23], [y23], [raw_tensor("b", [1 << 39], bytes(4))])
    case("init_rank_100.onnx", 2, "rank 100", "initializer with 100 dims",
         [helper.make_node("Add", ["x", "b"], ["y"], name="add")], [x23], [y23], [raw_tensor("b", [1] * 100, bytes(4))])

    # ---- tensor data -----------------------------------------------------------------------
    add_b = [helper.make_node("Add", ["x", "b"], ["y"], name="add")]
    case("raw_data_short.onnx", 1, "raw_data holds 20 bytes but dims need 24", "initializer [2,3] float, 20 raw bytes",
         add_b, [x23], [y23], [raw_tensor("b", [2, 3], bytes(20))])
    case("raw_data_long.onnx", 1, "raw_data holds 28 bytes but dims need 24", "initializer [2,3] float, 28 raw bytes",
         add_b, [x23], [y23], [raw_tensor("b", [2, 3], bytes(28))])
    case("float_data_count_wrong.onnx", 1, "float_data holds 20 bytes but dims need 24",
         "initializer [2,3] with 5 float_data values", add_b, [x23], [y23],
         [typed_tensor("b", [2, 3], F, "float_data", [1.0] * 5)])
    case("int64_data_count_wrong.onnx", 1, "int64_data holds 56 bytes but dims need 16",
         "Reshape shape initializer [2] with 7 int64_data values",
         [helper.make_node("Reshape", ["x", "s"], ["y"], name="reshape")], [x23], [y23],
         [typed_tensor("s", [2], TensorProto.INT64, "int64_data", [2, 3, 1, 1, 1, 1, 1])])
    case("string_initializer.onnx", 2, "string", "a string-typed initializer",
         [helper.make_node("Identity", ["x"], ["y"], name="id")], [x23], [y23],
         [helper.make_tensor("s", TensorProto.STRING, [2], [b"a", b"b"])])
    t = raw_tensor("b", [2, 3], bytes(24))
    t.ClearField("data_type")
    case("init_no_dtype.onnx", 1, "has no data type", "initializer without data_type", add_b, [x23], [y23], [t])
    t = raw_tensor("b", [2, 3], bytes(24))
    t.segment.begin = 0
    t.segment.end = 6
    case("init_segmented.onnx", 2, "segmented", "a segmented initializer", add_b, [x23], [y23], [t])
    case("init_defined_twice.onnx", 1, "defined twice", "two initializers named b", add_b, [x23], [y23],
         [raw_tensor("b", [2, 3], bytes(24)), raw_tensor("b", [2, 3], bytes(24))])
    sp = onnx.SparseTensorProto()
    sp.values.CopyFrom(raw_tensor("b", [1], bytes(4)))
    sp.indices.CopyFrom(helper.make_tensor("bi", TensorProto.INT64, [1], [0]))
    sp.dims.extend([2, 3])
    case("sparse_initializer.onnx", 2, "sparse", "a sparse initializer", relu, [x23], [y23], sparse=[sp])
    bad_const = raw_tensor("", [4], bytes(8))
    case("constant_raw_data_short.onnx", 1, "raw_data holds 8 bytes but dims need 16",
         "Constant node whose value tensor has too little raw_data",
         [helper.make_node("Constant", [], ["c"], name="const", value=bad_const),
          helper.make_node("Identity", ["x"], ["y"], name="id")], [x23], [y23])
    case("constant_dim_2e62.onnx", 1, "more than 2^40 elements", "Constant node value with dims [2^62]",
         [helper.make_node("Constant", [], ["c"], name="const", value=raw_tensor("", [1 << 62], bytes(4))),
          helper.make_node("Identity", ["x"], ["y"], name="id")], [x23], [y23])

    # ---- external data ---------------------------------------------------------------------
    with open(os.path.join(OUT, "ext_weights.bin"), "wb") as f:  # support file, not a case
        f.write(np.arange(16, dtype=np.float32).tobytes())

    def ext_case(name, code, substr, desc, kv, dims=(2, 3)):
        case(name, code, substr, desc, add_b, [x23], [y23], [ext_tensor("b", list(dims), kv)])

    ext_case("ext_absolute_path.onnx", 1, "outside the model's folder", "external data location /etc/passwd",
             [("location", "/etc/passwd")])
    ext_case("ext_dotdot.onnx", 1, "outside the model's folder", "external data location ../../../../etc/passwd",
             [("location", "../../../../etc/passwd")])
    ext_case("ext_dotdot_inner.onnx", 1, "outside the model's folder", "external data location sub/../../x.bin",
             [("location", "sub/../../ext_weights.bin")])
    ext_case("ext_symlink_outside.onnx", 1, "resolves outside the model's folder",
             "external data through a symlink that leaves the folder (hostile.sh makes the link at run time)",
             [("location", "outside_link.bin")])
    ext_case("ext_offset_past_end.onnx", 1, "past its end", "offset 1000 in a 64-byte file",
             [("location", "ext_weights.bin"), ("offset", "1000")])
    ext_case("ext_range_past_end.onnx", 1, "past its end", "offset 48 + 24 bytes in a 64-byte file",
             [("location", "ext_weights.bin"), ("offset", "48")])
    ext_case("ext_offset_int64_max.onnx", 1, "past its end", "offset 2^63-1",
             [("location", "ext_weights.bin"), ("offset", str((1 << 63) - 1))])
    ext_case("ext_offset_2e64.onnx", 1, "not a non-negative integer", "offset 2^64 (does not fit int64)",
             [("location", "ext_weights.bin"), ("offset", str(1 << 64))])
    ext_case("ext_offset_negative.onnx", 1, "not a non-negative integer", "offset -8",
             [("location", "ext_weights.bin"), ("offset", "-8")])
    ext_case("ext_offset_not_number.onnx", 1, "not a non-negative integer", "offset '12abc'",
             [("location", "ext_weights.bin"), ("offset", "12abc")])
    ext_case("ext_wrong_length.onnx", 1, "external data length 12 but dims need 24", "length 12 for 24 bytes",
             [("location", "ext_weights.bin"), ("length", "12")])
    ext_case("ext_missing_file.onnx", 1, "no_such_weights.bin", "location names a file that does not exist",
             [("location", "no_such_weights.bin")])
    ext_case("ext_location_is_folder.onnx", 1, "not a regular file", "location '.' (the model's folder itself)",
             [("location", ".")])
    ext_case("ext_no_location.onnx", 1, "has no location", "external data without a location key",
             [("offset", "0")])
    ext_case("ext_dims_2e30_small_file.onnx", 1, "past its end",
             "dims [2^30] floats (4 GiB) in a 64-byte external file: must fail without allocating 4 GiB",
             [("location", "ext_weights.bin")], dims=(1 << 30,))
    ext_case("ext_dims_2e28_small_file.onnx", 1, "past its end",
             "dims [2^28] floats (1 GiB) in a 64-byte external file: must fail without touching 1 GiB",
             [("location", "ext_weights.bin")], dims=(1 << 28,))

    # ---- graph structure ---------------------------------------------------------------------
    case("cycle.onnx", 1, "cycle", "a = Relu(b), b = Relu(a)",
         [helper.make_node("Relu", ["b"], ["a"], name="cyc_a"), helper.make_node("Relu", ["a"], ["b"], name="cyc_b"),
          helper.make_node("Add", ["x", "a"], ["y"], name="add")], [x23], [y23])
    case("self_loop.onnx", 1, "cycle", "a node that reads its own output",
         [helper.make_node("Add", ["x", "y"], ["y"], name="self_add")], [x23], [y23])
    case("undefined_input.onnx", 1, "'ghost' is not defined anywhere", "a node input nobody defines",
         [helper.make_node("Add", ["x", "ghost"], ["y"], name="add")], [x23], [y23])
    case("two_producers.onnx", 1, "is also produced by", "two nodes write y",
         [helper.make_node("Relu", ["x"], ["y"], name="first"), helper.make_node("Neg", ["x"], ["y"], name="second")],
         [x23], [y23])
    case("output_redefines_input.onnx", 1, "redefines a graph input", "a node writes the graph input x",
         [helper.make_node("Relu", ["x"], ["x"], name="clobber"), helper.make_node("Neg", ["x"], ["y"], name="neg")],
         [x23], [y23])
    case("missing_graph_output.onnx", 1, "not produced by any node", "graph output named 'nobody_makes_this'",
         relu, [x23], [vi("nobody_makes_this", [2, 3])])
    case("no_graph_outputs.onnx", 1, "no outputs", "a graph with nodes but no outputs", relu, [x23], [])
    case("output_listed_twice.onnx", 1, "listed twice", "graph output y listed twice", relu, [x23], [y23, y23])
    case("input_declared_twice.onnx", 1, "declared twice", "graph input x listed twice", relu, [x23, x23], [y23])
    case("input_without_type.onnx", 1, "has no element type", "graph input with no TypeProto",
         relu, [onnx.ValueInfoProto(name="x")], [y23])
    case("input_invalid_elem_type.onnx", 1, "invalid element type 99", "graph input elem_type 99",
         relu, [vi("x", [2, 3], 99)], [y23])
    seq = onnx.ValueInfoProto(name="x")
    seq.type.sequence_type.elem_type.tensor_type.elem_type = F
    case("input_sequence_type.onnx", 2, "not a tensor", "graph input of sequence type", relu, [seq], [y23])
    case("empty_op_type.onnx", 1, "no op_type", "a node with op_type ''",
         [helper.make_node("", ["x"], ["y"], name="nameless_op")], [x23], [y23])
    case("unknown_op.onnx", 2, "FrobnicateTensor", "op FrobnicateTensor in the default domain",
         [helper.make_node("FrobnicateTensor", ["x"], ["y"], name="frob")], [x23], [y23])
    case("unknown_domain.onnx", 2, "com.example.secret", "Relu in domain com.example.secret",
         [helper.make_node("Relu", ["x"], ["y"], name="custom_relu", domain="com.example.secret")], [x23], [y23],
         extra_opsets=[("com.example.secret", 1)])
    case("newline_in_names.onnx", 1, "is also produced by", "two producers whose names hold newlines and escapes",
         [helper.make_node("Relu", ["x"], ["y"], name="evil\nname\r\x1b[31m"),
          helper.make_node("Neg", ["x"], ["y"], name="second\nline")], [x23], [y23])
    case("percent_in_names.onnx", 1, "is not defined anywhere", "an undefined input named %s%n%s%n",
         [helper.make_node("Add", ["x", "%s%n%s%n"], ["y"], name="%n%n%n%n")], [x23], [y23])
    case("long_name.onnx", 1, "is not defined anywhere", "an undefined input with a 60000-character name",
         [helper.make_node("Add", ["x", "v" * 60000], ["y"], name="n" * 1000)], [x23], [y23])

    # ---- nodes and attributes (shape inference and the verifier) -------------------------
    s45 = helper.make_tensor("shape", TensorProto.INT64, [2], [4, 5])
    case("reshape_cannot_fit.onnx", 1, "reshape_6_to_20", "Reshape [2,3] to [4,5]",
         [helper.make_node("Reshape", ["x", "shape"], ["y"], name="reshape_6_to_20")], [x23], [vi("y", [4, 5])], [s45])
    w45 = raw_tensor("w", [4, 5], bytes(80))
    case("matmul_inner_dims_differ.onnx", 1, "matmul_3_vs_4", "MatMul [2,3] x [4,5]",
         [helper.make_node("MatMul", ["x", "w"], ["y"], name="matmul_3_vs_4")], [x23], [vi("y", [2, 5])], [w45])
    case("concat_rank_mismatch.onnx", 1, "concat_rank2_rank3", "Concat of [2,3] and [2,3,1]",
         [helper.make_node("Concat", ["x", "z"], ["y"], name="concat_rank2_rank3", axis=0)],
         [x23, vi("z", [2, 3, 1])], [vi("y", [4, 3])])
    conv = helper.make_node("Conv", ["x", "w"], ["y"], name="conv_float_group")
    conv.attribute.append(helper.make_attribute("group", 2.0))
    case("attr_wrong_type.onnx", 1, "group", "Conv with group given as a float",
         [conv], [vi("x", [1, 2, 4, 4])], [vi("y", [1, 2, 2, 2])], [raw_tensor("w", [2, 1, 3, 3], bytes(72))])
    case("too_many_inputs.onnx", 1, "relu_three_inputs", "Relu with three inputs",
         [helper.make_node("Relu", ["x", "x", "x"], ["y"], name="relu_three_inputs")], [x23], [y23])
    case("too_many_outputs.onnx", 1, "relu_two_outputs", "Relu with two outputs",
         [helper.make_node("Relu", ["x"], ["y", "y2"], name="relu_two_outputs")], [x23], [y23])
    case("missing_required_attr.onnx", 1, "concat_no_axis", "Concat without its required axis",
         [helper.make_node("Concat", ["x", "x"], ["y"], name="concat_no_axis")], [x23], [vi("y", [4, 3])])
    n = helper.make_node("Relu", ["x"], ["y"], name="dup_attr")
    n.attribute.extend([helper.make_attribute("alpha", 1.0), helper.make_attribute("alpha", 2.0)])
    case("attr_given_twice.onnx", 1, "given twice", "an attribute given twice", [n], [x23], [y23])
    n = helper.make_node("Relu", ["x"], ["y"], name="bad_attr_type")
    # type 99 is not in the enum: python keeps it as an unknown field, which
    # still serializes as field 20
    n.attribute.add().ParseFromString(fbytes(1, b"weird") + fvarint(3, 1) + fvarint(20, 99))
    case("attr_type_99.onnx", 1, "invalid attribute type 99", "attribute type 99", [n], [x23], [y23])
    n = helper.make_node("Relu", ["x"], ["y"], name="no_value_attr")
    a = n.attribute.add()
    a.name = "empty"
    case("attr_no_type_no_value.onnx", 1, "no type and no value", "attribute with neither type nor value",
         [n], [x23], [y23])
    n = helper.make_node("If", ["c"], ["y"], name="if_no_graph")
    a = n.attribute.add()
    a.name = "then_branch"
    a.type = onnx.AttributeProto.GRAPH
    case("attr_graph_missing.onnx", 1, "has type graph but no graph", "If whose then_branch has no graph",
         [n], [vi("c", [], TensorProto.BOOL)], [y23])
    n = helper.make_node("Relu", ["x"], ["y"], name="ref_attr")
    a = helper.make_attribute("alpha", 1.0)
    a.ref_attr_name = "outer_alpha"
    n.attribute.append(a)
    case("attr_ref_attr_name.onnx", 2, "refers to a function attribute", "attribute with ref_attr_name",
         [n], [x23], [y23])

    # ---- nesting ----------------------------------------------------------------------------------
    write("nested_if_40.onnx", nested_if(40), 1, "subgraphs nested deeper than 32",
          "40 levels of If inside then_branch (past the subgraph limit, within the protobuf limit)")
    write("nested_if_500.onnx", nested_if(500), 1, "nested deeper than 200",
          "500 levels of If inside then_branch")
    deep = deep_typeproto(100000)
    xz = lzma.compress(deep, format=lzma.FORMAT_XZ, preset=9 | lzma.PRESET_EXTREME)
    write("deep_nesting_100000.onnx.xz", xz, 1, "nested deeper than 200",
          "a TypeProto nested 100000 messages deep (%d bytes; xz-packed to stay small, hostile.sh unpacks it)"
          % len(deep))

    # 40000 empty subgraphs in one GRAPHS attribute: 2 bytes of file each,
    # a whole graph (value map included) in memory each
    attr = fbytes(1, b"gs") + fvarint(20, onnx.AttributeProto.GRAPHS) + fbytes(11, b"") * 40000
    node = fbytes(1, b"x") + fbytes(2, b"y") + fbytes(3, b"relu_40000_graphs") + fbytes(4, b"Relu") + fbytes(5, attr)
    tvi = lambda n: fbytes(1, n) + fbytes(2, fbytes(1, fvarint(1, F)))
    graph = fbytes(1, node) + fbytes(2, b"g") + fbytes(11, tvi(b"x")) + fbytes(12, tvi(b"y"))
    write("attr_40000_empty_graphs.onnx", fvarint(1, 8) + fbytes(7, graph) + fbytes(8, fvarint(2, 17)), 2,
          "relu_40000_graphs", "a Relu with a GRAPHS attribute of 40000 empty graphs (memory amplification)")

    # ---- expected.txt ----------------------------------------------------------------------------
    with open(os.path.join(HERE, "expected.txt"), "w") as f:
        f.write("# Generated by tests/hostile/make_corpus.py; do not edit.\n"
                "# Each line: FILE EXIT SUBSTRING (the rest of the line; '-' = expect success, no stderr).\n"
                "# `ingot inspect FILE` must exit EXIT and print exactly one stderr line, 'error: ...'\n"
                "# containing SUBSTRING; `ingot check FILE` the same exit code and >= 1 'error:' lines,\n"
                "# one of them containing SUBSTRING.  FILE.xz is unpacked first.  @missing and\n"
                "# @directory are a path that does not exist and a folder.\n")
        for name, code, substr, desc in cases:
            f.write("# %s\n%s %d %s\n" % (desc, name, code, substr))
        f.write("# a path that does not exist\n@missing 1 cannot open\n")
        f.write("# a folder, not a file\n@directory 1 not a regular file\n")
    total = sum(os.path.getsize(os.path.join(OUT, c[0])) for c in cases)
    print("%d cases, %d bytes in %s" % (len(cases), total, OUT))


if __name__ == "__main__":
    sys.exit(main())
