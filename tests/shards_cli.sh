#!/usr/bin/env bash
# Sharded runs from the command line: `retsim run --shard I/3` three times and `retsim merge`
# give the one-process result file in every result dataset (tests/same_datasets.py; only wall time and thread
# count may differ); with MPI (second argument "mpi"), `mpirun -np 2 retsim run` does too, also
# for a scenario whose budgeted strategy ranks across both ranks. Bad --shard values, a missing
# or repeated shard, shards of another scenario and --shard on a ranking scenario exit 2 with
# their messages.
set -euo pipefail
retsim="$1"
source_dir="$2"
with_mpi="${3:-}"
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cd "$dir"

coffee=("$source_dir/scenarios/coffee_stamp_card.toml" --set population.initial_customers=6000
        --set run.horizon_days=182 -q)
budgeted=("$source_dir/scenarios/acquisition_vs_retention.toml" --set population.initial_customers=6000
          --set run.horizon_days=182 -q)

same() {
  # Every dataset of the result, wall time and thread count aside (they describe the machine).
  /usr/bin/python3 "$source_dir/tests/same_datasets.py" "$1" "$2" \
    --exclude /summary/wall_seconds --exclude /summary/threads || { echo "FAIL: $1 and $2 differ" >&2; exit 1; }
}

expect_bad() {  # expect_bad MESSAGE ARGS...: exit code 2 and MESSAGE on stderr
  local message="$1"
  shift
  set +e
  "$retsim" "$@" >/dev/null 2>"$dir/err"
  local code=$?
  set -e
  if [ "$code" -ne 2 ] || ! grep -qF -- "$message" "$dir/err"; then
    echo "FAIL: retsim $* exited $code, expected 2 with \"$message\"; stderr:" >&2
    cat "$dir/err" >&2
    exit 1
  fi
}

"$retsim" run "${coffee[@]}" -o whole.h5 >/dev/null
for i in 2 0 1; do "$retsim" run "${coffee[@]}" --shard "$i/3" >/dev/null; done
test -f coffee_stamp_card.shard-0-of-3.h5
"$retsim" merge coffee_stamp_card.shard-*-of-3.h5 -o merged.h5 >/dev/null
same whole.h5 merged.h5
# A shard file is not a result, and merging does not overwrite without --force.
expect_bad "exists" merge coffee_stamp_card.shard-*-of-3.h5 -o merged.h5
"$retsim" merge coffee_stamp_card.shard-*-of-3.h5 -o merged.h5 --force >/dev/null
same whole.h5 merged.h5

expect_bad "expected I/N" run "${coffee[@]}" --shard 3/3 -o x.h5
expect_bad "expected I/N" run "${coffee[@]}" --shard one/3 -o x.h5
expect_bad "expected I/N" run "${coffee[@]}" --shard 1/0 -o x.h5
expect_bad "shard 1 of 3 is missing" merge coffee_stamp_card.shard-0-of-3.h5 coffee_stamp_card.shard-2-of-3.h5 -o m.h5
expect_bad "twice" merge coffee_stamp_card.shard-0-of-3.h5 coffee_stamp_card.shard-0-of-3.h5 \
  coffee_stamp_card.shard-1-of-3.h5 -o m.h5
"$retsim" run "${coffee[@]}" --set run.seed=5 --shard 1/3 -o other-1.h5 >/dev/null
expect_bad "another scenario" merge coffee_stamp_card.shard-0-of-3.h5 other-1.h5 coffee_stamp_card.shard-2-of-3.h5 -o m.h5
expect_bad "not a retsim shard file" merge whole.h5 -o m.h5
expect_bad "no such file" merge nothing-here.h5 -o m.h5
expect_bad "under mpirun" run "${budgeted[@]}" --shard 0/2 -o b.h5
test ! -e m.h5 && test ! -e b.h5 && test ! -e x.h5

if [ "$with_mpi" = "mpi" ]; then
  export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
  mpirun_path=$(command -v mpirun)
  mpirun() { timeout 300 "$mpirun_path" --oversubscribe "$@"; }
  mpirun -np 2 "$retsim" run "${coffee[@]}" --threads 1 -o mpi.h5 >/dev/null
  same whole.h5 mpi.h5
  "$retsim" run "${budgeted[@]}" -o budgeted.h5 >/dev/null
  mpirun -np 2 "$retsim" run "${budgeted[@]}" --threads 1 -o budgeted_mpi.h5 >/dev/null
  same budgeted.h5 budgeted_mpi.h5
  mpirun -np 3 "$retsim" run "${budgeted[@]}" --threads 1 -o budgeted_mpi3.h5 >/dev/null
  same budgeted.h5 budgeted_mpi3.h5
fi
echo "shards: OK"
