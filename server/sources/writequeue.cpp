#include "writequeue.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace CloudConsole {

qsizetype WriteQueue::push(QByteArrayView data)
{
    const qsizetype taken = m_bound.admit(data.size(), queuedBytes());
    if (taken > 0)
        m_bytes.append(data.first(taken));
    return taken;
}

WriteQueue::Flush WriteQueue::flushTo(int fd)
{
    Flush result = Flush::Drained;
    while (m_sent < m_bytes.size()) {
        const ssize_t n
            = ::write(fd, m_bytes.constData() + m_sent, size_t(m_bytes.size() - m_sent));
        if (n > 0) {
            m_sent += n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            result = Flush::Blocked;
            break;
        }
        // write(2) returns 0 only for a count of 0, which the loop never asks for.
        m_error = QString::fromLocal8Bit(std::strerror(errno));
        return Flush::Failed;
    }
    // Written bytes are dropped from the front once they are half the bound, not on every
    // partial write: a slow reader would otherwise cost a copy of the queue per write.
    if (m_sent == m_bytes.size()) {
        m_bytes.clear();
        m_sent = 0;
    } else if (m_sent > m_bound.limit() / 2) {
        m_bytes.remove(0, m_sent);
        m_sent = 0;
    }
    return result;
}

void WriteQueue::clear()
{
    m_bytes.clear();
    m_sent = 0;
    m_bound.reset();
}

} // namespace CloudConsole
