#include "logauditor.h"

#include <QFile>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

namespace Soak {

namespace {
constexpr int PollMs = 250;
constexpr int RotationTimeoutMs = 5000;
} // namespace

LogAuditor::LogAuditor(const FrameOracle &oracle, QString path,
                       std::function<void()> sendHangupSignal, QObject *parent)
    : QObject(parent)
    , m_path(std::move(path))
    , m_sendHangup(std::move(sendHangupSignal))
    , m_checker(oracle, QStringLiteral("log"))
{
    m_timer.setInterval(PollMs);
    connect(&m_timer, &QTimer::timeout, this, &LogAuditor::poll);
}

LogAuditor::~LogAuditor()
{
    if (m_fd >= 0)
        ::close(m_fd);
    if (m_oldFd >= 0)
        ::close(m_oldFd);
}

int LogAuditor::openCurrent()
{
    const int fd = ::open(QFile::encodeName(m_path).constData(), O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        struct stat info;
        if (::fstat(fd, &info) == 0)
            m_inode = info.st_ino;
    }
    return fd;
}

void LogAuditor::start()
{
    m_fd = openCurrent();
    m_timer.start();
}

void LogAuditor::readAll(int fd)
{
    char buffer[65536];
    for (;;) {
        const ssize_t n = ::read(fd, buffer, sizeof buffer);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return;
        m_checker.feed(QByteArrayView(buffer, n));
    }
}

void LogAuditor::poll()
{
    if (m_oldFd >= 0) {
        checkRotation();
        return; // the current file is read once the old one is finished
    }
    if (m_fd < 0)
        m_fd = openCurrent();
    if (m_fd >= 0)
        readAll(m_fd);
}

void LogAuditor::rotate()
{
    if (m_oldFd >= 0 || m_fd < 0) {
        Q_EMIT rotated(false, QStringLiteral("a rotation is still under way"));
        return;
    }
    readAll(m_fd);
    m_oldPath = QStringLiteral("%1.%2").arg(m_path).arg(++m_rotationNumber);
    if (::rename(QFile::encodeName(m_path).constData(), QFile::encodeName(m_oldPath).constData())
        != 0) {
        Q_EMIT rotated(false, QStringLiteral("rename: %1").arg(qt_error_string(errno)));
        return;
    }
    m_oldFd = std::exchange(m_fd, -1);
    m_rotationClock.start();
    m_sendHangup();
    m_timer.setInterval(50);
}

void LogAuditor::checkRotation()
{
    struct stat info;
    const bool remade
        = ::stat(QFile::encodeName(m_path).constData(), &info) == 0 && info.st_ino != m_inode;
    const bool late = m_rotationClock.elapsed() > RotationTimeoutMs;
    if (!remade && !late)
        return;
    // The server made the new file when it reopened: it writes nothing more to the old one.
    readAll(m_oldFd);
    ::close(m_oldFd);
    m_oldFd = -1;
    ++m_totals.files;
    ::unlink(QFile::encodeName(m_oldPath).constData());
    m_timer.setInterval(PollMs);
    m_fd = openCurrent();
    if (remade) {
        ++m_totals.rotations;
        Q_EMIT rotated(true, QString());
    } else {
        ++m_totals.rotationsFailed;
        const QString detail
            = QStringLiteral("the server did not make %1 again within 5 s of SIGHUP").arg(m_path);
        if (m_totals.rotationFailures.size() < 5)
            m_totals.rotationFailures.append(detail);
        Q_EMIT rotated(false, detail);
    }
}

LogAuditor::Totals LogAuditor::totals() const
{
    Totals t = m_totals;
    t.stream = m_checker.totals();
    return t;
}

} // namespace Soak
