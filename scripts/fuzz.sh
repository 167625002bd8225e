#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/) with clang, AddressSanitizer and UBSan in build-fuzz and
# runs each for SECONDS (default 60), printing executions and time per target. Crashes, hangs
# and leaks are saved to build-fuzz/findings/TARGET/ and make the script exit 1.
# Usage: bash scripts/fuzz.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
root="$PWD"
build="$root/build-fuzz"
targets=(fuzz_scenario fuzz_transactions fuzz_sweep_design)

CC=clang CXX=clang++ cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g" -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O1 -g" \
  -DRETSIM_FUZZ=ON -DRETSIM_SANITIZE=address,undefined >/dev/null
cmake --build "$build" -j2 --target "${targets[@]}"

# Seeds: the shipped scenarios (with a few --set lines), the head of the CDNOW log when it is
# there, and the sample inputs of the tests (fuzz/seeds/).
seeds="$build/seeds"
rm -rf "$seeds"
mkdir -p "$seeds"/{scenario,transactions,sweep_design}
for f in scenarios/*.toml scenarios/validation/*.toml; do
  name=$(basename "$f" .toml)
  cp "$f" "$seeds/scenario/$name"
  { cat "$f"; printf '\n----\nrun.seed=7\nrun.horizon_days=70\nstrategies[0].name=x\n'; } >"$seeds/scenario/$name.set"
done
cp fuzz/seeds/scenario/* "$seeds/scenario/" 2>/dev/null || true
cp fuzz/seeds/transactions/* "$seeds/transactions/"
cp fuzz/seeds/sweep_design/* "$seeds/sweep_design/"
if [ -f ../shared/data/cdnow_elog.csv ]; then
  { printf '3'; head -n 200 ../shared/data/cdnow_elog.csv; } >"$seeds/transactions/cdnow_head"
fi

# The same sanitizer settings as the test suite; leaks are findings too.
export ASAN_OPTIONS="detect_leaks=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
status=0
printf '%-20s %12s %8s %s\n' target executions seconds result
for t in "${targets[@]}"; do
  short="${t#fuzz_}"
  corpus="$build/corpus/$short"
  findings="$build/findings/$short"
  mkdir -p "$corpus" "$findings"
  log="$build/$t.log"
  start=$(date +%s)
  # -timeout: one input taking over 10 s is a hang; -rss_limit_mb: over 2 GiB is a finding.
  if "$build/fuzz/$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
       -artifact_prefix="$findings/" "$corpus" "$seeds/$short" >"$log" 2>&1; then
    result=ok
  else
    result="FINDING (see $log and $findings/)"
    status=1
  fi
  elapsed=$(( $(date +%s) - start ))
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  printf '%-20s %12s %8s %s\n' "$t" "${execs:-?}" "$elapsed" "$result"
done
exit "$status"
