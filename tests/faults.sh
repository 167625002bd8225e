#!/usr/bin/env bash
# Faults a run must survive: killed at random moments (SIGKILL or SIGTERM) it leaves either no
# result or a complete one under the final name, and a rerun gives the uninterrupted result;
# a full disk (simulated with a file-size limit) and an unwritable place exit 1 with a clear
# message and leave no file behind. Prints how many kills were survived.
set -euo pipefail
retsim="$1"
source_dir="$2"
kills="${3:-12}"
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cd "$dir"
args=(run "$source_dir/scenarios/coffee_stamp_card.toml" --set population.initial_customers=30000 -q)

"$retsim" "${args[@]}" -o reference.h5 >/dev/null
same() {
  /usr/bin/python3 "$source_dir/tests/same_datasets.py" "$1" "$2" --exclude /summary/wall_seconds \
    --exclude /summary/threads || { echo "FAIL: $1 differs from the uninterrupted run" >&2; exit 1; }
}

survived=0
complete=0
for i in $(seq 1 "$kills"); do
  signal=KILL
  [ $((i % 2)) -eq 0 ] && signal=TERM
  rm -f out.h5
  "$retsim" "${args[@]}" -o out.h5 >/dev/null 2>&1 &
  pid=$!
  # Random moments over the run's life, writing the file included (about half a second).
  sleep "$((RANDOM % 2)).$(printf "%03d" $((RANDOM % 1000)))"
  kill -s "$signal" "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  if [ -e out.h5 ]; then
    same reference.h5 out.h5  # a file under the final name is always the complete result
    complete=$((complete + 1))
  fi
  rm -f out.h5.partial-*  # what a killed writer may leave under its temporary name
  "$retsim" "${args[@]}" -o out.h5 --force >/dev/null
  same reference.h5 out.h5
  survived=$((survived + 1))
done

# A full disk: writes beyond 64 KiB fail (EFBIG) instead of killing the process (SIGXFSZ ignored).
set +e
(trap '' XFSZ; ulimit -f 64; exec "$retsim" "${args[@]}" -o full.h5 --customers) >full.log 2>&1
code=$?
set -e
if [ "$code" -ne 1 ] || ! grep -q "full.h5" full.log; then
  echo "FAIL: a full disk gave exit $code:" >&2; cat full.log >&2; exit 1
fi
if ls full.h5* >/dev/null 2>&1; then echo "FAIL: a full disk left a file" >&2; ls full.h5* >&2; exit 1; fi

# An unwritable place (even for root): /proc does not take new files.
set +e
"$retsim" "${args[@]}" -o /proc/retsim-fault-test.h5 >unwritable.log 2>&1
code=$?
set -e
if [ "$code" -ne 1 ] || ! grep -q "/proc/retsim-fault-test.h5" unwritable.log; then
  echo "FAIL: an unwritable place gave exit $code:" >&2; cat unwritable.log >&2; exit 1
fi
if [ "$(id -u)" -ne 0 ]; then  # permissions bind only when not root
  mkdir locked && chmod 555 locked
  set +e
  "$retsim" "${args[@]}" -o locked/r.h5 >locked.log 2>&1
  code=$?
  set -e
  [ "$code" -eq 1 ] || { echo "FAIL: a read-only directory gave exit $code" >&2; cat locked.log >&2; exit 1; }
  [ -z "$(ls -A locked)" ] || { echo "FAIL: a read-only directory got a file" >&2; exit 1; }
fi
echo "faults: $survived of $kills killed runs survived ($complete had finished writing), full disk and unwritable place exit 1"
