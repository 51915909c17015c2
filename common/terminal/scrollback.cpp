#include "scrollback.h"

#include <algorithm>

namespace CloudConsole::Terminal {

Scrollback::Scrollback(int capacity) : m_capacity(std::max(0, capacity))
{ }

void Scrollback::setCapacity(int capacity)
{
    m_capacity = std::max(0, capacity);
    while (size() > m_capacity) {
        m_lines.pop_front();
        ++m_dropped;
    }
}

bool Scrollback::push(const Cell *cells, int count)
{
    // The right half of a wide character (width 0) is kept with its left half.
    while (count > 0 && cells[count - 1].width == 1 && cells[count - 1].isBlank())
        --count;
    if (m_capacity == 0) {
        ++m_dropped;
        return true;
    }
    Line line;
    bool dropped = false;
    if (size() >= m_capacity) {
        line = std::move(m_lines.front());
        m_lines.pop_front();
        ++m_dropped;
        dropped = true;
    }
    line.assign(cells, cells + std::max(0, count));
    m_lines.push_back(std::move(line));
    return dropped;
}

Line Scrollback::pop()
{
    if (m_lines.empty())
        return {};
    Line line = std::move(m_lines.back());
    m_lines.pop_back();
    return line;
}

} // namespace CloudConsole::Terminal
