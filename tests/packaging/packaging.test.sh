#!/usr/bin/env bash
# Checks what `cmake --install` and `cpack -G DEB` deliver. One check per run, named by the first
# argument; tests/packaging/CMakeLists.txt runs each as a ctest test with these variables:
#   CLOUD_CONSOLE_BUILD_DIR, CLOUD_CONSOLE_SOURCE_DIR, CLOUD_CONSOLE_VERSION,
#   CLOUD_CONSOLE_SERVER (the built binary), CLOUD_CONSOLE_WITH_VIEWER (1 or 0),
#   CMAKE_COMMAND, CPACK_COMMAND
#
#   install         the installed tree: binaries that run, units (checked by systemd-analyze
#                   when there is one), example configuration, man pages, docs
#   man-pages       the installed man pages render without a single groff warning
#   man-options     every flag of `cloud-console --help` is in cloud-console.1, and the OPTIONS
#                   section lists exactly the options of the help
#   example-config  the installed server serves every console of the installed example, then
#                   stops on SIGTERM with status 0
#   deb             `cpack -G DEB` makes a package with the binary, units, man page and example
#
# Exit status 0 passed, 77 skipped (ctest SKIP_RETURN_CODE), anything else failed.
set -euo pipefail

check=${1:?usage: packaging.test.sh install|man-pages|man-options|example-config|deb}
build=${CLOUD_CONSOLE_BUILD_DIR:?}
source_dir=${CLOUD_CONSOLE_SOURCE_DIR:?}
version=${CLOUD_CONSOLE_VERSION:?}
with_viewer=${CLOUD_CONSOLE_WITH_VIEWER:-0}
cmake=${CMAKE_COMMAND:-cmake}
cpack=${CPACK_COMMAND:-cpack}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/cc-packaging.XXXXXX")
server_pid=""
cleanup() {
    if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
        kill -KILL "$server_pid" 2>/dev/null || true
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT

fail() {
    echo "FAIL: $*" >&2
    exit 1
}
skip() {
    echo "SKIP: $*"
    exit 77
}
pass() {
    echo "PASS: $*"
}

# Installs the build into $tmp/root as a package would: prefix /usr, below DESTDIR.
root="$tmp/root"
install_tree() {
    if ! DESTDIR="$root" "$cmake" --install "$build" --prefix /usr >"$tmp/install.log" 2>&1; then
        cat "$tmp/install.log" >&2
        fail "cmake --install $build failed"
    fi
}

# The files an installation must hold, relative to the root.
expected_files() {
    echo usr/bin/cloud-console
    echo usr/lib/systemd/system/cloud-console.service
    echo usr/lib/systemd/system/cloud-console@.service
    echo usr/share/doc/cloud-console/examples/cloud-console.conf
    echo usr/share/man/man1/cloud-console.1.gz
    echo usr/share/doc/cloud-console/README.md
    echo usr/share/doc/cloud-console/docs/config.md
    echo usr/share/doc/cloud-console/docs/deployment.md
    if [[ "$with_viewer" == 1 ]]; then
        echo usr/bin/cloud-console-viewer
        echo usr/share/man/man1/cloud-console-viewer.1.gz
    fi
}

check_install() {
    install_tree
    while read -r file; do
        [[ -f "$root/$file" ]] || fail "cmake --install did not install /$file"
    done < <(expected_files)
    pass "every expected file is installed"

    local got
    got=$("$root/usr/bin/cloud-console" --version) || fail "the installed cloud-console --version failed"
    [[ "$got" == "cloud-console $version" ]] || fail "cloud-console --version said \"$got\""
    pass "the installed server runs: $got"
    if [[ "$with_viewer" == 1 ]]; then
        got=$("$root/usr/bin/cloud-console-viewer" --version) \
            || fail "the installed cloud-console-viewer --version failed"
        [[ "$got" == "cloud-console-viewer $version" ]] \
            || fail "cloud-console-viewer --version said \"$got\""
        pass "the installed viewer runs: $got"
    fi

    # The units name the binary where this installation put it.
    local unit
    for unit in cloud-console.service cloud-console@.service; do
        grep -q '^ExecStart=/usr/bin/cloud-console ' "$root/usr/lib/systemd/system/$unit" \
            || fail "$unit does not start /usr/bin/cloud-console"
    done
    grep -q '^ExecStart=/usr/bin/cloud-console --config /etc/cloud-console/cloud-console.conf$' \
        "$root/usr/lib/systemd/system/cloud-console.service" \
        || fail "cloud-console.service does not read /etc/cloud-console/cloud-console.conf"
    pass "the units start /usr/bin/cloud-console"

    # systemd-analyze verify checks that ExecStart= names an executable on this machine: copies
    # of the units point at the installed one.
    if command -v systemd-analyze >/dev/null; then
        mkdir "$tmp/units"
        for unit in cloud-console.service cloud-console@.service; do
            sed "s|/usr/bin/cloud-console|$root/usr/bin/cloud-console|g" \
                "$root/usr/lib/systemd/system/$unit" >"$tmp/units/$unit"
        done
        if ! systemd-analyze verify --man=no "$tmp/units/cloud-console.service" \
            "$tmp/units/cloud-console@vm1.service" >"$tmp/verify.log" 2>&1; then
            cat "$tmp/verify.log" >&2
            fail "systemd-analyze verify refused the units"
        fi
        [[ ! -s "$tmp/verify.log" ]] || { cat "$tmp/verify.log" >&2; fail "systemd-analyze verify warned"; }
        pass "systemd-analyze verify accepts both units"
    else
        echo "note: systemd-analyze is not installed; the units were not verified"
    fi
}

check_man_pages() {
    command -v groff >/dev/null || fail "groff is missing (Debian package groff-base)"
    install_tree
    local pages=(cloud-console)
    [[ "$with_viewer" == 1 ]] && pages+=(cloud-console-viewer)
    local page file
    for page in "${pages[@]}"; do
        file="$root/usr/share/man/man1/$page.1.gz"
        [[ -f "$file" ]] || fail "$file is not installed"
        gzip -dc "$file" >"$tmp/$page.1"
        if grep -n '@[A-Z_]*@' "$tmp/$page.1"; then
            fail "$page.1 still holds a placeholder"
        fi
        grep -q "^\.TH .*\"cloud-console $version\"" "$tmp/$page.1" \
            || fail "$page.1 does not name version $version in .TH"
        # -ww: every warning; -z: no output, only the diagnostics.
        LC_ALL=C.UTF-8 groff -man -ww -z -Tutf8 "$tmp/$page.1" >"$tmp/groff.log" 2>&1 || true
        if [[ -s "$tmp/groff.log" ]]; then
            cat "$tmp/groff.log" >&2
            fail "groff warns about $page.1"
        fi
        # As man(1) itself shows it (as lintian checks), when man-db is installed.
        if command -v man >/dev/null; then
            LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -E UTF-8 -l "$file" \
                >"$tmp/$page.txt" 2>"$tmp/man.log" || true
            if [[ -s "$tmp/man.log" ]]; then
                cat "$tmp/man.log" >&2
                fail "man --warnings warns about $page.1"
            fi
            grep -q '^NAME' "$tmp/$page.txt" || fail "man -l $page.1 shows no NAME section"
        fi
        pass "$page.1 renders without warnings"
    done
}

# Option names (--long and -s) in the Options: block of the help.
help_options() {
    awk '/^Options:/ { on = 1; next } on && /^[^ ]/ { on = 0 } on' "$1" \
        | grep -oE '^  (-[A-Za-z], )?--[a-z][a-z0-9-]*' \
        | grep -oE -- '--?[A-Za-z][a-z0-9-]*' | sort -u
}

# Option names of the OPTIONS section of the man page: the tag line after each .TP.
man_options() {
    awk '/^\.SH / { on = ($2 == "OPTIONS"); next } on && prev == ".TP" { print } { prev = $0 }' "$1" \
        | sed 's/\\-/-/g' | grep -oE -- '(^|[ "])--?[A-Za-z][a-z0-9-]*' \
        | grep -oE -- '--?[A-Za-z][a-z0-9-]*' | sort -u
}

check_man_options() {
    local server=${CLOUD_CONSOLE_SERVER:?}
    local page="$source_dir/packaging/man/cloud-console.1"
    "$server" --help >"$tmp/help.txt" || fail "$server --help failed"

    # Every --flag the help names, anywhere (usage lines, sources, options), is in the page.
    local flag missing=()
    while read -r flag; do
        grep -qF -- "${flag//-/\\-}" "$page" || missing+=("$flag")
    done < <(grep -oE -- '--[a-z][a-z0-9-]*' "$tmp/help.txt" | sort -u)
    [[ ${#missing[@]} -eq 0 ]] \
        || fail "cloud-console --help names ${missing[*]}, which packaging/man/cloud-console.1 does not"

    # The OPTIONS section lists the options of the help, no more and no fewer.
    help_options "$tmp/help.txt" >"$tmp/help-options"
    man_options "$page" >"$tmp/man-options"
    [[ -s "$tmp/help-options" ]] || fail "found no options in cloud-console --help"
    if ! diff -u --label "cloud-console --help" --label "cloud-console.1 OPTIONS" \
        "$tmp/help-options" "$tmp/man-options"; then
        fail "the OPTIONS of packaging/man/cloud-console.1 and cloud-console --help differ"
    fi
    pass "cloud-console.1 documents the $(wc -l <"$tmp/help-options") options of --help: $(tr '\n' ' ' <"$tmp/help-options")"
}

check_example_config() {
    install_tree
    local example="$root/usr/share/doc/cloud-console/examples/cloud-console.conf"
    # The example logs below /var/log/cloud-console, which the units provide; here the logs go
    # to a directory of the test's own, and nothing else changes.
    mkdir "$tmp/log"
    sed "s|/var/log/cloud-console/|$tmp/log/|g" "$example" >"$tmp/cloud-console.conf"
    local names
    names=$(sed -n 's/^\[console \([^]]*\)\]$/\1/p' "$tmp/cloud-console.conf")
    [[ -n "$names" ]] || fail "the example declares no console"

    "$root/usr/bin/cloud-console" --config "$tmp/cloud-console.conf" --listen 127.0.0.1:0 \
        >"$tmp/out.log" 2>"$tmp/err.log" &
    server_pid=$!
    local count want deadline=$((SECONDS + 30))
    want=$(wc -l <<<"$names")
    while :; do
        count=$(grep -c '^cloud-console: serving console ' "$tmp/out.log" || true)
        [[ "$count" -lt "$want" ]] || break
        if ! kill -0 "$server_pid" 2>/dev/null; then
            cat "$tmp/out.log" "$tmp/err.log" >&2
            fail "the server refused the installed example configuration"
        fi
        [[ $SECONDS -lt $deadline ]] || { cat "$tmp/out.log" "$tmp/err.log" >&2; fail "no \"serving console\" line for every console within 30 s"; }
        sleep 0.1
    done
    local name
    while read -r name; do
        grep -q "^cloud-console: serving console \"$name\" at " "$tmp/out.log" \
            || fail "console \"$name\" of the example is not served"
    done <<<"$names"
    pass "the server serves the $want consoles of the example: $(tr '\n' ' ' <<<"$names")"

    # Its page answers, for the default console and for another one.
    local port
    port=$(sed -n '1s|.* at http://127\.0\.0\.1:\([0-9]*\)/.*|\1|p' "$tmp/out.log")
    [[ -n "$port" ]] || fail "no port in: $(head -1 "$tmp/out.log")"
    local path status
    for path in / "/c/$(tail -1 <<<"$names")/"; do
        # shellcheck disable=SC2016 # $1 and $2 are the inner shell's arguments
        status=$(timeout 10 bash -c '
            exec 3<>"/dev/tcp/127.0.0.1/$1"
            printf "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n" "$2" >&3
            head -1 <&3' _ "$port" "$path") || fail "GET $path failed"
        [[ "$status" == "HTTP/1.1 200"* ]] || fail "GET $path answered \"$status\""
    done
    pass "the pages answer 200"

    # The logs named by the example are open (created at start-up).
    local log
    while read -r log; do
        [[ -f "$log" ]] || fail "the example's log $log was not created"
    done < <(sed -n "s|^log = \($tmp/log/.*\)$|\1|p" "$tmp/cloud-console.conf")

    kill -TERM "$server_pid"
    local status_code=0
    wait "$server_pid" || status_code=$?
    server_pid=""
    if [[ $status_code -ne 0 ]]; then
        cat "$tmp/err.log" >&2
        fail "the server exited with $status_code on SIGTERM, not 0"
    fi
    pass "the server stops on SIGTERM with status 0"
}

check_deb() {
    command -v dpkg-deb >/dev/null || skip "dpkg-deb is missing (this is not a Debian system)"
    [[ -f "$build/CPackConfig.cmake" ]] || fail "$build/CPackConfig.cmake is missing"
    if ! (cd "$build" && "$cpack" -G DEB -B "$tmp/deb" --config "$build/CPackConfig.cmake") \
        >"$tmp/cpack.log" 2>&1; then
        cat "$tmp/cpack.log" >&2
        fail "cpack -G DEB failed"
    fi
    local debs=("$tmp"/deb/*.deb)
    [[ ${#debs[@]} -eq 1 && -f "${debs[0]}" ]] || fail "cpack made no single .deb: ${debs[*]}"
    local deb=${debs[0]}
    [[ "$(basename "$deb")" == "cloud-console_${version}_$(dpkg --print-architecture)".deb ]] \
        || fail "unexpected package file name $(basename "$deb")"

    dpkg-deb -c "$deb" >"$tmp/contents"
    while read -r file; do
        grep -qE " \./$file\$" "$tmp/contents" || { cat "$tmp/contents" >&2; fail "the package lacks /$file"; }
    done < <(expected_files)
    pass "the package holds every expected file ($(grep -c '^-' "$tmp/contents") files)"

    # cpack installs with prefix /usr whatever the build's prefix: the units must say so.
    dpkg-deb -x "$deb" "$tmp/unpacked"
    local unit
    for unit in cloud-console.service cloud-console@.service; do
        grep -q '^ExecStart=/usr/bin/cloud-console ' "$tmp/unpacked/usr/lib/systemd/system/$unit" \
            || fail "the packaged $unit does not start /usr/bin/cloud-console"
    done
    pass "the packaged units start /usr/bin/cloud-console"

    [[ "$(dpkg-deb -f "$deb" Package)" == cloud-console ]] || fail "the package is not named cloud-console"
    [[ "$(dpkg-deb -f "$deb" Section)" == admin ]] || fail "the package's section is not admin"
    [[ -n "$(dpkg-deb -f "$deb" Maintainer)" ]] || fail "the package has no maintainer"
    local depends
    depends=$(dpkg-deb -f "$deb" Depends)
    [[ "$depends" == *libqt6core6* && "$depends" == *libc6* ]] \
        || fail "Depends was not computed from the binaries: \"$depends\""
    pass "control: cloud-console, section admin, Depends: $depends"

    if command -v lintian >/dev/null; then
        echo "lintian (not a pass condition):"
        lintian --tag-display-limit 0 "$deb" 2>&1 | grep -v "^running with root" || true
    fi
}

case "$check" in
install) check_install ;;
man-pages) check_man_pages ;;
man-options) check_man_options ;;
example-config) check_example_config ;;
deb) check_deb ;;
*) fail "unknown check $check" ;;
esac
