#!/usr/bin/env bash
# Regenerates tests/golden/*.expected from the current build. Read `git diff tests/golden`
# before committing: every changed figure must be explained by the change you made.
set -euo pipefail
cd "$(dirname "$0")/.."
cmake --build build --target retsim_tests
RETSIM_REGEN_GOLDEN=1 ./build/tests/retsim_tests "[golden]"
git --no-pager diff --stat tests/golden || true
