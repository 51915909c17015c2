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

QByteArray editorSession(qsizetype size)
{
    QRandomGenerator random(4004);
    QByteArray out = "\x1b[?1049h\x1b[22;0;0t\x1b[?1h\x1b=\x1b[?2004h\x1b[?1000h\x1b[?1006h"
                     "\x1b]2;main.c (~/src) - VIM\x07\x1b[H\x1b[2J\x1b[1;23r";
    static const char *const code[] = {
        "\x1b[38;5;130m#include\x1b[m \x1b[38;5;161m<stdio.h>\x1b[m",
        "\x1b[38;5;28mint\x1b[m main(\x1b[38;5;28mvoid\x1b[m)",
        "{",
        "    \x1b[38;5;130mprintf\x1b[m(\x1b[38;5;161m\"héllo, wörld\\n\"\x1b[m);",
        "    \x1b[1;34m/* 日本語のコメント */\x1b[m",
        "    \x1b[38;5;28mreturn\x1b[m \x1b[38;5;161m0\x1b[m;",
        "}",
        "\x1b[94m~\x1b[m",
    };
    int line = 0;
    while (out.size() < size) {
        // Scroll the region by one and write the new bottom line, as j past the screen does.
        out += "\x1b[23;1H\n\x1b[23;1H\x1b[K";
        out += QByteArray::number(++line).rightJustified(4, ' ') + ' ';
        out += code[random.bounded(int(std::size(code)))];
        // Now and then a line in the middle changes, with the cursor moved there and back.
        if (random.bounded(3) == 0) {
            out += "\x1b[" + QByteArray::number(2 + random.bounded(20)) + ";6H\x1b[K";
            out += "\x1b[48;2;40;40;60m" + QByteArray(random.bounded(40), 'x') + "\x1b[m";
        }
        out += "\x1b[24;1H\x1b[7m\"main.c\" " + QByteArray::number(line) + "L, "
            + QByteArray::number(line * 23) + "B\x1b[m\x1b[K\x1b[24;60H" + QByteArray::number(line)
            + ",1\x1b[K\x1b[" + QByteArray::number(1 + line % 23) + ";6H";
    }
    out.truncate(size);
    return out;
}

QByteArray installerDialog(qsizetype size)
{
    QByteArray out = "\x1b]0;Debian GNU/Linux installer\x07\x1b[?25l\x1b[44m\x1b[2J";
    // A box from row 6 to 16, columns 10 to 70, with a black shadow.
    const auto at = [](int row, int column) {
        return "\x1b[" + QByteArray::number(row) + ';' + QByteArray::number(column) + 'H';
    };
    out += "\x1b[47;30m" + at(6, 10) + "┌";
    for (int i = 0; i < 59; ++i)
        out += "─";
    out += "┐";
    for (int row = 7; row < 16; ++row) {
        out += at(row, 10) + "│" + QByteArray(59, ' ') + "│\x1b[40m  \x1b[47;30m";
    }
    out += at(16, 10) + "└";
    for (int i = 0; i < 59; ++i)
        out += "─";
    out += "┘\x1b[40m  ";
    out += at(17, 12) + "\x1b[40m" + QByteArray(61, ' ');
    out += "\x1b[47;31m" + at(6, 30) + "[!!] Installing the base system";
    out += "\x1b[47;30m" + at(8, 13) + "Unpacking: libc6, café, naïve (e\xcc\x81) 日本語";
    QRandomGenerator random(5005);
    int percent = 0;
    while (out.size() < size) {
        percent = (percent + 1 + random.bounded(3)) % 101;
        const int filled = percent * 50 / 100;
        out += at(11, 15) + "\x1b[41m" + QByteArray(filled, ' ') + "\x1b[47m"
            + QByteArray(50 - filled, ' ') + "\x1b[30m" + at(13, 38)
            + QByteArray::number(percent).rightJustified(3, ' ') + "%";
        out += at(14, 13) + "\x1b[K";
    }
    out.truncate(size);
    return out;
}

} // namespace Workloads
