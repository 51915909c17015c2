#!/bin/sh
# Builds the guest's initramfs for the QEMU tests: busybox-static as the whole userland, and an
# /init that says it is ready and then runs a shell on the serial console (ttyS0), so that a
# command typed into the console is answered.
#
#   make-initramfs.sh OUTDIR      writes OUTDIR/initramfs.cpio.gz (a gzip'd newc cpio)
#
# BUSYBOX names a statically linked busybox to use instead of /bin/busybox. Needs cpio and gzip.
# No device nodes are made (that needs root): /init mounts devtmpfs and opens ttyS0 itself.
set -eu

if [ $# -ne 1 ]; then
    echo "usage: $0 OUTDIR" >&2
    exit 2
fi
out=$1
busybox=${BUSYBOX:-/bin/busybox}

[ -x "$busybox" ] || { echo "$0: $busybox: no busybox there (install busybox-static)" >&2; exit 1; }
# A dynamically linked busybox would need its libraries in the guest.
if head -c 4096 "$busybox" | grep -qa 'ld-linux'; then
    echo "$0: $busybox is not statically linked (install busybox-static)" >&2
    exit 1
fi
command -v cpio >/dev/null || { echo "$0: cpio is missing (install cpio)" >&2; exit 1; }
command -v gzip >/dev/null || { echo "$0: gzip is missing" >&2; exit 1; }

mkdir -p "$out"
root=$(mktemp -d "$out/initramfs-root.XXXXXX")
trap 'rm -rf "$root"' EXIT

mkdir -p "$root/bin" "$root/sbin" "$root/dev" "$root/proc" "$root/sys" "$root/tmp" "$root/root"
cp "$busybox" "$root/bin/busybox"

cat >"$root/init" <<'INIT'
#!/bin/busybox sh
# PID 1 of the test guest. This initramfs has no /dev/console, so the kernel may start it with
# no standard streams: they go to ttyS0 explicitly once devtmpfs is there.
/bin/busybox mount -t devtmpfs devtmpfs /dev
/bin/busybox mount -t proc proc /proc
/bin/busybox mount -t sysfs sysfs /sys
exec </dev/ttyS0 >/dev/ttyS0 2>&1
/bin/busybox --install -s /bin
export PATH=/bin:/sbin HOME=/root PS1='guest# '
cd /root
# The marker and the prompt are what QemuGuest::ReadyMarker and QemuGuest::Prompt expect.
echo "cloud-console-guest: ready ($(uname -r))"
# A session of its own with ttyS0 as the controlling terminal, so the line discipline echoes
# and ^C works. If the shell ends, init ends and the kernel panics; panic=-1 and QEMU's
# -no-reboot then end QEMU.
exec /bin/busybox setsid /bin/busybox cttyhack /bin/busybox sh
INIT
chmod 755 "$root/init"

(cd "$root" && find . -print | LC_ALL=C sort | cpio --quiet -o -H newc -R 0:0) \
    | gzip -1 >"$out/initramfs.cpio.gz.part"
mv "$out/initramfs.cpio.gz.part" "$out/initramfs.cpio.gz"
