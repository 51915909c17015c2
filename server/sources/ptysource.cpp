#include "ptysource.h"

#include "fdchannel.h"
#include "ptylocator.h"
#include "ptyutil.h"

#include <QFileInfo>
#include <QLoggingCategory>

#include <sys/ioctl.h>

#include <cerrno>
#include <cstring>

Q_LOGGING_CATEGORY(lcPty, "cloudconsole.source.pty")

namespace CloudConsole {

PtySource::PtySource(const QString &path, Device device, QObject *parent)
    : PtySource(std::make_unique<FixedPtyLocator>(path), device, parent)
{ }

PtySource::PtySource(std::unique_ptr<PtyLocator> locator, Device device, QObject *parent)
    : ConsoleSource(parent)
    , m_locator(std::move(locator))
    , m_device(device)
    , m_reason(QStringLiteral("not opened yet"))
{
    connect(&m_retry, &Retry::due, this, &PtySource::locate);
    connect(m_locator.get(), &PtyLocator::located, this, &PtySource::onLocated);
    connect(m_locator.get(), &PtyLocator::failed, this, &PtySource::onLocateFailed);
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
    locate();
}

bool PtySource::isUp() const
{
    return m_channel && m_channel->isOpen();
}

qsizetype PtySource::write(QByteArrayView data)
{
    return isUp() ? m_channel->write(data) : 0;
}

void PtySource::resize(int cols, int rows)
{
    if (!canResize())
        return;
    m_cols = cols;
    m_rows = rows;
    applySize();
}

bool PtySource::sendBreak()
{
    if (!canBreak() || !isUp())
        return false;
    const char prefix = VirtioSysRqPrefix;
    return m_channel->write(QByteArrayView(&prefix, 1)) == 1;
}

void PtySource::locate()
{
    if (isUp())
        return;
    m_locating = true;
    m_locator->locate();
}

void PtySource::onLocated(const QString &path)
{
    if (!m_locating || isUp())
        return;
    m_locating = false;
    QString error;
    UniqueFd fd = Pty::openTerminal(path, &error);
    if (fd && !Pty::makeRaw(fd.get(), &error))
        fd.reset();
    if (!fd) {
        retryAfter(QStringLiteral("cannot open %1: %2").arg(path, error));
        return;
    }
    m_retry.noteAttached();
    const QString target = QFileInfo(path).canonicalFilePath();
    m_reason = target.isEmpty() ? path : target;

    auto *channel = new FdChannel(std::move(fd), this);
    connect(channel, &FdChannel::dataRead, this, [this](QByteArrayView data) {
        // Output proves the pty works: the next hang-up is retried promptly again.
        m_retry.noteWorking();
        Q_EMIT dataRead(data);
    });
    connect(channel, &FdChannel::writable, this, &ConsoleSource::writable);
    connect(channel, &FdChannel::hangup, this, &PtySource::onHangup);
    m_channel = channel;
    applySize();
    qCInfo(lcPty).noquote() << "attached to" << m_reason << "from" << m_locator->describe();
    Q_EMIT up(m_reason);
}

void PtySource::onLocateFailed(const QString &reason)
{
    if (!m_locating || isUp())
        return;
    m_locating = false;
    retryAfter(reason);
}

void PtySource::retryAfter(const QString &reason)
{
    // A locator's own reasons already say where they come from.
    if (m_retry.noteFailure(reason))
        qCInfo(lcPty).noquote() << (reason.startsWith(m_locator->describe())
                                        ? reason
                                        : m_locator->describe() + QStringLiteral(": ") + reason)
                                << "- retrying";
    m_reason = reason;
    m_retry.schedule();
}

void PtySource::onHangup(const QString &reason)
{
    // Called from inside the channel's own notifier: delete it later.
    if (m_channel)
        m_channel->deleteLater();
    m_channel.clear();
    // "end of file" alone does not say what ended: name the pty (the VMM closed it).
    m_reason = QStringLiteral("%1 hung up (%2)").arg(m_reason, reason);
    m_locator->noteHangup();
    qCInfo(lcPty).noquote() << m_reason;
    Q_EMIT down(m_reason);
    m_retry.schedule();
}

void PtySource::applySize()
{
    if (!isUp() || m_cols <= 0 || m_rows <= 0)
        return;
    winsize size {};
    size.ws_col = static_cast<unsigned short>(m_cols);
    size.ws_row = static_cast<unsigned short>(m_rows);
    if (::ioctl(m_channel->fd(), TIOCSWINSZ, &size) != 0)
        qCWarning(lcPty).noquote() << "cannot resize" << m_reason + u':' << std::strerror(errno);
}

} // namespace CloudConsole
