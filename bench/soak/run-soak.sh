#!/usr/bin/env bash
# The soak of docs/reliability.md: a real cloud-console server on 127.0.0.1 under load for
# --minutes (30 by default), with faults injected and every byte checked; prints one Markdown
# table (and the findings under it) on stdout.
#
# usage: bench/soak/run-soak.sh --server PATH [--soak PATH] [--minutes N] [--asan]
#                               [--table-out FILE] [other cloud-console-soak options]
#
#   --server PATH   the cloud-console binary to soak (build/server/cloud-console, or a sanitized
#                   one such as build-asan/server/cloud-console)
#   --soak PATH     the cloud-console-soak program (default: bench/soak/cloud-console-soak of
#                   the build directory the server is in, else of build/)
#   --asan          a short run for a sanitized server: 2 minutes unless --minutes is given, a
#                   lighter load (64 KiB/s, 30 clients, 50 slowloris connections, 5 logins/s)
#                   unless other values are given, leak checking at exit, the label "ASan build"
#
# It builds nothing: cmake --build BUILD --target cloud-console cloud-console-soak first. It runs
# as root: the log goes on a small tmpfs it mounts and unmounts (without one the disk-full fault
# is left out, and the table says so). `cloud-console-soak --help` lists the other options.
set -euo pipefail

usage() { sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; }

server='' soak='' minutes='' asan=0 label=''
args=()
while [[ $# -gt 0 ]]; do
    case $1 in
    --server) server=$2; shift 2 ;;
    --soak) soak=$2; shift 2 ;;
    --minutes) minutes=$2; shift 2 ;;
    --label) label=$2; shift 2 ;;
    --asan) asan=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) args+=("$1"); shift ;;
    esac
done
if [[ -z $server ]]; then
    usage >&2
    exit 2
fi
if [[ ! -x $server ]]; then
    echo "run-soak: $server is not an executable; build it first" >&2
    exit 2
fi
server=$(cd "$(dirname "$server")" && pwd)/$(basename "$server")
if [[ -z $soak ]]; then
    here=$(cd "$(dirname "$0")/../.." && pwd)
    for candidate in "$(dirname "$server")/../bench/soak/cloud-console-soak" \
                     "$here/build/bench/soak/cloud-console-soak"; do
        if [[ -x $candidate ]]; then
            soak=$candidate
            break
        fi
    done
fi
if [[ -z $soak || ! -x $soak ]]; then
    echo "run-soak: no cloud-console-soak found; pass --soak PATH or build the target" \
         "cloud-console-soak" >&2
    exit 2
fi
if [[ $(id -u) -ne 0 ]]; then
    echo "run-soak: not root: the log's tmpfs cannot be mounted, so the disk-full fault is" \
         "left out" >&2
fi

asan_load=()
if [[ $asan -eq 1 ]]; then
    minutes=${minutes:-2}
    label=${label:-ASan build}
    # A lighter load by default: the sanitized Debug build is several times slower, and under
    # the full load it mostly measures its own slowness. Options given after --asan win.
    asan_load=(--rate 64K --clients 30 --slowloris 50 --login-rate 5)
    # Every report goes to the server's stderr, where the soak counts them; leaks at its exit.
    export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:print_summary=1}
    export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}
fi
minutes=${minutes:-30}
label=${label:-$(basename "$(dirname "$(dirname "$server")")")}

echo "run-soak: $soak --server $server --minutes $minutes (machine: $(nproc) cores," \
     "load $(cut -d' ' -f1-3 /proc/loadavg))" >&2
exec "$soak" --server "$server" --minutes "$minutes" --label "$label" "${asan_load[@]}" \
    "${args[@]}"
