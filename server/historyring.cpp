#include "historyring.h"

#include <QtGlobal>

#include <algorithm>
#include <cstring>

namespace CloudConsole {

HistoryRing::HistoryRing(qsizetype capacity)
    : m_capacity(std::max<qsizetype>(capacity, 1)), m_data(new char[size_t(m_capacity)])
{ }

void HistoryRing::append(QByteArrayView data)
{
    // Only the last capacity bytes of a large append can survive; skip the rest but count it.
    const qsizetype keep = std::min(data.size(), m_capacity);
    const char *from = data.data() + (data.size() - keep);
    qint64 offset = m_end + (data.size() - keep);
    qsizetype left = keep;
    while (left > 0) {
        const qsizetype at = qsizetype(offset % m_capacity);
        const qsizetype n = std::min(left, m_capacity - at);
        std::memcpy(m_data.get() + at, from, size_t(n));
        from += n;
        offset += n;
        left -= n;
    }
    m_end += data.size();
}

QByteArrayView HistoryRing::contiguousFrom(qint64 offset, qsizetype maxBytes) const
{
    if (offset < startOffset() || offset >= m_end || maxBytes <= 0)
        return {};
    const qsizetype at = qsizetype(offset % m_capacity);
    const qsizetype n
        = qsizetype(std::min<qint64>({m_end - offset, qint64(m_capacity - at), qint64(maxBytes)}));
    return QByteArrayView(m_data.get() + at, n);
}

QByteArray HistoryRing::copy(qint64 offset, qsizetype maxBytes) const
{
    QByteArray out;
    if (offset < startOffset() || offset >= m_end || maxBytes <= 0)
        return out;
    out.reserve(qsizetype(std::min<qint64>(m_end - offset, maxBytes)));
    while (out.size() < maxBytes) {
        const QByteArrayView part = contiguousFrom(offset, maxBytes - out.size());
        if (part.isEmpty())
            break;
        out.append(part);
        offset += part.size();
    }
    return out;
}

} // namespace CloudConsole
