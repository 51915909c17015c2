#!/usr/bin/env bash
# Installs what cloud-console needs on Debian 12, from Debian's archive only.
#   scripts/install-deps.sh          to build the server and the viewer
#   scripts/install-deps.sh --test   also what the tests need: a browser, nginx, an X server,
#                                    QEMU and libvirtd (tests/qemu, tests/discovery)
#   scripts/install-deps.sh --fuzz   also clang 14 with libFuzzer and the sanitizers' runtimes
set -euo pipefail

packages=(build-essential cmake ninja-build pkg-config git
          qt6-base-dev qt6-websockets-dev qt6-httpserver-dev qt6-serialport-dev
          libvterm-dev libgl-dev libsystemd-dev libvirt-dev)
# The page is bundled with npm packages; Debian's nodejs and npm do, unless a node is there.
command -v node >/dev/null || packages+=(nodejs)
command -v npm >/dev/null || packages+=(npm)
for flag in "$@"; do
    case "$flag" in
    --test)
        packages+=(chromium nginx-light xvfb xauth xdotool imagemagick
                   fonts-dejavu-core fonts-noto-color-emoji
                   qemu-system-x86 linux-image-amd64 busybox-static cpio groff-base file openssl
                   systemd util-linux asciinema
                   libvirt-daemon-system libvirt-clients)
        ;;
    --fuzz)
        # The fuzz preset (scripts/fuzz.sh): Debian 12's clang is 14; libFuzzer and the ASan
        # and UBSan runtimes are in libclang-rt-14-dev, llvm-symbolizer (stack traces) in llvm-14.
        packages+=(clang-14 libclang-rt-14-dev llvm-14)
        ;;
    *)
        echo "install-deps: unknown option $flag (--test, --fuzz)" >&2
        exit 2
        ;;
    esac
done

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
