#include "libvirtdiscoverer.h"

#include "libvirteventloop.h"
#include "libvirtstreamsource.h"
#include "ptylocator.h"
#include "ptysource.h"

#include <QLoggingCategory>
#include <QPointer>

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include <algorithm>
#include <cstdlib>

Q_DECLARE_LOGGING_CATEGORY(lcDiscovery)

namespace CloudConsole {

namespace {

QString lastError()
{
    const char *message = virGetLastErrorMessage();
    return message ? QString::fromUtf8(message).trimmed() : QStringLiteral("unknown error");
}

QString stateText(int state)
{
    switch (state) {
    case VIR_DOMAIN_RUNNING:
        return QStringLiteral("running");
    case VIR_DOMAIN_BLOCKED:
        return QStringLiteral("blocked");
    case VIR_DOMAIN_PAUSED:
        return QStringLiteral("paused");
    case VIR_DOMAIN_SHUTDOWN:
        return QStringLiteral("shutting down");
    case VIR_DOMAIN_SHUTOFF:
        return QStringLiteral("shut off");
    case VIR_DOMAIN_CRASHED:
        return QStringLiteral("crashed");
    case VIR_DOMAIN_PMSUSPENDED:
        return QStringLiteral("suspended");
    default:
        return QStringLiteral("no state");
    }
}

QString closeReasonText(int reason)
{
    switch (reason) {
    case VIR_CONNECT_CLOSE_REASON_EOF:
        return QStringLiteral("libvirtd closed the connection");
    case VIR_CONNECT_CLOSE_REASON_KEEPALIVE:
        return QStringLiteral("libvirtd stopped answering keepalives");
    case VIR_CONNECT_CLOSE_REASON_CLIENT:
        return QStringLiteral("closed by the client");
    default:
        return QStringLiteral("a connection error");
    }
}

// The pty of a domain's current run, for its console's PtySource: answered at once while the
// domain runs with a pty nobody has spent, else once (failed, with the reason) and then held until
// the domain's next run.
class LibvirtPtyLocator : public PtyLocator
{
public:
    LibvirtPtyLocator(LibvirtDiscoverer *discoverer, const QString &vmName)
        : m_discoverer(discoverer)
        , m_vmName(vmName)
        , m_description(
              QStringLiteral("libvirt domain %1 at %2").arg(vmName, discoverer->settings().uri))
    {
        connect(discoverer, &LibvirtDiscoverer::domainChanged, this, [this](const QString &name) {
            if (name == m_vmName && m_asked)
                answer(false);
        });
    }

    void locate() override
    {
        m_asked = true;
        answer(true);
    }
    void noteHangup() override { m_spentId = m_givenId; }
    QString describe() const override { return m_description; }

private:
    void answer(bool mayFail)
    {
        if (!m_discoverer) {
            m_asked = false;
            Q_EMIT failed(m_description + QStringLiteral(": discovery stopped"));
            return;
        }
        const LibvirtDiscoverer::Pty pty = m_discoverer->ptyOf(m_vmName);
        if (!pty.path.isEmpty() && pty.domainId != m_spentId) {
            m_asked = false;
            m_toldWhy = false;
            m_givenId = pty.domainId;
            Q_EMIT located(pty.path);
            return;
        }
        if (mayFail && !m_toldWhy) {
            // Said once; the next question waits for the domain's next run.
            m_asked = false;
            m_toldWhy = true;
            Q_EMIT failed(
                m_description + QStringLiteral(": ")
                + (pty.path.isEmpty() ? pty.why : QStringLiteral("waiting for its next run")));
        }
    }

    QPointer<LibvirtDiscoverer> m_discoverer;
    QString m_vmName;
    QString m_description;
    bool m_asked = false;
    bool m_toldWhy = false;
    int m_givenId = -1;
    int m_spentId = -1;
};

} // namespace

// libvirt's C callbacks, each forwarding to one member.
struct LibvirtCallbacks
{
    static int lifecycle(virConnectPtr, virDomainPtr domain, int event, int, void *opaque)
    {
        static_cast<LibvirtDiscoverer *>(opaque)->onLifecycle(
            QString::fromUtf8(virDomainGetName(domain)), event);
        return 0;
    }
    static void closed(virConnectPtr, int reason, void *opaque)
    {
        static_cast<LibvirtDiscoverer *>(opaque)->onClosed(reason);
    }
};

LibvirtDiscoverer::LibvirtDiscoverer(DiscoverySettings settings, QObject *parent)
    : Discoverer(std::move(settings), parent)
    , m_retry(Backoff(std::chrono::seconds(1), std::chrono::seconds(30)))
{
    connect(&m_retry, &Retry::due, this, &LibvirtDiscoverer::connectNow);
    m_refresh.setSingleShot(true);
    m_refresh.setInterval(0);
    connect(&m_refresh, &QTimer::timeout, this, [this] {
        const QSet<QString> names = std::exchange(m_dirty, {});
        for (const QString &name : names)
            refresh(name);
    });
}

LibvirtDiscoverer::~LibvirtDiscoverer()
{
    m_closing = true;
    disconnectNow(QString());
}

void LibvirtDiscoverer::start()
{
    connectNow();
}

void LibvirtDiscoverer::connectNow()
{
    if (m_connection)
        return;
    // Before the first connection of the process (libvirt's rule).
    LibvirtEventLoop::install();
    const QString uri = settings().uri;
    virConnectPtr connection = settings().usesStream()
        ? virConnectOpen(uri.toUtf8().constData())
        : virConnectOpenReadOnly(uri.toUtf8().constData());
    if (!connection) {
        const QString why
            = QStringLiteral("cannot connect to libvirt at %1: %2").arg(uri, lastError());
        if (m_retry.noteFailure(why))
            qCWarning(lcDiscovery).noquote() << "libvirt:" << why << "- retrying";
        const auto delay = m_retry.schedule();
        Q_EMIT statusChanged(
            false,
            QStringLiteral("%1 (next try in %2 s)").arg(why).arg(double(delay.count()) / 1000.0));
        return;
    }
    m_connection = connection;
    // A libvirtd that stops answering is noticed within 5 s * (3 + 1), also while idle.
    virConnectSetKeepAlive(connection, 5, 3);
    virConnectRegisterCloseCallback(connection, &LibvirtCallbacks::closed, this, nullptr);
    m_lifecycleCallback = virConnectDomainEventRegisterAny(
        connection, nullptr, VIR_DOMAIN_EVENT_ID_LIFECYCLE,
        VIR_DOMAIN_EVENT_CALLBACK(&LibvirtCallbacks::lifecycle), this, nullptr);
    if (m_lifecycleCallback < 0) {
        const QString why
            = QStringLiteral("libvirt at %1 gives no domain events: %2").arg(uri, lastError());
        disconnectNow(why);
        return;
    }
    m_retry.noteAttached();
    m_retry.noteWorking();
    scanAll();
    const auto served = std::count_if(m_domains.begin(), m_domains.end(),
                                      [](const auto &entry) { return entry.second.exists; });
    const QString status
        = QStringLiteral("connected to %1: %2 domains with a console").arg(uri).arg(served);
    qCInfo(lcDiscovery).noquote() << "libvirt:" << status;
    Q_EMIT statusChanged(true, status);
}

void LibvirtDiscoverer::disconnectNow(const QString &why)
{
    m_refresh.stop();
    m_dirty.clear();
    if (m_connection) {
        if (m_lifecycleCallback >= 0)
            virConnectDomainEventDeregisterAny(m_connection, m_lifecycleCallback);
        virConnectUnregisterCloseCallback(m_connection, &LibvirtCallbacks::closed);
        virConnectClose(m_connection);
    }
    m_connection = nullptr;
    m_lifecycleCallback = -1;
    if (m_closing)
        return;
    qCWarning(lcDiscovery).noquote() << "libvirt:" << why << "- connecting again";
    m_retry.noteFailure(why);
    const auto delay = m_retry.schedule();
    Q_EMIT statusChanged(
        false,
        QStringLiteral("%1 (next try in %2 s)").arg(why).arg(double(delay.count()) / 1000.0));
}

void LibvirtDiscoverer::onClosed(int reason)
{
    // Inside libvirt's own handling of the connection: closed on the next turn of the loop.
    const QString why = QStringLiteral("lost the connection to libvirt at %1: %2")
                            .arg(settings().uri, closeReasonText(reason));
    QTimer::singleShot(0, this, [this, why] {
        if (m_connection)
            disconnectNow(why);
    });
}

void LibvirtDiscoverer::onLifecycle(const QString &name, int event)
{
    Q_UNUSED(event); // every event is a reason to read the domain again
    m_dirty.insert(name);
    m_refresh.start();
}

void LibvirtDiscoverer::scanAll()
{
    virDomainPtr *domains = nullptr;
    const int count = virConnectListAllDomains(m_connection, &domains, 0);
    if (count < 0) {
        qCWarning(lcDiscovery).noquote() << "libvirt: cannot list the domains:" << lastError();
        return;
    }
    QSet<QString> seen;
    for (int i = 0; i < count; ++i) {
        seen.insert(QString::fromUtf8(virDomainGetName(domains[i])));
        readDomain(domains[i]);
        virDomainFree(domains[i]);
    }
    std::free(domains);
    // What went while the connection was down.
    std::vector<QString> gone;
    for (const auto &[name, domain] : m_domains) {
        if (!seen.contains(name) && domain.exists)
            gone.push_back(name);
    }
    for (const QString &name : gone)
        vanish(name, QStringLiteral("domain no longer defined"));
}

void LibvirtDiscoverer::refresh(const QString &name)
{
    if (!m_connection)
        return;
    virDomainPtr domain = virDomainLookupByName(m_connection, name.toUtf8().constData());
    if (!domain) {
        if (virGetLastErrorCode() == VIR_ERR_NO_DOMAIN)
            vanish(name, QStringLiteral("domain undefined"));
        else
            qCWarning(lcDiscovery).noquote()
                << "libvirt: cannot look up" << name + u':' << lastError();
        return;
    }
    readDomain(domain);
    virDomainFree(domain);
}

void LibvirtDiscoverer::readDomain(virDomain *handle)
{
    const QString name = QString::fromUtf8(virDomainGetName(handle));
    int state = VIR_DOMAIN_NOSTATE;
    int reason = 0;
    if (virDomainGetState(handle, &state, &reason, 0) < 0) {
        if (virGetLastErrorCode() == VIR_ERR_NO_DOMAIN)
            vanish(name, QStringLiteral("domain undefined"));
        return;
    }
    char *xml = virDomainGetXMLDesc(handle, 0);
    if (!xml) {
        if (virGetLastErrorCode() == VIR_ERR_NO_DOMAIN)
            vanish(name, QStringLiteral("domain undefined"));
        return;
    }
    QString why;
    const auto device = consoleDeviceFromXml(
        QString::fromUtf8(xml), settings().device == PtySource::Device::VirtioConsole, &why);
    std::free(xml);
    const auto known = m_domains.find(name);
    if (!device) {
        if (known != m_domains.end() && known->second.exists)
            vanish(name, why);
        else
            qCDebug(lcDiscovery).noquote() << "libvirt: domain" << name << "is not served:" << why;
        return;
    }
    Domain &domain = m_domains[name];
    const bool appearing = !domain.exists;
    const bool running = state == VIR_DOMAIN_RUNNING || state == VIR_DOMAIN_PAUSED
        || state == VIR_DOMAIN_BLOCKED || state == VIR_DOMAIN_SHUTDOWN
        || state == VIR_DOMAIN_PMSUSPENDED;
    const unsigned int id = virDomainGetID(handle);
    domain.exists = true;
    domain.state = stateText(state);
    domain.id = running && id != static_cast<unsigned int>(-1) ? int(id) : -1;
    domain.device = device;
    if (appearing)
        Q_EMIT appeared(name);
    Q_EMIT vmStateChanged(name, domain.state);
    Q_EMIT domainChanged(name);
}

void LibvirtDiscoverer::vanish(const QString &name, const QString &why)
{
    const auto it = m_domains.find(name);
    if (it == m_domains.end() || !it->second.exists)
        return;
    it->second.exists = false;
    it->second.id = -1;
    it->second.state = QStringLiteral("gone");
    Q_EMIT vmStateChanged(name, it->second.state);
    Q_EMIT domainChanged(name);
    Q_EMIT vanished(name, why);
}

void LibvirtDiscoverer::forget(const QString &vmName)
{
    const auto it = m_domains.find(vmName);
    if (it != m_domains.end() && !it->second.exists)
        m_domains.erase(it);
}

LibvirtDiscoverer::Pty LibvirtDiscoverer::ptyOf(const QString &vmName) const
{
    Pty pty;
    const auto it = m_domains.find(vmName);
    if (it == m_domains.end() || !it->second.exists) {
        pty.why = QStringLiteral("the domain is gone");
        return pty;
    }
    const Domain &domain = it->second;
    if (domain.id < 0) {
        pty.why = QStringLiteral("the domain is %1").arg(domain.state);
        return pty;
    }
    if (!domain.device || domain.device->type != LibvirtConsoleDevice::Type::Pty
        || domain.device->path.isEmpty()) {
        pty.why = QStringLiteral("the domain runs, but libvirt names no pty for its console");
        return pty;
    }
    pty.path = domain.device->path;
    pty.domainId = domain.id;
    return pty;
}

virStream *LibvirtDiscoverer::openConsole(const QString &vmName, int spentId, int *domainId,
                                          QString *why)
{
    if (!m_connection) {
        *why = QStringLiteral("not connected to libvirt");
        return nullptr;
    }
    const auto it = m_domains.find(vmName);
    if (it == m_domains.end() || !it->second.exists) {
        *why = QStringLiteral("the domain is gone");
        return nullptr;
    }
    if (it->second.id < 0) {
        *why = QStringLiteral("the domain is %1").arg(it->second.state);
        return nullptr;
    }
    if (it->second.id == spentId) {
        *why = QStringLiteral("waiting for its next run");
        return nullptr;
    }
    *domainId = it->second.id;
    virDomainPtr domain = virDomainLookupByName(m_connection, vmName.toUtf8().constData());
    if (!domain) {
        *why = lastError();
        return nullptr;
    }
    virStreamPtr stream = virStreamNew(m_connection, VIR_STREAM_NONBLOCK);
    // The serial port 0 is libvirt's first console; another device goes by its alias.
    const QByteArray alias = it->second.device ? it->second.device->alias.toUtf8() : QByteArray();
    const bool byAlias = it->second.device && it->second.device->virtio && !alias.isEmpty();
    if (!stream
        || virDomainOpenConsole(domain, byAlias ? alias.constData() : nullptr, stream, 0) < 0) {
        *why = QStringLiteral("cannot open the console stream: %1").arg(lastError());
        if (stream)
            virStreamFree(stream);
        virDomainFree(domain);
        return nullptr;
    }
    virDomainFree(domain);
    return stream;
}

SourceSpec LibvirtDiscoverer::specFor(const QString &vmName) const
{
    SourceSpec spec;
    spec.device = settings().device;
    const auto it = m_domains.find(vmName);
    const LibvirtConsoleDevice device
        = it != m_domains.end() && it->second.device ? *it->second.device : LibvirtConsoleDevice();
    QString endpoint;
    switch (device.type) {
    case LibvirtConsoleDevice::Type::Pty:
        // No spec names a libvirt pty: one that says which domain, for the settings and the log.
        spec.kind = SourceSpec::Kind::Pty;
        spec.target
            = QStringLiteral("libvirt domain %1 at %2%3")
                  .arg(vmName, settings().uri,
                       settings().usesStream() ? QStringLiteral(" (console stream)") : QString());
        return spec;
    case LibvirtConsoleDevice::Type::Unix:
        endpoint = QStringLiteral("unix:") + device.path;
        break;
    case LibvirtConsoleDevice::Type::Tcp:
    case LibvirtConsoleDevice::Type::Telnet: {
        // A port bound on every address is reached on loopback.
        QString host = device.host;
        if (host == QLatin1String("0.0.0.0"))
            host = QStringLiteral("127.0.0.1");
        else if (host == QLatin1String("::"))
            host = QStringLiteral("::1");
        if (host.contains(u':'))
            host = u'[' + host + u']';
        endpoint = (device.type == LibvirtConsoleDevice::Type::Telnet ? QStringLiteral("telnet:")
                                                                      : QStringLiteral("tcp:"))
            + host + u':' + device.port;
        break;
    }
    }
    QString why;
    if (const auto parsed = parseSourceSpec(endpoint, &why))
        return *parsed;
    spec.kind = SourceSpec::Kind::Pty;
    spec.target = QStringLiteral("libvirt domain %1 at %2").arg(vmName, settings().uri);
    return spec;
}

std::unique_ptr<ConsoleSource> LibvirtDiscoverer::createSource(const QString &vmName)
{
    const SourceSpec spec = specFor(vmName);
    if (spec.kind != SourceSpec::Kind::Pty)
        return CloudConsole::createSource(spec);
    if (settings().usesStream())
        return std::make_unique<LibvirtStreamSource>(this, vmName);
    return std::make_unique<PtySource>(std::make_unique<LibvirtPtyLocator>(this, vmName),
                                       spec.device);
}

} // namespace CloudConsole
