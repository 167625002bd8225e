#!/usr/bin/env bash
# Runs two small scenarios and reads the results back with h5py (Debian's python3-h5py under
# /usr/bin/python3), as a user would: the built-in default with per-customer output (its
# strategies included), and a reward program plus a budgeted win-back campaign (/strategies filled).
set -euo pipefail
retsim="$1"
checker="$2"
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
"$retsim" run -q --customers --set population.initial_customers=5000 --set run.horizon_days=91 -o "$dir/r.h5" >/dev/null
/usr/bin/python3 "$checker" "$dir/r.h5"

cat >"$dir/strategies.toml" <<'EOF'
# Question: do a stamp card and a budgeted win-back campaign write a consistent /strategies?
[run]
horizon_days = 182
step_days = 7
[population]
initial_customers = 5000
[[strategies]]
name = "stamp_card"
kind = "reward"
stages = ["new", "active", "won_back"]
holdout_fraction = 0.2
response_probability = 0.6
fixed_cost_per_week_cents = 1000
[strategies.reward]
points_per_purchase = 1
reward_threshold_points = 5
reward_cost_cents = 150
expiry_days = 90
[[strategies]]
name = "win_back"
kind = "win_back"
stages = ["lapsed", "inactive"]
holdout_fraction = 0.2
cost_per_contact_cents = 100
cost_per_incentive_cents = 500
response_probability = 0.2
budget_per_week_cents = 20000
[strategies.effect]
rate_multiplier = 1.5
revive_probability = 0.1
EOF
"$retsim" run -q "$dir/strategies.toml" -o "$dir/s.h5" >/dev/null
# One step is one week, so the weekly budget is the budget of every step.
/usr/bin/python3 "$checker" "$dir/s.h5" --budget win_back 100 500 20000
