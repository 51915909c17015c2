#pragma once

// HttpFrontend is the server's network face: the web page, its assets and the WebSocket
// endpoints of every console in a ConsoleRegistry. It puts together the parts that do the work:
// - ConnectionIntake: the listener, TLS, the limits on pending requests and HTTP connections,
//   and the one refusal writer; it reads each request head before anything else does;
// - decideUpgrade(): whether a WebSocket upgrade becomes a client, from its head, the settings
//   and the client counts alone;
// - WebSocketHandoff: the Qt 6.4 WebSocket handshake of accepted upgrades, carrying the decision
//   through to the connected WebSocket;
// - Routes: every plain request (pages, assets, status documents), with LoginService behind
//   /login and /logout, and ShareService behind share/TOKEN and /c/NAME/shares;
// - ShareLinks: the read-only links of the state directory, whose sessions the authenticator
//   takes too.
// What is left here: the settings and the authenticator they share, filling the upgrade
// policy's counts, making a client of a connected WebSocket (its credential checked again), and
// closing clients whose credential a reload removed, or whose share link ended.
// It owns those parts, the HTTP server and the authenticator; the consoles stay the registry's.

#include "authenticator.h"
#include "connectionintake.h"
#include "frontendsettings.h"
#include "loginservice.h"
#include "routes.h"
#include "sharelinks.h"
#include "shareservice.h"
#include "websockethandoff.h"

#include <QHostAddress>
#include <QHttpServer>
#include <QObject>
#include <QTimer>

namespace CloudConsole {

class ConsoleRegistry;
struct RequestHead;

class HttpFrontend : public QObject
{
    Q_OBJECT
public:
    // The limits on connections and requests (see ConnectionIntake).
    static constexpr int MaxPendingRequests = ConnectionIntake::MaxPendingRequests;
    static constexpr int MaxPendingPerAddress = ConnectionIntake::MaxPendingPerAddress;
    static constexpr int RequestHeadTimeoutMs = ConnectionIntake::RequestHeadTimeoutMs;
    static constexpr int MaxRequestBody = ConnectionIntake::MaxRequestBody;
    static constexpr int MaxHttpConnections = ConnectionIntake::MaxHttpConnections;
    // WebSocket clients (with their handshakes) from one address, over every console; loopback
    // addresses, a reverse proxy on this host, are not limited (see UpgradePolicy). More get 429.
    static constexpr int MaxClientsPerAddress = 64;
    static constexpr int HttpIdleTimeoutMs = ConnectionIntake::HttpIdleTimeoutMs;
    // Password checks at once over all clients; more get 429, as do those over LoginThrottle's
    // rates (per user name, per address, per server).
    static constexpr int MaxPasswordChecksInFlight = LoginService::MaxPasswordChecksInFlight;

    HttpFrontend(ConsoleRegistry &consoles, FrontendSettings settings, QObject *parent = nullptr);
    ~HttpFrontend() override;

    bool listen(const QHostAddress &address, quint16 port, QString *error);
    // New credentials, origins and certificates (a reloaded configuration); they apply to new
    // connections and requests, and to logged-in browsers at their next request.
    // Clients whose credential was removed or changed (secret, consoles, role) are closed with
    // 1008; the others stay.
    void setAccess(AccessSettings access, TlsSettings tls);
    // The other hosts the wall shows, at the next request for fleet.json.
    void setFleet(FleetSettings fleet) { m_settings.fleet = std::move(fleet); }
    // The webhooks whose figures /metrics shows too; the caller's, outliving this object.
    void setWebhooks(const WebhookDispatcher *webhooks) { m_routes.setWebhooks(webhooks); }
    const Authenticator &authenticator() const { return m_auth; }
    // The read-only links of the state directory (access.stateDir).
    ShareLinks &shareLinks() { return m_shareLinks; }
    quint16 port() const { return m_intake.port(); }
    int openConnections() const { return m_intake.openConnections(); }
    // Connections whose request is still arriving, and those waiting for a place to send it.
    int pendingRequests() const { return m_intake.pendingRequests(); }
    int waitingConnections() const { return m_intake.waitingConnections(); }

private:
    void closeRevokedClients();
    // Closes the clients of share sessions that ended (revoked, here or from the command line,
    // or expired): at once after a revocation here, and every second.
    void closeEndedShares();
    // A WebSocket upgrade whose head is in: refused, or handed to m_handoff with its decision.
    void upgrade(QTcpSocket *socket, const RequestHead &head, qsizetype headSize);
    // A WebSocket whose handshake completed becomes a client of the console its upgrade was
    // accepted for (see WebSocketHandoff::ClientMaker).
    bool makeClient(QWebSocket *socket, QTcpSocket *transport, const UpgradeDecision &decision);

    ConsoleRegistry &m_consoles;
    FrontendSettings m_settings;
    Authenticator m_auth;
    WebSocketHandoff m_handoff;
    QHttpServer m_http;
    ConnectionIntake m_intake;
    // Last, so that its password checks, which use the authenticator, are drained first.
    LoginService m_login;
    ShareLinks m_shareLinks; // the authenticator's too, until the destructor takes it back
    ShareService m_shares; // uses the login service
    QTimer m_shareSweep;
    Routes m_routes; // uses the login service
};

} // namespace CloudConsole
