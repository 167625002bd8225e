#!/usr/bin/env bash
# Installs, builds and runs every test through CTest (unit, statistical, golden, bad input,
# h5py read-back). Used by CI (.ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
ctest --test-dir build --output-on-failure --timeout 900 --parallel "$(nproc)"
bash scripts/sanitize.sh
