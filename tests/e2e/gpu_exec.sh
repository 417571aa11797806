#!/usr/bin/env bash
# GPU execution of every bundled model, when a GPU is present: compile for the
# device's architecture (sm_90 on Hopper, else sm_80), link the artifact into a
# C program (tests/e2e/gpu_run.c: libNAME.a + libingot_rt.a, no CUDA at link
# time), run it on the device and compare against the reference evaluator and
# torch's outputs: rel L2 <= 1e-3 with fp16 tensor cores, <= 1e-1 with
# --quantize fp8-e4m3 (sm_90 only).  Prints the median run time (host<->device
# copies included).  Without a GPU it checks that a GPU artifact refuses to
# start with a clear message and prints a SKIP line.
set -u
INGOT=$1
ROOT=$2
source "$(dirname "$0")/lib.bash"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
CC=${CC:-cc}
# SAN (lib.bash): sanitizer flags matching the runtime ingot copies next to artifacts
TOL=1e-3
TOL_FP8=1e-1
ITERS=${INGOT_GPU_ITERS:-20}

libdevice=${INGOT_LIBDEVICE:-${CUDA_HOME:-/usr/local/cuda}/nvvm/libdevice/libdevice.10.bc}
if [ ! -r "$libdevice" ] && [ ! -r /usr/local/cuda/nvvm/libdevice/libdevice.10.bc ]; then
  echo "SKIP: GPU execution tests: libdevice (CUDA toolkit) not found, GPU artifacts cannot be compiled here"
  exit 0
fi

build() { # name dir target out-dir compile-flags... -> out-dir/run
  local name=$1 d=$2 t=$3 out=$4
  shift 4
  mkdir -p "$out"
  "$INGOT" compile "$d/model.onnx" -o "$out/$name" --target "$t" "$@" >/dev/null || return 1
  $CC -O1 "${SAN[@]}" -I"$out" -DDESC="${name}__descriptor" "$ROOT/tests/e2e/gpu_run.c" "$out/lib$name.a" \
    "$out/libingot_rt.a" -lm -lpthread -ldl -o "$out/run"
}

if ! build dit "$ROOT/models/dit" sm_80 "$tmp/probe"; then
  bad "compiling dit for sm_80 and linking the test program failed"
  finish
  exit
fi
ok "dit compiled for sm_80 and linked into a C program without CUDA"
probe=$("$tmp/probe/run")
if [ $? -ne 0 ]; then
  # no GPU: the artifact must refuse to start, one clear line, exit 1
  err=$("$tmp/probe/run" "$tmp/probe/dit.weights" "$ROOT/models/dit/inputs" "$tmp" 2>&1 >/dev/null)
  rc=$?
  if [ $rc -eq 1 ] && [[ "$err" == error:*CUDA* ]] && [ "$(printf '%s' "$err" | grep -c '')" -eq 1 ]; then
    ok "without a GPU the artifact refuses to start: $err"
  else
    bad "without a GPU: expected exit 1 and one 'error: ...CUDA...' line, got exit $rc: $err"
  fi
  echo "SKIP: GPU execution tests: no usable GPU here ($probe)"
  finish
  exit
fi
echo "GPU: $probe"
sm=${probe#sm_}
sm=${sm%% *}
target=sm_80
[ "$sm" -ge 90 ] && target=sm_90

run_model() { # label name dir tol compile-flags...
  local label=$1 name=$2 d=$3 tol=$4
  shift 4
  local out="$tmp/$label"
  if ! build "$name" "$d" "$target" "$out" "$@"; then
    bad "$label: compile/link for $target failed"
    return
  fi
  mkdir -p "$out/ref" "$out/res"
  # shellcheck disable=SC2046
  "$INGOT" run "$d/model.onnx" $(model_inputs "$d") --output-dir "$out/ref" >/dev/null
  local t
  if ! t=$("$out/run" "$out/$name.weights" "$d/inputs" "$out/res" "$ITERS" 2>&1); then
    bad "$label on $target: $t"
    return
  fi
  if "$INGOT" compare "$out/res/out.npy" "$out/ref/out.npy" --tol "$tol" >/dev/null &&
    "$INGOT" compare "$out/res/out.npy" "$d/outputs/out.npy" --tol "$tol" >/dev/null; then
    ok "$label on $target ($probe): matches evaluator and torch ($tol); $t; $("$INGOT" compare "$out/res/out.npy" "$d/outputs/out.npy" 2>&1 | head -1)"
  else
    bad "$label on $target: $("$INGOT" compare "$out/res/out.npy" "$d/outputs/out.npy" 2>&1)"
  fi
}

for m in dit mmdit unet_inpaint dit_variant; do run_model "$m" "$m" "$ROOT/models/$m" $TOL; done
run_model dit_dynamic dit_dynamic "$ROOT/models/dit_dynamic" $TOL --batch 3
run_model dit_tf32 dit "$ROOT/models/dit" $TOL --tf32
if [ "$target" = sm_90 ]; then run_model dit_fp8 dit "$ROOT/models/dit" $TOL_FP8 --quantize fp8-e4m3; fi
finish
