#pragma once

// ConsoleRegistry holds a server's consoles by name and knows which one is the default (served
// at "/" and "/ws"). It owns the consoles; it knows nothing about HTTP. For the consoles that
// discovery made (server/discovery/) it also keeps what the index, /consoles.json and /metrics
// tell about them: who found them, whether their VM is gone and until when they stay, and how
// each discoverer fares.

#include "console.h"

#include <QHostAddress>

#include <map>
#include <memory>
#include <optional>

namespace CloudConsole {

// A discovered console, as DiscoveryManager last said.
struct DiscoveryMark
{
    QString by; // "libvirt" or "ch"
    QString vmState; // what the VM is doing ("running", "shut off"), if its discoverer knows
    bool gone = false; // the VM no longer exists; the console stays until removeAtMs
    qint64 removeAtMs = 0; // ms since the epoch, while gone
};

// A discoverer: up while it can see the VMs (libvirt connected, the socket folder there).
struct DiscovererStatus
{
    bool up = false;
    QString reason; // what it watches, or why it cannot
};

class ConsoleRegistry
{
public:
    // 1 to 64 characters of A-Z a-z 0-9 . _ -, not starting with a dot.
    static bool isValidName(const QString &name);

    // Adds a console; the first one added is the default.
    void add(std::unique_ptr<Console> console);
    Console *find(const QString &name) const;
    // Takes a console out (its clients are the caller's to close first); nullptr if unknown.
    std::unique_ptr<Console> take(const QString &name);
    void setDefault(const QString &name) { m_defaultName = name; }
    Console *defaultConsole() const { return find(m_defaultName); }
    int totalClients() const;
    // Clients over every console that connected from address.
    int clientsFrom(const QHostAddress &address) const;
    std::vector<Console *> consoles() const;
    // Destroys every console (and so their clients and sources), before the event loop goes.
    void clear()
    {
        m_consoles.clear();
        m_discovered.clear();
    }

    // Discovery's marks: set on a console it made, gone with the console (take()).
    void setDiscoveryMark(const QString &name, const DiscoveryMark &mark)
    {
        m_discovered[name] = mark;
    }
    std::optional<DiscoveryMark> discoveryMark(const QString &name) const;
    // By kind ("libvirt", "ch"); empty without discovery.
    void setDiscovererStatus(const QString &kind, const DiscovererStatus &status)
    {
        m_discoverers[kind] = status;
    }
    void removeDiscoverer(const QString &kind) { m_discoverers.erase(kind); }
    const std::map<QString, DiscovererStatus> &discoverers() const { return m_discoverers; }

private:
    std::map<QString, std::unique_ptr<Console>> m_consoles;
    std::map<QString, DiscoveryMark> m_discovered;
    std::map<QString, DiscovererStatus> m_discoverers;
    QString m_defaultName;
};

} // namespace CloudConsole
