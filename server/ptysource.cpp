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
    if (m_hungUp && !QFileInfo(m_path).isSymLink()
        && m_path.startsWith(QLatin1String("/dev/pts/"))) {
        // A bare /dev/pts/N that hung up is gone for good; the kernel hands its number to the
        // next terminal made, which may be someone's ssh session. Attach again only to a pty
        // that nobody else has open, as a VMM's new console is (the VMM holds the master).
        const QList<qint64> holders = Pty::otherHolders(m_path);
        if (!holders.isEmpty()) {
            const QString failure = QStringLiteral("%1 is now another terminal (open in pid %2); "
                                                   "not attaching to it")
                                        .arg(m_path)
                                        .arg(holders.first());
            if (failure != m_lastFailure)
                qCWarning(lcPty).noquote() << failure;
            m_lastFailure = failure;
            m_reason = failure;
            scheduleRetry();
            return;
        }
    }
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
    m_hungUp = true;
    qCInfo(lcPty) << m_path << "hung up:" << reason;
    Q_EMIT down(reason);
    scheduleRetry();
}

void PtySource::scheduleRetry()
{
    m_retryTimer.start(m_backoff.next());
}

} // namespace CloudConsole
