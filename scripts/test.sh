#!/usr/bin/env bash
# Builds everything and runs every test with ctest.
#   scripts/test.sh           the release build
#   scripts/test.sh --asan    the same suite under AddressSanitizer and UBSan
set -euo pipefail
cd "$(dirname "$0")/.."
preset=default
[[ "${1:-}" == --asan ]] && preset=asan
scripts/install-deps.sh --test
cmake --preset "$preset" >/dev/null
cmake --build --preset "$preset"
ctest --preset "$preset" -j2
