#include "diskfiller.h"

#include <QFile>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

namespace Soak {

DiskFiller::DiskFiller(QString directory) : m_path(directory + QStringLiteral("/ballast"))
{ }

DiskFiller::~DiskFiller()
{
    release();
}

qint64 DiskFiller::fill()
{
    if (m_fd < 0) {
        m_fd = ::open(QFile::encodeName(m_path).constData(),
                      O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
        m_bytes = 0;
    }
    if (m_fd < 0)
        return 0;
    const std::vector<char> zeros(64 * 1024, 0);
    // Large pieces first, then smaller ones, until not even a byte fits.
    for (size_t piece = zeros.size(); piece > 0; piece /= 4) {
        for (;;) {
            const ssize_t n = ::write(m_fd, zeros.data(), piece);
            if (n > 0) {
                m_bytes += n;
                continue;
            }
            if (n < 0 && errno == EINTR)
                continue;
            break; // ENOSPC
        }
    }
    return m_bytes;
}

void DiskFiller::release()
{
    if (m_fd < 0)
        return;
    ::close(m_fd);
    m_fd = -1;
    ::unlink(QFile::encodeName(m_path).constData());
    m_bytes = 0;
}

} // namespace Soak
