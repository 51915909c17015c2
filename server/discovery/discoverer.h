#pragma once

// Discoverer is what finds a host's VMs for one [discover KIND] section: libvirt's domains
// (LibvirtDiscoverer) or Cloud-Hypervisor's API sockets (ChDiscoverer). It says when a VM appears
// (it exists: defined, or its socket is there), when what it does changes (running, shut off), when
// it vanishes (no longer exists), and whether it can see the VMs at all; and it makes the source
// of a VM's console, which follows the VM by itself (a pty located anew after every hang-up).
//
// It owns what it watches with (a libvirt connection, a directory watch); it knows nothing of
// consoles, names or how long a console stays: DiscoveryManager does.

#include "consolesource.h"
#include "discoverysettings.h"
#include "sourcespec.h"

#include <QObject>

#include <memory>

namespace CloudConsole {

class Discoverer : public QObject
{
    Q_OBJECT
public:
    explicit Discoverer(DiscoverySettings settings, QObject *parent = nullptr)
        : QObject(parent), m_settings(std::move(settings))
    { }

    const DiscoverySettings &settings() const { return m_settings; }
    // A reload that keeps the section's source takes its other keys (keep-after-gone, defaults).
    void setSettings(const DiscoverySettings &settings) { m_settings = settings; }

    // Starts watching; every VM already there appears, at once or once it is seen.
    virtual void start() = 0;
    // What a VM's console is served from, as a spec: for the console's settings, the log, and to
    // tell a console apart on reload (libvirt's have no spec of their own: a pty spec naming the
    // domain).
    virtual SourceSpec specFor(const QString &vmName) const = 0;
    // The source of a VM's console; it lives as long as the console and follows the VM.
    virtual std::unique_ptr<ConsoleSource> createSource(const QString &vmName) = 0;
    // The VM's console was removed: what is kept about a VM that vanished may go.
    virtual void forget(const QString &vmName) { Q_UNUSED(vmName); }

Q_SIGNALS:
    // The VM exists (first seen, or back after it vanished).
    void appeared(const QString &vmName);
    void vmStateChanged(const QString &vmName, const QString &state);
    // The VM no longer exists (undefined, its socket removed).
    void vanished(const QString &vmName, const QString &why);
    // Whether the discoverer can see the VMs, and what it watches or why not.
    void statusChanged(bool up, const QString &reason);

private:
    DiscoverySettings m_settings;
};

} // namespace CloudConsole
