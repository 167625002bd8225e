#!/usr/bin/env bash
# Regenerates tests/golden/*.expected from the current build: the small scenario of
# tests/test_golden.cpp and every library scenario of tests/test_scenario_library.cpp (all
# tagged [golden]). Read `git diff tests/golden` before committing: every changed figure must be
# explained by the change you made. BUILD_DIR picks the build directory (default: build).
set -euo pipefail
cd "$(dirname "$0")/.."
build="${BUILD_DIR:-build}"
cmake --build "$build" --target retsim_tests
RETSIM_REGEN_GOLDEN=1 "./$build/tests/retsim_tests" "[golden]"
git --no-pager diff --stat tests/golden || true
git status --short tests/golden
