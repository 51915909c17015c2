// TerminalModel, reading its content: cells and lines across the scrollback and the screen, and
// their text for selections, search and /screen. The output side is in terminalmodel.cpp.

#include "terminalmodel.h"

namespace CloudConsole::Terminal {

// --- content ---------------------------------------------------------------------------------

Cell TerminalModel::cellAt(int line, int column) const
{
    if (line < 0 || column < 0)
        return {};
    if (line < m_scrollback.size()) {
        const Line &cells = m_scrollback.line(line);
        return size_t(column) < cells.size() ? cells[size_t(column)] : Cell();
    }
    const int row = line - m_scrollback.size();
    if (row >= m_size.height() || column >= m_size.width())
        return {};
    return screen()[size_t(row)][size_t(column)];
}

void TerminalModel::fetchLine(int line, Line &cells) const
{
    cells.clear();
    if (line < 0 || line >= lineCount())
        return;
    if (line < m_scrollback.size()) {
        cells = m_scrollback.line(line);
        return;
    }
    cells = screen()[size_t(line - m_scrollback.size())];
}

namespace {

void appendCells(QString &out, const Line &cells, int from, int to)
{
    const int start = out.size();
    for (int i = std::max(0, from); i < std::min(to, int(cells.size())); ++i) {
        const Cell &cell = cells[size_t(i)];
        if (cell.width == 0)
            continue; // the right half of a wide character
        if (cell.ch == 0) {
            out += QLatin1Char(' ');
            continue;
        }
        out += QString::fromUcs4(&cell.ch, 1);
        if (cell.combining != 0)
            out += QString::fromUcs4(&cell.combining, 1);
    }
    int end = out.size();
    while (end > start && out.at(end - 1) == QLatin1Char(' '))
        --end;
    out.truncate(end);
}

} // namespace

QString TerminalModel::lineText(int line) const
{
    Line cells;
    fetchLine(line, cells);
    QString text;
    appendCells(text, cells, 0, int(cells.size()));
    return text;
}

QString TerminalModel::text(QPoint from, QPoint to) const
{
    if (std::make_pair(to.y(), to.x()) < std::make_pair(from.y(), from.x()))
        std::swap(from, to);
    QString out;
    Line cells;
    const int last = std::min(to.y(), lineCount() - 1);
    for (int line = std::max(0, from.y()); line <= last; ++line) {
        fetchLine(line, cells);
        const int begin = line == from.y() ? from.x() : 0;
        const int end = line == to.y() ? to.x() : int(cells.size());
        appendCells(out, cells, begin, end);
        if (line != last)
            out += QLatin1Char('\n');
    }
    return out;
}

QString TerminalModel::allText() const
{
    // Trailing empty screen lines are noise in a saved file.
    int last = lineCount() - 1;
    while (last > 0 && lineText(last).isEmpty())
        --last;
    return text({0, 0}, {m_size.width(), last}) + QLatin1Char('\n');
}

} // namespace CloudConsole::Terminal
