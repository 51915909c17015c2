// TerminalModel, its grid: lines pushed to the scrollback, rows scrolled and erased as libvterm
// asks, and resizing (libvterm 0.1.4 does not reflow). The output side is in terminalmodel.cpp.

#include "terminalmodel.h"

#include <algorithm>

namespace CloudConsole::Terminal {

QSize TerminalModel::boundedSize(QSize size)
{
    // libvterm needs at least one cell; the protocol allows at most 1000 x 1000.
    return {std::clamp(size.width(), 1, 1000), std::clamp(size.height(), 1, 1000)};
}

void TerminalModel::pushLine(const Line &row)
{
    m_scrollback.push(row.data(), int(row.size()));
    ++m_linesScrolledOff;
    m_scrollbackDirty = true;
}

void TerminalModel::scrollRows(Screen &rows, int top, int bottom, int count)
{
    const int height = bottom - top;
    const int moved = std::min(std::abs(count), height);
    if (count > 0 && top == 0 && &rows == &m_primary) {
        for (int i = 0; i < moved; ++i)
            pushLine(rows[size_t(i)]);
    }
    const auto begin = rows.begin() + top;
    const auto end = rows.begin() + bottom;
    // Rows are vectors: rotating them moves pointers, not cells.
    if (count > 0)
        std::rotate(begin, begin + moved, end);
    else
        std::rotate(begin, end - moved, end);
    const Cell blank = blankCell();
    const int firstVacated = count > 0 ? bottom - moved : top;
    for (int i = firstVacated; i < firstVacated + moved; ++i)
        std::fill(rows[size_t(i)].begin(), rows[size_t(i)].end(), blank);
}

int TerminalModel::onScrollRect(const VTermRect &rect, int downward, int rightward)
{
    Screen &rows = screen();
    const int columns = m_size.width();
    const int top = std::clamp(rect.start_row, 0, int(rows.size()));
    const int bottom = std::clamp(rect.end_row, top, int(rows.size()));
    const int left = std::clamp(rect.start_col, 0, columns);
    const int right = std::clamp(rect.end_col, left, columns);
    if (top == bottom || left == right)
        return 1;
    damage(top, left, bottom - 1, right - 1);

    if (rightward == 0 && left == 0 && right == columns) {
        scrollRows(rows, top, bottom, downward);
        return 1;
    }
    // Part of the width (insert or delete characters, scrolling inside left/right margins):
    // move the cells themselves.
    const int height = bottom - top;
    const int width = right - left;
    const Cell blank = blankCell();
    if (std::abs(downward) >= height || std::abs(rightward) >= width) {
        for (int y = top; y < bottom; ++y)
            std::fill(rows[size_t(y)].begin() + left, rows[size_t(y)].begin() + right, blank);
        return 1;
    }
    std::vector<Cell> area;
    area.reserve(size_t(height * width));
    for (int y = top; y < bottom; ++y)
        area.insert(area.end(), rows[size_t(y)].begin() + left, rows[size_t(y)].begin() + right);
    for (int y = 0; y < height; ++y) {
        const int fromY = y + downward;
        for (int x = 0; x < width; ++x) {
            const int fromX = x + rightward;
            const bool inside = fromY >= 0 && fromY < height && fromX >= 0 && fromX < width;
            rows[size_t(top + y)][size_t(left + x)]
                = inside ? area[size_t(fromY * width + fromX)] : blank;
        }
    }
    return 1;
}

int TerminalModel::onErase(const VTermRect &rect, bool selective)
{
    Screen &rows = screen();
    const int top = std::clamp(rect.start_row, 0, int(rows.size()));
    const int bottom = std::clamp(rect.end_row, top, int(rows.size()));
    const int left = std::clamp(rect.start_col, 0, m_size.width());
    const int right = std::clamp(rect.end_col, left, m_size.width());
    if (top == bottom || left == right)
        return 1;
    const Cell blank = blankCell();
    for (int y = top; y < bottom; ++y) {
        Line &row = rows[size_t(y)];
        for (int x = left; x < right; ++x) {
            if (!selective || !row[size_t(x)].has(Cell::Protected))
                row[size_t(x)] = blank;
        }
    }
    damage(top, left, bottom - 1, right - 1);
    if (!selective && top == 0 && left == 0 && bottom == m_size.height() && right == m_size.width())
        ++m_screenErases;
    return 1;
}

int TerminalModel::onResize(int rows, int columns, VTermPos &delta)
{
    const int oldRows = int(m_primary.size());
    // Fewer rows on the primary screen: the rows above the cursor that no longer fit go to
    // the scrollback, blank rows below the cursor are simply dropped.
    if (!m_altScreen && rows < oldRows) {
        VTermPos cursor;
        vterm_state_get_cursorpos(m_state, &cursor);
        int row = oldRows - 1;
        for (; row >= rows; --row) {
            const Line &cells = m_primary[size_t(row)];
            const bool empty = std::all_of(cells.begin(), cells.end(),
                                           [](const Cell &cell) { return cell.ch == 0; });
            if (!empty || row == cursor.row)
                break;
        }
        const int firstBlank = row + 1;
        if (firstBlank > rows) {
            scrollRows(m_primary, 0, oldRows, firstBlank - rows);
            delta.row -= firstBlank - rows;
        }
    }

    const Cell blank = blankCell();
    for (Screen *buffer : {&m_primary, &m_alternate}) {
        buffer->resize(size_t(rows), Line(size_t(columns), blank));
        for (Line &line : *buffer)
            line.resize(size_t(columns), blank);
    }

    // More rows on the primary screen: pull lines back from the scrollback above the content.
    if (!m_altScreen) {
        for (int added = rows - oldRows; added > 0 && !m_scrollback.isEmpty(); --added) {
            std::rotate(m_primary.begin(), m_primary.end() - 1, m_primary.end());
            Line line = m_scrollback.pop();
            line.resize(size_t(columns), Cell());
            m_primary.front() = std::move(line);
            --m_linesScrolledOff;
            m_scrollbackDirty = true;
            ++delta.row;
        }
    }
    damage(0, 0, rows - 1, columns - 1);
    return 1;
}

// --- geometry --------------------------------------------------------------------------------

void TerminalModel::resize(QSize gridSize)
{
    gridSize = boundedSize(gridSize);
    if (gridSize == m_size)
        return;
    m_size = gridSize;
    vterm_set_size(m_vterm.get(), gridSize.height(), gridSize.width());
    damage(0, 0, m_size.height() - 1, m_size.width() - 1);
    m_cursorDirty = true;
    flushSignals();
    Q_EMIT gridSizeChanged(m_size);
}

void TerminalModel::setScrollbackCapacity(int lines)
{
    m_scrollback.setCapacity(lines);
    Q_EMIT scrollbackChanged();
}

} // namespace CloudConsole::Terminal
