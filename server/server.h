#pragma once

// Server is the whole cloud-console server made from its settings: the consoles (a
// ConsoleRegistry) and the HTTP frontend that serves them. start() checks access control, loads
// TLS, makes the consoles, listens and starts them; reload() is SIGHUP: it reopens the logs and,
// for a server started with --config, reads the configuration again with the same command line
// and applies what changed, keeping the running configuration when the new one has a mistake.
//
// Every console's alerts also go to the webhooks of the configuration (WebhookDispatcher), whose
// files (secret-file, ca) are read at start-up and on every reload; a reload replaces the set.
//
// [discover libvirt] and [discover ch] sections add and remove consoles at runtime, through a
// DiscoveryManager (server/discovery/) that start() and every reload give the settings to; a
// reload leaves the consoles it made to it.
//
// It owns the consoles, the frontend, the webhooks and the discovery. It knows nothing of signals,
// standard output or exit codes: main() connects SIGHUP to reload() and prints what start() says.

#include "consoleregistry.h"
#include "serveroptions.h"

#include <QObject>
#include <QStringList>

#include <memory>

namespace CloudConsole {

class DiscoveryManager;
class HttpFrontend;
class WebhookDispatcher;

class Server : public QObject
{
    Q_OBJECT
public:
    // arguments: the command line the options came from, read again by reload().
    Server(ServerOptions options, QStringList arguments, QObject *parent = nullptr);
    ~Server() override;

    // Everything that can fail at start-up, in order: access control, TLS, the consoles'
    // sources, listening; then the consoles start (so a busy port does not spawn a program).
    bool start(QString *error);
    // SIGHUP. False when the running configuration was kept (the file has a mistake); the
    // warning is logged. The logs are reopened either way.
    bool reload();
    // Applies settings read again: consoles added, removed or replaced, limits, access and TLS.
    // False and *error, changing nothing, when they cannot apply.
    bool apply(ServerOptions next, QString *error);
    // Closes every client with "going away" and reason, before the server stops.
    void closeAllClients(const QString &reason);

    const ServerOptions &options() const { return m_options; }
    ConsoleRegistry &consoles() { return m_consoles; }
    quint16 port() const; // the port listened on (0 in the settings picks one)
    // "http://127.0.0.1:8080/", the root every console's URL is under.
    QString baseUrl() const;
    // Where the alerts go beyond the consoles.
    const WebhookDispatcher &webhooks() const { return *m_webhooks; }
    // The consoles of [discover] sections (nullptr before start()).
    DiscoveryManager *discovery() const { return m_discovery.get(); }

private:
    std::unique_ptr<Console> makeConsole(const ServerOptions &options,
                                         const ConsoleOptions &console, QString *error) const;
    // Adds a made console, its alerts going to the webhooks.
    void addConsole(std::unique_ptr<Console> console);
    // The links webhooks send: public-url, or the server's own URL.
    QUrl linkBase(const ServerOptions &options) const;

    ServerOptions m_options;
    QStringList m_arguments;
    ConsoleRegistry m_consoles;
    std::unique_ptr<WebhookDispatcher> m_webhooks;
    std::unique_ptr<HttpFrontend> m_frontend;
    std::unique_ptr<DiscoveryManager> m_discovery;
};

} // namespace CloudConsole
