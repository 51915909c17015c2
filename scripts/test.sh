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
# A test that fails gets one more run, and the log keeps the failure: the viewer's test of
# attaching after the history wrapped depends on the server's screen thread (nice 19) keeping
# up, which it does not always do while other tests load the machine (docs/reliability.md,
# finding 1: the fix is a snapshot the screen's thread hands over without the console's thread
# waiting). Remove the retry with that fix.
ctest --preset "$preset" -j2 --repeat until-pass:2
