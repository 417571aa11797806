#!/usr/bin/env bash
# Every kernel's PTX for every bundled model assembles with ptxas for sm_80
# and sm_90 (plus the --tf32 / --bf16 / --quantize fp8-e4m3 variants of dit),
# with no register spills (the budget: 0 spill bytes per kernel; stack frames
# of local arrays in generic kernels are allowed).  Prints a summary line per
# model and target: kernels, special kernels, most registers, spill bytes.
# Skips (visibly) where ptxas is not installed.
set -u
INGOT=$1
ROOT=$2
source "$(dirname "$0")/lib.bash"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
SPILL_BUDGET=0

PTXAS=${INGOT_PTXAS:-/usr/local/cuda/bin/ptxas}
if [ ! -x "$PTXAS" ]; then
  echo "SKIP: ptxas not found ($PTXAS; set INGOT_PTXAS): GPU kernels not assembled"
  exit 0
fi
export INGOT_PTXAS=$PTXAS

check() { # label model-dir target flags...
  local label=$1 d=$2 t=$3
  shift 3
  local out="$tmp/$label-$t"
  mkdir -p "$out"
  if ! "$INGOT" compile "$d/model.onnx" -o "$out/m" --target "$t" --emit=ptx --report "$@" >"$out/report" 2>&1; then
    bad "$label $t: compile/ptxas failed: $(tail -c 600 "$out/report")"
    return
  fi
  if ! "$PTXAS" -arch="$t" -o /dev/null "$out/m.ptx" 2>"$out/ptxas.err"; then
    bad "$label $t: ptxas -arch=$t rejects m.ptx: $(head -c 600 "$out/ptxas.err")"
    return
  fi
  # kernel lines: entry op kind grid block smem regs spill occ pred ...
  local summary
  summary=$(awk -v budget=$SPILL_BUDGET '
    $1 ~ /^b[0-9]+_k[0-9]+$/ {
      n++; if ($3 != "generic") s++
      if ($7 == "n/a") { na++ } else if ($7 + 0 > maxr) maxr = $7 + 0
      spill += $8; if ($8 + 0 > budget) { over++; worst = worst " " $1 "(" $3 "," $8 ")" }
    }
    END { printf "%d kernels (%d special), max %d registers, %d spill bytes;%d;%d;%s", n, s, maxr, spill, over + 0, na + 0, worst }
  ' "$out/report")
  local text=${summary%%;*} rest=${summary#*;}
  local over=${rest%%;*} rest2=${rest#*;}
  local na=${rest2%%;*} worst=${rest2#*;}
  if [ "$over" -ne 0 ]; then
    bad "$label $t: kernels over the spill budget ($SPILL_BUDGET bytes):$worst"
  elif [ "$na" -ne 0 ] || [[ "$text" == 0\ kernels* ]]; then
    bad "$label $t: no ptxas figures in the report"
  else
    ok "$label $t: ptxas clean: $text"
  fi
}

for m in dit mmdit unet_inpaint dit_variant; do
  for t in sm_80 sm_90; do check "$m" "$ROOT/models/$m" $t; done
done
for t in sm_80 sm_90; do check dit_dynamic "$ROOT/models/dit_dynamic" $t --batch 3; done
check dit_tf32 "$ROOT/models/dit" sm_80 --tf32
check dit_bf16 "$ROOT/models/dit" sm_90 --bf16
check dit_fp8 "$ROOT/models/dit" sm_90 --quantize fp8-e4m3
check unet_fp8 "$ROOT/models/unet_inpaint" sm_90 --quantize fp8-e4m3
finish
