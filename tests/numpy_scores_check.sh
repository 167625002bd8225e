#!/usr/bin/env bash
# Scores a CSV summary table of CDNOW-like customers (edges included: x = 0, t_x = T, T near 0,
# large x) with `retsim score` and the CDNOW BG/NBD + Gamma-Gamma fit, then recomputes every
# score with the numpy/scipy reference (scripts/numpy_scoring_reference.py --check, Debian's
# python3 under /usr/bin) and fails on a relative difference above 1e-9.
set -euo pipefail
retsim="$1"
source_dir="$2"
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
/usr/bin/python3 - "$dir/customers.csv" <<'PY'
import sys
import numpy as np
rng = np.random.default_rng(2005)
n = 3000
x = np.where(rng.random(n) < 0.5, 0, np.floor(rng.exponential(4.0, n)) + 1)
T = rng.uniform(0.01, 78.0, n)
t_x = np.where(x > 0, T * rng.random(n), 0.0)
m = rng.uniform(100.0, 20000.0, n)
# Edges: t_x = T, T tiny, very large x, no purchase at the end of the window.
x[:4], t_x[:4], T[:4] = [3, 1, 200, 0], [20.0, 0.001, 77.0, 0.0], [20.0, 0.001, 77.5, 78.0]
with open(sys.argv[1], "w") as f:
    f.write("customer_id,x,t_x,T,m_x\n")
    for i in range(n):
        f.write(f"{i},{x[i]:.0f},{t_x[i]!r},{T[i]!r},{m[i]!r}\n")
PY
"$retsim" score -q --scenario "$source_dir/scenarios/validation/cdnow_bgnbd.toml" --discount-rate 0.1 \
    --margin 0.3 --forecast-weeks 52 --clv-weeks 52 -o "$dir/scores.h5" "$dir/customers.csv"
/usr/bin/python3 "$source_dir/scripts/numpy_scoring_reference.py" --check "$dir/scores.h5" "$dir/customers.csv"
