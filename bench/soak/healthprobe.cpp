#include "healthprobe.h"

#include "benchutil.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace Soak {

namespace {
constexpr int TimeoutMs = 5000;
constexpr qsizetype MaxSamples = 8;
constexpr size_t MaxSlow = 30;

// Waits for fd to be ready for `events` until deadlineNs; false on timeout.
bool waitFor(int fd, short events, int64_t deadlineNs)
{
    for (;;) {
        const int64_t left = (deadlineNs - Bench::nowNs()) / 1000000;
        if (left <= 0)
            return false;
        pollfd pfd {fd, events, 0};
        const int r = ::poll(&pfd, 1, int(left));
        if (r > 0)
            return true;
        if (r < 0 && errno != EINTR)
            return false;
    }
}

QString errnoText(int error)
{
    return QString::fromLocal8Bit(std::strerror(error));
}
} // namespace

QByteArray blockingGet(quint16 port, const QByteArray &path, const QByteArray &extraHeaders,
                       int timeoutMs, QString *error)
{
    const int64_t deadline = Bench::nowNs() + int64_t(timeoutMs) * 1000000;
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        *error = QStringLiteral("socket: %1").arg(errnoText(errno));
        return {};
    }
    const auto fail = [&](const QString &why) {
        ::close(fd);
        *error = why;
        return QByteArray();
    };
    sockaddr_in address {};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr *>(&address), sizeof address) != 0
        && errno != EINPROGRESS)
        return fail(QStringLiteral("connect: %1").arg(errnoText(errno)));
    if (!waitFor(fd, POLLOUT, deadline))
        return fail(QStringLiteral("no connection within %1 s").arg(timeoutMs / 1000));
    int soError = 0;
    socklen_t length = sizeof soError;
    ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &soError, &length);
    if (soError != 0)
        return fail(QStringLiteral("connect: %1").arg(errnoText(soError)));
    const QByteArray request = "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + extraHeaders
        + "Connection: close\r\n\r\n";
    if (::send(fd, request.constData(), size_t(request.size()), MSG_NOSIGNAL) != request.size())
        return fail(QStringLiteral("could not send the request"));
    QByteArray answer;
    char buffer[16384];
    for (;;) {
        if (!waitFor(fd, POLLIN, deadline))
            return fail(QStringLiteral("no answer within %1 s").arg(timeoutMs / 1000));
        const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
        if (n > 0) {
            answer.append(buffer, n);
            if (answer.size() > 4 * 1024 * 1024)
                break;
            continue;
        }
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        break; // closed (or reset) by the server: the answer is complete
    }
    ::close(fd);
    if (answer.isEmpty())
        *error = QStringLiteral("connection closed without an answer");
    return answer;
}

qint64 serverBytesRead(quint16 port, const QByteArray &token)
{
    QString error;
    const QByteArray answer
        = blockingGet(port, "/metrics", "Authorization: Bearer " + token + "\r\n", 5000, &error);
    static constexpr QByteArrayView Name = "cloud_console_source_bytes_read_total{";
    for (const QByteArray &line : answer.split('\n')) {
        if (line.startsWith(Name))
            return line.mid(line.lastIndexOf(' ') + 1).trimmed().toLongLong();
    }
    return -1;
}

HealthProbe::HealthProbe(quint16 port, int intervalMs) : m_port(port), m_intervalMs(intervalMs)
{ }

HealthProbe::~HealthProbe()
{
    stop();
}

void HealthProbe::start()
{
    m_thread = std::thread([this] { run(); });
}

void HealthProbe::stop()
{
    m_stopping = true;
    if (m_thread.joinable())
        m_thread.join();
}

HealthProbe::Totals HealthProbe::totals() const
{
    const QMutexLocker lock(&m_mutex);
    return m_totals;
}

void HealthProbe::run()
{
    while (!m_stopping) {
        const int64_t started = Bench::nowNs();
        QString error;
        const double ms = once(&error);
        const Phase phase = m_phase;
        {
            const QMutexLocker lock(&m_mutex);
            if (ms >= 0 && phase == Phase::Quiet)
                m_totals.quietMs.push_back(ms);
            else if (ms >= 0 && phase == Phase::Storm)
                m_totals.stormMs.push_back(ms);
            else if (ms < 0 && phase == Phase::Quiet)
                ++m_totals.quietFailures;
            else if (ms < 0 && phase == Phase::Storm)
                ++m_totals.failures;
            if (ms > 500 && phase == Phase::Storm && m_totals.slow.size() < MaxSlow)
                m_totals.slow.emplace_back(double(started - m_originNs) / 1e9, ms);
            if (ms < 0 && m_totals.failureSamples.size() < MaxSamples)
                m_totals.failureSamples.append(error);
        }
        Bench::sleepNs(started + int64_t(m_intervalMs) * 1000000 - Bench::nowNs());
    }
}

double HealthProbe::once(QString *error) const
{
    const int64_t start = Bench::nowNs();
    const QByteArray answer = blockingGet(m_port, "/healthz", {}, TimeoutMs, error);
    if (answer.isEmpty())
        return -1;
    const double ms = double(Bench::nowNs() - start) / 1e6;
    if (!answer.startsWith("HTTP/1.1 200") || !answer.contains("\r\n\r\nok")) {
        *error = QStringLiteral("unexpected answer: %1")
                     .arg(QString::fromLatin1(answer.left(60)).simplified());
        return -1;
    }
    return ms;
}

} // namespace Soak
