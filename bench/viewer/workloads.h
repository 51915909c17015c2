#pragma once

// Deterministic console output for the viewer benchmark: the same bytes on every run.

#include <QByteArray>

namespace Workloads {

// dmesg-like lines with timestamps, subsystems and a few colours.
QByteArray kernelBootLog(qsizetype size);
// ls -lR --color=always: directory headers, permissions, sizes, dates, coloured names.
QByteArray lsRecursive(qsizetype size);
// A colourful top-like screen redrawn in place: cursor home, header, reverse bar, 256 and
// truecolour cells, erase to end of line.
QByteArray topScreen(qsizetype size);

} // namespace Workloads
