#pragma once

// LibvirtDiscoverer finds the domains of a libvirt connection (`uri`, qemu:///system by default)
// and follows them through libvirt's lifecycle events: every domain with a serial port (or, with
// device = console, a virtio console) appears, whether it runs or not; starts, stops, crashes and
// restarts change its state; an undefined domain that is not running (or a transient one that
// stopped) vanishes. Events come through the Qt event loop (LibvirtEventLoop); nothing polls.
//
// It connects read-only (it never changes a domain, and the read-only socket is enough), unless
// consoles are read through libvirt's console stream (attach = stream, or auto with a remote
// URI): libvirt opens consoles only on read-write connections. A libvirtd
// that is absent, or that goes away (virConnectRegisterCloseCallback, keepalive), is reported and
// connected to again with a backoff (1 s doubling to 30 s); domains keep their consoles meanwhile
// (their QEMU runs on, and the pty stays attached), and a scan after reconnecting catches up with
// what changed. Lifecycle events are read on the next turn of the loop, not inside libvirt's
// callback; libvirt's calls are synchronous RPCs on its socket, bounded by the keepalive.
//
// A pty device is served by a PtySource whose locator (LibvirtPtyLocator) asks this discoverer
// for the pty of the domain's current run: the pty named in the live XML after each start. A
// locator whose pty hung up is answered only once the domain runs again (a new domain id), so a
// pty number the kernel handed to someone else is never opened. Unix and TCP devices are served as
// unix:, tcp: or telnet: sources. With attach = stream a pty device is read through libvirt's
// console stream instead (LibvirtStreamSource): for QEMU the stream serves only pty devices too.
//
// It owns the connection and its callbacks; it knows nothing of consoles beyond making sources.

#include "backoff.h"
#include "discoverer.h"
#include "libvirtdomainxml.h"
#include "retry.h"

#include <QSet>
#include <QTimer>

#include <map>

typedef struct _virConnect virConnect;
typedef struct _virDomain virDomain;
typedef struct _virStream virStream;

namespace CloudConsole {

class LibvirtDiscoverer : public Discoverer
{
    Q_OBJECT
public:
    explicit LibvirtDiscoverer(DiscoverySettings settings, QObject *parent = nullptr);
    ~LibvirtDiscoverer() override;

    void start() override;
    SourceSpec specFor(const QString &vmName) const override;
    std::unique_ptr<ConsoleSource> createSource(const QString &vmName) override;
    void forget(const QString &vmName) override;

    bool isConnected() const { return m_connection != nullptr; }

    // What a locator is told about the domain's pty.
    struct Pty
    {
        QString path; // empty: none now
        int domainId = -1; // the run it belongs to
        QString why; // why there is none
    };
    Pty ptyOf(const QString &vmName) const;
    // A non-blocking stream on the running domain's console device (attach = stream), for
    // LibvirtStreamSource to own, and the run (*domainId) it belongs to; nullptr with *why,
    // also while the domain's run is spentId.
    virStream *openConsole(const QString &vmName, int spentId, int *domainId, QString *why);

Q_SIGNALS:
    // The domain's state or pty may have changed (a locator waiting on it looks again).
    void domainChanged(const QString &vmName);

private:
    struct Domain
    {
        bool exists = false; // false: vanished, kept until its console is removed (forget())
        QString state; // "running", "shut off", ...
        int id = -1; // while running
        std::optional<LibvirtConsoleDevice> device;
        QString why; // why it has no device to serve
    };

    void connectNow();
    void disconnectNow(const QString &why);
    void scanAll();
    // Reads one domain again; false when it no longer exists.
    void refresh(const QString &name);
    void readDomain(virDomain *domain);
    void vanish(const QString &name, const QString &why);
    void onLifecycle(const QString &name, int event);
    void onClosed(int reason);

    virConnect *m_connection = nullptr;
    int m_lifecycleCallback = -1;
    Retry m_retry;
    std::map<QString, Domain> m_domains; // every domain with a device, by name
    QSet<QString> m_dirty; // domains an event named, read on the next turn of the loop
    QTimer m_refresh;
    bool m_closing = false;

    friend struct LibvirtCallbacks;
};

} // namespace CloudConsole
