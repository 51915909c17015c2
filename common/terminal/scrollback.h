#pragma once

// Scrollback keeps the lines that scrolled off the top of the primary screen, oldest first.
//
// It is bounded: pushing beyond the capacity drops the oldest line. Lines are stored without
// their trailing blank cells, so a mostly empty 200-column line costs a few cells. It knows
// nothing about libvterm; the model converts to and from libvterm's cells.

#include "terminalcell.h"

#include <deque>

namespace CloudConsole::Terminal {

class Scrollback
{
public:
    explicit Scrollback(int capacity = 10'000);

    int capacity() const { return m_capacity; }
    // Shrinking drops the oldest lines.
    void setCapacity(int capacity);

    int size() const { return int(m_lines.size()); }
    bool isEmpty() const { return m_lines.empty(); }
    // Line 0 is the oldest.
    const Line &line(int index) const { return m_lines[size_t(index)]; }

    // Copies a screen line without its blank tail. Returns true if the oldest line was dropped
    // to make room; its storage is reused for the new line, so a full scrollback does not
    // allocate per line.
    bool push(const Cell *cells, int count);
    // Removes and returns the newest line (libvterm pulls lines back when the screen grows).
    Line pop();
    void clear() { m_lines.clear(); }

    // Lines dropped because the capacity was reached, since construction; the view uses it to
    // keep a scrolled-back position steady while output arrives.
    qint64 droppedCount() const { return m_dropped; }

private:
    std::deque<Line> m_lines;
    int m_capacity;
    qint64 m_dropped = 0;
};

} // namespace CloudConsole::Terminal
