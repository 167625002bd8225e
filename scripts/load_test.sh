#!/usr/bin/env bash
# Load test: the largest plain BG/NBD population this machine holds, run to completion, with
# peak memory (VmHWM, from /proc) and throughput; then a long sweep of a tiny scenario
# (thousands of runs). Not part of CI (minutes and most of the memory); figures go to
# docs/reliability.md. Usage: bash scripts/load_test.sh [CUSTOMERS] [SWEEP_POINTS]
set -euo pipefail
cd "$(dirname "$0")/.."
customers="${1:-300000000}"
points="${2:-5000}"
retsim=./build/retsim
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

cat >"$dir/large.toml" <<EOF2
# Question: how large a population does one machine hold? (plain BG/NBD, CDNOW parameters)
[run]
horizon_days = 364
step_days = 7
seed = 1
[population]
initial_customers = $customers
model = "bgnbd"
[population.bgnbd]
r = 0.2426
alpha_weeks = 4.4137
a = 0.7930
b = 2.4262
EOF2

# Peak resident memory of the run, sampled from /proc while it runs (VmHWM is the kernel's own
# high-water mark, read just before the process ends).
"$retsim" run "$dir/large.toml" -o "$dir/large.h5" -q --threads 0 >"$dir/large.log" &
pid=$!
peak=0
while kill -0 "$pid" 2>/dev/null; do
  hwm=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)
  [ -n "$hwm" ] && [ "$hwm" -gt "$peak" ] && peak=$hwm
  sleep 0.5
done
wait "$pid"
grep -E "customers|customer-days" "$dir/large.log"
echo "load: $customers customers, peak resident memory $((peak / 1024)) MiB ($(awk -v p="$peak" -v c="$customers" 'BEGIN {printf "%.1f", p * 1024 / c}') bytes per customer)"

# A long sweep: SWEEP_POINTS Latin-hypercube points x 2 replicates of a tiny scenario.
cat >"$dir/tiny.toml" <<'EOF2'
# Question: does a sweep of thousands of points run through? (a tiny scenario)
[run]
horizon_days = 91
step_days = 7
seed = 3
[population]
initial_customers = 200
[population.bgnbd]
r = 2.0
alpha_weeks = 10.0
a = 1.0
b = 8.0
[economics]
margin_fraction = 0.3
EOF2
start=$(date +%s.%N)
"$retsim" sweep "$dir/tiny.toml" -q --design lhs --samples "$points" --replicates 2 \
  --vary economics.margin_fraction=0.1:0.5 --vary population.bgnbd.r=0.5:4 -o "$dir/sweep.h5"
end=$(date +%s.%N)
/usr/bin/python3 - "$dir/sweep.h5" "$start" "$end" <<'EOF2'
import sys, h5py, numpy
with h5py.File(sys.argv[1], "r") as f:
    status = f["runs/status"][()]
    runs, ok = status.size, int(numpy.sum(status == 0))
seconds = float(sys.argv[3]) - float(sys.argv[2])
print(f"long sweep: {runs} runs ({ok} ok) in {seconds:.1f} s, {runs / seconds:.0f} runs/s")
EOF2
