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
}

qsizetype FdChannel::write(QByteArrayView data)
{
    if (!isOpen())
        return 0;
    const qsizetype taken = m_writeQueue.push(data);
    if (taken > 0)
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
    // Reported from here only, never from inside write() (see writequeue.h).
    if (isOpen() && m_writeQueue.takeRoomAgain())
        Q_EMIT writable();
    if (m_writeNotifier)
        m_writeNotifier->setEnabled(m_writeQueue.wantsWritable());
}

void FdChannel::flushWriteQueue()
{
    if (m_writeQueue.flushTo(m_fd.get()) == WriteQueue::Flush::Failed) {
        fail(m_writeQueue.error());
        return;
    }
    if (m_writeNotifier)
        m_writeNotifier->setEnabled(m_writeQueue.wantsWritable());
}

void FdChannel::fail(const QString &reason)
{
    qCDebug(lcChannel) << "descriptor" << m_fd.get() << "closed:" << reason;
    close();
    Q_EMIT hangup(reason);
}

} // namespace CloudConsole
