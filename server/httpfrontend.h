#pragma once

// HttpFrontend is the server's network face: the web page, its assets and the WebSocket
// endpoints of every console in a ConsoleRegistry.
//
// It accepts TCP connections itself and reads each request head before anything else does.
// WebSocket upgrades go through its own checks (path, console, offset, subprotocol, client
// limit) and are refused with an HTTP status, never becoming a client; accepted ones are
// completed by a QWebSocketServer that negotiates the "cloud-console.v1" subprotocol. All
// other requests go on to a QHttpServer route table. (Qt 6.4's QHttpServer upgrades through an
// internal QWebSocketServer whose subprotocols cannot be set, so a browser that asks for
// cloud-console.v1 would fail the handshake there, and 6.4 has no upgrade verifier.)
// It owns the listener, the HTTP server and the WebSocket server; the consoles stay the
// registry's.

#include "accesssettings.h"
#include "admission.h"
#include "authenticator.h"
#include "consolestatus.h"
#include "loginthrottle.h"

#include <QElapsedTimer>
#include <QFuture>
#include <QHostAddress>
#include <QHttpServer>
#include <QObject>
#include <QPointer>
#include <QTcpServer>
#include <QThreadPool>
#include <QWebSocketServer>

#include <atomic>
#include <optional>
#include <vector>

namespace CloudConsole {

class Console;
class ConsoleRegistry;
class PendingRequest;
struct RequestHead;

struct FrontendSettings
{
    int maxClients = 1024; // across all consoles; more are refused with 503
    QString webRoot; // serve the page from this directory instead of the embedded copy
    AccessSettings access; // credentials, allowed origins, session lifetime
    TlsSettings tls; // loaded: connections are TLS when enabled
};

class HttpFrontend : public QObject
{
    Q_OBJECT
public:
    // Connections whose request (TLS handshake, head, body) is still arriving, at most, and at
    // most per address; more wait for a place (see Admission).
    static constexpr int MaxPendingRequests = 256;
    static constexpr int MaxPendingPerAddress = 32;
    // How long a connection may take to send its request, head and body.
    static constexpr int RequestHeadTimeoutMs = 10'000;
    // The largest request body taken: the login form's.
    static constexpr int MaxRequestBody = 4096;
    // Plain HTTP connections (the page, its assets) open at once, and how long one may idle.
    static constexpr int MaxHttpConnections = 512;
    static constexpr int HttpIdleTimeoutMs = 60'000;
    // Password checks at once over all clients; more get 429, as do those over LoginThrottle's
    // rates (per user name, per address, per server).
    static constexpr int MaxPasswordChecksInFlight = 4;

    HttpFrontend(ConsoleRegistry &consoles, FrontendSettings settings, QObject *parent = nullptr);
    ~HttpFrontend() override;

    bool listen(const QHostAddress &address, quint16 port, QString *error);
    // New credentials, origins and certificates (a reloaded configuration); they apply to new
    // connections and requests, and to logged-in browsers at their next request.
    // Clients whose credential was removed or changed (secret, consoles, role) are closed with
    // 1008; the others stay.
    void setAccess(AccessSettings access, TlsSettings tls);
    const Authenticator &authenticator() const { return m_auth; }
    quint16 port() const;
    // Connections whose request is still arriving, and those waiting for a place to send it.
    int pendingRequests() const { return m_admission.placesTaken(); }
    int waitingConnections() const { return m_admission.waiting(); }

    // Where a WebSocket request is going, parsed from its target.
    struct WebSocketTarget
    {
        Console *console = nullptr;
        std::optional<qint64> resumeFrom;
        int status = 200; // an HTTP status when the target is refused
        QString error;
    };
    WebSocketTarget resolveWebSocketTarget(const QByteArray &target) const;

private:
    class Listener;

    void accept(QTcpSocket *socket);
    void closeRevokedClients();
    void onAdmitted(QTcpSocket *socket, Admission::Ticket ticket);
    void onRequestBytes(QTcpSocket *socket, PendingRequest *pending);
    // The request head is complete: refuse it, upgrade it, or wait for its body.
    void onHead(QTcpSocket *socket, PendingRequest *pending);
    void upgrade(QTcpSocket *socket, const RequestHead &head, qsizetype headSize);
    void handOverToHttp(QTcpSocket *socket, qint64 requestSize);
    // Without access control, only hosts a DNS-rebinding page cannot pose as: IP literals and
    // localhost.
    static bool hostAllowedWithoutAccessControl(QByteArrayView host);
    void onWebSocketConnected();
    // A socket handed to m_webSockets, with the frames its client sent behind the handshake.
    struct Handshake
    {
        QPointer<QTcpSocket> socket;
        QByteArray early;
        bool writable = false; // the client's role lets it type
        const Console *console = nullptr; // counted against its client limit
        // The credential it came with, checked again when the handshake completes.
        QByteArray authorization;
        QByteArray cookie;
    };
    // The handshake under a WebSocket that just connected, no longer in flight.
    Handshake takeHandshaking(const QWebSocket *socket);
    void setupRoutes();
    // /metrics and /consoles.json, together so that an access check can wrap them.
    void setupStatusRoutes();
    // "/" when the registry has more than one console: a table of them.
    QHttpServerResponse indexPage(const QHttpServerRequest &request);
    // The consoles a request may see: all without access control, else its credential's.
    std::vector<ConsoleStatus> visibleStatuses(const QHttpServerRequest &request);
    static QHttpServerResponse unauthorized();
    // GET /c/NAME/screen (/screen: the default console): the visible screen as text, JSON or
    // HTML (?format=), with the console's access rules.
    QHttpServerResponse screenPage(const QString &name, const QHttpServerRequest &request);
    QHttpServerResponse asset(const QString &name) const;
    QHttpServerResponse page(const QString &consoleName) const;
    void refuse(QTcpSocket *socket, int status, const QString &reason,
                const QByteArray &extraHeaders = {}) const;
    // For pages and other plain requests: whether the request may see them when access control
    // is on (a session cookie or a Bearer token).
    bool authorized(const QHttpServerRequest &request, const QString &console = QString());
    QHttpServerResponse loginRedirect(const QString &next) const;
    QFuture<QHttpServerResponse> login(const QHttpServerRequest &request);
    QHttpServerResponse logout(const QHttpServerRequest &request);
    // Whether a login or logout form comes from this server's own page (against CSRF).
    bool formFromOwnPage(const QHttpServerRequest &request) const;
    QByteArray cookie(const QString &value, qint64 maxAgeSeconds) const;

    ConsoleRegistry &m_consoles;
    FrontendSettings m_settings;
    Authenticator m_auth;
    // Password checks are slow on purpose; bound how many start.
    LoginThrottle m_loginThrottle;
    // Password checks started and not yet finished (queued or running); worker threads end them.
    std::atomic<int> m_checksInFlight {0};
    // Declared after the authenticator, which its jobs use, and drained before it goes.
    QThreadPool m_passwordChecks;
    QWebSocketServer m_webSockets;
    QHttpServer m_http;
    QPointer<Listener> m_listener; // a child of m_http once bound
    Admission m_admission;
    int m_httpConnections = 0; // handed to m_http and still open
    std::vector<Handshake> m_handshaking; // handed to m_webSockets, not yet clients
};

} // namespace CloudConsole
