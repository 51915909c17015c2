#include "logwriter.h"

#include <QFile>
#include <QLoggingCategory>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

Q_LOGGING_CATEGORY(lcLog, "cloudconsole.log")

namespace CloudConsole {

namespace {
UniqueFd openForAppend(const QString &path, QString *error)
{
    const QByteArray native = QFile::encodeName(path);
    UniqueFd fd(::open(native.constData(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640));
    if (!fd)
        *error = QString::fromLocal8Bit(std::strerror(errno));
    return fd;
}
} // namespace

LogWriter::LogWriter(const QString &path, const HistoryRing &ring, QObject *parent)
    : QObject(parent), m_path(path), m_ring(ring), m_cursor(ring.endOffset())
{
    m_retryTimer.setInterval(1000);
    m_retryTimer.setSingleShot(true);
    connect(&m_retryTimer, &QTimer::timeout, this, &LogWriter::flush);
}

bool LogWriter::open(QString *error)
{
    m_fd = openForAppend(m_path, error);
    return m_fd.isValid();
}

void LogWriter::reopen()
{
    QString error;
    UniqueFd fd = openForAppend(m_path, &error);
    if (!fd) {
        // Drop the old file too: flush() then keeps trying to open the path, and the bytes
        // wait in the ring instead of going to a file that logrotate moved away.
        m_fd.reset();
        setFailure(QStringLiteral("cannot reopen: %1").arg(error));
        return;
    }
    m_fd = std::move(fd);
    qCInfo(lcLog).noquote() << "reopened" << m_path;
    flush();
}

void LogWriter::write(QByteArrayView appended)
{
    const qint64 start = m_ring.endOffset() - appended.size();
    if (!m_fd || !m_failure.isEmpty() || m_cursor != start) {
        flush(); // catching up from the ring, or retrying: the ring is the record
        return;
    }
    const qsizetype written = writeSome(appended);
    m_cursor += written;
    // What an error left unwritten is taken from the ring when writing works again.
}

void LogWriter::flush()
{
    if (!m_fd) {
        reopen();
        return;
    }
    if (m_cursor < m_ring.startOffset()) {
        // The ring moved on while the log could not be written: say so in the log itself.
        const qint64 missing = m_ring.startOffset() - m_cursor;
        const QByteArray marker
            = QStringLiteral("\r\n-- cloud-console: %1 bytes missing from "
                             "this log (%2) --\r\n")
                  .arg(missing)
                  .arg(m_failure.isEmpty() ? QStringLiteral("write error") : m_failure)
                  .toUtf8();
        // A marker cut short by an error is written again whole on the next attempt.
        if (writeSome(marker) < marker.size())
            return;
        m_lost += missing;
        m_cursor = m_ring.startOffset();
    }
    while (m_cursor < m_ring.endOffset()) {
        const QByteArrayView part = m_ring.contiguousFrom(m_cursor, m_ring.capacity());
        const qsizetype written = writeSome(part);
        m_cursor += written;
        if (written < part.size())
            return;
    }
    if (!m_failure.isEmpty()) {
        qCInfo(lcLog).noquote() << "writing to" << m_path << "again";
        m_failure.clear();
    }
}

qsizetype LogWriter::writeSome(QByteArrayView data)
{
    qsizetype done = 0;
    while (done < data.size()) {
        const ssize_t n = ::write(m_fd.get(), data.data() + done, size_t(data.size() - done));
        if (n > 0) {
            done += n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        setFailure(QString::fromLocal8Bit(std::strerror(n < 0 ? errno : EIO)));
        break;
    }
    return done;
}

void LogWriter::setFailure(const QString &failure)
{
    ++m_errors;
    if (m_failure.isEmpty())
        qCWarning(lcLog).noquote()
            << QStringLiteral("cannot write %1: %2; retrying every second").arg(m_path, failure);
    m_failure = failure;
    m_retryTimer.start();
}

} // namespace CloudConsole
