#!/usr/bin/env bash
# Every bundled model through `ingot run` (the reference evaluator) against
# torch's saved outputs.  Tolerance: relative L2 error <= 1e-4 for each model
# (the evaluator accumulates in double; observed errors are ~2e-7).
set -u
INGOT=$1
ROOT=$2
source "$(dirname "$0")/lib.bash"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
TOL=1e-4
for m in dit mmdit unet_inpaint dit_dynamic dit_variant; do
  d="$ROOT/models/$m"
  # shellcheck disable=SC2046
  if "$INGOT" run "$d/model.onnx" $(model_inputs "$d") --output-dir "$tmp/$m" >/dev/null &&
    "$INGOT" compare "$tmp/$m/out.npy" "$d/outputs/out.npy" --tol $TOL; then
    ok "$m matches torch (rel L2 <= $TOL)"
  else
    bad "$m does not match torch within $TOL"
  fi
done
finish
