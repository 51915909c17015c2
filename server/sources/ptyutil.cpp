#include "ptyutil.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QFileInfo>

#include <fcntl.h>
#include <termios.h>

#include <cerrno>
#include <cstring>

namespace CloudConsole::Pty {

namespace {
QString errnoString()
{
    return QString::fromLocal8Bit(std::strerror(errno));
}
} // namespace

UniqueFd openTerminal(const QString &path, QString *error)
{
    const QByteArray native = QFile::encodeName(path);
    UniqueFd fd(::open(native.constData(), O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC));
    if (!fd) {
        *error = errnoString();
        return {};
    }
    if (!::isatty(fd.get())) {
        *error = QStringLiteral("not a terminal");
        return {};
    }
    return fd;
}

bool makeRaw(int fd, QString *error)
{
    termios attributes {};
    if (::tcgetattr(fd, &attributes) != 0) {
        *error = errnoString();
        return false;
    }
    ::cfmakeraw(&attributes);
    attributes.c_cc[VMIN] = 1;
    attributes.c_cc[VTIME] = 0;
    if (::tcsetattr(fd, TCSANOW, &attributes) != 0) {
        *error = errnoString();
        return false;
    }
    return true;
}

bool setNonBlocking(int fd)
{
    const int flags = ::fcntl(fd, F_GETFL);
    return flags >= 0 && ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) == 0;
}

QList<qint64> otherHolders(const QString &canonicalPath)
{
    QList<qint64> holders;
    const qint64 self = QCoreApplication::applicationPid();
    const QDir proc(QStringLiteral("/proc"));
    const QStringList pids = proc.entryList({QStringLiteral("[0-9]*")}, QDir::Dirs);
    for (const QString &pid : pids) {
        if (pid.toLongLong() == self)
            continue;
        const QDir fds(proc.filePath(pid + QStringLiteral("/fd")));
        const QFileInfoList entries = fds.entryInfoList(QDir::System | QDir::NoDotAndDotDot);
        for (const QFileInfo &fd : entries) {
            if (fd.symLinkTarget() == canonicalPath) {
                holders.append(pid.toLongLong());
                break;
            }
        }
    }
    return holders;
}

} // namespace CloudConsole::Pty
