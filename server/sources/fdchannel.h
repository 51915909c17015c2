#pragma once

// FdChannel does non-blocking I/O on one file descriptor (a pty end) from the Qt event loop.
//
// It owns the descriptor and its two QSocketNotifiers. The read notifier stays on while the
// channel is open; each activation drains the descriptor (several ~4 KiB pty reads) into one
// buffer and reports it once, which groups bursts without adding latency to a lone byte. The
// write notifier is on only while input is queued or a refused writer waits for room. Input
// follows the sources' one contract (writequeue.h): write() takes what fits in a bounded
// WriteQueue and says how much, so callers keep the rest and nothing blocks the event loop, and
// writable() comes once the queue has drained to half. It knows nothing about what the
// descriptor is connected to.

#include "uniquefd.h"
#include "writequeue.h"

#include <QByteArray>
#include <QObject>
#include <QPointer>
#include <QSocketNotifier>

namespace CloudConsole {

class FdChannel : public QObject
{
    Q_OBJECT
public:
    static constexpr qsizetype MaxReadBurst = CloudConsole::MaxReadBurst;
    static constexpr qsizetype WriteQueueLimit = CloudConsole::WriteQueueLimit;

    explicit FdChannel(UniqueFd fd, QObject *parent = nullptr);
    ~FdChannel() override;

    int fd() const { return m_fd.get(); }
    bool isOpen() const { return m_fd.isValid(); }

    // Queues as much of data as fits and returns how many bytes were taken.
    qsizetype write(QByteArrayView data);
    qsizetype writeQueueFree() const { return m_writeQueue.freeBytes(); }
    qsizetype queuedBytes() const { return m_writeQueue.queuedBytes(); }

    // Reads what the descriptor holds now, up to about maxBytes, without waiting for the event
    // loop: for an owner that is about to close() it and wants the last bytes first. Reports
    // them with dataRead(), and hangup() if the other side turns out to be gone.
    void drain(qsizetype maxBytes);

    // Stops all I/O and closes the descriptor; emits nothing.
    void close();

Q_SIGNALS:
    // Emitted with a view valid only during the emission (direct connections).
    void dataRead(QByteArrayView data);
    // The write queue has drained to half after having refused input.
    void writable();
    // The other side is gone (end of file or an I/O error); the channel is closed.
    void hangup(const QString &reason);

private:
    void onReadable();
    // One burst of reads, reported as one dataRead(); returns how many bytes it read.
    qsizetype readBurst();
    void onWritable();
    void flushWriteQueue();
    void fail(const QString &reason);

    UniqueFd m_fd;
    // Children of this channel; close() may run inside their own activation, so it disables
    // them and deletes them later.
    QPointer<QSocketNotifier> m_readNotifier;
    QPointer<QSocketNotifier> m_writeNotifier;
    QByteArray m_readBuffer;
    WriteQueue m_writeQueue;
};

} // namespace CloudConsole
