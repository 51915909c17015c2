#pragma once

// ChDiscoverer finds Cloud-Hypervisor VMs by their API sockets: every unix socket that the
// section's `sockets` glob matches is a VM, named as PathGlob names it, served as a `ch:` console
// (the pty that vm.info names, asked again after every hang-up). A socket that appears is a VM
// that appears; a socket that is removed (Cloud-Hypervisor removes its own when it exits) is a VM
// that vanished. The directories are watched with QFileSystemWatcher (inotify), and a change is
// looked at once its burst is over: there is no polling. While the glob's fixed directory does not
// exist, its nearest existing ancestor is watched instead, and the discoverer says it is waiting.
//
// It owns the watcher; it knows nothing of consoles (DiscoveryManager) or of the API's protocol
// (ChApiLocator).

#include "discoverer.h"
#include "pathglob.h"

#include <QFileSystemWatcher>
#include <QTimer>

#include <map>

namespace CloudConsole {

class ChDiscoverer : public Discoverer
{
    Q_OBJECT
public:
    // A change is looked at this long after the last one of a burst.
    static constexpr std::chrono::milliseconds Settle {50};

    explicit ChDiscoverer(DiscoverySettings settings, QObject *parent = nullptr);

    void start() override;
    SourceSpec specFor(const QString &vmName) const override;
    std::unique_ptr<ConsoleSource> createSource(const QString &vmName) override;
    void forget(const QString &vmName) override;

private:
    void rescan();
    void rewatch();

    PathGlob m_glob;
    QFileSystemWatcher m_watcher;
    QTimer m_settle;
    std::map<QString, QString> m_sockets; // VM name -> socket path, as last seen
    std::map<QString, QString> m_known; // every VM name ever seen -> its socket path
    QString m_status;
};

} // namespace CloudConsole
