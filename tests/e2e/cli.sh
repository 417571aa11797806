#!/usr/bin/env bash
# The command line: inspect/check on every model, and input validation errors of `ingot run`.
set -u
INGOT=$1
ROOT=$2
source "$(dirname "$0")/lib.bash"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for m in dit mmdit unet_inpaint dit_dynamic dit_variant; do
  if out=$("$INGOT" inspect "$ROOT/models/$m/model.onnx" --values 2>&1) && [[ "$out" == *"opsets:   ai.onnx 17"* ]] &&
    [[ "$out" == *"parameters:"* ]] && [[ "$out" == *"values:"* ]]; then
    ok "inspect $m"
  else
    bad "inspect $m: $out"
  fi
  if "$INGOT" check "$ROOT/models/$m/model.onnx" >/dev/null 2>&1; then ok "check $m"; else bad "check $m"; fi
done
out=$("$INGOT" inspect "$ROOT/models/dit_dynamic/model.onnx")
[[ "$out" == *"[batch,8,16,16]"* ]] && ok "symbolic batch reaches the output" || bad "dynamic output shape: $out"

d="$ROOT/models/dit"
run=("$INGOT" run "$d/model.onnx" --output-dir "$tmp/o")
expect_fail 1 "input 'y'" -- "${run[@]}" --input x="$d/inputs/x.npy" --input t="$d/inputs/t.npy"
expect_fail 1 "no input named 'z'" -- "${run[@]}" --input x="$d/inputs/x.npy" --input t="$d/inputs/t.npy" \
  --input y="$d/inputs/y.npy" --input z="$d/inputs/y.npy"
expect_fail 1 "input 'y'" -- "${run[@]}" --input x="$d/inputs/x.npy" --input t="$d/inputs/t.npy" --input y="$d/inputs/t.npy"
expect_fail 1 "input 'x'" -- "${run[@]}" --input x="$ROOT/models/mmdit/inputs/context.npy" --input t="$d/inputs/t.npy" \
  --input y="$d/inputs/y.npy"
head -c 100 "$d/inputs/x.npy" >"$tmp/trunc.npy"
expect_fail 1 "input 'x'" -- "${run[@]}" --input x="$tmp/trunc.npy" --input t="$d/inputs/t.npy" --input y="$d/inputs/y.npy"
expect_fail 1 "no-such.npy" -- "${run[@]}" --input x="$tmp/no-such.npy" --input t="$d/inputs/t.npy" --input y="$d/inputs/y.npy"
expect_fail 1 "cannot open" -- "$INGOT" inspect "$tmp/missing.onnx"
expect_fail 1 "unknown command" -- "$INGOT" frobnicate
expect_fail 1 "unknown option" -- "$INGOT" inspect --bogus "$d/model.onnx"
expect_fail 1 "no model given" -- "$INGOT" inspect
finish
