#include "ptysource.h"

#include "fdchannel.h"
#include "ptyutil.h"

#include <QFileInfo>
#include <QLoggingCategory>

Q_LOGGING_CATEGORY(lcPty, "cloudconsole.source.pty")

namespace CloudConsole {

PtySource::PtySource(const QString &path, QObject *parent)
    : ConsoleSource(parent), m_path(path), m_reason(QStringLiteral("not opened yet"))
{
    m_retryTimer.setSingleShot(true);
    connect(&m_retryTimer, &QTimer::timeout, this, &PtySource::tryOpen);
}

PtySource::~PtySource() = default;

bool PtySource::probe(const QString &path, QString *error)
{
    if (!QFileInfo::exists(path)) {
        *error = QStringLiteral("%1: no such file").arg(path);
        return false;
    }
    QString why;
    if (!Pty::openTerminal(path, &why)) {
        *error = QStringLiteral("%1: %2").arg(path, why);
        return false;
    }
    return true;
}

void PtySource::start()
{
    tryOpen();
}

bool PtySource::isUp() const
{
    return m_channel && m_channel->isOpen();
}

qsizetype PtySource::write(QByteArrayView data)
{
    return isUp() ? m_channel->write(data) : 0;
}

void PtySource::tryOpen()
{
    QString error;
    UniqueFd fd = Pty::openTerminal(m_path, &error);
    if (fd && !Pty::makeRaw(fd.get(), &error))
        fd.reset();
    if (!fd) {
        if (error != m_lastFailure)
            qCInfo(lcPty) << "cannot open" << m_path << ":" << error << "- retrying";
        m_lastFailure = error;
        scheduleRetry();
        return;
    }
    m_lastFailure.clear();
    const QString target = QFileInfo(m_path).canonicalFilePath();
    m_reason = target.isEmpty() ? m_path : target;

    auto *channel = new FdChannel(std::move(fd), this);
    connect(channel, &FdChannel::dataRead, this, [this](QByteArrayView data) {
        // Output proves the pty works: the next hang-up is retried promptly again.
        m_backoff.reset();
        Q_EMIT dataRead(data);
    });
    connect(channel, &FdChannel::writable, this, &ConsoleSource::writable);
    connect(channel, &FdChannel::hangup, this, &PtySource::onHangup);
    m_channel = channel;
    qCInfo(lcPty) << "attached to" << m_reason;
    Q_EMIT up(m_reason);
}

void PtySource::onHangup(const QString &reason)
{
    // Called from inside the channel's own notifier: delete it later.
    if (m_channel)
        m_channel->deleteLater();
    m_channel.clear();
    m_reason = reason;
    qCInfo(lcPty) << m_path << "hung up:" << reason;
    Q_EMIT down(reason);
    scheduleRetry();
}

void PtySource::scheduleRetry()
{
    m_retryTimer.start(m_backoff.next());
}

} // namespace CloudConsole
