#!/bin/sh
# What a person sees of the console's size in cloud-console-viewer, under Xvfb against the real
# server (one PNG each, in ${OUT:-/tmp}):
#   viewer-wrapped-fullscreen.png  a viewer that attaches after the history (64K) wrapped under
#                                  vim: the server's screen gives the tab line, the status line,
#                                  the title and the alternate screen, in an 80x24 console shown
#                                  in a larger window
#   viewer-80x24-larger-window.png the colour demo on an 80x24 console in a larger window
#   viewer-console-larger.png      a 132x43 console in a smaller window (scroll bars)
#   viewer-operator-fits.png       an operator's window on an --exec console: the console takes
#                                  the window's size
# The first three watch with a read-only token: such a viewer cannot resize the console, as on
# a serial console. Needs xvfb, xdotool, imagemagick, vim, fonts-dejavu-core.
# Usage: BUILD=build bench/viewer/screenshot-console-size.sh
set -e
B=${BUILD:-build}
OUT=${OUT:-/tmp}
HERE=$(cd "$(dirname "$0")" && pwd)
WORK=$(mktemp -d)
trap 'kill $XVFB 2>/dev/null; rm -rf "$WORK"' EXIT
export DISPLAY=:78
Xvfb :78 -screen 0 940x640x24 -nolisten tcp >"$WORK/xvfb.log" 2>&1 &
XVFB=$!
sleep 1

$B/server/cloud-console --new-token >"$WORK/token"
sed -n 's/^token: //p' "$WORK/token" >"$WORK/token.txt"
HASH=$(sed -n 2p "$WORK/token")

# shot NAME CONFIG [VIEWER_ARGS...]: a server with CONFIG (on any free port), a viewer window
# over the whole screen, a screenshot once both have settled.
shot() {
    name=$1
    config=$2
    shift 2
    printf '%s\n' "$config" >"$WORK/$name.conf"
    $B/server/cloud-console --config "$WORK/$name.conf" --listen 127.0.0.1:0 --no-markers \
        >"$WORK/$name.server.out" 2>"$WORK/$name.server.err" &
    server=$!
    sleep 3 # vim scrolls its file a few hundred times meanwhile
    port=$(sed -n 's/.*127.0.0.1:\([0-9]*\)\/.*/\1/p' "$WORK/$name.server.out" | head -1)
    XDG_CONFIG_HOME="$WORK/config" $B/viewer/cloud-console-viewer -geometry 940x640+0+0 "$@" \
        ws://127.0.0.1:$port/c/vm1/ws >"$WORK/$name.viewer.log" 2>&1 &
    viewer=$!
    sleep 3
    import -window root "$OUT/viewer-$name.png"
    kill $viewer $server
    wait $viewer $server 2>/dev/null || true
}

readonly_token="[token shot]
$HASH
role = viewer"

# vim on this file, 300 full redraws (about 600 KB through a 64 KB history), then still.
VIM="vim -u NONE -N -i NONE -n -c 'syntax on' \
 -c 'set title titlestring=vim:\\ terminalview.cpp showtabline=2 laststatus=2 ruler number' \
 -c 'for i in range(300) | exe \"normal \" . (i % 2 ? \"G\" : \"gg\") | redraw | endfor' \
 -c 'normal 120Gzz' $HERE/../../viewer/terminalview.cpp"

shot wrapped-fullscreen "[console vm1]
source = exec:$VIM
history-size = 64K
$readonly_token" --token-file "$WORK/token.txt"

shot 80x24-larger-window "[console vm1]
source = exec:sh $HERE/screenshot-demo.sh; exec sleep 1000
$readonly_token" --token-file "$WORK/token.txt"

shot console-larger "[console vm1]
source = exec:sh $HERE/screenshot-demo.sh; seq 1 60 | sed 's/^/scrollback line /'; sh $HERE/screenshot-demo.sh; exec sleep 1000
size = 132x43
$readonly_token" --token-file "$WORK/token.txt"

shot operator-fits "[console vm1]
source = exec:sh $HERE/screenshot-demo.sh; PS1='root@vm1:~# ' exec sh -i"
