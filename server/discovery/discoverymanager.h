#pragma once

// DiscoveryManager turns what the discoverers find into consoles of the registry, and never loses
// one: a VM that appears gets a console named after it (name-prefix + the VM's name), made from
// its section's settings and the override of that name; a VM that vanishes keeps its console, its
// history, its log and its clients, marked gone, for keep-after-gone, and a VM that comes back
// before then gets the same console again (its clients see the new boot in the same session).
// One timer, armed for the earliest removal, removes consoles whose time is up.
//
// It owns the discoverers and the discovered consoles' bookkeeping (the consoles themselves are
// the registry's). It knows nothing of how a console is made beyond the factory Server gives it,
// nor of HTTP: the marks it leaves in the registry are what the index, /consoles.json and /metrics
// show.

#include "consoleregistry.h"
#include "discoverer.h"
#include "serveroptions.h"

#include <QObject>
#include <QSet>
#include <QTimer>

#include <functional>
#include <map>
#include <memory>
#include <vector>

namespace CloudConsole {

class DiscoveryManager : public QObject
{
    Q_OBJECT
public:
    // Makes (not starts) the console of a VM from the server's settings, its own and its source.
    using ConsoleFactory = std::function<std::unique_ptr<Console>(
        const ServerOptions &, const ConsoleOptions &, std::unique_ptr<ConsoleSource>)>;
    // Adds a made and started console to the server (alerts to the webhooks, ...).
    using ConsoleAdder = std::function<void(std::unique_ptr<Console>)>;
    // A reload: applies what may change on a running console; false when it must be made anew.
    using ConsoleUpdater
        = std::function<bool(Console &, const ServerOptions &, const ConsoleOptions &)>;
    // Makes the discoverer of a section (tests substitute their own).
    using DiscovererFactory = std::function<std::unique_ptr<Discoverer>(const DiscoverySettings &)>;

    DiscoveryManager(ConsoleRegistry &registry, ConsoleFactory make, ConsoleAdder add,
                     ConsoleUpdater update, QObject *parent = nullptr);
    ~DiscoveryManager() override;

    // The built-in discoverers: libvirt and ch.
    static std::unique_ptr<Discoverer> createDiscoverer(const DiscoverySettings &settings);
    void setDiscovererFactory(DiscovererFactory factory) { m_makeDiscoverer = std::move(factory); }

    // Start-up and every reload: discoverers whose section's source is the same stay (with its
    // new settings), the others go with their consoles, new sections start; each discovered
    // console takes its new settings, or is made anew when they cannot apply to it; a discovered
    // console whose name the file now declares makes way for the declared one.
    void apply(const ServerOptions &options);
    bool isDiscovered(const QString &consoleName) const { return m_consoles.count(consoleName); }
    int discoveredCount() const { return int(m_consoles.size()); }

private:
    struct Entry
    {
        Discoverer *by = nullptr;
        QString vmName;
        DiscoveryMark mark;
    };

    void watch(Discoverer *discoverer);
    void onAppeared(Discoverer *by, const QString &vmName);
    void onVmState(Discoverer *by, const QString &vmName, const QString &state);
    void onVanished(Discoverer *by, const QString &vmName, const QString &why);
    void makeConsole(Discoverer *by, const QString &vmName, const QString &name);
    void remove(const QString &name, const QString &reason);
    void removeAllOf(Discoverer *by, const QString &reason);
    void publish(const QString &name);
    void armSweep();
    void sweep();
    // The console name of a VM, or empty (said once) when the VM's name makes none.
    QString nameFor(Discoverer *by, const QString &vmName);

    ConsoleRegistry &m_registry;
    ConsoleFactory m_make;
    ConsoleAdder m_add;
    ConsoleUpdater m_update;
    DiscovererFactory m_makeDiscoverer;
    ServerOptions m_options;
    std::vector<std::unique_ptr<Discoverer>> m_discoverers;
    std::map<QString, Entry> m_consoles; // by console name
    QSet<QString> m_warned; // names already said to be unusable or taken
    QTimer m_sweep;
};

} // namespace CloudConsole
