#!/usr/bin/env bash
# Quantization from the command line (ingot compile --quantize ..., ingot
# quant-report): every mode compiled and run through `ingot exec`, checked
# against torch's fp32 outputs with the stated end-to-end bounds (the same as
# tests/unit/test_quant_models.c: int8-weight 0.02, w8a8 0.04, fp8-e4m3 0.08
# relative L2); --report's weight-bytes reduction and scale-table hash;
# byte-identical artifacts and scales for identical flags; --save-scales /
# --load-scales; --keep-fp32 lists and auto; quant-report text and JSON; and
# a clear one-line error for every bad calibration set or option.
# Calibration folders are made here from the models' own inputs plus seeded
# perturbations by make_calib.c (compiled against the runtime's ingot_npy).
set -u
INGOT=$1
ROOT=$2
source "$(dirname "$0")/lib.bash"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
CC=${CC:-cc}
# a sanitizer build of ingot copies its instrumented libingot_rt.a next to artifacts: link the same way
SAN=()
if nm "$(dirname "$INGOT")/libingot_rt.a" 2>/dev/null | grep -q __asan_report; then SAN=(-fsanitize=address,undefined); fi
declare -A BOUND=([int8-weight]=0.02 [w8a8]=0.04 [fp8-e4m3]=0.08)

run_and_compare() { # name model-dir bound
  local name=$1 d=$2 bound=$3
  mkdir -p "$tmp/$name.out"
  # shellcheck disable=SC2046
  if "$INGOT" exec "$tmp/lib$name.so" $(model_inputs "$d") --threads 2 --output-dir "$tmp/$name.out" >/dev/null &&
    msg=$("$INGOT" compare "$tmp/$name.out/out.npy" "$d/outputs/out.npy" --tol "$bound"); then
    ok "$name vs torch fp32: $msg"
  else
    bad "$name vs torch fp32 (bound $bound): $("$INGOT" compare "$tmp/$name.out/out.npy" "$d/outputs/out.npy" 2>&1)"
  fi
}

# fp32 baseline (also brings libingot_rt.a and ingot_npy.h for make_calib)
dit="$ROOT/models/dit"
"$INGOT" compile "$dit/model.onnx" -o "$tmp/fp32" --shared >/dev/null || bad "fp32 compile"
if $CC -O1 "${SAN[@]}" -I"$tmp" "$ROOT/tests/e2e/make_calib.c" "$tmp/libingot_rt.a" -lm -lpthread -o "$tmp/make_calib"; then
  ok "make_calib built"
else
  bad "make_calib does not build"
fi
for m in dit mmdit unet_inpaint; do "$tmp/make_calib" "$ROOT/models/$m" 4 7 "$tmp/calib_$m" || bad "make_calib $m"; done

# int8-weight: no calibration needed; weights file ~3x smaller
if "$INGOT" compile "$dit/model.onnx" -o "$tmp/dit_i8" --shared --quantize int8-weight --report >"$tmp/i8.txt" &&
  grep -q "quantization: int8-weight, 12 layers quantized, 3 kept in fp32" "$tmp/i8.txt" &&
  grep -q "fp32: /t_embedder/mlp/mlp.0/Gemm (conditioning embedder)" "$tmp/i8.txt" &&
  grep -q "fp32: /final_layer/linear/MatMul (final projection)" "$tmp/i8.txt" &&
  grep -q "weights of quantized layers: 626688 -> " "$tmp/i8.txt" && grep -q "scale table hash: " "$tmp/i8.txt"; then
  ok "int8-weight report: $(grep -E 'weights file' "$tmp/i8.txt" | sed 's/^ *//')"
else
  bad "int8-weight compile/report: $(cat "$tmp/i8.txt")"
fi
s32=$(stat -c %s "$tmp/fp32.weights")
s8=$(stat -c %s "$tmp/dit_i8.weights")
if [ "$s8" -lt $((s32 * 2 / 5)) ]; then ok "int8-weight weights file $s8 bytes vs fp32 $s32"; else bad "weights $s8 vs $s32"; fi
run_and_compare dit_i8 "$dit" "${BOUND[int8-weight]}"

# w8a8 (VNNI on machines that have it), twice: byte-identical; save and reload scales
mkdir -p "$tmp/w8_1" "$tmp/w8_2"
"$INGOT" compile "$dit/model.onnx" -o "$tmp/w8_1/dit" --shared --quantize w8a8 --calibrate "$tmp/calib_dit" \
  --save-scales "$tmp/scales_1.txt" --report >"$tmp/w8_1.txt" || bad "w8a8 compile"
"$INGOT" compile "$dit/model.onnx" -o "$tmp/w8_2/dit" --shared --quantize w8a8 --calibrate "$tmp/calib_dit" \
  --save-scales "$tmp/scales_2.txt" --report >"$tmp/w8_2.txt" || bad "w8a8 compile (2)"
h1=$(grep "scale table hash" "$tmp/w8_1.txt" | awk '{print $4}' | tr -d ,)
h2=$(grep "scale table hash" "$tmp/w8_2.txt" | awk '{print $4}' | tr -d ,)
if [ -n "$h1" ] && [ "$h1" = "$h2" ] && cmp -s "$tmp/scales_1.txt" "$tmp/scales_2.txt" &&
  cmp -s "$tmp/w8_1/dit.weights" "$tmp/w8_2/dit.weights"; then
  ok "w8a8 twice: same scale table hash $h1, identical scales file and weights"
else
  bad "w8a8 not deterministic: '$h1' vs '$h2'"
fi
head -1 "$tmp/scales_1.txt" | grep -q "^ingot-scales 1$" && grep -q "^amax 0x" "$tmp/scales_1.txt" &&
  ok "scales file format" || bad "scales file: $(head -3 "$tmp/scales_1.txt")"
mkdir -p "$tmp/w8_3"
"$INGOT" compile "$dit/model.onnx" -o "$tmp/w8_3/dit" --shared --quantize w8a8 --load-scales "$tmp/scales_1.txt" \
  --report >"$tmp/w8_3.txt" || bad "w8a8 --load-scales compile"
h3=$(grep "scale table hash" "$tmp/w8_3.txt" | awk '{print $4}' | tr -d ,)
if [ "$h3" = "$h1" ] && cmp -s "$tmp/w8_1/dit.weights" "$tmp/w8_3/dit.weights"; then
  ok "--load-scales reproduces the scale table ($h3) and the weights"
else
  bad "--load-scales: '$h3' vs '$h1'"
fi
cp "$tmp/w8_1/libdit.so" "$tmp/libdit_w8.so" && cp "$tmp/w8_1/dit.weights" "$tmp/dit.weights"
run_and_compare dit_w8 "$dit" "${BOUND[w8a8]}"

# fp8-e4m3 (emulated: E4M3FN weights, fake-quantized activations)
"$INGOT" compile "$dit/model.onnx" -o "$tmp/dit_f8" --shared --quantize fp8-e4m3 --calibrate "$tmp/calib_dit" \
  --report >"$tmp/f8.txt" || bad "fp8 compile"
grep -q "quantization: fp8-e4m3" "$tmp/f8.txt" && ok "fp8-e4m3 report" || bad "fp8 report"
run_and_compare dit_f8 "$dit" "${BOUND[fp8-e4m3]}"

# convolutions (UNet) in w8a8, per-token activations on MMDiT
"$INGOT" compile "$ROOT/models/unet_inpaint/model.onnx" -o "$tmp/unet_w8" --shared --quantize w8a8 \
  --calibrate "$tmp/calib_unet_inpaint" >/dev/null || bad "unet w8a8 compile"
run_and_compare unet_w8 "$ROOT/models/unet_inpaint" "${BOUND[w8a8]}"
"$INGOT" compile "$ROOT/models/mmdit/model.onnx" -o "$tmp/mmdit_pt" --shared --quantize w8a8 --per-token \
  --calibrate "$tmp/calib_mmdit" --calib-method percentile >/dev/null || bad "mmdit w8a8 per-token compile"
run_and_compare mmdit_pt "$ROOT/models/mmdit" "${BOUND[w8a8]}"

# --keep-fp32 lists
"$INGOT" compile "$dit/model.onnx" -o "$tmp/keep" --quantize int8-weight --report \
  --keep-fp32=default,/blocks.0/mlp/fc1/MatMul >"$tmp/keep.txt" || bad "keep compile"
grep -q "fp32: /blocks.0/mlp/fc1/MatMul (--keep-fp32)" "$tmp/keep.txt" && grep -q "11 layers quantized, 4 kept" "$tmp/keep.txt" &&
  ok "--keep-fp32=default,NODE adds a layer to the policy" || bad "keep: $(grep quantization "$tmp/keep.txt")"
"$INGOT" compile "$dit/model.onnx" -o "$tmp/keep" --quantize int8-weight --report --keep-fp32=none >"$tmp/keep.txt" ||
  bad "keep none compile"
grep -q "15 layers quantized, 0 kept" "$tmp/keep.txt" && ok "--keep-fp32=none quantizes every linear layer" ||
  bad "keep none: $(grep quantization "$tmp/keep.txt")"
if "$INGOT" compile "$dit/model.onnx" -o "$tmp/auto" --quantize w8a8 --calibrate "$tmp/calib_dit" --keep-fp32=auto \
  --error-budget 0.005 --report >"$tmp/auto.txt" && grep -q "keep-fp32=auto" "$tmp/auto.txt" &&
  grep -q "(auto)" "$tmp/auto.txt"; then
  ok "auto: $(grep 'kept in fp32:' "$tmp/auto.txt" | sed 's/^ *//')"
else
  bad "keep-fp32=auto: $(cat "$tmp/auto.txt")"
fi

# quant-report
if "$INGOT" quant-report "$dit/model.onnx" --quantize w8a8 --calibrate "$tmp/calib_dit" >"$tmp/rep.txt" &&
  grep -q "end to end" "$tmp/rep.txt" && grep -q "SQNR" "$tmp/rep.txt" && grep -q "/blocks.1/mlp/fc2/MatMul" "$tmp/rep.txt"; then
  ok "quant-report: $(grep 'output out' "$tmp/rep.txt" | sed 's/^ *//')"
else
  bad "quant-report: $(cat "$tmp/rep.txt")"
fi
if "$INGOT" quant-report "$dit/model.onnx" --quantize fp8-e4m3 --calibrate "$tmp/calib_dit" --json >"$tmp/rep.json"; then
  if command -v python3 >/dev/null; then
    if python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["mode"]=="fp8-e4m3"; assert len(d["layers"])==12; e=[l["rel_l2"] for l in d["layers"]]; assert e==sorted(e,reverse=True); assert d["end_to_end"][0]["output"]=="out"; assert 0<d["end_to_end"][0]["rel_l2"]<0.08' "$tmp/rep.json"; then
      ok "quant-report --json parses (12 layers, worst first, end-to-end under the fp8 bound)"
    else
      bad "quant-report --json: $(head -c 400 "$tmp/rep.json")"
    fi
  else
    grep -q '"end_to_end"' "$tmp/rep.json" && ok "quant-report --json (no python3 to parse it)" || bad "json"
  fi
else
  bad "quant-report --json failed"
fi

# errors: one line, exit 1
mkdir -p "$tmp/empty" "$tmp/partial/s0" "$tmp/shape/s0"
cp "$dit/inputs/x.npy" "$dit/inputs/t.npy" "$tmp/partial/s0/"
cp "$ROOT/models/dit_variant/inputs/"*.npy "$tmp/shape/s0/"
echo "garbage" >"$tmp/garbage.txt"
expect_fail 1 "needs activation ranges" -- "$INGOT" compile "$dit/model.onnx" -o "$tmp/e" --quantize w8a8
expect_fail 1 "does not exist" -- "$INGOT" compile "$dit/model.onnx" -o "$tmp/e" --quantize w8a8 --calibrate "$tmp/nope"
expect_fail 1 "holds no samples" -- "$INGOT" compile "$dit/model.onnx" -o "$tmp/e" --quantize w8a8 --calibrate "$tmp/empty"
expect_fail 1 "has no 'y.npy'" -- "$INGOT" compile "$dit/model.onnx" -o "$tmp/e" --quantize w8a8 --calibrate "$tmp/partial"
expect_fail 1 "x.npy is float32 [3,4,16,16]" -- "$INGOT" compile "$dit/model.onnx" -o "$tmp/e" --quantize w8a8 \
  --calibrate "$tmp/shape"
expect_fail 1 "not an ingot scales file" -- "$INGOT" compile "$dit/model.onnx" -o "$tmp/e" --quantize w8a8 \
  --load-scales "$tmp/garbage.txt"
expect_fail 1 "no node named 'nosuch'" -- "$INGOT" compile "$dit/model.onnx" -o "$tmp/e" --quantize int8-weight \
  --keep-fp32=nosuch
expect_fail 1 "needs --error-budget" -- "$INGOT" compile "$dit/model.onnx" -o "$tmp/e" --quantize w8a8 \
  --calibrate "$tmp/calib_dit" --keep-fp32=auto
expect_fail 1 "--quantize wants int8-weight, w8a8 or fp8-e4m3" -- "$INGOT" compile "$dit/model.onnx" -o "$tmp/e" --quantize int4
expect_fail 1 "need --quantize" -- "$INGOT" compile "$dit/model.onnx" -o "$tmp/e" --calibrate "$tmp/calib_dit"
expect_fail 1 "--per-token goes with --quantize w8a8" -- "$INGOT" compile "$dit/model.onnx" -o "$tmp/e" \
  --quantize int8-weight --per-token
expect_fail 1 "usage: ingot quant-report" -- "$INGOT" quant-report "$dit/model.onnx" --quantize w8a8
expect_fail 1 "holds no samples" -- "$INGOT" quant-report "$dit/model.onnx" --quantize w8a8 --calibrate "$tmp/empty"
finish
