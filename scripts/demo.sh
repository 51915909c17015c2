#!/usr/bin/env bash
# Builds cloud-console and serves a demo console: a shell in a pty that the server owns.
# It prints the URL to open. DEMO_COMMAND and LISTEN change what runs and where it listens.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake --preset default >/dev/null
cmake --build --preset default --target cloud-console
# --restart always: typing exit in the demo shell starts a new one instead of ending the console.
exec build/server/cloud-console --exec "${DEMO_COMMAND:-bash -l}" --restart always \
    --listen "${LISTEN:-127.0.0.1:8080}"
