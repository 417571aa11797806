#!/usr/bin/env bash
# bench/gemm_shapes.sh: ingot's compiled MatMul on every large GEMM shape of a DiT-S/2 model, in GFLOP/s and
# percent of this machine's measured fp32 FMA peak, at 1 and 2 threads.
#
# usage: bench/gemm_shapes.sh [--ingot PATH] [--threads 1,2] [--batch 1,2] [--seconds S] [--only NAME,...]
#
#   --ingot PATH    the ingot binary (default: build-bench/ingot, built by bench/gemm or bench/run)
#   --threads LIST  thread counts (default 1,2)
#   --batch LIST    DiT batch sizes: 256 tokens per sample (default 1,2)
#   --seconds S     target time per measurement (default 0.4); iterations are calibrated to it
#   --only LIST     shape names to run (qkv,proj,fc1,fc2,qk,pv,adaln)
#
# Shapes (DiT-S/2 on a 32x32 latent: T = 256 tokens per sample, hidden 384, 6 heads of 64, MLP 1536):
#   qkv   [B*T,384]  x [384,1152]   weight           qk  [6B,T,64]  x [6B,64,T]   activations (Q K^T)
#   proj  [B*T,384]  x [384,384]    weight           pv  [6B,T,T]   x [6B,T,64]   activations (P V)
#   fc1   [B*T,384]  x [384,1536]   weight           adaln [B,384]  x [384,2304]  weight (a GEMV: memory-bound)
#   fc2   [B*T,1536] x [1536,384]   weight
# Each is a one-MatMul ONNX model (bench/gemm_models.py, /usr/bin/python3 + onnx + numpy) under
# bench/.cache/gemm_shapes/, compiled with `ingot compile --shared --target native --report`, checked against
# numpy's float64 product (`ingot compare --tol 1e-5`) and timed with `ingot exec --iterations K`.
# Reported: the fastest run (min) and the median, GFLOP/s of the fastest run, its percent of peak x threads,
# and the percent by CPU time (user+sys of K runs minus 1 run, all threads: insensitive to other processes
# taking the cores, so it is the per-core efficiency), plus the compiler's tiling and predicted time (1 thread).
# The peak is bench/fma_peak.c's (best of 512/256-bit FMA chains, by thread CPU time).
set -uo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
bench="$root/bench"
cache="$bench/.cache/gemm_shapes"
PY=/usr/bin/python3
ingot="$root/build-bench/ingot"
threads_list=1,2
batch_list=1,2
seconds=0.4
only=""

die() { echo "error: bench/gemm_shapes.sh: $*" >&2; exit 2; }
note() { echo "gemm_shapes: $*" >&2; }

while [ $# -gt 0 ]; do
  case "$1" in
    --ingot) [ $# -ge 2 ] || die "--ingot needs a value"; ingot="$2"; shift ;;
    --threads) [ $# -ge 2 ] || die "--threads needs a value"; threads_list="$2"; shift ;;
    --batch) [ $# -ge 2 ] || die "--batch needs a value"; batch_list="$2"; shift ;;
    --seconds) [ $# -ge 2 ] || die "--seconds needs a value"; seconds="$2"; shift ;;
    --only) [ $# -ge 2 ] || die "--only needs a value"; only="$2"; shift ;;
    -h|--help) sed -n '2,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option '$1' (see --help)" ;;
  esac
  shift
done
[[ "$threads_list" =~ ^[1-9][0-9]*(,[1-9][0-9]*)*$ ]] || die "--threads wants a list like 1,2"
[[ "$batch_list" =~ ^[1-9][0-9]*(,[1-9][0-9]*)*$ ]] || die "--batch wants a list like 1,2"
[[ "$seconds" =~ ^[0-9]*\.?[0-9]+$ ]] || die "--seconds wants a number"
[ -x "$ingot" ] || die "no ingot binary at $ingot (build one, or pass --ingot PATH)"
ingot=$(cd "$(dirname "$ingot")" && pwd)/$(basename "$ingot")
"$PY" -c 'import onnx, numpy' 2>/dev/null || die "$PY lacks onnx/numpy"
command -v cc >/dev/null || die "no C compiler 'cc'"
mkdir -p "$cache" || die "cannot create $cache"

cc -O2 -march=native -std=c11 -o "$cache/fma_peak" "$bench/fma_peak.c" 2>"$cache/fma_peak.log" ||
  { cat "$cache/fma_peak.log" >&2; die "cannot build bench/fma_peak.c"; }
note "measuring the FMA peak (~1.5 s)"
peak_out=$("$cache/fma_peak" 1.5) || die "fma_peak failed"
peak=$(sed -n 's/^peak GFLOP\/s \([0-9.]*\) .*/\1/p' <<<"$peak_out")
[ -n "$peak" ] || die "cannot read fma_peak's output: $peak_out"

# name kind dims (T = tokens of the whole batch, H = heads of the whole batch)
shapes_for_batch() {
  local b=$1 T=$((256 * $1)) H=$((6 * $1))
  echo "qkv weight $T 384 1152"
  echo "proj weight $T 384 384"
  echo "fc1 weight $T 384 1536"
  echo "fc2 weight $T 1536 384"
  echo "qk batched $H 256 64 256"
  echo "pv batched $H 256 256 64"
  echo "adaln weight $b 384 2304"
}

TIMEFORMAT='%3U %3S'
echo "ingot MatMul on DiT-S/2 GEMM shapes; FMA peak $peak GFLOP/s per core (bench/fma_peak.c);" \
  "load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| shape | batch | threads | MFLOP | tiles | predicted ms (1T) | median ms | min ms | GFLOP/s (min) | % peak (min) | % peak (CPU time) | correct |"
echo "|---|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---|"
status=0
IFS=, read -r -a batches <<<"$batch_list"
IFS=, read -r -a thread_counts <<<"$threads_list"
for b in "${batches[@]}"; do
  while read -r name kind dims; do
    [ -n "$only" ] && [[ ",$only," != *",$name,"* ]] && continue
    read -r -a d <<<"$dims"
    if [ "$kind" = weight ]; then flop=$((2 * d[0] * d[1] * d[2])); else flop=$((2 * d[0] * d[1] * d[2] * d[3])); fi
    dir="$cache/${name}_b$b"
    if [ ! -f "$dir/model.onnx" ]; then
      timeout 300 "$PY" "$bench/gemm_models.py" "$kind" "${d[@]}" "$dir" >&2 || die "gemm_models.py failed"
    fi
    mkdir -p "$dir/compiled" "$dir/out"
    timeout 300 "$ingot" compile "$dir/model.onnx" -o "$dir/compiled/gemm" --shared --target native --report \
      >"$dir/compile.txt" 2>&1 || { cat "$dir/compile.txt" >&2; die "ingot compile failed for $name"; }
    tiles=$(sed -n 's/.*tiles \(.*\), predicted.*/\1/p' "$dir/compile.txt" | head -n1)
    pred=$(sed -n 's/.*predicted \([0-9.]*\) ms.*/\1/p' "$dir/compile.txt" | head -n1)
    inputs=(--input "A=$dir/inputs/A.npy")
    [ -f "$dir/inputs/B.npy" ] && inputs+=(--input "B=$dir/inputs/B.npy")
    for t in "${thread_counts[@]}"; do
      run() { (cd "$dir/compiled" && timeout 600 "$ingot" exec ./libgemm.so "${inputs[@]}" --threads "$t" "$@"); }
      # calibrate: K runs take about --seconds
      med=$(run --iterations 5 --output-dir "$dir/out" 2>&1 | sed -n 's/.*median \([0-9.]*\) ms.*/\1/p')
      [ -n "$med" ] || die "ingot exec failed for $name"
      iters=$(awk -v m="$med" -v s="$seconds" 'BEGIN{k = int(s * 1000 / (m > 0.001 ? m : 0.001)); if (k < 10) k = 10; if (k > 5000) k = 5000; print k}')
      { time { run --iterations "$iters" --output-dir "$dir/out" >"$dir/log.txt" 2>&1; }; } 2>"$dir/cpuK.txt" ||
        { cat "$dir/log.txt" >&2; die "ingot exec failed for $name"; }
      { time { run --iterations 1 >/dev/null 2>&1; }; } 2>"$dir/cpu1.txt"
      line=$(grep -m1 'median' "$dir/log.txt")
      med=$(sed -n 's/.*median \([0-9.]*\) ms.*/\1/p' <<<"$line")
      min=$(sed -n 's/.*min \([0-9.]*\) ms.*/\1/p' <<<"$line")
      cpu=$(cat "$dir/cpuK.txt" "$dir/cpu1.txt" | awk -v k="$iters" 'NF==2{s[++n]=$1+$2} END{printf "%.4f", (s[1]-s[2])*1000/(k-1)}')
      ok=yes
      "$ingot" compare "$dir/out/out.npy" "$dir/outputs/out.npy" --tol 1e-5 >"$dir/compare.txt" 2>&1 || { ok=no; status=1; }
      awk -v n="$name" -v b="$b" -v t="$t" -v f="$flop" -v tl="$tiles" -v pr="$pred" -v med="$med" -v min="$min" \
        -v cpu="$cpu" -v p="$peak" -v ok="$ok" 'BEGIN{
        g = f / min / 1e6; gc = cpu > 0 ? f / cpu / 1e6 : 0
        printf "| %s | %d | %d | %.1f | %s | %s | %.3f | %.3f | %.1f | %.1f%% | %.1f%% | %s |\n", n, b, t, f / 1e6, tl, pr,
               med, min, g, 100 * g / (p * t), 100 * gc / p, ok }'
    done
  done < <(shapes_for_batch "$b")
done
echo
echo "% peak (min) = GFLOP/s of the fastest run / (peak x threads); % peak (CPU time) = FLOP / CPU seconds of all"
echo "threads / peak: at 1 thread the per-core efficiency, unaffected by time the thread spent preempted; at more"
echo "threads it also counts the runtime pool's spin-waiting, so it is a lower bound. adaln is a GEMV (0.5 FLOP"
echo "per byte of weights): its bound is memory bandwidth, not the FMA peak."
exit $status
