#!/usr/bin/env bash
# Installs, builds and runs the built-in default scenario: progress on stderr, the summary on
# stdout, the result in ./default.h5 (replaced on each run).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
./build/retsim run --force -o default.h5
echo "Next: ./build/retsim info default.h5   |   ./build/retsim --help"
