#!/usr/bin/env bash
# Sanitizer pass, run by scripts/test.sh after the normal suite (so by CI): the test suite
# under AddressSanitizer + UBSan (build-asan), the multi-threaded tests under ThreadSanitizer
# (build-tsan), and a short libFuzzer run of every fuzz target (scripts/fuzz.sh, build-fuzz).
# Any sanitizer report fails the pass (and the test that caused it). docs/reliability.md has the figures.
# Usage: bash scripts/sanitize.sh [FUZZ_SECONDS]   (default 20 per target; 0 skips fuzzing)
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
fuzz_seconds="${1:-20}"
jobs=2
# Sanitized code is slower; the tests' own timeouts are raised accordingly.
ctest_timeout=1800

configure() {  # configure BUILD_DIR SANITIZERS
  cmake -S . -B "$1" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -g" -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O2 -g" \
    -DRETSIM_SANITIZE="$2" >/dev/null
}

# UB aborts with a stack; leaks fail the process; OpenMPI's own leaks are suppressed (only
# libmpi/libopen-pal, tests/lsan.supp).
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
export ASAN_OPTIONS="detect_leaks=1:strict_string_checks=1:detect_stack_use_after_return=1"
export LSAN_OPTIONS="suppressions=$root/tests/lsan.supp:print_suppressions=0"
# oneTBB's scheduler is not built with TSan; reports whose frames are all inside libtbb are
# suppressed (tests/tsan.supp), never our code.
export TSAN_OPTIONS="suppressions=$root/tests/tsan.supp:halt_on_error=1:second_deadlock_stack=1"

# Every report also goes to a file under BUILD/sanitizer-reports: a test that expects its
# command to fail (bad input, exit 1 or 2) would otherwise pass when a sanitizer made it fail.
# Any report fails the pass, whichever test it came from.
reports() { echo "$root/$1/sanitizer-reports"; }
no_reports() {  # no_reports BUILD_DIR
  if compgen -G "$(reports "$1")/report.*" >/dev/null; then
    echo "sanitize: sanitizer reports in $(reports "$1"):" >&2
    cat "$(reports "$1")"/report.* >&2
    exit 1
  fi
}
fresh_reports() { rm -rf "$(reports "$1")"; mkdir -p "$(reports "$1")"; }
# CTest in BUILD_DIR with the given arguments; on a failure, the reports are printed first.
run_ctest() {  # run_ctest BUILD_DIR CTEST_ARGS...
  local dir=$1
  shift
  if ! ctest --test-dir "$dir" --output-on-failure --timeout "$ctest_timeout" --parallel "$jobs" "$@"; then
    no_reports "$dir"
    exit 1
  fi
  no_reports "$dir"
}

t0=$(date +%s)
echo "sanitize: AddressSanitizer + UndefinedBehaviorSanitizer (build-asan)"
configure build-asan address,undefined
cmake --build build-asan -j"$jobs" --target retsim retsim_tests
fresh_reports build-asan
export ASAN_OPTIONS="$ASAN_OPTIONS:log_path=$(reports build-asan)/report"
export UBSAN_OPTIONS="$UBSAN_OPTIONS:log_path=$(reports build-asan)/report"
# Processes started by mpirun run with leak checking off: OpenMPI unloads its plugins before
# LeakSanitizer runs, so their allocations show as "<unknown module>" and no suppression can
# name them. Address errors and UB are still checked there.
mpi_tests='^(shards: --shard and merge, and mpirun|mpi sweep: )'
run_ctest build-asan -E "$mpi_tests"
with_leaks="$ASAN_OPTIONS"
export ASAN_OPTIONS="$ASAN_OPTIONS:detect_leaks=0"
run_ctest build-asan -R "$mpi_tests"
export ASAN_OPTIONS="$with_leaks"
t1=$(date +%s)

echo "sanitize: ThreadSanitizer on the multi-threaded tests (build-tsan)"
configure build-tsan thread
cmake --build build-tsan -j"$jobs" --target retsim retsim_tests
fresh_reports build-tsan
export TSAN_OPTIONS="$TSAN_OPTIONS:log_path=$(reports build-tsan)/report"
# Every test that runs the engine, a sweep, a comparison or scoring on several threads, or
# several processes (shards, MPI).
tsan_tests='threads|thread count|^sweep: |^shards|^mpi sweep|compare'
run_ctest build-tsan -R "$tsan_tests"
t2=$(date +%s)

t3=$t2
if [ "$fuzz_seconds" != 0 ]; then
  echo "sanitize: libFuzzer, $fuzz_seconds s per target (build-fuzz)"
  bash scripts/fuzz.sh "$fuzz_seconds"
  t3=$(date +%s)
fi
echo "sanitize: asan+ubsan $((t1 - t0)) s, tsan $((t2 - t1)) s, fuzz $((t3 - t2)) s"
