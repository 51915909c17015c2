#pragma once

// The one flow-control contract for a source's input, whatever carries it.
//
// At most WriteQueueLimit bytes of input wait to go out. A source's write() takes what fits and
// says how much; a writer that was refused (given less than it offered) hears writable() once,
// when the queue has drained to half the limit, so it resumes with room for a real chunk and
// not one byte at a time. writable() is reported from the event loop only, never from inside
// write(): the caller of write() is in the middle of its own bookkeeping.
//
// Backpressure is that rule alone, for sources whose bytes wait in a Qt device's buffer
// (QSerialPort, QLocalSocket, QTcpSocket): the caller says how much is queued there. WriteQueue
// holds the bytes itself, for a non-blocking descriptor (a pty end), and writes them out with
// partial writes, EINTR and EAGAIN handled. Neither knows what is at the other end.

#include <QByteArray>
#include <QByteArrayView>
#include <QString>

#include <algorithm>

namespace CloudConsole {

// The input bound of every source, and the most output one read burst reports at once.
inline constexpr qsizetype WriteQueueLimit = 64 * 1024;
inline constexpr qsizetype MaxReadBurst = 64 * 1024;

class Backpressure
{
public:
    explicit Backpressure(qsizetype limit = WriteQueueLimit) : m_limit(limit) { }

    qsizetype limit() const { return m_limit; }
    // The queue size at or below which a refused writer hears that there is room again.
    qsizetype resumeThreshold() const { return m_limit / 2; }
    qsizetype room(qsizetype queued) const { return std::max<qsizetype>(0, m_limit - queued); }

    // Of `offered` bytes, how many fit beside `queued`; a shortfall is remembered as a refusal.
    qsizetype admit(qsizetype offered, qsizetype queued)
    {
        const qsizetype taken = std::min(offered, room(queued));
        if (taken < offered)
            m_refused = true;
        return taken;
    }
    // For a caller that measures what fits itself (the telnet encoder counts escapes).
    void noteRefusal() { m_refused = true; }
    bool hasRefused() const { return m_refused; }

    // True once per refusal, when `queued` has drained to the resume threshold.
    bool takeRoomAgain(qsizetype queued)
    {
        if (!m_refused || queued > resumeThreshold())
            return false;
        m_refused = false;
        return true;
    }
    // A new connection or device: nobody waits for room in it.
    void reset() { m_refused = false; }

private:
    qsizetype m_limit;
    bool m_refused = false;
};

class WriteQueue
{
public:
    enum class Flush {
        Drained, // nothing is left
        Blocked, // the descriptor is full (EAGAIN): wait until it is writable
        Failed, // a write failed; error() says why
    };

    explicit WriteQueue(qsizetype limit = WriteQueueLimit) : m_bound(limit) { }

    // Queues as much of data as fits and returns how many bytes were taken.
    qsizetype push(QByteArrayView data);
    // Writes what the descriptor takes now, without blocking.
    Flush flushTo(int fd);
    // True once per refusal, when the queue has drained to half the limit.
    bool takeRoomAgain() { return m_bound.takeRoomAgain(queuedBytes()); }
    // Whether the owner needs to hear that the descriptor is writable: bytes wait, or a refused
    // writer waits to hear that there is room.
    bool wantsWritable() const { return queuedBytes() > 0 || m_bound.hasRefused(); }

    qsizetype limit() const { return m_bound.limit(); }
    qsizetype queuedBytes() const { return m_bytes.size() - m_sent; }
    qsizetype freeBytes() const { return m_bound.room(queuedBytes()); }
    // The errno text of the write that failed.
    QString error() const { return m_error; }
    // Drops what is queued and forgets a refusal.
    void clear();

private:
    Backpressure m_bound;
    QByteArray m_bytes;
    qsizetype m_sent = 0; // the front of m_bytes already written
    QString m_error;
};

} // namespace CloudConsole
