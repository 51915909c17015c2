#pragma once

// difference(a, b): why two terminal models would show different terminals (size, scrollback,
// screens, cells, cursor, title, modes, pen), or an empty string when they show the same one.
// For tests that compare a model fed a snapshot, or a client's view, with one that saw every byte.

#include "terminalmodel.h"

#include <QString>

namespace CloudConsole::Test {

using Terminal::Cell;
using Terminal::Line;
using Terminal::TerminalCursor;
using Terminal::TerminalModel;

inline QString difference(const TerminalModel &a, const TerminalModel &b)
{
    if (a.gridSize() != b.gridSize())
        return QStringLiteral("size");
    if (a.scrollbackLines() != b.scrollbackLines())
        return QStringLiteral("scrollback has %1 lines, not %2")
            .arg(b.scrollbackLines())
            .arg(a.scrollbackLines());
    if (a.isAltScreen() != b.isAltScreen())
        return QStringLiteral("alternate screen");
    if (a.isReverseVideo() != b.isReverseVideo())
        return QStringLiteral("reverse video");
    if (a.title() != b.title())
        return QStringLiteral("title \"%1\", not \"%2\"").arg(b.title(), a.title());
    if (a.modes() != b.modes())
        return QStringLiteral("modes");
    const TerminalCursor ca = a.cursor();
    const TerminalCursor cb = b.cursor();
    if (ca.position != cb.position)
        return QStringLiteral("cursor at %1,%2, not %3,%4")
            .arg(cb.position.x())
            .arg(cb.position.y())
            .arg(ca.position.x())
            .arg(ca.position.y());
    if (ca.visible != cb.visible || ca.shape != cb.shape || ca.blinking != cb.blinking)
        return QStringLiteral("cursor style");
    if (!a.pen().sameStyle(b.pen()))
        return QStringLiteral("pen");
    // Cells: what shows, not how it was written (a space written and a cell never written look
    // the same; DECSCA protection is not part of a snapshot).
    const auto same = [](const Cell &x, const Cell &y) {
        const char32_t cx = x.ch == 0 ? U' ' : x.ch;
        const char32_t cy = y.ch == 0 ? U' ' : y.ch;
        return cx == cy && x.combining == y.combining && x.width == y.width && x.sameStyle(y);
    };
    Line la;
    Line lb;
    for (int line = 0; line < a.lineCount(); ++line) {
        a.fetchLine(line, la);
        b.fetchLine(line, lb);
        const size_t width = std::max(la.size(), lb.size());
        la.resize(width);
        lb.resize(width);
        for (size_t i = 0; i < width; ++i) {
            if (!same(la[i], lb[i]))
                return QStringLiteral("line %1 column %2: \"%3\" where \"%4\" was")
                    .arg(line)
                    .arg(i)
                    .arg(b.lineText(line), a.lineText(line));
        }
    }
    if (a.isAltScreen()) {
        for (size_t row = 0; row < a.primaryScreen().size(); ++row) {
            for (size_t i = 0; i < a.primaryScreen()[row].size(); ++i) {
                if (!same(a.primaryScreen()[row][i], b.primaryScreen()[row][i]))
                    return QStringLiteral("primary screen row %1 column %2").arg(row).arg(i);
            }
        }
    }
    return {};
}

} // namespace CloudConsole::Test
