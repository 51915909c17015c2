#!/usr/bin/env bash
# Server benchmarks of tracker issue 2: (a) raw pty ceiling, (b) throughput to 1/10/100 WebSocket
# clients, (c) keystroke echo idle and under a flood, (d) RSS per idle client, (e) 1 MiB history
# to a new client. Every figure is measured against its baseline in alternating rounds in the
# same run; the table (Markdown, on stdout) gives min/median/max of the per-round ratios, the
# absolute figures, and the CPU of the server and of the load generator.
#
# usage: bench/run-server-bench.sh BUILD_DIR [--rounds N] [--quick] [--server-prefix 'CMD'] ...
#
# It builds nothing: BUILD_DIR must hold server/cloud-console and
# bench/server/cloud-console-bench-server, e.g. after
#   cmake --build BUILD_DIR --target cloud-console cloud-console-bench-server
# The per-run figures go to stderr and to BUILD_DIR/server-bench.log; the servers' own logging
# (stderr) to BUILD_DIR/server-bench-server.log.
set -euo pipefail

if [[ $# -lt 1 || $1 == -h || $1 == --help ]]; then
    sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'
    exit $(( $# < 1 ? 2 : 0 ))
fi
build=$(cd "$1" && pwd)
shift
server=$build/server/cloud-console
bench=$build/bench/server/cloud-console-bench-server
for f in "$server" "$bench"; do
    if [[ ! -x $f ]]; then
        echo "run-server-bench: $f is missing; build it first:" >&2
        echo "  cmake --build $build --target cloud-console cloud-console-bench-server" >&2
        exit 2
    fi
done
log=$build/server-bench.log
server_log=$build/server-bench-server.log
: > "$server_log"

{
    echo "Machine: $(nproc) cores online ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- \
        | sed 's/^ //')), kernel $(uname -r), load average at the start $(cut -d' ' -f1-3 \
        /proc/loadavg). The cores are shared with other engineers' builds; nothing is pinned."
    echo
} | tee "$log"

# The suite prints the table on stdout and one line per measurement on stderr.
"$bench" suite --server "$server" --server-log "$server_log" "$@" 2> >(tee -a "$log" >&2)
