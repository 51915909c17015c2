#!/usr/bin/env bash
# Installs what cloud-console needs on Debian 12, from Debian's archive only.
#   scripts/install-deps.sh          to build the server and the viewer
#   scripts/install-deps.sh --test   also what the tests need: a browser, nginx, an X server
set -euo pipefail

packages=(build-essential cmake ninja-build pkg-config git
          qt6-base-dev qt6-websockets-dev qt6-httpserver-dev qt6-serialport-dev
          libvterm-dev libgl-dev)
# The page is bundled with npm packages; Debian's nodejs and npm do, unless a node is there.
command -v node >/dev/null || packages+=(nodejs)
command -v npm >/dev/null || packages+=(npm)
if [[ "${1:-}" == --test ]]; then
    packages+=(chromium nginx-light xvfb xauth xdotool imagemagick
               fonts-dejavu-core fonts-noto-color-emoji
               qemu-system-x86 linux-image-amd64 busybox-static cpio groff-base file openssl)
fi

missing=()
for package in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' \
        || missing+=("$package")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

sudo=""
[[ $(id -u) -eq 0 ]] || sudo="sudo"
echo "install-deps: installing ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
