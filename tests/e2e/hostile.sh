#!/usr/bin/env bash
# The hostile-input corpus: bad models must fail cleanly.
#
#   bash tests/e2e/hostile.sh path/to/ingot SOURCE_ROOT
#   HOSTILE_ONLY=ext_ bash tests/e2e/hostile.sh ...   # only cases whose name contains ext_
#   HOSTILE_CMDS=inspect bash tests/e2e/hostile.sh ...  # only `ingot inspect`
#
# For every line "FILE EXIT SUBSTRING" of tests/hostile/expected.txt (made by
# tests/hostile/make_corpus.py) it runs `ingot inspect FILE` and `ingot check
# FILE` under `timeout 10` and `ulimit -v` 4 GiB, and asserts:
#   inspect: exit code exactly EXIT; stderr exactly one line, starting with
#            "error: " and containing SUBSTRING;
#   check:   exit code exactly EXIT; stderr one or more lines, every one
#            starting with "error: ", one of them containing SUBSTRING;
#   both:    no signal, no timeout (exit >= 124), peak RSS under 256 MiB
#            (when /usr/bin/time exists).
# EXIT 0 with SUBSTRING '-' is a control case: success, empty stderr.
# Prints one line per case and "N passed, M failed"; exits 1 on any failure.
set -u

INGOT=${1:?usage: hostile.sh INGOT SOURCE_ROOT}
ROOT=${2:?usage: hostile.sh INGOT SOURCE_ROOT}
HDIR="$ROOT/tests/hostile"
CORPUS="$HDIR/corpus"
EXPECTED="$HDIR/expected.txt"
CMDS=${HOSTILE_CMDS:-inspect check}
ONLY=${HOSTILE_ONLY:-}
VMEM_KB=$((4 * 1024 * 1024))
MAX_RSS_KB=${HOSTILE_MAX_RSS_KB:-262144}

[ -x "$INGOT" ] || { echo "hostile.sh: $INGOT is not executable"; exit 1; }
[ -f "$EXPECTED" ] || { echo "hostile.sh: $EXPECTED missing"; exit 1; }

TMP=$(mktemp -d "${TMPDIR:-/tmp}/ingot_hostile.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

# Sanitizer builds reserve terabytes of virtual memory and cannot run under
# ulimit -v; fall back to no limit (the RSS check still applies).
USE_ULIMIT=1
# (the braces keep bash's own "Aborted" report off the output)
{ (ulimit -v $VMEM_KB && exec "$INGOT" version) >/dev/null 2>&1; } 2>/dev/null
if [ $? != 0 ]; then
  USE_ULIMIT=0
  echo "note: $INGOT does not start under ulimit -v $VMEM_KB (sanitizer build?); running without it"
fi
TIME_BIN=
[ -x /usr/bin/time ] && TIME_BIN=/usr/bin/time

# run CMD FILE: sets RC, and leaves stderr in $TMP/err, peak RSS (KiB) in RSS
run() {
  local cmd=$1 file=$2
  rm -f "$TMP/err" "$TMP/rss"
  (
    [ $USE_ULIMIT = 1 ] && ulimit -v $VMEM_KB
    if [ -n "$TIME_BIN" ]; then
      exec "$TIME_BIN" -q -f %M -o "$TMP/rss" timeout -k 5 10 "$INGOT" "$cmd" "$file"
    else
      exec timeout -k 5 10 "$INGOT" "$cmd" "$file"
    fi
  ) >/dev/null 2>"$TMP/err"
  RC=$?
  RSS=0
  if [ -s "$TMP/rss" ]; then
    RSS=$(tail -n 1 "$TMP/rss")
    case $RSS in *[!0-9]*|'') RSS=0 ;; esac
  fi
}

# Prepares a case's file; prints the path to run on (empty: skip, reason in $TMP/skip).
prepare() {
  local name=$1
  case $name in
    @missing) echo "$TMP/does-not-exist.onnx" ;;
    @directory) echo "$CORPUS" ;;
    *.xz)
      local out="$TMP/unpacked/${name%.xz}"
      mkdir -p "$TMP/unpacked"
      if command -v xz >/dev/null 2>&1; then
        xz -dc "$CORPUS/$name" >"$out" || return 1
      elif /usr/bin/python3 -c 'import lzma' 2>/dev/null; then
        /usr/bin/python3 -c 'import lzma,sys; sys.stdout.buffer.write(lzma.open(sys.argv[1]).read())' \
          "$CORPUS/$name" >"$out" || return 1
      else
        echo "neither xz nor python lzma to unpack it" >"$TMP/skip"
        return 0
      fi
      echo "$out" ;;
    ext_symlink_outside.onnx)
      # model/outside_link.bin -> ../secret.bin: a file of the right size,
      # outside the model's folder.  Made here: symlinks are not committed.
      local d="$TMP/symlink"
      rm -rf "$d"
      mkdir -p "$d/model"
      head -c 24 /dev/zero >"$d/secret.bin"
      cp "$CORPUS/$name" "$d/model/"
      ln -s ../secret.bin "$d/model/outside_link.bin"
      echo "$d/model/$name" ;;
    *) echo "$CORPUS/$name" ;;
  esac
}

# check_one CMD EXIT SUBSTRING: judges the last run; prints the problem, if any.
check_one() {
  local cmd=$1 want=$2 sub=$3
  local lines bad
  if [ "$RC" -ge 124 ]; then
    if [ "$RC" = 124 ] || [ "$RC" = 137 ]; then echo "$cmd: timed out or killed (exit $RC)"
    else echo "$cmd: died with exit $RC (signal $((RC - 128)))"; fi
    return
  fi
  if [ "$RSS" -gt "$MAX_RSS_KB" ]; then
    echo "$cmd: peak RSS ${RSS} KiB is over ${MAX_RSS_KB} KiB"
    return
  fi
  if [ "$RC" != "$want" ]; then
    echo "$cmd: exit $RC, want $want; stderr: $(head -c 300 "$TMP/err" | tr '\n' '|')"
    return
  fi
  if [ "$want" = 0 ]; then
    [ -s "$TMP/err" ] && echo "$cmd: succeeded but wrote to stderr: $(head -c 300 "$TMP/err" | tr '\n' '|')"
    return
  fi
  # wc -l counts newlines; a last line without one counts too
  lines=$(awk 'END { print NR }' "$TMP/err")
  if [ "$lines" = 0 ]; then
    echo "$cmd: exit $RC but nothing on stderr"
    return
  fi
  if [ -n "$(tail -c 1 "$TMP/err")" ]; then
    echo "$cmd: stderr does not end with a newline"
    return
  fi
  bad=$(grep -v -c '^error: ' "$TMP/err")
  if [ "$cmd" = inspect ] && [ "$lines" != 1 ]; then
    echo "$cmd: $lines stderr lines, want 1: $(head -c 300 "$TMP/err" | tr '\n' '|')"
    return
  fi
  if [ "$bad" != 0 ]; then
    echo "$cmd: $bad stderr line(s) not starting with 'error: ': $(grep -v -m 1 '^error: ' "$TMP/err" | head -c 200)"
    return
  fi
  if ! grep -q -F -- "$sub" "$TMP/err"; then
    echo "$cmd: message lacks '$sub': $(head -c 300 "$TMP/err" | tr '\n' '|')"
    return
  fi
}

pass=0
fail=0
skip=0
declare -A listed
while read -r name want sub; do
  case $name in '' | '#'*) continue ;; esac
  listed[$name]=1
  [ -n "$ONLY" ] && [[ $name != *"$ONLY"* ]] && continue
  rm -f "$TMP/skip"
  path=$(prepare "$name")
  if [ -s "$TMP/skip" ]; then
    echo "SKIP $name: $(cat "$TMP/skip")"
    skip=$((skip + 1))
    continue
  fi
  if [ -z "$path" ]; then
    echo "FAIL $name: could not prepare the file"
    fail=$((fail + 1))
    continue
  fi
  problems=
  for cmd in $CMDS; do
    run "$cmd" "$path"
    p=$(check_one "$cmd" "$want" "$sub")
    [ -n "$p" ] && problems="${problems:+$problems; }$p"
  done
  if [ -z "$problems" ]; then
    echo "ok   $name"
    pass=$((pass + 1))
  else
    echo "FAIL $name: $problems"
    fail=$((fail + 1))
  fi
done <"$EXPECTED"

# every committed case file must have an expectation
for f in "$CORPUS"/*.onnx "$CORPUS"/*.xz; do
  [ -e "$f" ] || continue
  n=$(basename "$f")
  if [ -z "${listed[$n]:-}" ]; then
    echo "FAIL $n: in the corpus but not in expected.txt"
    fail=$((fail + 1))
  fi
done

[ "$skip" != 0 ] && echo "$skip skipped"
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
