#include "chdiscoverer.h"

#include <QFile>
#include <QLoggingCategory>

#include <sys/stat.h>

Q_DECLARE_LOGGING_CATEGORY(lcDiscovery)

namespace CloudConsole {

namespace {

bool isSocket(const QString &path)
{
    struct stat info
    { };
    return ::stat(QFile::encodeName(path).constData(), &info) == 0 && S_ISSOCK(info.st_mode);
}

} // namespace

ChDiscoverer::ChDiscoverer(DiscoverySettings settings, QObject *parent)
    : Discoverer(std::move(settings), parent), m_glob(this->settings().sockets)
{
    m_settle.setSingleShot(true);
    m_settle.setInterval(Settle);
    connect(&m_settle, &QTimer::timeout, this, &ChDiscoverer::rescan);
    connect(&m_watcher, &QFileSystemWatcher::directoryChanged, this, [this] { m_settle.start(); });
}

void ChDiscoverer::start()
{
    rescan();
}

SourceSpec ChDiscoverer::specFor(const QString &vmName) const
{
    SourceSpec spec;
    spec.kind = SourceSpec::Kind::ChApi;
    const auto it = m_known.find(vmName);
    spec.target = it == m_known.end() ? QString() : it->second;
    spec.device = settings().device;
    return spec;
}

void ChDiscoverer::forget(const QString &vmName)
{
    if (!m_sockets.count(vmName))
        m_known.erase(vmName);
}

std::unique_ptr<ConsoleSource> ChDiscoverer::createSource(const QString &vmName)
{
    return CloudConsole::createSource(specFor(vmName));
}

void ChDiscoverer::rewatch()
{
    const QStringList wanted = m_glob.directories();
    const QStringList watched = m_watcher.directories();
    for (const QString &dir : watched) {
        if (!wanted.contains(dir))
            m_watcher.removePath(dir);
    }
    for (const QString &dir : wanted) {
        if (!watched.contains(dir) && !m_watcher.addPath(dir))
            qCWarning(lcDiscovery).noquote() << "ch: cannot watch" << dir;
    }
}

void ChDiscoverer::rescan()
{
    // Watch first, then read: a socket made in between is seen by the next change.
    rewatch();
    std::map<QString, QString> now;
    if (m_glob.fixedDirectoryExists()) {
        for (const PathGlob::Match &match : m_glob.expand()) {
            if (!isSocket(match.path) || match.name.isEmpty())
                continue;
            // Two sockets with one name: the first (by path) is the VM.
            now.emplace(match.name, match.path);
        }
    }
    const QString status = m_glob.fixedDirectoryExists()
        ? QStringLiteral("watching %1: %2 sockets").arg(m_glob.pattern()).arg(now.size())
        : QStringLiteral("waiting for %1 to exist (watching %2)")
              .arg(m_glob.fixedDirectory(), m_glob.directories().value(0));
    if (status != m_status) {
        if (!m_glob.fixedDirectoryExists() && !m_status.startsWith(QLatin1String("waiting")))
            qCWarning(lcDiscovery).noquote() << "ch:" << status;
        m_status = status;
        Q_EMIT statusChanged(m_glob.fixedDirectoryExists(), status);
    }

    for (const auto &[name, path] : m_sockets) {
        const auto it = now.find(name);
        if (it == now.end() || it->second != path)
            Q_EMIT vanished(name, QStringLiteral("its API socket %1 is gone").arg(path));
    }
    const std::map<QString, QString> before = std::exchange(m_sockets, now);
    for (const auto &[name, path] : now) {
        const auto it = before.find(name);
        if (it != before.end() && it->second == path)
            continue;
        m_known[name] = path;
        Q_EMIT appeared(name);
    }
}

} // namespace CloudConsole
