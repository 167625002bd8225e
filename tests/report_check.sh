#!/usr/bin/env bash
# `retsim report` end to end, one case per CTest test:
#   report_check.sh RETSIM SOURCE_DIR CASE
# run | comparison | sweep: makes a small file of that kind, reports it, and checks that every
#   expected chart exists, is a valid PNG (signature, IHDR size, not tiny), is referenced by
#   index.html (and every referenced image exists), that no DIR.partial-* is left, and that
#   headless Chromium renders the page to a screenshot that is not blank.
# missing-file | not-hdf5 | wrong-kind | existing-dir | bad-sweep-key: bad input exits 2 with a
#   message naming the problem and writes nothing.
set -euo pipefail

retsim=$1
src=$2
case_name=$3
python=/usr/bin/python3  # Debian's interpreter: matplotlib and h5py are installed for it

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

fail() { echo "FAIL: $*" >&2; exit 1; }

# Runs retsim, expecting exit code $1; keeps the combined output in $work/out.txt.
expect() {
  local want=$1; shift
  local got=0
  "$retsim" "$@" > out.txt 2>&1 || got=$?
  if [ "$got" -ne "$want" ]; then
    cat out.txt >&2
    fail "retsim $* exited $got, expected $want"
  fi
}

expect_message() {
  grep -q -- "$1" out.txt || { cat out.txt >&2; fail "the message does not mention '$1'"; }
}

no_partial() {
  if compgen -G "$work/*.partial-*" > /dev/null; then fail "a partial report was left: $(ls -d "$work"/*.partial-*)"; fi
}

small_run() {
  "$retsim" run "$src/scenarios/coffee_stamp_card.toml" --set population.initial_customers=2000 --customers -q \
    -o run.h5 > /dev/null
}

# Checks the report in $1 holds the charts named in $2 (space-separated file stems).
check_report() {
  local dir=$1 charts=$2
  [ -f "$dir/index.html" ] || fail "$dir/index.html missing"
  no_partial
  "$python" - "$dir" "$charts" <<'PY'
import os, re, struct, sys
directory, expected = sys.argv[1], sys.argv[2].split()
page = open(os.path.join(directory, "index.html"), encoding="utf-8").read()
referenced = re.findall(r'<img src="([^"]+)"', page)
pngs = sorted(n for n in os.listdir(directory) if n.endswith(".png"))
problems = []
for stem in expected:
    if stem + ".png" not in pngs:
        problems.append(f"chart {stem}.png missing")
for name in pngs:
    data = open(os.path.join(directory, name), "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        problems.append(f"{name}: not a PNG (signature)")
        continue
    if data[12:16] != b"IHDR":
        problems.append(f"{name}: no IHDR chunk first")
        continue
    width, height = struct.unpack(">II", data[16:24])
    if not (600 <= width <= 4000 and 300 <= height <= 4000):
        problems.append(f"{name}: {width} x {height} pixels is not a chart size")
    if len(data) < 15_000:
        problems.append(f"{name}: {len(data)} bytes, too small to hold a chart")
    if name not in referenced:
        problems.append(f"{name}: not shown by index.html")
for name in referenced:
    if not os.path.isfile(os.path.join(directory, name)):
        problems.append(f"index.html shows {name}, which does not exist")
if "<figcaption>" not in page:
    problems.append("index.html has no captions")
if problems:
    sys.exit("\n".join(problems))
print(f"{len(pngs)} charts, all valid PNGs referenced by index.html")
PY
  # Headless Chromium renders the page; the screenshot must show charts, not a blank page.
  timeout 90 chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --user-data-dir="$work/chromium" \
    --screenshot="$work/shot.png" --window-size=1280,2400 "file://$work/$dir/index.html" > chromium.log 2>&1 \
    || { cat chromium.log >&2; fail "chromium could not render $dir/index.html"; }
  [ -s "$work/shot.png" ] || { cat chromium.log >&2; fail "chromium wrote no screenshot"; }
  "$python" - "$work/shot.png" <<'PY'
import sys
import numpy as np
import matplotlib.image as mpimg
image = mpimg.imread(sys.argv[1])[:, :, :3]
pixels = (image * 255).round().astype(np.uint8).reshape(-1, 3)
colours = len(np.unique(pixels, axis=0))
non_white = float(np.mean(np.any(pixels < 235, axis=1)))
print(f"screenshot: {colours} distinct colours, {non_white:.1%} non-white pixels")
if colours < 64 or non_white < 0.05:
    sys.exit("the rendered page looks blank")
PY
}

case "$case_name" in
  run)
    small_run
    expect 0 report run.h5 -o rep
    expect_message "index.html"
    check_report rep "stages retention clv_cohorts clv_customers money strategies_money roi truth rewards"
    ;;
  comparison)
    sed '/^\[\[strategies\]\]/,$d' "$src/scenarios/coffee_stamp_card.toml" > no_card.toml
    "$retsim" compare no_card.toml "$src/scenarios/coffee_stamp_card.toml" --replicates 3 \
      --set population.initial_customers=1000 --set run.horizon_days=91 -q -o cmp.h5 > /dev/null
    expect 0 report cmp.h5 -o rep
    check_report rep "incremental_profit metrics replicates"
    ;;
  sweep)
    "$retsim" sweep "$src/scenarios/acquisition_vs_retention.toml" --set population.initial_customers=1000 \
      --set run.horizon_days=91 --vary 'acquisition.channels[0].spend_per_week_cents=0:3000000' \
      --vary economics.margin_fraction=0.2:0.4 --design sobol --samples 8 -q -o sweep.h5 > /dev/null
    expect 0 report sweep.h5 -o rep --x economics.margin_fraction --y 'acquisition.channels[0].spend_per_week_cents'
    check_report rep "heatmap profit_curve sobol"
    ;;
  missing-file)
    expect 2 report missing.h5 -o rep
    expect_message "missing.h5"
    [ ! -e rep ] || fail "a report directory was created for a missing input"
    no_partial
    ;;
  not-hdf5)
    echo "customer_id,date,amount" > table.h5
    expect 2 report table.h5 -o rep
    expect_message "not an HDF5 file"
    [ ! -e rep ] || fail "a report directory was created for a file that is not HDF5"
    no_partial
    ;;
  wrong-kind)
    "$python" -c 'import h5py; h5py.File("foreign.h5", "w").create_dataset("x", data=[1, 2, 3])'
    expect 2 report foreign.h5 -o rep
    expect_message "not a retsim result"
    small_run
    "$retsim" score run.h5 -o run.scores.h5 > /dev/null
    expect 2 report run.scores.h5 -o rep
    expect_message "scores file"
    [ ! -e rep ] || fail "a report directory was created for the wrong kind of file"
    no_partial
    ;;
  existing-dir)
    # A tiny comparison: its report is the quickest to draw.
    printf '[run]\nhorizon_days = 28\n[population]\ninitial_customers = 300\n' > a.toml
    printf '[run]\nhorizon_days = 28\n[population]\ninitial_customers = 300\n[economics]\nmargin_fraction = 0.4\n' > b.toml
    "$retsim" compare a.toml b.toml --replicates 2 -q -o cmp.h5 > /dev/null
    mkdir rep && echo "precious" > rep/notes.txt
    expect 2 report cmp.h5 -o rep
    expect_message "--force"
    [ "$(cat rep/notes.txt)" = precious ] || fail "the existing directory was changed"
    [ "$(ls rep)" = notes.txt ] || fail "files were added to the existing directory"
    no_partial
    expect 0 report cmp.h5 -o rep --force
    [ -f rep/index.html ] && [ ! -e rep/notes.txt ] || fail "--force did not replace the directory"
    mkdir empty_dir
    expect 0 report cmp.h5 -o empty_dir  # an empty directory is not a report to protect
    [ -f empty_dir/index.html ] || fail "no report in the empty directory"
    no_partial
    ;;
  bad-sweep-key)
    "$retsim" sweep "$src/scenarios/default.toml" --set population.initial_customers=300 --set run.horizon_days=28 \
      --vary economics.margin_fraction=0.2:0.4:2 -q -o sweep.h5 > /dev/null
    expect 2 report sweep.h5 -o rep --x no.such.key
    expect_message "no.such.key"
    expect 2 report sweep.h5 -o rep --metric happiness
    expect_message "happiness"
    small_run
    expect 2 report run.h5 -o rep --x economics.margin_fraction
    expect_message "sweeps only"
    [ ! -e rep ] || fail "a report directory was created for a bad option"
    no_partial
    ;;
  *)
    fail "unknown case $case_name"
    ;;
esac
echo "report: $case_name ok"
