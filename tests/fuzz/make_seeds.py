#!/usr/bin/python3
"""Seed corpus for tests/fuzz/fuzz_import.c.

    /usr/bin/python3 tests/fuzz/make_seeds.py OUTDIR

Writes into OUTDIR: every models/*/model.onnx as is; the same models with
their initializers turned into graph inputs (the whole graph structure in a
few KB, which the fuzzer can mutate quickly); and every file of the hostile
corpus (tests/hostile/corpus, .xz cases unpacked).  Needs Debian's python
(onnx 1.12)."""
import glob
import lzma
import os
import shutil
import sys

import onnx
from onnx import helper

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for path in sorted(glob.glob(os.path.join(ROOT, "models", "*", "model.onnx"))):
        name = os.path.basename(os.path.dirname(path))
        shutil.copy(path, os.path.join(out, "model_%s.onnx" % name))
        m = onnx.load(path)
        g = m.graph
        inits = list(g.initializer)
        del g.initializer[:]
        for t in inits:
            g.input.append(helper.make_tensor_value_info(t.name, t.data_type, list(t.dims)))
        with open(os.path.join(out, "structure_%s.onnx" % name), "wb") as f:
            f.write(m.SerializeToString())
    for path in sorted(glob.glob(os.path.join(ROOT, "tests", "hostile", "corpus", "*"))):
        base = os.path.basename(path)
        if base.endswith(".xz"):
            with open(os.path.join(out, "hostile_" + base[:-3]), "wb") as f:
                f.write(lzma.open(path).read())
        else:
            shutil.copy(path, os.path.join(out, "hostile_" + base))


if __name__ == "__main__":
    main()
