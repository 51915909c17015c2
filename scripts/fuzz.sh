#!/usr/bin/env bash
# Builds the fuzz preset (clang 14, libFuzzer, ASan + UBSan) and runs each fuzz target for a
# bounded time; docs/fuzzing.md says what each target checks.
#   scripts/fuzz.sh                                    every target, 60 s each
#   scripts/fuzz.sh --seconds 3600 --target configfile one target for an hour
#   scripts/fuzz.sh --target telnet -- -jobs=2 -workers=2   libFuzzer flags after --
# A target starts from a scratch copy of fuzz/corpus/NAME, so the committed seeds stay as they
# are, and also runs fuzz/regressions/NAME. A crash, a sanitizer report, a failed property, a
# leak, a timeout or running out of memory fails the target; its reproducer is kept under
# build-fuzz/artifacts/NAME/ and its path printed. The last line is "N passed, M failed".
set -euo pipefail
cd "$(dirname "$0")/.."

all_targets=(requesthead protocol telnet httpresponse qmp configfile sourcespec clientframes terminal linereader
             castreader timeindex searchtext sharetoken)
# What runs without --target (CI): every target.
default_targets=("${all_targets[@]}")
# The longest input per target: past each decoder's own limit where that is cheap to reach (a
# request or response head over 16 KiB is refused), a few KiB where it is not.
declare -A max_len=([requesthead]=20000 [clientframes]=8192 [protocol]=4096 [telnet]=4096 [httpresponse]=20000
                    [qmp]=8192 [configfile]=8192 [sourcespec]=512 [terminal]=4096 [linereader]=8192
                    [castreader]=8192 [timeindex]=4096 [searchtext]=4096 [sharetoken]=512)

usage() {
    sed -n '2,10s/^# \{0,1\}//p' "$0"
}

seconds=60
targets=()
extra=()
while (($#)); do
    case "$1" in
    --seconds)
        [[ $# -ge 2 && "$2" =~ ^[1-9][0-9]*$ ]] || { echo "fuzz.sh: --seconds needs a number" >&2; exit 2; }
        seconds=$2
        shift 2
        ;;
    --target)
        [[ $# -ge 2 ]] || { echo "fuzz.sh: --target needs a name" >&2; exit 2; }
        name=${2#fuzz_}
        [[ -v max_len[$name] ]] || { echo "fuzz.sh: no target $2 (${all_targets[*]})" >&2; exit 2; }
        targets+=("$name")
        shift 2
        ;;
    --)
        shift
        extra=("$@")
        break
        ;;
    -h | --help)
        usage
        exit 0
        ;;
    *)
        echo "fuzz.sh: unknown option $1" >&2
        usage >&2
        exit 2
        ;;
    esac
done
[[ ${#targets[@]} -gt 0 ]] || targets=("${default_targets[@]}")

for name in "${targets[@]}"; do
    [[ -f "fuzz/dict/$name.dict" && -d "fuzz/corpus/$name" ]] ||
        { echo "fuzz.sh: fuzz/dict/$name.dict or fuzz/corpus/$name is missing" >&2; exit 2; }
done

scripts/install-deps.sh --fuzz
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz --parallel "$(nproc)" --target "${targets[@]/#/fuzz_}"

work=$(mktemp -d "${TMPDIR:-/tmp}/cloud-console-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT
artifacts=build-fuzz/artifacts
logs=build-fuzz/fuzz-logs
mkdir -p "$logs"

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:symbolize=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export QT_LOGGING_RULES=${QT_LOGGING_RULES:-*.debug=false}
if [[ -x /usr/lib/llvm-14/bin/llvm-symbolizer ]]; then
    export ASAN_SYMBOLIZER_PATH=${ASAN_SYMBOLIZER_PATH:-/usr/lib/llvm-14/bin/llvm-symbolizer}
fi

# The value of libFuzzer's "stat::NAME: VALUE" line, or "?".
stat() {
    local value
    value=$(grep -o "^stat::$1: *[0-9]*" "$2" | tail -n 1 | grep -o '[0-9]*$') || true
    echo "${value:-?}"
}

# The coverage figures of libFuzzer's last status line ("cov: 812 ft: 3012 corp: 123/9Kb").
coverage() {
    local line
    line=$(grep -E '^#[0-9]+[[:space:]].* cov: [0-9]+' "$1" | tail -n 1) || true
    if [[ -z "$line" ]]; then
        echo "cov ?"
        return
    fi
    sed -E 's/.* cov: ([0-9]+) ft: ([0-9]+) corp: ([0-9]+)\/([^ ]+).*/cov \1, ft \2, corpus \3 (\4)/' \
        <<<"$line"
}

passed=0
failed=0
summary=()
for name in "${targets[@]}"; do
    corpus="$work/corpus/$name"
    mkdir -p "$corpus" "$artifacts/$name"
    cp -R "fuzz/corpus/$name/." "$corpus/"
    # Read-only inputs: libFuzzer writes new ones to the first directory only.
    inputs=("$corpus")
    [[ -d "fuzz/regressions/$name" ]] && inputs+=("fuzz/regressions/$name")
    log="$logs/$name.log"
    echo "== fuzz_$name for ${seconds} s (-max_len=${max_len[$name]}; log $log)"
    status=0
    "build-fuzz/fuzz/fuzz_$name" -max_total_time="$seconds" -max_len="${max_len[$name]}" \
        -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 -dict="fuzz/dict/$name.dict" \
        -artifact_prefix="$artifacts/$name/" "${extra[@]}" "${inputs[@]}" >"$log" 2>&1 ||
        status=$?
    executions=$(stat number_of_executed_units "$log")
    rate=$(stat average_exec_per_sec "$log")
    line="fuzz_$name: $executions executions ($rate/s), $(coverage "$log")"
    if [[ $status -eq 0 ]]; then
        passed=$((passed + 1))
        summary+=("$line: passed")
    else
        failed=$((failed + 1))
        reproducer=$(grep -o 'Test unit written to .*' "$log" | tail -n 1 | cut -d' ' -f5-) || true
        # What libFuzzer, the sanitizer or FUZZ_CHECK said, from the first line of the report.
        # A log without such a line (libFuzzer refused its arguments) shows its last lines instead;
        # either way the script goes on to the next target and to the summary.
        first=$(grep -n -m 1 -E '^==[0-9]+==|property does not hold|runtime error|ERROR: libFuzzer' \
            "$log" | cut -d: -f1) || true
        if [[ -n "$first" ]]; then
            tail -n "+$first" "$log" | head -n 60
        else
            tail -n 20 "$log"
        fi
        summary+=("$line: FAILED (exit $status), reproducer: ${reproducer:-none written, see $log}")
        [[ -n "$reproducer" ]] &&
            echo "reproduce: build-fuzz/fuzz/fuzz_$name $reproducer"
    fi
done

echo
printf '%s\n' "${summary[@]}"
echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
