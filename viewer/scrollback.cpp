#include "scrollback.h"

#include <algorithm>

namespace CloudConsole::Viewer {

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

bool Scrollback::push(Line line)
{
    if (m_capacity == 0) {
        ++m_dropped;
        return true;
    }
    while (!line.empty() && line.back().isBlank())
        line.pop_back();
    bool dropped = false;
    if (size() >= m_capacity) {
        m_lines.pop_front();
        ++m_dropped;
        dropped = true;
    }
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

} // namespace CloudConsole::Viewer
