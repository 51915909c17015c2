#pragma once

// HistoryRing keeps the newest bytes of a console's output in a fixed-size ring.
//
// Every byte ever appended has an absolute offset, counted from 0 when the ring is created.
// The ring keeps the bytes [startOffset(), endOffset()); older ones have been overwritten.
// Clients and the log writer each keep their own cursor (an offset) into the ring, so the data
// is stored once however many readers there are. The ring owns its storage and nothing else.

#include <QByteArray>
#include <QByteArrayView>

#include <memory>

namespace CloudConsole {

class HistoryRing
{
public:
    explicit HistoryRing(qsizetype capacity);

    qsizetype capacity() const { return m_capacity; }
    qint64 startOffset() const { return m_end - size(); }
    qint64 endOffset() const { return m_end; }
    qsizetype size() const { return qsizetype(std::min<qint64>(m_end, m_capacity)); }
    bool contains(qint64 offset) const { return offset >= startOffset() && offset <= m_end; }

    void append(QByteArrayView data);

    // The kept bytes from offset on, at most maxBytes, up to the ring's wrap point: a view into
    // the ring that stays valid until the next append. Empty when offset is not kept.
    QByteArrayView contiguousFrom(qint64 offset, qsizetype maxBytes) const;
    // A copy of the kept bytes [offset, offset + maxBytes), across the wrap point.
    QByteArray copy(qint64 offset, qsizetype maxBytes) const;

private:
    qsizetype m_capacity;
    std::unique_ptr<char[]> m_data;
    qint64 m_end = 0;
};

} // namespace CloudConsole
