#include "workloads.h"

#include <QRandomGenerator>

namespace Workloads {

namespace {

const char *const Subsystems[] = {"ACPI",       "PCI",
                                  "usb 1-1",    "EXT4-fs (vda1)",
                                  "virtio_net", "systemd[1]",
                                  "audit",      "NET",
                                  "random",     "clocksource",
                                  "e1000",      "scsi host0",
                                  "ata1",       "xhci_hcd 0000:00:14.0"};
const char *const Messages[] = {
    "Core revision 20220331",
    "PCI Interrupt Link [LNKA] (IRQs 5 *10 11)",
    "new high-speed USB device number 2 using xhci_hcd",
    "mounted filesystem with ordered data mode. Quota mode: none.",
    "Started Journal Service.",
    "Registered protocol family 17",
    "crng init done",
    "Switched to clocksource tsc",
    "link becomes ready",
    "\x1b[1;31mFailed to start Load Kernel Modules.\x1b[0m",
    "\x1b[0;32m  OK  \x1b[0m] Reached target Local File Systems.",
    "SATA link up 6.0 Gbps (SStatus 133 SControl 300)",
};
const char *const Names[] = {"lib",        "bin",         "share",
                             "include",    "libc.so.6",   "python3.11",
                             "README.md",  "config.json", "vmlinuz-6.1.0-18-amd64",
                             "ssl",        "locale",      "zoneinfo",
                             "initrd.img", "systemd",     "日本語.txt"};

} // namespace

QByteArray kernelBootLog(qsizetype size)
{
    QRandomGenerator random(1001);
    QByteArray out;
    out.reserve(size + 256);
    double seconds = 0;
    while (out.size() < size) {
        seconds += random.bounded(0.05);
        out += "[" + QByteArray::number(seconds, 'f', 6).rightJustified(12, ' ') + "] ";
        out += Subsystems[random.bounded(int(std::size(Subsystems)))];
        out += ": ";
        out += Messages[random.bounded(int(std::size(Messages)))];
        out += "\r\n";
    }
    out.truncate(size);
    return out;
}

QByteArray lsRecursive(qsizetype size)
{
    QRandomGenerator random(2002);
    QByteArray out;
    out.reserve(size + 256);
    int directory = 0;
    while (out.size() < size) {
        out += "\r\n./usr/share/dir" + QByteArray::number(directory++) + ":\r\ntotal "
            + QByteArray::number(random.bounded(10000)) + "\r\n";
        const int entries = 5 + random.bounded(30);
        for (int i = 0; i < entries; ++i) {
            const bool isDirectory = random.bounded(4) == 0;
            out += isDirectory ? "drwxr-xr-x" : "-rw-r--r--";
            out += "  " + QByteArray::number(1 + random.bounded(9)) + " root root ";
            out += QByteArray::number(random.bounded(10'000'000)).rightJustified(9, ' ');
            out += " Jan " + QByteArray::number(1 + random.bounded(28)).rightJustified(2, ' ')
                + " 12:" + QByteArray::number(random.bounded(60)).rightJustified(2, '0') + " ";
            const QByteArray name = Names[random.bounded(int(std::size(Names)))];
            out += isDirectory ? "\x1b[01;34m" + name + "\x1b[0m" : name;
            out += "\r\n";
        }
    }
    out.truncate(size);
    return out;
}

QByteArray topScreen(qsizetype size)
{
    QRandomGenerator random(3003);
    QByteArray out;
    out.reserve(size + 4096);
    int frame = 0;
    while (out.size() < size) {
        out += "\x1b[H\x1b[1mtop - 12:" + QByteArray::number(frame % 60).rightJustified(2, '0')
            + ":00 up 3 days,  load average: 0." + QByteArray::number(random.bounded(100))
            + "\x1b[m\x1b[K\r\n";
        out += "Tasks: \x1b[1m" + QByteArray::number(200 + random.bounded(50))
            + "\x1b[m total, \x1b[1;32m1\x1b[m running\x1b[K\r\n";
        out += "\x1b[K\r\n\x1b[7m    PID USER      PR  NI    VIRT    RES  %CPU %MEM COMMAND"
               "                 \x1b[m\x1b[K\r\n";
        for (int row = 0; row < 19; ++row) {
            const int cpu = random.bounded(1000);
            out += cpu > 800 ? "\x1b[1;38;5;196m"
                : cpu > 400  ? "\x1b[38;5;214m"
                             : "\x1b[38;2;120;200;120m";
            out += QByteArray::number(1000 + random.bounded(90000)).rightJustified(7, ' ');
            out += " root      20   0 "
                + QByteArray::number(random.bounded(9'999'999)).rightJustified(7, ' ');
            out += " " + QByteArray::number(random.bounded(999'999)).rightJustified(6, ' ');
            out += "  " + QByteArray::number(cpu / 10.0, 'f', 1).rightJustified(4, ' ');
            out += "  "
                + QByteArray::number(random.bounded(100) / 10.0, 'f', 1).rightJustified(3, ' ');
            out += " \x1b[48;5;" + QByteArray::number(17 + row) + "m";
            out += Names[random.bounded(int(std::size(Names)))];
            out += "\x1b[m\x1b[K\r\n";
        }
        ++frame;
    }
    out.truncate(size);
    return out;
}

} // namespace Workloads
