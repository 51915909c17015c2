#!/bin/sh
# docs/images/viewer.png: cloud-console-viewer under Xvfb against the real server (--exec demo).
# Needs xvfb, xdotool, imagemagick, fonts-dejavu-core, fonts-noto-color-emoji, fonts-droid-fallback.
# Usage: BUILD=build bench/viewer/screenshot.sh  (writes ${TMPDIR:-/tmp}/viewer-shot-viewer.png)
set -e
B=${BUILD:-build}
export DISPLAY=:77
Xvfb :77 -screen 0 940x640x24 -nolisten tcp >${TMPDIR:-/tmp}/viewer-shot-xvfb.log 2>&1 &
XVFB=$!
sleep 1
$B/server/cloud-console --name vm1 --listen 127.0.0.1:0 --exec "sh $(dirname "$0")/screenshot-demo.sh; PS1='root@vm1:~# ' exec sh -i" > ${TMPDIR:-/tmp}/viewer-shot-server.out 2>${TMPDIR:-/tmp}/viewer-shot-server.err &
SERVER=$!
sleep 1
PORT=$(sed -n 's/.*127.0.0.1:\([0-9]*\)\/.*/\1/p' ${TMPDIR:-/tmp}/viewer-shot-server.out)
XDG_CONFIG_HOME=${TMPDIR:-/tmp}/viewer-shot-config $B/viewer/cloud-console-viewer -geometry 940x640+0+0 ws://127.0.0.1:$PORT/c/vm1/ws > ${TMPDIR:-/tmp}/viewer-shot-viewer.log 2>&1 &
VIEWER=$!
sleep 3
WID=$(xdotool search --pid $VIEWER | tail -1)
xdotool windowactivate --sync $WID 2>/dev/null || xdotool windowfocus $WID || true
xdotool type --delay 40 'uname -sr'
xdotool key Return
sleep 1
import -window root ${TMPDIR:-/tmp}/viewer-shot-viewer.png
kill $VIEWER $SERVER $XVFB
