#pragma once

// Deterministic console output for the benchmarks and the terminal tests: the same bytes on every
// run. Each is cut at `size` bytes, wherever that falls (inside an escape sequence too).

#include <QByteArray>

namespace Workloads {

// dmesg-like lines with timestamps, subsystems and a few colours.
QByteArray kernelBootLog(qsizetype size);
// ls -lR --color=always: directory headers, permissions, sizes, dates, coloured names.
QByteArray lsRecursive(qsizetype size);
// A colourful top-like screen redrawn in place: cursor home, header, reverse bar, 256 and
// truecolour cells, erase to end of line.
QByteArray topScreen(qsizetype size);
// A full-screen editor: the alternate screen, application cursor keys and keypad, bracketed
// paste, SGR mouse reports, a title, a scroll region over all but the status line, coloured
// text scrolled inside the region, and a status line updated in place.
QByteArray editorSession(qsizetype size);
// An installer's dialog drawn once on a blue screen (box-drawing characters, a shadow, wide and
// combining characters, a title), then only its progress bar and percentage updated in place.
QByteArray installerDialog(qsizetype size);

} // namespace Workloads
