#!/usr/bin/env bash
# Ahead-of-time compilation of every bundled model, checked three ways:
#   - statically linked into a C test program (libNAME.a + libingot_rt.a),
#   - loaded by `ingot exec` from libNAME.so (--shared),
# at 1 and 2 threads, against the reference evaluator (`ingot run`, rel L2 <= 1e-5)
# and torch's saved outputs (rel L2 <= 1e-4).  Also: batch specialisation of the
# dynamic model, buckets, byte-identical output for identical flags, and refusal
# of corrupted or truncated weights files.
set -u
INGOT=$1
ROOT=$2
source "$(dirname "$0")/lib.bash"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
CC=${CC:-cc}
RT_TOL=1e-5
TORCH_TOL=1e-4

check_model() { # name dir compile-flags...
  local name=$1 d=$2
  shift 2
  local out="$tmp/$name"
  mkdir -p "$out/ref" "$out/so"
  if ! "$INGOT" compile "$d/model.onnx" -o "$out/$name" --shared "$@" >/dev/null; then
    bad "$name: compile failed"
    return
  fi
  # shellcheck disable=SC2046
  "$INGOT" run "$d/model.onnx" $(model_inputs "$d") --output-dir "$out/ref" >/dev/null || bad "$name: ingot run failed"
  if ! $CC -O1 "${SAN[@]}" -I"$out" -DDESC="${name}__descriptor" "$ROOT/tests/e2e/linked_main.c" "$out/lib$name.a" \
    "$out/libingot_rt.a" -lm -lpthread -o "$out/linked"; then
    bad "$name: linking the test program failed"
    return
  fi
  for th in 1 2; do
    mkdir -p "$out/l$th" "$out/x$th"
    if "$out/linked" "$out/$name.weights" $th "$d/inputs" "$out/l$th" &&
      "$INGOT" compare "$out/l$th/out.npy" "$out/ref/out.npy" --tol $RT_TOL >/dev/null &&
      "$INGOT" compare "$out/l$th/out.npy" "$d/outputs/out.npy" --tol $TORCH_TOL >/dev/null; then
      ok "$name linked, $th thread(s): matches evaluator ($RT_TOL) and torch ($TORCH_TOL)"
    else
      bad "$name linked, $th thread(s): $("$INGOT" compare "$out/l$th/out.npy" "$d/outputs/out.npy" 2>&1)"
    fi
    # shellcheck disable=SC2046
    if "$INGOT" exec "$out/lib$name.so" $(model_inputs "$d") --threads $th --output-dir "$out/x$th" >/dev/null &&
      "$INGOT" compare "$out/x$th/out.npy" "$out/ref/out.npy" --tol $RT_TOL >/dev/null &&
      "$INGOT" compare "$out/x$th/out.npy" "$d/outputs/out.npy" --tol $TORCH_TOL >/dev/null; then
      ok "$name via ingot exec, $th thread(s): matches evaluator and torch"
    else
      bad "$name via ingot exec, $th thread(s)"
    fi
  done
}

for m in dit mmdit unet_inpaint dit_variant; do check_model "$m" "$ROOT/models/$m"; done
# batch specialisation of the symbolic-batch export
check_model dit_dynamic "$ROOT/models/dit_dynamic" --batch 3
expect_fail 1 "symbolic" -- "$INGOT" compile "$ROOT/models/dit_dynamic/model.onnx" -o "$tmp/nobatch"

# buckets: one artifact, two batch sizes sharing the weights
d="$ROOT/models/dit_dynamic"
if "$INGOT" compile "$d/model.onnx" -o "$tmp/bk" --shared --bucket x=3x4x16x16 --bucket x=1x4x16x16 >/dev/null &&
  grep -q "BK_BUCKET1_ARENA_BYTES" "$tmp/bk.h"; then
  ok "two buckets compiled, arena sizes in the header"
else
  bad "bucket compile"
fi
mkdir -p "$tmp/bko"
# shellcheck disable=SC2046
if "$INGOT" exec "$tmp/libbk.so" $(model_inputs "$d") --output-dir "$tmp/bko" >/dev/null &&
  "$INGOT" compare "$tmp/bko/out.npy" "$d/outputs/out.npy" --tol $TORCH_TOL >/dev/null; then
  ok "bucket x=3x4x16x16 picked by input shape and matches torch"
else
  bad "bucket run"
fi

# determinism
mkdir -p "$tmp/det1" "$tmp/det2"
"$INGOT" compile "$ROOT/models/dit/model.onnx" -o "$tmp/det1/dit" >/dev/null
"$INGOT" compile "$ROOT/models/dit/model.onnx" -o "$tmp/det2/dit" >/dev/null
same=1
for f in dit.h dit.o libdit.a dit.weights; do cmp -s "$tmp/det1/$f" "$tmp/det2/$f" || same=0; done
[ $same = 1 ] && ok "identical flags give byte-identical artifacts" || bad "artifacts differ between two compiles"

# targets: AVX2 code runs here too; AVX-512 code is checked in its assembly (it may not run on CI)
d="$ROOT/models/dit"
mkdir -p "$tmp/avx2" "$tmp/avx2/o" "$tmp/avx512"
# shellcheck disable=SC2046
if "$INGOT" compile "$d/model.onnx" -o "$tmp/avx2/dit" --target x86-64-avx2 --shared --emit=asm >/dev/null &&
  ! grep -q "zmm" "$tmp/avx2/dit.s" && grep -q "ymm" "$tmp/avx2/dit.s" &&
  "$INGOT" exec "$tmp/avx2/libdit.so" $(model_inputs "$d") --output-dir "$tmp/avx2/o" >/dev/null &&
  "$INGOT" compare "$tmp/avx2/o/out.npy" "$d/outputs/out.npy" --tol $TORCH_TOL >/dev/null; then
  ok "--target x86-64-avx2: ymm code, no zmm, matches torch"
else
  bad "--target x86-64-avx2"
fi
if "$INGOT" compile "$d/model.onnx" -o "$tmp/avx512/dit" --target x86-64-avx512 --emit=asm,llvm-ir >/dev/null &&
  grep -q "zmm" "$tmp/avx512/dit.s" && grep -q "define" "$tmp/avx512/dit.ll"; then
  ok "--target x86-64-avx512: zmm code in dit.s, LLVM IR in dit.ll"
else
  bad "--target x86-64-avx512 --emit=asm,llvm-ir"
fi
expect_fail 1 "unknown target" -- "$INGOT" compile "$d/model.onnx" -o "$tmp/x" --target riscv

# embedded weights: no weights file needed
mkdir -p "$tmp/emb" "$tmp/emb/o"
if "$INGOT" compile "$d/model.onnx" -o "$tmp/emb/dit" --embed-weights >/dev/null && [ ! -e "$tmp/emb/dit.weights" ] &&
  $CC -O1 "${SAN[@]}" -I"$tmp/emb" -DDESC=dit__descriptor "$ROOT/tests/e2e/linked_main.c" "$tmp/emb/libdit.a" \
    "$tmp/emb/libingot_rt.a" -lm -lpthread -o "$tmp/emb/linked" &&
  "$tmp/emb/linked" - 2 "$d/inputs" "$tmp/emb/o" &&
  "$INGOT" compare "$tmp/emb/o/out.npy" "$d/outputs/out.npy" --tol $TORCH_TOL >/dev/null; then
  ok "--embed-weights: runs without a weights file"
else
  bad "--embed-weights"
fi

# corrupted and truncated weights are refused
w="$tmp/dit/dit.weights"
cp "$w" "$tmp/corrupt.weights"
printf '\x5a' | dd of="$tmp/corrupt.weights" bs=1 seek=1000 conv=notrunc 2>/dev/null
expect_fail 1 "checksum mismatch" -- "$tmp/dit/linked" "$tmp/corrupt.weights" 1 "$ROOT/models/dit/inputs" "$tmp"
head -c 5000 "$w" >"$tmp/trunc.weights"
expect_fail 1 "truncated" -- "$tmp/dit/linked" "$tmp/trunc.weights" 1 "$ROOT/models/dit/inputs" "$tmp"
expect_fail 1 "another model" -- "$tmp/dit/linked" "$tmp/mmdit/mmdit.weights" 1 "$ROOT/models/dit/inputs" "$tmp"
expect_fail 1 "cannot open weights" -- "$tmp/dit/linked" "$tmp/none.weights" 1 "$ROOT/models/dit/inputs" "$tmp"
finish
