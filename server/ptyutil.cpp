#include "ptyutil.h"

#include <QFile>

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

} // namespace CloudConsole::Pty
