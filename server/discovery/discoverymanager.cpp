#include "discoverymanager.h"

#include "chdiscoverer.h"
#include "console.h"
#include "consoleregistry.h"
#include "libvirtdiscoverer.h"

#include <QDateTime>
#include <QLoggingCategory>

#include <algorithm>
#include <chrono>

Q_LOGGING_CATEGORY(lcDiscovery, "cloudconsole.discovery")

namespace CloudConsole {

namespace {

// The sweep looks at least this often, so a removal days away needs no timer that long.
constexpr std::chrono::milliseconds MaxSweepInterval = std::chrono::hours(1);

} // namespace

DiscoveryManager::DiscoveryManager(ConsoleRegistry &registry, ConsoleFactory make, ConsoleAdder add,
                                   ConsoleUpdater update, QObject *parent)
    : QObject(parent)
    , m_registry(registry)
    , m_make(std::move(make))
    , m_add(std::move(add))
    , m_update(std::move(update))
    , m_makeDiscoverer(&DiscoveryManager::createDiscoverer)
{
    m_sweep.setSingleShot(true);
    connect(&m_sweep, &QTimer::timeout, this, &DiscoveryManager::sweep);
}

DiscoveryManager::~DiscoveryManager()
{
    // The consoles stay the registry's (the server clears it); only the discoverers go.
    for (const auto &discoverer : m_discoverers)
        discoverer->disconnect(this);
}

std::unique_ptr<Discoverer> DiscoveryManager::createDiscoverer(const DiscoverySettings &settings)
{
    if (settings.kind == DiscoverySettings::Kind::Ch)
        return std::make_unique<ChDiscoverer>(settings);
    return std::make_unique<LibvirtDiscoverer>(settings);
}

void DiscoveryManager::apply(const ServerOptions &options)
{
    m_options = options;
    const DiscoveryOptions &next = options.discovery;

    // A discovered console whose name the file now declares makes way for it.
    for (const ConsoleOptions &declared : options.consoles) {
        if (isDiscovered(declared.name))
            remove(declared.name, QStringLiteral("console declared in the configuration"));
    }

    std::vector<Discoverer *> started;
    for (auto it = m_discoverers.begin(); it != m_discoverers.end();) {
        Discoverer *discoverer = it->get();
        const DiscoverySettings *section = next.section(discoverer->settings().kind);
        if (section && section->sameSource(discoverer->settings())) {
            discoverer->setSettings(*section);
            ++it;
            continue;
        }
        const QString kind = discoverer->settings().kindName();
        qCInfo(lcDiscovery).noquote()
            << "[discover" << kind + u']' << (section ? "changed" : "removed")
            << ": closing its consoles";
        removeAllOf(discoverer,
                    section ? QStringLiteral("console reconfigured")
                            : QStringLiteral("console removed"));
        discoverer->disconnect(this);
        m_registry.removeDiscoverer(kind);
        it = m_discoverers.erase(it);
    }

    // The consoles that stay take their new settings, or are made anew.
    std::vector<QString> names;
    for (const auto &[name, entry] : m_consoles)
        names.push_back(name);
    for (const QString &name : names) {
        const auto it = m_consoles.find(name);
        if (it == m_consoles.end())
            continue;
        Discoverer *by = it->second.by;
        Console *console = m_registry.find(name);
        ConsoleOptions wanted = next.consoleFor(options, by->settings(), name);
        wanted.source = by->specFor(it->second.vmName);
        if (console && m_update(*console, options, wanted))
            continue;
        const QString vmName = it->second.vmName;
        const bool gone = it->second.mark.gone;
        remove(name, QStringLiteral("console reconfigured"));
        if (!gone)
            makeConsole(by, vmName, name);
    }
    // The gone consoles' removal times stay; a new keep-after-gone applies to VMs that go next.

    for (const DiscoverySettings &section : next.sections) {
        const bool running
            = std::any_of(m_discoverers.begin(), m_discoverers.end(),
                          [&](const auto &d) { return d->settings().kind == section.kind; });
        if (running)
            continue;
        std::unique_ptr<Discoverer> discoverer = m_makeDiscoverer(section);
        watch(discoverer.get());
        started.push_back(discoverer.get());
        m_discoverers.push_back(std::move(discoverer));
    }
    for (Discoverer *discoverer : started) {
        qCInfo(lcDiscovery).noquote()
            << "[discover" << discoverer->settings().kindName() + u']' << "starting";
        discoverer->start();
    }
}

void DiscoveryManager::watch(Discoverer *discoverer)
{
    const QString kind = discoverer->settings().kindName();
    m_registry.setDiscovererStatus(kind, {false, QStringLiteral("starting")});
    connect(discoverer, &Discoverer::appeared, this,
            [this, discoverer](const QString &vmName) { onAppeared(discoverer, vmName); });
    connect(discoverer, &Discoverer::vmStateChanged, this,
            [this, discoverer](const QString &vmName, const QString &state) {
                onVmState(discoverer, vmName, state);
            });
    connect(discoverer, &Discoverer::vanished, this,
            [this, discoverer](const QString &vmName, const QString &why) {
                onVanished(discoverer, vmName, why);
            });
    connect(discoverer, &Discoverer::statusChanged, this,
            [this, kind](bool up, const QString &reason) {
                m_registry.setDiscovererStatus(kind, {up, reason});
            });
}

QString DiscoveryManager::nameFor(Discoverer *by, const QString &vmName)
{
    const QString name = consoleNameFor(by->settings().namePrefix, vmName);
    if (name.isEmpty()) {
        const QString key = by->settings().kindName() + u'/' + vmName;
        if (!m_warned.contains(key)) {
            m_warned.insert(key);
            qCWarning(lcDiscovery).noquote() << by->settings().kindName()
                    + QStringLiteral(": VM \"%1\" makes no console name").arg(vmName.left(80));
        }
    }
    return name;
}

void DiscoveryManager::onAppeared(Discoverer *by, const QString &vmName)
{
    const QString name = nameFor(by, vmName);
    if (name.isEmpty())
        return;
    const auto it = m_consoles.find(name);
    if (it != m_consoles.end() && it->second.by == by && it->second.vmName == vmName) {
        if (it->second.mark.gone) {
            it->second.mark.gone = false;
            it->second.mark.removeAtMs = 0;
            qCInfo(lcDiscovery).noquote()
                << "console" << name << "is back: its VM" << vmName << "exists again";
            publish(name);
            armSweep();
        }
        return;
    }
    if (it != m_consoles.end() || m_registry.find(name)) {
        if (!m_warned.contains(name)) {
            m_warned.insert(name);
            qCWarning(lcDiscovery).noquote() << by->settings().kindName()
                    + QStringLiteral(": VM \"%1\" is not served: the "
                                     "console name %2 is taken")
                          .arg(vmName, name);
        }
        return;
    }
    makeConsole(by, vmName, name);
}

void DiscoveryManager::makeConsole(Discoverer *by, const QString &vmName, const QString &name)
{
    ConsoleOptions options = m_options.discovery.consoleFor(m_options, by->settings(), name);
    options.source = by->specFor(vmName);
    std::unique_ptr<Console> console = m_make(m_options, options, by->createSource(vmName));
    QString why;
    if (!console || !console->start(&why)) {
        qCWarning(lcDiscovery).noquote() << "console" << name << "of" << by->settings().kindName()
                                         << "VM" << vmName << ":" << why;
        return;
    }
    Entry entry;
    entry.by = by;
    entry.vmName = vmName;
    entry.mark.by = by->settings().kindName();
    m_consoles[name] = entry;
    m_warned.remove(name);
    qCInfo(lcDiscovery).noquote() << "added console" << name << "for" << entry.mark.by << "VM"
                                  << vmName << "(" + options.source.toString() + ")";
    m_add(std::move(console));
    publish(name);
}

void DiscoveryManager::onVmState(Discoverer *by, const QString &vmName, const QString &state)
{
    const QString name = consoleNameFor(by->settings().namePrefix, vmName);
    const auto it = m_consoles.find(name);
    if (it == m_consoles.end() || it->second.by != by)
        return;
    it->second.mark.vmState = state;
    publish(name);
}

void DiscoveryManager::onVanished(Discoverer *by, const QString &vmName, const QString &why)
{
    const QString name = consoleNameFor(by->settings().namePrefix, vmName);
    const auto it = m_consoles.find(name);
    if (it == m_consoles.end() || it->second.by != by || it->second.mark.gone)
        return;
    const std::chrono::seconds keep = by->settings().keepAfterGone;
    if (keep.count() == 0) {
        remove(name, QStringLiteral("console removed: its VM is gone (%1)").arg(why));
        return;
    }
    it->second.mark.gone = true;
    it->second.mark.removeAtMs = QDateTime::currentMSecsSinceEpoch()
        + std::chrono::duration_cast<std::chrono::milliseconds>(keep).count();
    qCInfo(lcDiscovery).noquote() << "console" << name << "kept for" << keep.count()
                                  << "s: its VM is gone (" + why + ')';
    publish(name);
    armSweep();
}

void DiscoveryManager::remove(const QString &name, const QString &reason)
{
    if (const auto it = m_consoles.find(name); it != m_consoles.end()) {
        Discoverer *by = it->second.by;
        const QString vmName = it->second.vmName;
        m_consoles.erase(it);
        by->forget(vmName);
    }
    Console *console = m_registry.find(name);
    if (!console)
        return;
    qCInfo(lcDiscovery).noquote() << "removing console" << name << "(" + reason + ')';
    console->closeAllClients(QWebSocketProtocol::CloseCodeGoingAway, reason.left(120));
    // Deleted once its close frames are on their way, by the timer itself: not with deleteLater(),
    // whose deferred delete posted from a nested event loop waits for that loop's level, while the
    // console would hold its pty, reading bytes its successor should get.
    std::shared_ptr<Console> gone(m_registry.take(name));
    gone->setParent(nullptr);
    QTimer::singleShot(200, this, [gone]() mutable { gone.reset(); });
}

void DiscoveryManager::removeAllOf(Discoverer *by, const QString &reason)
{
    std::vector<QString> names;
    for (const auto &[name, entry] : m_consoles) {
        if (entry.by == by)
            names.push_back(name);
    }
    for (const QString &name : names)
        remove(name, reason);
}

void DiscoveryManager::publish(const QString &name)
{
    const auto it = m_consoles.find(name);
    if (it != m_consoles.end() && m_registry.find(name))
        m_registry.setDiscoveryMark(name, it->second.mark);
}

void DiscoveryManager::armSweep()
{
    qint64 earliest = -1;
    for (const auto &[name, entry] : m_consoles) {
        if (entry.mark.gone && (earliest < 0 || entry.mark.removeAtMs < earliest))
            earliest = entry.mark.removeAtMs;
    }
    if (earliest < 0) {
        m_sweep.stop();
        return;
    }
    const qint64 in = std::max<qint64>(0, earliest - QDateTime::currentMSecsSinceEpoch());
    m_sweep.start(std::chrono::milliseconds(std::min<qint64>(in, MaxSweepInterval.count())));
}

void DiscoveryManager::sweep()
{
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    std::vector<QString> due;
    for (const auto &[name, entry] : m_consoles) {
        if (entry.mark.gone && entry.mark.removeAtMs <= now)
            due.push_back(name);
    }
    for (const QString &name : due)
        remove(name, QStringLiteral("console removed: its VM is gone"));
    armSweep();
}

} // namespace CloudConsole
