#!/usr/bin/env bash
# bench/quant_bench.sh: fp32 vs int8-weight vs W8A8 (and fp8-e4m3 with --fp8) on the DiT-S/2
# model: weights-file bytes and `ingot exec` latency, plus each variant's error against torch.
#
# usage: bench/quant_bench.sh [--ingot PATH] [--threads 1,2] [--rounds R] [--iterations K]
#                             [--calib-samples N] [--fp8] [--recompile]
#
#   --ingot PATH        the ingot binary (default: build/ingot)
#   --threads LIST      thread counts (default 1,2)
#   --rounds R          alternating rounds over the variants (default 3); the time reported is the
#                       median of the per-round medians
#   --iterations K      `ingot exec --iterations K` per measurement (default 5)
#   --calib-samples N   calibration samples for W8A8 / fp8 (default 2: the model's own input plus
#                       one seeded perturbation, made by tests/e2e/make_calib.c; calibration runs
#                       the reference evaluator, about 15 s per sample for DiT-S/2)
#   --fp8               also fp8-e4m3 (emulated on the CPU: slower than fp32 by design)
#   --recompile         ignore compiled variants cached in bench/.cache/quant
#
# The model is bench/.cache/dit_s2 (generated with `/usr/bin/python3 models/make_models.py --dit-s2
# bench/.cache/dit_s2` when missing; 132 MB, not committed).  Every variant is compiled with
# `ingot compile --shared --target native --report` and timed with `ingot exec --iterations K`,
# the variants taking turns within each round so load changes hit them alike.  Prints a markdown
# table; exit 1 when something failed to compile or run.
set -uo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cache="$root/bench/.cache"
qdir="$cache/quant"
model="$cache/dit_s2"
ingot="$root/build/ingot"
threads_list="1,2"
rounds=3
iters=5
nsamples=2
fp8=0
recompile=0
die() { echo "error: bench/quant_bench.sh: $*" >&2; exit 1; }
while [ $# -gt 0 ]; do
  case "$1" in
    --ingot) ingot="$2"; shift ;;
    --ingot=*) ingot="${1#*=}" ;;
    --threads) threads_list="$2"; shift ;;
    --threads=*) threads_list="${1#*=}" ;;
    --rounds) rounds="$2"; shift ;;
    --rounds=*) rounds="${1#*=}" ;;
    --iterations) iters="$2"; shift ;;
    --iterations=*) iters="${1#*=}" ;;
    --calib-samples) nsamples="$2"; shift ;;
    --calib-samples=*) nsamples="${1#*=}" ;;
    --fp8) fp8=1 ;;
    --recompile) recompile=1 ;;
    -h|--help) sed -n '2,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option '$1' (see --help)" ;;
  esac
  shift
done
[ -x "$ingot" ] || die "no ingot binary at $ingot (build it, or pass --ingot PATH)"
if [ ! -f "$model/model.onnx" ]; then
  echo "bench: generating DiT-S/2 into $model" >&2
  /usr/bin/python3 "$root/models/make_models.py" --dit-s2 "$model" >&2 || die "cannot generate DiT-S/2"
fi
mkdir -p "$qdir"
[ "$recompile" = 1 ] && rm -rf "$qdir"/v_* "$qdir/calib"

variants="fp32 int8_weight w8a8"
[ "$fp8" = 1 ] && variants="$variants fp8_e4m3"
flags_for() {
  case "$1" in
    fp32) echo "" ;;
    int8_weight) echo "--quantize int8-weight" ;;
    w8a8) echo "--quantize w8a8 --calibrate $qdir/calib" ;;
    fp8_e4m3) echo "--quantize fp8-e4m3 --calibrate $qdir/calib" ;;
  esac
}
inputs=""
for f in "$model"/inputs/*.npy; do inputs="$inputs --input $(basename "$f" .npy)=$f"; done

failed=0
for v in $variants; do
  out="$qdir/v_$v"
  if [ -f "$out/libdit_s2.so" ]; then continue; fi
  mkdir -p "$out"
  if [ "$v" != fp32 ] && [ "$v" != int8_weight ] && [ ! -d "$qdir/calib" ]; then
    # make_calib needs the runtime next to a compiled model
    [ -f "$qdir/v_fp32/libingot_rt.a" ] || die "compile fp32 first"
    cc -O1 -I"$qdir/v_fp32" "$root/tests/e2e/make_calib.c" "$qdir/v_fp32/libingot_rt.a" -lm -lpthread \
      -o "$qdir/make_calib" || die "cannot build make_calib"
    "$qdir/make_calib" "$model" "$nsamples" 11 "$qdir/calib" || die "make_calib failed"
  fi
  echo "bench: compiling $v" >&2
  t0=$(date +%s.%N)
  # shellcheck disable=SC2046
  if ! "$ingot" compile "$model/model.onnx" -o "$out/dit_s2" --shared --target native --report $(flags_for "$v") \
    >"$out/report.txt" 2>"$out/compile.err"; then
    echo "bench: $v: compile failed: $(tail -1 "$out/compile.err")" >&2
    failed=1
    rm -f "$out/libdit_s2.so"
    continue
  fi
  echo "$(echo "$(date +%s.%N) - $t0" | bc)" >"$out/compile_seconds"
done

declare -A times mins
for th in ${threads_list//,/ }; do
  for ((r = 0; r < rounds; r++)); do
    for v in $variants; do
      so="$qdir/v_$v/libdit_s2.so"
      [ -f "$so" ] || continue
      mkdir -p "$qdir/v_$v/out"
      # shellcheck disable=SC2086
      res=$("$ingot" exec "$so" $inputs --threads "$th" --iterations "$iters" --output-dir "$qdir/v_$v/out" 2>&1)
      line=$(echo "$res" | grep -o 'median [0-9.]* ms' | awk '{print $2}')
      lmin=$(echo "$res" | grep -o 'min [0-9.]* ms' | awk '{print $2}')
      if [ -z "$line" ]; then
        echo "bench: $v: exec failed: $res" >&2
        failed=1
        continue
      fi
      times[$v,$th]="${times[$v,$th]:-} $line"
      mins[$v,$th]="${mins[$v,$th]:-} $lmin"
    done
  done
done

median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {if (NR) print (NR % 2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
wbytes() { stat -c %s "$qdir/v_$1/dit_s2.weights" 2>/dev/null || echo 0; }
w32=$(wbytes fp32)
echo "DiT-S/2 (hidden 384, depth 12, 4x32x32 latent, batch 1) on $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'),"
echo "$(nproc) cores; ingot exec --iterations $iters, median of $rounds rounds; $(date -u '+%Y-%m-%d %H:%M UTC');"
echo "load average $(cut -d' ' -f1-3 /proc/loadavg)."
echo
printf '| variant | weights bytes | vs fp32 |'
for th in ${threads_list//,/ }; do printf ' %s thr median ms | best ms | speed-up (median) |' "$th"; done
printf ' rel L2 vs torch fp32 | kernel |\n|---|---:|---:|'
for th in ${threads_list//,/ }; do printf -- '---:|---:|---:|'; done
printf -- '---:|---|\n'
for v in $variants; do
  [ -f "$qdir/v_$v/libdit_s2.so" ] || continue
  wb=$(wbytes "$v")
  printf '| %s | %s | %.2fx less |' "${v//_/-}" "$wb" "$(echo "$w32 / $wb" | bc -l)"
  for th in ${threads_list//,/ }; do
    m=$(echo "${times[$v,$th]:-}" | median)
    best=$(echo "${mins[$v,$th]:-}" | tr ' ' '\n' | grep -v '^$' | sort -g | head -1)
    base=$(echo "${times[fp32,$th]:-}" | median)
    if [ -n "$m" ] && [ -n "$base" ]; then
      printf ' %s | %s | %.2fx |' "$m" "$best" "$(echo "$base / $m" | bc -l)"
    else
      printf ' - | - | - |'
    fi
  done
  err=$("$ingot" compare "$qdir/v_$v/out/out.npy" "$model/outputs/out.npy" --tol 1 2>/dev/null | awk '{print $3}')
  kern=$(grep -o 'MR=[0-9]* NR=[0-9]* \(w8\|vnni\|fp8\|int8\|conv\)' "$qdir/v_$v/report.txt" 2>/dev/null | sort -u | tr '\n' ' ')
  [ "$v" = fp32 ] && kern="f32 GEMM (cg_gemm.c)"
  printf ' %s | %s |\n' "${err:-?}" "${kern:-}"
done
echo
echo "Weights bytes: size of the .weights file (int8 / fp8 weights of quantized layers, fp32 for the"
echo "layers the policy keeps: the t-embedder MLP and the final projection; the 1001x384 class table"
echo "stays fp32).  best: the fastest single iteration seen (least disturbed by other load on the"
echo "machine).  rel L2: the variant's output against torch's fp32 output on the model's input."
exit $failed
