#!/usr/bin/env bash
# Compares server builds or settings on one figure of cloud-console-bench-server, in alternating
# rounds of one run (the machine is shared: only figures from the same run compare), and prints
# per variant the median of the figure with its min and max, and the median of its per-round
# ratio to the first variant.
#
# usage: bench/server/compare.sh BENCH --rounds N --figure FIELD -- COMMAND ARGS... \
#            -- NAME=SERVER[,ARG...] NAME=SERVER[,ARG...] ...
#
#   BENCH     the cloud-console-bench-server binary
#   FIELD     the field of the bench's last line to compare (p99_us, median_mbps, ...)
#   COMMAND   the bench command and its options (echo --flood-clients 10, throughput --clients 1)
#   NAME=...  a variant: its server binary and extra server arguments, comma-separated
#
# example, the echo under a flood with the screen of two builds and without it:
#   bench/server/compare.sh build/bench/server/cloud-console-bench-server --rounds 8 \
#       --figure p99_us -- echo --flood-clients 10 -- \
#       noscreen=build/server/cloud-console,--no-screen old=/tmp/old/cloud-console \
#       new=build/server/cloud-console
set -euo pipefail

usage() { sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; }
[[ $# -ge 1 && $1 != -h && $1 != --help ]] || { usage; exit 2; }
bench=$1
shift
rounds=5 figure=''
while [[ $# -gt 0 && $1 != -- ]]; do
    case $1 in
    --rounds) rounds=$2; shift 2 ;;
    --figure) figure=$2; shift 2 ;;
    *) echo "compare.sh: unknown option $1" >&2; usage >&2; exit 2 ;;
    esac
done
[[ -n $figure && $# -gt 0 ]] || { usage >&2; exit 2; }
shift
command=()
while [[ $# -gt 0 && $1 != -- ]]; do command+=("$1"); shift; done
[[ $# -gt 1 ]] || { echo "compare.sh: no variants" >&2; exit 2; }
shift
variants=("$@")

results=$(mktemp)
trap 'rm -f "$results"' EXIT
echo "load average at the start: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
for ((round = 1; round <= rounds; round++)); do
    for variant in "${variants[@]}"; do
        name=${variant%%=*}
        IFS=, read -r -a parts <<<"${variant#*=}"
        args=(--server "${parts[0]}" --server-log /dev/null)
        for extra in "${parts[@]:1}"; do args+=(--server-arg "$extra"); done
        # A run that fails says why on its last line; pipefail would end the script unheard.
        line=$("$bench" "${command[@]}" "${args[@]}" 2>&1 | tail -n 1) || {
            echo "compare.sh: round $round, $name: the bench failed: $line" >&2
            exit 1
        }
        value=$(grep -o "\b$figure=[0-9.e+]*" <<<"$line" | cut -d= -f2) || true
        if [[ -z $value ]]; then
            echo "compare.sh: round $round, $name: no $figure in: $line" >&2
            exit 1
        fi
        echo "round $round $name $figure=$value" >&2
        echo "$round $name $value" >>"$results"
    done
done
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)" >&2

first=${variants[0]%%=*}
echo "| variant | $figure median (min-max) | ratio to $first, median (min-max) |"
echo "| --- | --- | --- |"
for variant in "${variants[@]}"; do
    name=${variant%%=*}
    # The variant's values and its per-round ratios to the first variant, each sorted.
    values=$(awk -v n="$name" '$2 == n { print $3 }' "$results" | sort -g)
    ratios=$(awk -v n="$name" -v f="$first" '
        $2 == f { base[$1] = $3 } $2 == n { value[$1] = $3 }
        END { for (r in value) if (base[r] > 0) print value[r] / base[r] }' "$results" | sort -g)
    summary() {
        awk '{ v[NR] = $1 } END {
            m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
            printf "%.4g (%.4g-%.4g)", m, v[1], v[NR] }'
    }
    echo "| $name | $(summary <<<"$values") | $(summary <<<"$ratios") |"
done
