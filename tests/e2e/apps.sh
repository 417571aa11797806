#!/usr/bin/env bash
# The example apps and the tooling around compiled models:
#   - dit-sample: PNG size, same seed -> identical bytes, another seed -> different,
#     per-step progress with -v and silence otherwise, usage errors;
#   - the whole-sampler entry (ingot compile --sampler): dit_sample() gives the same
#     latent as the step-by-step loop (1e-5), for DDIM (the examples' build) and Euler
#     (dit-sample rebuilt here against a --sampler euler artifact);
#   - inpaint: output size, every pixel outside the mask byte-identical, the mask's
#     inside changed, determinism, and one-line refusals of bad inputs;
#   - INGOT_TRACE: valid JSON with one event per kernel launch (apps, ingot exec);
#   - ingot profile, compile --report / --dump-after / --sampler errors;
#   - the examples build from a clean folder through cmake/IngotModel.cmake alone.
# The apps come from the main build (INGOT_EXAMPLES=ON, next to the ingot binary);
# a third argument or $INGOT_APPS names another folder.
set -u
INGOT=$1
ROOT=$2
source "$(dirname "$0")/lib.bash"
APPS=${3:-${INGOT_APPS:-$(dirname "$INGOT")/examples}}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
CC=${CC:-cc}
# SAN (lib.bash): sanitizer flags matching the runtime ingot copies next to artifacts
DS="$APPS/dit-sample"
IP="$APPS/inpaint"
if [ ! -x "$DS" ] || [ ! -x "$IP" ]; then
  echo "skip: $APPS has no dit-sample/inpaint (configure with -DINGOT_EXAMPLES=ON)"
  exit 0
fi
IMG="$ROOT/docs/inpaint-input.png"
MASK="$ROOT/docs/inpaint-mask.png"
DATA="$ROOT/tests/e2e/apps_data"

# the checker: PNG sizes, pixels outside a mask, trace JSON
CHECK="$tmp/apps_check"
if ! $CC -O1 -I"$ROOT/examples/common" "$ROOT/tests/e2e/apps_check.c" "$ROOT/examples/common/png_io.c" -lpng \
  -o "$CHECK"; then
  bad "building tests/e2e/apps_check.c failed"
  finish
  exit 1
fi

# ---- dit-sample -----------------------------------------------------------------------
args=(--steps 6 --class 3 --guidance 4)
"$DS" "${args[@]}" --seed 1 -o "$tmp/s1.png" >/dev/null 2>"$tmp/quiet.err"
"$DS" "${args[@]}" --seed 1 -o "$tmp/s1b.png" >/dev/null
"$DS" "${args[@]}" --seed 2 -o "$tmp/s2.png" >/dev/null
[ "$("$CHECK" size "$tmp/s1.png")" = "128 128 3" ] && ok "dit-sample writes a 128x128 RGB PNG" ||
  bad "dit-sample PNG size: $("$CHECK" size "$tmp/s1.png" 2>&1)"
cmp -s "$tmp/s1.png" "$tmp/s1b.png" && ok "dit-sample: same seed, identical PNG bytes" || bad "dit-sample not deterministic"
cmp -s "$tmp/s1.png" "$tmp/s2.png" && bad "dit-sample: seeds 1 and 2 gave the same PNG" ||
  ok "dit-sample: another seed, another PNG"
"$DS" "${args[@]}" --seed 1 --class 4 -o "$tmp/c4.png" >/dev/null
cmp -s "$tmp/s1.png" "$tmp/c4.png" && bad "dit-sample: the class changes nothing" || ok "dit-sample: the class matters"
"$DS" "${args[@]}" --seed 1 --size 48 -o "$tmp/s48.png" >/dev/null
[ "$("$CHECK" size "$tmp/s48.png")" = "48 48 3" ] && ok "dit-sample --size 48" || bad "dit-sample --size"
[ ! -s "$tmp/quiet.err" ] && ok "dit-sample: no progress when stderr is not a terminal" ||
  bad "dit-sample wrote to a non-terminal stderr: $(head -c 200 "$tmp/quiet.err")"
out=$("$DS" "${args[@]}" --seed 1 -o "$tmp/v.png" -v 2>"$tmp/v.err")
n=$(grep -c '^\[dit-sample\] step [0-9]*/6' "$tmp/v.err")
[ "$n" -eq 6 ] && [[ "$out" == *"ms"* ]] && ok "dit-sample -v: one progress line per step, total time" ||
  bad "dit-sample -v: $n step lines; stdout: $out"
"$DS" "${args[@]}" --seed 1 --threads 2 -o "$tmp/t2.png" >/dev/null && ok "dit-sample --threads 2" ||
  bad "dit-sample --threads 2"

# whole-sampler entry (the examples compile the DiT with --sampler ddim --steps 20 --guidance 4)
"$DS" --steps 20 --seed 7 --class 1 --guidance 4 -o "$tmp/l.png" --latent-out "$tmp/loop.npy" >/dev/null
"$DS" --steps 20 --seed 7 --class 1 --guidance 4 -o "$tmp/c.png" --latent-out "$tmp/comp.npy" --compiled >/dev/null
cmpout=$("$INGOT" compare "$tmp/comp.npy" "$tmp/loop.npy" --tol 1e-5 2>&1)
crc=$?
maxabs=$(echo "$cmpout" | sed -n 's/.*max_abs \([^ ]*\).*/\1/p')
if [ $crc -eq 0 ] && awk -v m="$maxabs" 'BEGIN { exit !(m != "" && m + 0 <= 1e-5) }'; then
  ok "dit_sample() (compiled ddim loop) = step-by-step loop: $cmpout"
else
  bad "compiled sampler vs loop: $cmpout"
fi
expect_fail 1 "compiled for" -- "$DS" --steps 10 --seed 1 --class 1 --guidance 4 --compiled -o "$tmp/x.png"
expect_fail 1 "--sampler" -- "$DS" --steps 4 --seed 1 --class 1 --guidance 4 --sampler heun -o "$tmp/x.png"
expect_fail 1 "--class" -- "$DS" --steps 4 --seed 1 --class 10 --guidance 4 -o "$tmp/x.png"
expect_fail 1 "required" -- "$DS" --steps 4 --seed 1 -o "$tmp/x.png"

# Euler: a --sampler euler artifact and dit-sample rebuilt against it
mkdir -p "$tmp/eu"
if "$INGOT" compile "$ROOT/models/dit/model.onnx" -o "$tmp/eu/dit" --sampler euler --steps 8 --guidance 2.5 \
  --report >"$tmp/eu/report.txt" &&
  grep -q "sampler: dit_sample, euler, 8 steps, guidance 2.5, null class 10" "$tmp/eu/report.txt" &&
  $CC -O1 "${SAN[@]}" -I"$tmp/eu" -I"$ROOT/examples/common" -DDIT_WEIGHTS="\"$tmp/eu/dit.weights\"" \
    "$ROOT/examples/dit-sample/main.c" "$ROOT/examples/dit-sample/schedule.c" "$ROOT/examples/common/png_io.c" \
    "$ROOT/examples/common/app_util.c" "$tmp/eu/libdit.a" "$tmp/eu/libingot_rt.a" -lpng -lm -lpthread \
    -o "$tmp/eu/dit-sample"; then
  "$tmp/eu/dit-sample" --steps 8 --seed 3 --class 5 --guidance 2.5 --sampler euler -o "$tmp/eu/l.png" \
    --latent-out "$tmp/eu/loop.npy" >/dev/null
  "$tmp/eu/dit-sample" --steps 8 --seed 3 --class 5 --guidance 2.5 --compiled -o "$tmp/eu/c.png" \
    --latent-out "$tmp/eu/comp.npy" >/dev/null
  cmpout=$("$INGOT" compare "$tmp/eu/comp.npy" "$tmp/eu/loop.npy" --tol 1e-5 2>&1) &&
    ok "dit_sample() (compiled euler loop) = step-by-step loop: $cmpout" || bad "euler: $cmpout"
else
  bad "compiling or building the euler sampler"
fi

# ---- inpaint --------------------------------------------------------------------------
"$IP" --image "$IMG" --mask "$MASK" -o "$tmp/i1.png" >/dev/null 2>"$tmp/iq.err"
"$IP" --image "$IMG" --mask "$MASK" -o "$tmp/i1b.png" >/dev/null
"$IP" --image "$IMG" --mask "$MASK" -o "$tmp/i2.png" --seed 9 >/dev/null
[ "$("$CHECK" size "$tmp/i1.png")" = "$("$CHECK" size "$IMG")" ] && ok "inpaint: output has the input's size" ||
  bad "inpaint size: $("$CHECK" size "$tmp/i1.png" 2>&1)"
if res=$("$CHECK" outside "$IMG" "$tmp/i1.png" "$MASK") && [ "${res#changed-inside }" -gt 100 ]; then
  ok "inpaint: every pixel outside the mask byte-identical; $res"
else
  bad "inpaint composite: $res"
fi
cmp -s "$tmp/i1.png" "$tmp/i1b.png" && ok "inpaint: same seed, identical PNG bytes" || bad "inpaint not deterministic"
cmp -s "$tmp/i1.png" "$tmp/i2.png" && bad "inpaint: another seed changed nothing" || ok "inpaint: another seed, another fill"
"$CHECK" outside "$IMG" "$tmp/i2.png" "$MASK" >/dev/null && ok "inpaint --seed 9: outside still identical" ||
  bad "inpaint --seed 9 changed pixels outside the mask"
[ ! -s "$tmp/iq.err" ] && ok "inpaint: quiet on a non-terminal" || bad "inpaint stderr: $(head -c 200 "$tmp/iq.err")"
n=$("$IP" --image "$IMG" --mask "$MASK" -o "$tmp/iv.png" --steps 3 -v 2>&1 >/dev/null | grep -c '^\[inpaint\] step')
[ "$n" -eq 3 ] && ok "inpaint -v: a line per step" || bad "inpaint -v: $n lines"
printf 'this is not a PNG file at all\n' >"$tmp/text.png"
head -c 120 "$IMG" >"$tmp/trunc.png"
expect_fail 1 "must match" -- "$IP" --image "$IMG" --mask "$DATA/mask_64x48.png" -o "$tmp/x.png"
expect_fail 1 "grayscale" -- "$IP" --image "$IMG" --mask "$DATA/mask_rgb.png" -o "$tmp/x.png"
expect_fail 1 "binary" -- "$IP" --image "$IMG" --mask "$DATA/mask_soft.png" -o "$tmp/x.png"
expect_fail 1 "16-bit" -- "$IP" --image "$IMG" --mask "$DATA/mask_16bit.png" -o "$tmp/x.png"
expect_fail 1 "palette" -- "$IP" --image "$DATA/palette.png" --mask "$MASK" -o "$tmp/x.png"
expect_fail 1 "RGB" -- "$IP" --image "$MASK" --mask "$MASK" -o "$tmp/x.png"
expect_fail 1 "not a PNG" -- "$IP" --image "$tmp/text.png" --mask "$MASK" -o "$tmp/x.png"
expect_fail 1 "not a valid PNG" -- "$IP" --image "$tmp/trunc.png" --mask "$MASK" -o "$tmp/x.png"
expect_fail 1 "cannot open" -- "$IP" --image "$tmp/missing.png" --mask "$MASK" -o "$tmp/x.png"
expect_fail 1 "required" -- "$IP" --image "$IMG" -o "$tmp/x.png"
[ ! -e "$tmp/x.png" ] && ok "inpaint: no output file after a refusal" || bad "inpaint left an output after an error"

# ---- traces: one event per kernel launch ------------------------------------------------------
"$INGOT" compile "$ROOT/models/dit/model.onnx" -o "$tmp/dit" --shared --report >"$tmp/report.txt"
nk=$(sed -n 's/^  kernels: \([0-9]*\)$/\1/p' "$tmp/report.txt")
INGOT_TRACE="$tmp/exec.json" "$INGOT" exec "$tmp/libdit.so" $(model_inputs "$ROOT/models/dit") --iterations 3 \
  >/dev/null
if ev=$("$CHECK" trace "$tmp/exec.json") && [ -n "$nk" ] && [ "$ev" -eq $((3 * nk)) ]; then
  ok "INGOT_TRACE under ingot exec: valid JSON, $ev events = 3 runs x $nk kernels"
else
  bad "ingot exec trace: '$ev' events, $nk kernels"
fi
INGOT_TRACE="$tmp/ds.json" "$DS" --steps 5 --seed 1 --class 0 --guidance 2 -o "$tmp/tr.png" >/dev/null
if ev=$("$CHECK" trace "$tmp/ds.json") && [ "$ev" -eq $((5 * nk)) ]; then
  ok "INGOT_TRACE in dit-sample: valid JSON, $ev events = 5 steps x $nk kernels"
else
  bad "dit-sample trace: '$ev' events, expected $((5 * nk))"
fi
INGOT_TRACE="$tmp/dsc.json" "$DS" --steps 20 --seed 1 --class 0 --guidance 4 --compiled -o "$tmp/tr.png" >/dev/null
ev=$("$CHECK" trace "$tmp/dsc.json") && [ "$ev" -eq $((20 * nk)) ] &&
  ok "INGOT_TRACE with dit_sample(): $ev events = 20 steps x $nk kernels" || bad "dit_sample trace: '$ev' events"
grep -q '"node":"/x_embedder/proj/Conv"' "$tmp/exec.json" && grep -q '"threads":1' "$tmp/exec.json" &&
  ok "trace events name the node and the thread count" || bad "trace args"
printf '{"traceEvents":[{"name":"k","ph":"X","ts":1,"dur":2,"args":{}},]}' >"$tmp/badjson.json"
"$CHECK" trace "$tmp/badjson.json" >/dev/null 2>&1 && bad "the trace checker accepts a trailing comma" ||
  ok "the trace checker rejects invalid JSON"

# ---- ingot profile ---------------------------------------------------------------------------
if "$INGOT" profile "$ROOT/models/dit/model.onnx" --iterations 3 --top 0 >"$tmp/prof.txt" 2>"$tmp/prof.err"; then
  rows=$(grep -cE '^ +[0-9]+  [A-Za-z]' "$tmp/prof.txt")
  if grep -q "GFLOP/s" "$tmp/prof.txt" && grep -qE '^ +total ' "$tmp/prof.txt" && [ "$rows" -eq "$nk" ] &&
    [ ! -s "$tmp/prof.err" ]; then
    ok "ingot profile: a row per kernel ($rows), totals, quiet stderr off a terminal"
  else
    bad "ingot profile table: $rows rows for $nk kernels; $(head -c 300 "$tmp/prof.err")"
  fi
else
  bad "ingot profile failed: $(cat "$tmp/prof.err")"
fi
"$INGOT" profile "$ROOT/models/dit/model.onnx" --iterations 2 --threads 2 --top 3 \
  --input x="$ROOT/models/dit/inputs/x.npy" >/dev/null && ok "ingot profile --threads 2 --input" ||
  bad "ingot profile with inputs"
expect_fail 1 "no input named" -- "$INGOT" profile "$ROOT/models/dit/model.onnx" --input nope="$ROOT/models/dit/inputs/x.npy"
expect_fail 1 "another dtype or shape" -- "$INGOT" profile "$ROOT/models/dit/model.onnx" \
  --input x="$ROOT/models/dit/inputs/t.npy"

# ---- compile: --dump-after, --report, --sampler --------------------------------------------------
"$INGOT" compile "$ROOT/models/dit/model.onnx" -o "$tmp/dump" --dump-after=all >"$tmp/dump.txt"
for p in import specialize fold cse dce; do
  grep -q "^# IR after $p\$" "$tmp/dump.txt" || bad "--dump-after=all lacks $p"
done
"$INGOT" compile "$ROOT/models/dit/model.onnx" -o "$tmp/dump" --dump-after fold >"$tmp/dump1.txt"
[ "$(grep -c '^# IR after' "$tmp/dump1.txt")" -eq 1 ] && ok "--dump-after=all prints every pass, =fold one" ||
  bad "--dump-after fold"
grep -qE "peak activations [0-9]+ bytes" "$tmp/report.txt" && grep -q "passes:" "$tmp/report.txt" &&
  ok "--report: passes, memory plan, kernels" || bad "--report: $(cat "$tmp/report.txt")"
# the compute floor: GFLOP / (peak GFLOP/s per core) = ms on 1 core, divided by the cores on all of them
peak=$(sed -n 's/.* peak \([0-9.]*\) GFLOP\/s per core.*/\1/p' "$tmp/report.txt" | head -n1)
read -r gf f1 fn nc < <(sed -n 's/^  work (bucket 0): \([0-9.e+-]*\) GFLOP.* at the FMA peak \([0-9.]*\) ms on 1 core, \([0-9.]*\) ms on \([0-9]*\)$/\1 \2 \3 \4/p' \
  "$tmp/report.txt")
if [ -n "${peak:-}" ] && [ -n "${nc:-}" ] &&
  awk -v g="$gf" -v p="$peak" -v a="$f1" -v b="$fn" -v n="$nc" 'BEGIN { e = g / p * 1e3; r = b * n;
    exit !(g > 0.01 && g < 1 && n >= 1 && a > 0 && (a - e) / e < 0.01 && (e - a) / e < 0.01 && (r - a) / a < 0.01 && (a - r) / a < 0.01) }'; then
  ok "--report: work $gf GFLOP, at the FMA peak $f1 ms (1 core) / $fn ms ($nc)"
else
  bad "--report work line: peak '${peak:-}', work '${gf:-}' '${f1:-}' '${fn:-}' '${nc:-}'"
fi
mkdir -p "$tmp/mm"
if "$INGOT" compile "$ROOT/models/mmdit/model.onnx" -o "$tmp/mm/mmdit" --sampler ddim --steps 4 >/dev/null &&
  grep -q "int32_t mmdit_sample(mmdit_model \*m, const float \*noise, const float \*context, const float \*y, float \*out_latent);" \
    "$tmp/mm/mmdit.h"; then
  ok "--sampler on MMDiT: context and pooled vector as conditioning (zeros unconditional)"
else
  bad "mmdit --sampler"
fi
expect_fail 2 "even batch" -- "$INGOT" compile "$ROOT/models/dit_variant/model.onnx" -o "$tmp/v" --sampler ddim
expect_fail 1 "go with --sampler" -- "$INGOT" compile "$ROOT/models/dit/model.onnx" -o "$tmp/v" --steps 4
expect_fail 1 "--sampler wants" -- "$INGOT" compile "$ROOT/models/dit/model.onnx" -o "$tmp/v" --sampler heun
expect_fail 1 "--steps wants" -- "$INGOT" compile "$ROOT/models/dit/model.onnx" -o "$tmp/v" --sampler ddim --steps 0

# ---- quant-report --trajectory: error along a sampling run, per step and layer ----------------
mkdir -p "$tmp/calib/s0"
cp "$ROOT"/models/dit/inputs/*.npy "$tmp/calib/s0/"
tq=("$INGOT" quant-report "$ROOT/models/dit/model.onnx" --quantize w8a8 --calibrate "$tmp/calib" --trajectory --steps 4)
if "${tq[@]}" --max-rel-l2 0.5 >"$tmp/traj.json" 2>"$tmp/traj.err"; then
  nsteps=$(grep -o "\"latent_rel_l2\"" "$tmp/traj.json" | wc -l)
  nlayer=$(grep -o "\"layer\": \"/blocks.0/mlp/fc1/MatMul\"" "$tmp/traj.json" | wc -l)
  if "$CHECK" json "$tmp/traj.json" >/dev/null && [ "$nsteps" -eq 4 ] && [ "$nlayer" -ge 4 ] &&
    grep -q "\"pass\": true" "$tmp/traj.json" && [ ! -s "$tmp/traj.err" ]; then
    ok "quant-report --trajectory: valid JSON, 4 steps, per-layer errors, gate passed"
  else
    bad "quant-report --trajectory output: $nsteps steps, $nlayer layer rows; $(head -c 300 "$tmp/traj.err")"
  fi
  "${tq[@]}" --max-rel-l2 0.5 >"$tmp/traj2.json" 2>/dev/null
  cmp -s "$tmp/traj.json" "$tmp/traj2.json" && ok "quant-report --trajectory is deterministic" ||
    bad "quant-report --trajectory differs between runs"
  "${tq[@]}" --max-rel-l2 0 >"$tmp/traj3.json" 2>/dev/null
  [ $? -eq 1 ] && grep -q "\"pass\": false" "$tmp/traj3.json" && ok "quant-report --trajectory --max-rel-l2 0: exit 1, pass false" ||
    bad "the trajectory gate does not fail"
else
  bad "quant-report --trajectory failed: $(head -c 300 "$tmp/traj.err")"
fi

# ---- a clean build of examples/ through cmake/IngotModel.cmake --------------------------------
if command -v cmake >/dev/null; then
  if cmake -S "$ROOT/examples" -B "$tmp/exbuild" -DINGOT_EXECUTABLE="$INGOT" -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_C_FLAGS="${SAN[*]}" -DCMAKE_EXE_LINKER_FLAGS="${SAN[*]}" \
    >"$tmp/exbuild.log" 2>&1 && cmake --build "$tmp/exbuild" -j2 >>"$tmp/exbuild.log" 2>&1 &&
    "$tmp/exbuild/dit-sample" "${args[@]}" --seed 1 -o "$tmp/clean.png" >/dev/null &&
    "$tmp/exbuild/inpaint" --image "$IMG" --mask "$MASK" -o "$tmp/clean_i.png" >/dev/null; then
    cmp -s "$tmp/clean.png" "$tmp/s1.png" && cmp -s "$tmp/clean_i.png" "$tmp/i1.png" &&
      ok "examples/ built alone from a clean folder (ingot_add_model); same pictures as the main build" ||
      bad "the clean build's pictures differ from the main build's"
  else
    bad "clean build of examples/: $(tail -5 "$tmp/exbuild.log")"
  fi
else
  echo "skip: no cmake for the clean-build check"
fi
finish
