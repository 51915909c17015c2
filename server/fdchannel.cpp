#include "fdchannel.h"

#include <QLoggingCategory>

#include <unistd.h>

#include <cerrno>
#include <cstring>

Q_LOGGING_CATEGORY(lcChannel, "cloudconsole.source.io")

namespace CloudConsole {

FdChannel::FdChannel(UniqueFd fd, QObject *parent) : QObject(parent), m_fd(std::move(fd))
{
    m_readBuffer.resize(MaxReadBurst);
    m_readNotifier = new QSocketNotifier(m_fd.get(), QSocketNotifier::Read, this);
    m_writeNotifier = new QSocketNotifier(m_fd.get(), QSocketNotifier::Write, this);
    m_writeNotifier->setEnabled(false);
    connect(m_readNotifier, &QSocketNotifier::activated, this, &FdChannel::onReadable);
    connect(m_writeNotifier, &QSocketNotifier::activated, this, &FdChannel::onWritable);
}

FdChannel::~FdChannel()
{
    close();
}

void FdChannel::close()
{
    // Notifiers must stop watching before the descriptor is closed.
    for (QSocketNotifier *notifier : {m_readNotifier.data(), m_writeNotifier.data()}) {
        if (notifier) {
            notifier->setEnabled(false);
            notifier->deleteLater();
        }
    }
    m_readNotifier.clear();
    m_writeNotifier.clear();
    m_fd.reset();
    m_writeQueue.clear();
    m_writePos = 0;
}

qsizetype FdChannel::write(QByteArrayView data)
{
    if (!isOpen())
        return 0;
    const qsizetype taken = std::min(data.size(), writeQueueFree());
    if (taken < data.size())
        m_wasFull = true;
    if (taken == 0)
        return 0;
    m_writeQueue.append(data.first(taken));
    flushWriteQueue();
    return taken;
}

void FdChannel::drain(qsizetype maxBytes)
{
    qsizetype total = 0;
    while (isOpen() && total < maxBytes) {
        const qsizetype n = readBurst();
        if (n == 0)
            break;
        total += n;
    }
}

void FdChannel::onReadable()
{
    readBurst();
}

qsizetype FdChannel::readBurst()
{
    qsizetype filled = 0;
    // Drain what is there now, up to one burst: a pty hands out at most ~4 KiB per read.
    while (filled < MaxReadBurst) {
        const ssize_t n
            = ::read(m_fd.get(), m_readBuffer.data() + filled, size_t(MaxReadBurst - filled));
        if (n > 0) {
            filled += n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        // 0 is end of file; EIO is what a pty returns once its other end has closed.
        const QString reason
            = n == 0 ? QStringLiteral("end of file") : QString::fromLocal8Bit(std::strerror(errno));
        if (filled > 0)
            Q_EMIT dataRead(QByteArrayView(m_readBuffer.constData(), filled));
        fail(reason);
        return filled;
    }
    if (filled > 0)
        Q_EMIT dataRead(QByteArrayView(m_readBuffer.constData(), filled));
    return filled;
}

void FdChannel::onWritable()
{
    flushWriteQueue();
    // Reported from here only, never from inside write(): the caller of write() is in the
    // middle of its own bookkeeping and must not be called back.
    if (m_wasFull && isOpen() && writeQueueFree() >= WriteQueueLimit / 2) {
        m_wasFull = false;
        Q_EMIT writable();
    }
}

void FdChannel::flushWriteQueue()
{
    while (m_writePos < m_writeQueue.size()) {
        const ssize_t n = ::write(m_fd.get(), m_writeQueue.constData() + m_writePos,
                                  size_t(m_writeQueue.size() - m_writePos));
        if (n > 0) {
            m_writePos += n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        fail(QString::fromLocal8Bit(std::strerror(errno)));
        return;
    }
    if (m_writePos == m_writeQueue.size()) {
        m_writeQueue.clear();
        m_writePos = 0;
    } else if (m_writePos > WriteQueueLimit / 2) {
        m_writeQueue.remove(0, m_writePos);
        m_writePos = 0;
    }
    // On while bytes wait, and while a refused writer waits to hear that there is room.
    if (m_writeNotifier)
        m_writeNotifier->setEnabled(queuedBytes() > 0 || m_wasFull);
}

void FdChannel::fail(const QString &reason)
{
    qCDebug(lcChannel) << "descriptor" << m_fd.get() << "closed:" << reason;
    close();
    Q_EMIT hangup(reason);
}

} // namespace CloudConsole
