#include "processprobe.h"

#include "benchutil.h"

#include <QDir>
#include <QFile>
#include <QHash>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>

namespace Soak {

namespace {
constexpr size_t MaxLongRuns = 20;

// The first field of /proc/PID/task/TID/schedstat: time on the CPU in ns.
qint64 threadCpuNs(pid_t pid, pid_t tid)
{
    QFile file(QStringLiteral("/proc/%1/task/%2/schedstat").arg(pid).arg(tid));
    if (!file.open(QIODevice::ReadOnly))
        return 0;
    return file.readLine().split(' ').value(0).toLongLong();
}

QStringList entries(const QDir &dir)
{
    return dir.entryList(QDir::NoDotAndDotDot | QDir::AllEntries | QDir::System);
}

QByteArray readLink(const QString &path)
{
    char buffer[512];
    const ssize_t n = ::readlink(QFile::encodeName(path).constData(), buffer, sizeof buffer - 1);
    return QByteArray(buffer, n > 0 ? n : 0);
}

// "0100007F:1F90" (little-endian IPv4 in hex, port in hex) -> "127.0.0.1:8080".
QString tcpAddress(const QByteArray &hex)
{
    const QList<QByteArray> parts = hex.split(':');
    if (parts.size() != 2 || parts[0].size() != 8)
        return QString::fromLatin1(hex);
    const quint32 ip = parts[0].toUInt(nullptr, 16);
    return QStringLiteral("%1.%2.%3.%4:%5")
        .arg(ip & 0xff)
        .arg((ip >> 8) & 0xff)
        .arg((ip >> 16) & 0xff)
        .arg(ip >> 24)
        .arg(parts[1].toUInt(nullptr, 16));
}

QString tcpState(const QByteArray &hex)
{
    static const char *const States[]
        = {"?",         "ESTABLISHED", "SYN_SENT",   "SYN_RECV", "FIN_WAIT1", "FIN_WAIT2",
           "TIME_WAIT", "CLOSE",       "CLOSE_WAIT", "LAST_ACK", "LISTEN",    "CLOSING"};
    const uint state = hex.toUInt(nullptr, 16);
    return QString::fromLatin1(state < 12 ? States[state] : "?");
}

// What the process's sockets are, by inode: "tcp 127.0.0.1:8080 <- 127.0.0.1:5555 ESTABLISHED".
QHash<QByteArray, QString> socketsByInode(pid_t pid)
{
    QHash<QByteArray, QString> out;
    for (const char *table : {"tcp", "tcp6"}) {
        QFile file(QStringLiteral("/proc/%1/net/%2").arg(pid).arg(QLatin1String(table)));
        if (!file.open(QIODevice::ReadOnly))
            continue;
        file.readLine(); // the header
        while (!file.atEnd()) {
            const QList<QByteArray> f = file.readLine().simplified().split(' ');
            if (f.size() > 9)
                out.insert(f[9],
                           QStringLiteral("%1 %2 <- %3 %4")
                               .arg(QLatin1String(table), tcpAddress(f[1]), tcpAddress(f[2]),
                                    tcpState(f[3])));
        }
    }
    QFile unix(QStringLiteral("/proc/%1/net/unix").arg(pid));
    if (unix.open(QIODevice::ReadOnly)) {
        unix.readLine();
        while (!unix.atEnd()) {
            const QList<QByteArray> f = unix.readLine().simplified().split(' ');
            if (f.size() > 6)
                out.insert(f[6], QStringLiteral("unix %1").arg(QString::fromLatin1(f.value(7))));
        }
    }
    return out;
}
} // namespace

ProcessProbe::ProcessProbe(pid_t pid, QObject *parent) : QObject(parent), m_pid(pid)
{
    m_timer.setInterval(1000);
    connect(&m_timer, &QTimer::timeout, this, [this] { sample(); });
}

ProcessProbe::~ProcessProbe()
{
    stopLockSampler();
}

ProcessProbe::Sample ProcessProbe::sample()
{
    Sample s;
    s.atNs = Bench::nowNs();
    s.rssKiB = Bench::rssKiB(m_pid);
    s.fds = int(entries(QDir(QStringLiteral("/proc/%1/fd").arg(m_pid))).size());
    const QDir tasks(QStringLiteral("/proc/%1/task").arg(m_pid));
    const QStringList tids = tasks.entryList(QDir::NoDotAndDotDot | QDir::Dirs);
    s.threads = int(tids.size());
    s.cpuNs = Bench::procCpuNs(m_pid);
    s.mainCpuNs = threadCpuNs(m_pid, m_pid);
    for (const QString &tid : tids) {
        QFile comm(tasks.filePath(tid) + QStringLiteral("/comm"));
        const QString name = comm.open(QIODevice::ReadOnly)
            ? QString::fromUtf8(comm.readAll()).trimmed()
            : QStringLiteral("?");
        s.cpuNsByName[tid.toInt() == m_pid ? QStringLiteral("main") : name]
            += threadCpuNs(m_pid, pid_t(tid.toInt()));
    }
    // The peak is kept from every sample, whoever asked for it.
    m_peakRss = std::max(m_peakRss, s.rssKiB);
    m_peakFds = std::max(m_peakFds, s.fds);
    return s;
}

QSet<quint16> ProcessProbe::ownTcpPorts()
{
    QSet<QByteArray> inodes;
    const QDir dir(QStringLiteral("/proc/self/fd"));
    for (const QString &name : entries(dir)) {
        const QByteArray target = readLink(dir.filePath(name));
        if (target.startsWith("socket:["))
            inodes.insert(target.mid(8, target.size() - 9));
    }
    QSet<quint16> ports;
    for (const char *table : {"/proc/self/net/tcp", "/proc/self/net/tcp6"}) {
        QFile file(QString::fromLatin1(table));
        if (!file.open(QIODevice::ReadOnly))
            continue;
        file.readLine();
        while (!file.atEnd()) {
            const QList<QByteArray> f = file.readLine().simplified().split(' ');
            if (f.size() > 9 && inodes.contains(f[9]))
                ports.insert(quint16(f[1].split(':').value(1).toUInt(nullptr, 16)));
        }
    }
    return ports;
}

QStringList ProcessProbe::descriptors() const
{
    const QHash<QByteArray, QString> sockets = socketsByInode(m_pid);
    const QDir dir(QStringLiteral("/proc/%1/fd").arg(m_pid));
    QStringList out;
    for (const QString &name : entries(dir)) {
        QString target = QString::fromLocal8Bit(readLink(dir.filePath(name)));
        if (target.startsWith(QLatin1String("socket:["))) {
            const QByteArray inode = target.mid(8, target.size() - 9).toLatin1();
            target = sockets.value(inode, QStringLiteral("socket"));
        } else if (target.startsWith(QLatin1String("/dev/pts/"))) {
            target = QStringLiteral("a pty"); // its number changes with every hang-up
        }
        out.append(target.isEmpty() ? QStringLiteral("?") : target);
    }
    out.sort();
    return out;
}

void ProcessProbe::start()
{
    m_timer.start();
}

void ProcessProbe::startLockSampler(qint64 originNs)
{
    m_originNs = originNs;
    m_sampler = std::thread([this] { sampleLocks(); });
}

void ProcessProbe::stopLockSampler()
{
    m_samplerStopping = true;
    if (m_sampler.joinable())
        m_sampler.join();
}

ProcessProbe::LockWaits ProcessProbe::lockWaits() const
{
    const QMutexLocker lock(&m_lockMutex);
    return m_locks;
}

void ProcessProbe::sampleLocks()
{
    const QByteArray path = QStringLiteral("/proc/%1/task/%1/wchan").arg(m_pid).toLatin1();
    const int fd = ::open(path.constData(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    qint64 runStart = 0;
    while (!m_samplerStopping) {
        char buffer[128];
        const ssize_t n = ::pread(fd, buffer, sizeof buffer - 1, 0);
        if (n < 0)
            break; // the process is gone
        const bool futex = QByteArrayView(buffer, n).contains("futex");
        const qint64 now = Bench::nowNs();
        {
            const QMutexLocker lock(&m_lockMutex);
            ++m_locks.samples;
            if (futex) {
                ++m_locks.inFutex;
                if (runStart == 0)
                    runStart = now;
            } else if (runStart != 0) {
                const double ms = double(now - runStart) / 1e6;
                m_locks.longestMs = std::max(m_locks.longestMs, ms);
                if (ms > 100)
                    ++m_locks.runsOver100Ms;
                if (ms > 300 && m_locks.longRuns.size() < MaxLongRuns)
                    m_locks.longRuns.emplace_back(double(runStart - m_originNs) / 1e9, ms);
                runStart = 0;
            }
        }
        Bench::sleepNs(2'000'000);
    }
    ::close(fd);
}

double ProcessProbe::cpuPercent(const Sample &from, const Sample &to)
{
    const qint64 wall = to.atNs - from.atNs;
    return wall > 0 ? 100.0 * double(to.cpuNs - from.cpuNs) / double(wall) : 0;
}

double ProcessProbe::mainCpuPercent(const Sample &from, const Sample &to)
{
    const qint64 wall = to.atNs - from.atNs;
    return wall > 0 ? 100.0 * double(to.mainCpuNs - from.mainCpuNs) / double(wall) : 0;
}

QMap<QString, double> ProcessProbe::cpuPercentByName(const Sample &from, const Sample &to)
{
    QMap<QString, double> out;
    const qint64 wall = to.atNs - from.atNs;
    if (wall <= 0)
        return out;
    for (auto it = to.cpuNsByName.begin(); it != to.cpuNsByName.end(); ++it) {
        // A thread that came or went between the samples counts from zero or not at all.
        const qint64 used = it.value() - from.cpuNsByName.value(it.key());
        if (used > 0)
            out[it.key()] = 100.0 * double(used) / double(wall);
    }
    return out;
}

} // namespace Soak
