#pragma once

// ConnectionIntake takes the server's TCP connections up to the point where something else may
// read them: it listens, wraps each connection in TLS when that is configured, gives it a place
// through Admission, and reads its request head (and a login form's body) within a deadline.
// Then it refuses the request (malformed, too large, a body where none is taken, a Host that
// a DNS-rebinding page could pose as when there is no access control), hands a WebSocket upgrade
// to its upgrade handler, or hands a plain request to QHttpServer: one request per connection,
// a bounded number of such connections open, each closed after a minute idle.
//
// It owns the listener (through the QHttpServer it binds it to) and the admission. It reads the
// front end's current settings and authenticator through references, which must outlive it;
// it knows nothing of routes, consoles or how an upgrade is decided.

#include "admission.h"
#include "authenticator.h"
#include "frontendsettings.h"
#include "responses.h"

#include <QHostAddress>
#include <QHttpServer>
#include <QObject>
#include <QPointer>

#include <functional>

class QTcpSocket;

namespace CloudConsole {

class PendingRequest;
struct RequestHead;

class ConnectionIntake : public QObject
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

    // A WebSocket upgrade whose head (headSize bytes, still unread in the socket) is in.
    using UpgradeHandler
        = std::function<void(QTcpSocket *socket, const RequestHead &head, qsizetype headSize)>;

    ConnectionIntake(const FrontendSettings &settings, const Authenticator &auth, QHttpServer &http,
                     UpgradeHandler onUpgrade, QObject *parent = nullptr);

    bool listen(const QHostAddress &address, quint16 port, QString *error);
    quint16 port() const;
    // Connections the listener still owns: those sending their request, plain HTTP ones, and
    // any a WebSocket client was made of but nobody took (there should be none).
    int openConnections() const;
    int pendingRequests() const { return m_admission.placesTaken(); }
    int waitingConnections() const { return m_admission.waiting(); }

    // The one way a request is refused before QHttpServer or QWebSocketServer reads it.
    void refuse(QTcpSocket *socket, const Refusal &refusal) const;

private:
    class Listener;

    void accept(QTcpSocket *socket);
    void onAdmitted(QTcpSocket *socket, Admission::Ticket ticket);
    void onRequestBytes(QTcpSocket *socket, PendingRequest *pending);
    // The request head is complete: refuse it, upgrade it, or wait for its body.
    void onHead(QTcpSocket *socket, PendingRequest *pending);
    void handOverToHttp(QTcpSocket *socket, qint64 requestSize);
    // Without access control, only hosts a DNS-rebinding page cannot pose as: IP literals and
    // localhost.
    static bool hostAllowedWithoutAccessControl(QByteArrayView host);

    const FrontendSettings &m_settings;
    const Authenticator &m_auth;
    QHttpServer &m_http;
    UpgradeHandler m_onUpgrade;
    QPointer<Listener> m_listener; // a child of m_http once bound
    Admission m_admission;
    int m_httpConnections = 0; // handed to m_http and still open
};

} // namespace CloudConsole
