#!/usr/bin/env bash
# Runs a small scenario with per-customer output and reads the result back with h5py
# (Debian's python3-h5py under /usr/bin/python3), as a user would.
set -euo pipefail
retsim="$1"
checker="$2"
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
"$retsim" run -q --customers --set population.initial_customers=5000 --set run.horizon_days=91 -o "$dir/r.h5" >/dev/null
/usr/bin/python3 "$checker" "$dir/r.h5"
