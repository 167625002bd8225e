#!/usr/bin/env bash
# `mpirun retsim sweep` equals the one-process sweep in every result group (h5diff of /design,
# /runs, /points, /sensitivity): 1, 2 and 3 ranks; a sweep stopped under 3 ranks and resumed by
# one process, and one stopped by one process and resumed under 2 ranks; a bad --vary under
# mpirun exits 2 with its message printed once. Root in CI: mpirun refuses root unless told.
set -euo pipefail
retsim="$1"
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
# A hung job must fail the test, not hold CTest.
mpirun_path=$(command -v mpirun)
mpirun() { timeout 120 "$mpirun_path" --oversubscribe "$@"; }

cat >"$dir/s.toml" <<'EOF'
# Question: do MPI ranks change a sweep's results? (they must not)
[run]
horizon_days = 182
step_days = 7
seed = 11
[population]
initial_customers = 400
history_days = 365
[population.bgnbd]
r = 2.0
alpha_weeks = 10.0
a = 1.0
b = 8.0
[economics]
margin_fraction = 0.3
EOF

# A failing level (-5 customers) is part of the sweep: failed runs must match too.
args=(sweep "$dir/s.toml" -q --design sobol --samples 8 --replicates 2
      --vary economics.margin_fraction=0.2:0.4 --vary population.initial_customers=100:600)
grid=(sweep "$dir/s.toml" -q --replicates 3
      --vary economics.margin_fraction=0.1:0.5:7 --vary 'population.initial_customers=[200,-5,300]')

same() {
  for group in /design /runs /points /sensitivity; do
    if h5ls "$1$group" >/dev/null 2>&1; then
      h5diff -q "$1" "$2" "$group" "$group" || { echo "FAIL: $1 and $2 differ in $group" >&2; exit 1; }
    fi
  done
}

"$retsim" "${args[@]}" -o "$dir/one.h5"
"$retsim" "${grid[@]}" -o "$dir/grid_one.h5"
for n in 1 2 3; do
  mpirun -np "$n" "$retsim" "${args[@]}" -o "$dir/sobol_$n.h5"
  same "$dir/one.h5" "$dir/sobol_$n.h5"
  mpirun -np "$n" "$retsim" "${grid[@]}" -o "$dir/grid_$n.h5"
  same "$dir/grid_one.h5" "$dir/grid_$n.h5"
done
ranks=$(/usr/bin/python3 -c 'import h5py, sys; print(int(h5py.File(sys.argv[1]).attrs["ranks"]))' "$dir/grid_3.h5")
[ "$ranks" = 3 ] || { echo "FAIL: ranks attribute is $ranks, expected 3" >&2; exit 1; }

# Stopped under 3 ranks, resumed by one process.
if mpirun -np 3 "$retsim" "${grid[@]}" -o "$dir/part.h5" --stop-after 10 2>"$dir/stop.log"; then
  echo "FAIL: a stopped sweep exited 0" >&2; exit 1
fi
grep -q -- "--resume" "$dir/stop.log" || { echo "FAIL: no resume hint:" >&2; cat "$dir/stop.log" >&2; exit 1; }
[ -f "$dir/part.h5.journal" ] || { echo "FAIL: no journal after the stop" >&2; exit 1; }
"$retsim" "${grid[@]}" -o "$dir/part.h5" --resume
same "$dir/grid_one.h5" "$dir/part.h5"

# Stopped by one process, resumed under 2 ranks.
if "$retsim" "${grid[@]}" -o "$dir/part2.h5" --stop-after 7 2>/dev/null; then
  echo "FAIL: a stopped sweep exited 0" >&2; exit 1
fi
mpirun -np 2 "$retsim" "${grid[@]}" -o "$dir/part2.h5" --resume
same "$dir/grid_one.h5" "$dir/part2.h5"

# Bad input under mpirun: exit 2, the message once (rank 0 reports, the workers stay quiet).
set +e
mpirun -np 2 "$retsim" sweep "$dir/s.toml" -q --vary economics.margin_fraction=0.5:0.1:3 -o "$dir/bad.h5" \
  >"$dir/bad.log" 2>&1
code=$?
set -e
[ "$code" = 2 ] || { echo "FAIL: bad --vary under mpirun exited $code, expected 2" >&2; cat "$dir/bad.log" >&2; exit 1; }
count=$(grep -c "is above HIGH" "$dir/bad.log" || true)
[ "$count" = 1 ] || { echo "FAIL: the message appeared $count times:" >&2; cat "$dir/bad.log" >&2; exit 1; }
# An existing output is refused by rank 0 alone; the workers must be released, not hang.
set +e
mpirun -np 3 "$retsim" "${grid[@]}" -o "$dir/one.h5" >"$dir/exists.log" 2>&1
code=$?
set -e
[ "$code" = 2 ] || { echo "FAIL: existing output under mpirun exited $code, expected 2" >&2; cat "$dir/exists.log" >&2; exit 1; }
echo "mpi sweep: 1, 2 and 3 ranks equal the one-process sweep"
