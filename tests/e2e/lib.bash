# Shared helpers for the end-to-end tests (sourced, not run: no test of its own).
# usage in a test: source "$(dirname "$0")/lib.bash"; INGOT=$1; ROOT=$2
pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok   $*"; }
bad() { fail=$((fail + 1)); echo "FAIL $*"; }
# expect_fail CODE SUBSTRING -- command...: exit code exactly CODE, stderr one line "error: ...SUBSTRING..."
expect_fail() {
  local code=$1 sub=$2
  shift 3
  local err rc
  err=$("$@" 2>&1 >/dev/null)
  rc=$?
  local lines
  lines=$(printf '%s' "$err" | grep -c '')
  if [ "$rc" -eq "$code" ] && [ "$lines" -eq 1 ] && [[ "$err" == error:* ]] && [[ "$err" == *"$sub"* ]]; then
    ok "exit $code: $err"
  else
    bad "expected exit $code with one 'error: ...$sub...' line; got exit $rc: $err"
  fi
}
# model_inputs DIR: "--input NAME=FILE ..." for every inputs/*.npy of a bundled model
model_inputs() {
  local f args=""
  for f in "$1"/inputs/*.npy; do args="$args --input $(basename "$f" .npy)=$f"; done
  echo "$args"
}
finish() {
  echo "$pass passed, $fail failed"
  [ "$fail" -eq 0 ]
}
# SAN: compiler flags for linking test programs against the libingot_rt.a that
# `ingot compile` copies next to artifacts.  A sanitizer build of ingot ships an
# instrumented runtime, so programs linking it must be built the same way.
SAN=()
if [ -n "${INGOT:-}" ] && nm "$(dirname "$INGOT")/libingot_rt.a" 2>/dev/null | grep -q __asan_report; then
  SAN=(-fsanitize=address,undefined)
fi
