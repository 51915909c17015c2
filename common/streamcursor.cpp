#include "streamcursor.h"

#include <algorithm>

namespace CloudConsole {

std::optional<qint64> StreamCursor::resumeOffset() const
{
    if (!m_started)
        return std::nullopt;
    return m_position;
}

StreamCursor::HelloResult StreamCursor::acceptHello(const Protocol::Hello &hello)
{
    HelloResult result;
    m_next = hello.offset;
    if (!m_started || hello.epoch != m_epoch) {
        // A first connection, or a server whose offsets start again: nothing to compare with.
        result.restarted = m_started;
        m_started = true;
        m_epoch = hello.epoch;
        m_position = hello.offset;
        return result;
    }
    if (hello.offset > m_position) {
        result.skipped = hello.offset - m_position;
        m_position = hello.offset;
    }
    return result;
}

qint64 StreamCursor::acceptGap(const Protocol::Gap &gap)
{
    // The server sends a gap when this client fell behind the history; the next frame starts at
    // gap.to.
    m_next = std::max(m_next, gap.to);
    const qint64 skipped = std::max<qint64>(0, gap.to - std::max(gap.from, m_position));
    m_position = std::max(m_position, gap.to);
    return skipped;
}

void StreamCursor::acceptScreen(const Protocol::Screen &screen)
{
    m_next = screen.offset;
    m_position = screen.offset;
}

QByteArrayView StreamCursor::acceptData(QByteArrayView frame)
{
    const qint64 start = m_next;
    m_next += frame.size();
    if (m_next <= m_position)
        return {};
    const qint64 alreadySeen = std::max<qint64>(0, m_position - start);
    m_position = m_next;
    return frame.sliced(alreadySeen);
}

} // namespace CloudConsole
