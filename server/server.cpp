#include "server.h"

#include "discoverymanager.h"
#include "httpfrontend.h"
#include "metrics.h"
#include "options.h"
#include "sourcespec.h"
#include "webhookdispatcher.h"

#include <QLoggingCategory>
#include <QTimer>

#include <algorithm>

namespace CloudConsole {

Q_LOGGING_CATEGORY(lcServer, "cloudconsole.server")

namespace {

// The source spec with what only the command line or configuration adds (the restart policy).
QString specKey(const SourceSpec &spec)
{
    return spec.toString() + QStringLiteral(" restart=%1").arg(int(spec.restart));
}

// A console's settings, from its declaration and what it takes from the server: the limits, and
// the client count unless it has its own.
ConsoleSettings consoleSettings(const ServerOptions &options, const ConsoleOptions &console)
{
    ConsoleSettings settings;
    settings.sourceSpec = specKey(console.source);
    settings.name = console.name;
    settings.historySize = console.historySize;
    settings.logPath = console.logPath;
    settings.markers = console.markers;
    settings.size = console.size;
    settings.scrollbackLines = console.scrollbackLines;
    settings.screen = console.screen;
    settings.syslog = console.syslog;
    settings.sharing = console.sharing;
    settings.sharing.pasteRate
        = console.sharing.effectivePasteRate(console.source.kind == SourceSpec::Kind::Exec);
    settings.recording = console.recording;
    // The command line's one console may have every client the server takes (--max-clients).
    settings.maxClients = console.maxClients > 0 ? console.maxClients
        : options.configPath.isEmpty()           ? options.maxClients
                                                 : options.limits.maxClientsPerConsole;
    settings.limits = options.limits;
    settings.alertRules = options.alerts.effective();
    return settings;
}

// Whether a running console is what a reloaded configuration declares. The client count and the
// limits apply to a running console; any other setting makes a new one.
bool sameConsole(const ConsoleSettings &running, const ConsoleSettings &declared)
{
    return running.name == declared.name && running.historySize == declared.historySize
        && running.logPath == declared.logPath && running.markers == declared.markers
        && running.sourceSpec == declared.sourceSpec && running.size == declared.size
        && running.scrollbackLines == declared.scrollbackLines && running.screen == declared.screen;
}

// Applies to a running console what may change while it runs (a reload); false when the settings
// make another console.
bool applyInPlace(Console &running, const ConsoleSettings &settings)
{
    if (!sameConsole(running.settings(), settings))
        return false;
    running.setLimits(settings.maxClients, settings.limits);
    // Rules apply at once; the console keeps its state and alert counts.
    running.setAlertRules(settings.alertRules);
    running.setSyslog(settings.syslog);
    running.setSharing(settings.sharing);
    running.setRecording(settings.recording); // a new file, or none
    return true;
}

bool checkAccess(const ServerOptions &options, QString *error)
{
    if (options.access.enabled() || options.access.insecure || options.address.isLoopback())
        return true;
    *error = QStringLiteral("refusing to listen on %1 without access control: declare [user NAME] "
                            "or [token NAME] sections in --config, or pass --insecure")
                 .arg(options.address.toString());
    return false;
}

QString urlHost(const QHostAddress &address)
{
    if (address.protocol() == QAbstractSocket::IPv6Protocol)
        return QLatin1Char('[') + address.toString() + QLatin1Char(']');
    return address.toString();
}

// Reads the files the webhooks name (secret-file, ca).
bool loadWebhooks(ServerOptions &options, QString *error)
{
    for (WebhookSettings &webhook : options.webhooks) {
        if (!webhook.load(error))
            return false;
    }
    return true;
}

FrontendSettings frontendSettings(const ServerOptions &options)
{
    FrontendSettings settings;
    settings.maxClients = options.maxClients;
    settings.webRoot = options.webRoot;
    settings.access = options.access;
    settings.tls = options.tls;
    settings.publicUrl = options.publicUrl; // the base of share links
    settings.fleet = options.fleet;
    return settings;
}

} // namespace

Server::Server(ServerOptions options, QStringList arguments, QObject *parent)
    : QObject(parent)
    , m_options(std::move(options))
    , m_arguments(std::move(arguments))
    , m_webhooks(std::make_unique<WebhookDispatcher>())
{ }

Server::~Server()
{
    m_discovery.reset();
    // Flushes the logs and ends spawned programs while the frontend still stands.
    m_consoles.clear();
}

void Server::addConsole(std::unique_ptr<Console> console)
{
    connect(console.get(), &Console::alertRaised, m_webhooks.get(),
            [webhooks = m_webhooks.get(), name = console->name()](const Alert &alert) {
                webhooks->post(name, alert);
            });
    m_consoles.add(std::move(console));
}

QUrl Server::linkBase(const ServerOptions &options) const
{
    return options.publicUrl.isEmpty() ? QUrl(baseUrl()) : options.publicUrl;
}

std::unique_ptr<Console> Server::makeConsole(const ServerOptions &options,
                                             const ConsoleOptions &console, QString *error) const
{
    if (!probeSource(console.source, error))
        return nullptr;
    return std::make_unique<Console>(consoleSettings(options, console),
                                     createSource(console.source));
}

bool Server::start(QString *error)
{
    if (!checkAccess(m_options, error) || !m_options.tls.load(error)
        || !loadWebhooks(m_options, error))
        return false;
    for (const ConsoleOptions &declared : m_options.consoles) {
        std::unique_ptr<Console> console = makeConsole(m_options, declared, error);
        if (!console) {
            if (m_options.consoles.size() > 1)
                *error = QStringLiteral("console \"%1\": %2").arg(declared.name, *error);
            return false;
        }
        addConsole(std::move(console));
    }
    m_frontend = std::make_unique<HttpFrontend>(m_consoles, frontendSettings(m_options));
    m_frontend->setWebhooks(m_webhooks.get());
    QString why;
    if (!m_frontend->listen(m_options.address, m_options.port, &why)) {
        *error = QStringLiteral("cannot listen on %1:%2: %3")
                     .arg(urlHost(m_options.address))
                     .arg(m_options.port)
                     .arg(why);
        return false;
    }
    // The port is known now, for links under the server's own URL.
    m_webhooks->setBaseUrl(linkBase(m_options));
    m_webhooks->setWebhooks(m_options.webhooks);
    for (Console *console : m_consoles.consoles()) {
        if (!console->start(error))
            return false;
    }
    // Discovered consoles come once the declared ones run (the first declared stays the default).
    m_discovery = std::make_unique<DiscoveryManager>(
        m_consoles,
        [](const ServerOptions &options, const ConsoleOptions &console,
           std::unique_ptr<ConsoleSource> source) {
            return std::make_unique<Console>(consoleSettings(options, console), std::move(source));
        },
        [this](std::unique_ptr<Console> console) { addConsole(std::move(console)); },
        [](Console &running, const ServerOptions &options, const ConsoleOptions &console) {
            return applyInPlace(running, consoleSettings(options, console));
        });
    m_discovery->apply(m_options);
    return true;
}

quint16 Server::port() const
{
    return m_frontend ? m_frontend->port() : m_options.port;
}

QString Server::baseUrl() const
{
    return QStringLiteral("%1://%2:%3/")
        .arg(m_options.tls.enabled() ? QStringLiteral("https") : QStringLiteral("http"),
             urlHost(m_options.address))
        .arg(port());
}

bool Server::reload()
{
    for (Console *console : m_consoles.consoles())
        console->reopenLog();
    if (m_options.configPath.isEmpty())
        return true;
    const ParsedOptions again = parseOptions(m_arguments);
    QString why = again.text;
    if (again.outcome != ParsedOptions::Outcome::Run || !apply(again.options, &why)) {
        qCWarning(lcServer).noquote() << "keeping the running configuration:" << why;
        return false;
    }
    return true;
}

bool Server::apply(ServerOptions next, QString *error)
{
    // The socket stays where it is: check access against the address actually served.
    const bool listenChanged = next.address != m_options.address || next.port != m_options.port;
    next.address = m_options.address;
    next.port = m_options.port;
    if (!checkAccess(next, error) || !next.tls.load(error) || !loadWebhooks(next, error))
        return false;
    if (listenChanged)
        qCWarning(lcServer) << "a new listen address applies at the next start";

    for (Console *running : m_consoles.consoles()) {
        if (m_discovery && m_discovery->isDiscovered(running->name()))
            continue; // the discovery's to keep, change or remove (below)
        const auto declared
            = std::find_if(next.consoles.begin(), next.consoles.end(),
                           [&](const ConsoleOptions &c) { return c.name == running->name(); });
        if (declared != next.consoles.end()
            && applyInPlace(*running, consoleSettings(next, *declared)))
            continue;
        const bool removed = declared == next.consoles.end();
        const QString name = running->name();
        qCInfo(lcServer).noquote()
            << "closing console" << name << (removed ? "(removed)" : "(changed)");
        running->closeAllClients(QWebSocketProtocol::CloseCodeGoingAway,
                                 removed ? QStringLiteral("console removed")
                                         : QStringLiteral("console reconfigured"));
        // Deleted once its close frames are on their way.
        std::unique_ptr<Console> gone = m_consoles.take(name);
        gone->setParent(nullptr);
        QTimer::singleShot(200, gone.release(), &QObject::deleteLater);
    }
    // Discovered consoles take the new settings; one whose name is now declared makes way.
    if (m_discovery)
        m_discovery->apply(next);
    for (const ConsoleOptions &declared : next.consoles) {
        if (m_consoles.find(declared.name))
            continue;
        QString why;
        std::unique_ptr<Console> console = makeConsole(next, declared, &why);
        if (!console || !console->start(&why)) {
            qCWarning(lcServer).noquote() << "console" << declared.name << ":" << why;
            continue;
        }
        qCInfo(lcServer).noquote() << "added console" << declared.name;
        addConsole(std::move(console));
    }
    if (!next.consoles.empty() && m_consoles.find(next.consoles.front().name))
        m_consoles.setDefault(next.consoles.front().name);
    if (m_frontend) {
        m_frontend->setAccess(next.access, next.tls);
        m_frontend->setFleet(next.fleet);
    }
    m_options = std::move(next);
    // Webhooks kept by name go on with what they hold; see WebhookDispatcher.
    m_webhooks->setBaseUrl(linkBase(m_options));
    m_webhooks->setWebhooks(m_options.webhooks);
    qCInfo(lcServer) << "configuration reloaded:" << m_consoles.consoles().size() << "consoles";
    return true;
}

void Server::closeAllClients(const QString &reason)
{
    for (Console *console : m_consoles.consoles())
        console->closeAllClients(QWebSocketProtocol::CloseCodeGoingAway, reason);
}

} // namespace CloudConsole
