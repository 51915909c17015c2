#include "httpfrontend.h"

#include "consoleregistry.h"
#include "consolestatus.h"
#include "inboundgate.h"
#include "loginpage.h"
#include "metrics.h"
#include "protocol.h"
#include "requesthead.h"
#include "screenrenderer.h"
#include "secrethash.h"

#include <QFile>
#include <QFileInfo>
#include <QLoggingCategory>
#include <QRegularExpression>
#include <QScopeGuard>
#include <QSslSocket>
#include <QTcpSocket>
#include <QTimer>
#include <QUrl>
#include <QUrlQuery>
#include <QWebSocket>
#include <QtConcurrent/QtConcurrentRun>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>

Q_LOGGING_CATEGORY(lcHttp, "cloudconsole.http")

namespace CloudConsole {

using StatusCode = QHttpServerResponder::StatusCode;

// Accepts connections for HttpFrontend and hands the plain HTTP ones on to QHttpServer.
class HttpFrontend::Listener : public QTcpServer
{
public:
    explicit Listener(HttpFrontend &frontend) : m_frontend(frontend) { }
    // QHttpServer takes sockets from this server's pending connections.
    void handOver(QTcpSocket *socket) { addPendingConnection(socket); }

protected:
    void incomingConnection(qintptr descriptor) override
    {
        const TlsSettings &tls = m_frontend.m_settings.tls;
        // With TLS every connection is a QSslSocket; everything after reads decrypted bytes.
        QTcpSocket *socket = tls.enabled() ? new QSslSocket(this) : new QTcpSocket(this);
        if (!socket->setSocketDescriptor(descriptor)) {
            ::close(int(descriptor));
            delete socket;
            return;
        }
        if (auto *ssl = qobject_cast<QSslSocket *>(socket)) {
            ssl->setLocalCertificateChain(tls.certificateChain);
            ssl->setPrivateKey(tls.key);
            ssl->setProtocol(QSsl::TlsV1_2OrLater);
            QObject::connect(ssl, &QSslSocket::sslErrors, ssl, [ssl](const QList<QSslError> &e) {
                qCInfo(lcHttp) << "TLS handshake with" << ssl->peerAddress().toString()
                               << "failed:" << e.value(0).errorString();
            });
            ssl->startServerEncryption();
        }
        m_frontend.accept(socket);
    }

private:
    HttpFrontend &m_frontend;
};

// The state of one connection while its request arrives; a child of its socket. Its place in
// the admission goes back when it is destroyed.
class PendingRequest : public QObject
{
public:
    PendingRequest(QTcpSocket *socket, Admission::Ticket ticket) : QObject(socket), ticket(ticket)
    {
        deadline.setSingleShot(true);
        deadline.start(HttpFrontend::RequestHeadTimeoutMs);
    }
    const Admission::Ticket ticket;
    RequestHeadReader reader;
    qsizetype fed = 0;
    QTimer deadline;
    // Once the head is in: the head, and the size of the whole request with its body.
    std::optional<RequestHead> head;
    qsizetype headSize = 0;
    qint64 requestSize = 0;
};

namespace {

QByteArray reasonPhrase(int status)
{
    switch (status) {
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 426:
        return "Upgrade Required";
    case 413:
        return "Content Too Large";
    case 431:
        return "Request Header Fields Too Large";
    case 503:
        return "Service Unavailable";
    default:
        return "Error";
    }
}

QByteArray mimeTypeFor(const QString &name)
{
    static const std::pair<const char *, const char *> types[] = {
        {".html", "text/html; charset=utf-8"},
        {".js", "text/javascript; charset=utf-8"},
        {".css", "text/css; charset=utf-8"},
        {".json", "application/json"},
        {".map", "application/json"},
        {".svg", "image/svg+xml"},
        {".png", "image/png"},
        {".ico", "image/x-icon"},
        {".woff2", "font/woff2"},
        {".txt", "text/plain; charset=utf-8"},
    };
    for (const auto &[suffix, type] : types) {
        if (name.endsWith(QLatin1String(suffix)))
            return type;
    }
    return "application/octet-stream";
}

QHttpServerResponse textResponse(const QString &text, StatusCode status)
{
    return QHttpServerResponse("text/plain; charset=utf-8", text.toUtf8() + '\n', status);
}

QHttpServerResponse notWebSocket()
{
    QHttpServerResponse response = textResponse(
        QStringLiteral("this URL is a WebSocket endpoint; connect with a WebSocket client"),
        StatusCode::UpgradeRequired);
    response.addHeader("Upgrade", "websocket");
    return response;
}

} // namespace

HttpFrontend::HttpFrontend(ConsoleRegistry &consoles, FrontendSettings settings, QObject *parent)
    : QObject(parent)
    , m_consoles(consoles)
    , m_settings(std::move(settings))
    , m_auth(m_settings.access)
    , m_webSockets(QStringLiteral("cloud-console"), QWebSocketServer::NonSecureMode)
    , m_admission({MaxPendingRequests, MaxPendingPerAddress, 1000, RequestHeadTimeoutMs, 2048})
{
    connect(&m_admission, &Admission::admitted, this, &HttpFrontend::onAdmitted);
    m_webSockets.setSupportedSubprotocols({QString::fromLatin1(Protocol::Subprotocol)});
    m_webSockets.setHandshakeTimeout(RequestHeadTimeoutMs);
    connect(&m_webSockets, &QWebSocketServer::newConnection, this,
            &HttpFrontend::onWebSocketConnected);
    setupRoutes();
}

HttpFrontend::~HttpFrontend()
{
    // Password checks refer to the authenticator: none may outlive it.
    m_passwordChecks.clear();
    m_passwordChecks.waitForDone();
}

bool HttpFrontend::hostAllowedWithoutAccessControl(QByteArrayView host)
{
    QString name = QString::fromLatin1(host).trimmed().toLower();
    if (name.startsWith(u'[')) // [v6]:port
        name = name.mid(1, name.indexOf(u']') - 1);
    else if (name.count(u':') == 1)
        name = name.left(name.indexOf(u':'));
    return name == QLatin1String("localhost") || !QHostAddress(name).isNull();
}

bool HttpFrontend::listen(const QHostAddress &address, quint16 port, QString *error)
{
    auto *listener = new Listener(*this);
    // Qt's default backlog of 50 makes a burst of connecting clients wait for SYN retries.
    listener->setListenBacklogSize(1024);
    if (!listener->listen(address, port)) {
        *error = listener->errorString();
        delete listener;
        return false;
    }
    m_http.bind(listener); // the HTTP server takes ownership
    m_listener = listener;
    return true;
}

void HttpFrontend::setAccess(AccessSettings access, TlsSettings tls)
{
    m_settings.access = access;
    m_settings.tls = std::move(tls);
    m_auth.setSettings(std::move(access));
    closeRevokedClients();
}

void HttpFrontend::closeRevokedClients()
{
    if (!m_auth.enabled())
        return;
    for (Console *console : m_consoles.consoles()) {
        for (ClientSession *session : console->clients()) {
            const ClientSession::Credential &credential = session->credential();
            const Authenticator::Result result
                = m_auth.authenticate(credential.authorization, credential.cookie);
            // A credential removed, given another secret, other consoles or another role.
            const bool same = result.outcome == Authenticator::Result::Outcome::Allowed
                && result.principal.allows(console->name())
                && (result.principal.role == Role::Operator) == session->isWritable();
            if (same)
                continue;
            qCInfo(lcHttp).noquote() << "closing" << session->peer() << "on" << console->name()
                                     << "(its credential changed in the reloaded configuration)";
            session->revoke(QStringLiteral("the credential this client used was removed or "
                                           "changed by a reload of the configuration; log in "
                                           "again"));
        }
    }
}

quint16 HttpFrontend::port() const
{
    return m_listener ? m_listener->serverPort() : 0;
}

void HttpFrontend::accept(QTcpSocket *socket)
{
    // Nothing reads a connection before it has a place, and its request is at most a head and
    // a login form: keep no more than that of it in memory.
    socket->setReadBufferSize(RequestHeadReader::MaxHeadSize + MaxRequestBody + 1);
    m_admission.offer(socket);
}

void HttpFrontend::onAdmitted(QTcpSocket *socket, Admission::Ticket ticket)
{
    auto *pending = new PendingRequest(socket, ticket);
    connect(pending, &QObject::destroyed, &m_admission,
            [admission = &m_admission, ticket] { admission->release(ticket); });
    connect(socket, &QTcpSocket::readyRead, pending,
            [this, socket, pending] { onRequestBytes(socket, pending); });
    // A peer that goes away frees its place at once: a reset arrives as an error, not as
    // disconnected().
    connect(socket, &QTcpSocket::disconnected, pending, [socket] { socket->deleteLater(); });
    connect(socket, &QTcpSocket::errorOccurred, pending, [socket] { socket->deleteLater(); });
    connect(&pending->deadline, &QTimer::timeout, pending, [socket] {
        qCInfo(lcHttp) << "closing a connection that sent no request in time";
        socket->abort();
        socket->deleteLater();
    });
    if (socket->bytesAvailable() > 0)
        onRequestBytes(socket, pending);
}

void HttpFrontend::onRequestBytes(QTcpSocket *socket, PendingRequest *pending)
{
    if (!pending->head) {
        onHead(socket, pending);
        return;
    }
    // A plain request holds its place, and its deadline, until the whole of it has arrived: a
    // slow body must not take one of the HTTP connections' places instead.
    const qint64 buffered = socket->bytesAvailable();
    if (buffered < pending->requestSize)
        return;
    const qint64 requestSize = pending->requestSize;
    pending->deadline.stop();
    socket->disconnect(pending);
    pending->deleteLater();
    // One request per connection (see handOverToHttp): a second, pipelined one, or a body the
    // head did not declare, is refused rather than passed on unchecked.
    if (buffered > requestSize) {
        refuse(socket, 413,
               QStringLiteral("bytes after the request: this server takes one request per "
                              "connection, and no request bodies"));
        return;
    }
    if (m_httpConnections >= MaxHttpConnections) {
        refuse(socket, 503, QStringLiteral("too many open HTTP connections"));
        return;
    }
    handOverToHttp(socket, requestSize);
}

void HttpFrontend::onHead(QTcpSocket *socket, PendingRequest *pending)
{
    // Peek, do not read: whoever serves the request reads it from the start.
    const QByteArray bytes = socket->peek(RequestHeadReader::MaxHeadSize + 1);
    const auto status = pending->reader.feed(QByteArrayView(bytes).sliced(pending->fed));
    pending->fed = bytes.size();
    if (status == RequestHeadReader::Status::NeedMore)
        return;

    const RequestHead head = pending->reader.head();
    const qsizetype headSize = pending->reader.headSize();
    const QString error = pending->reader.error();
    // Done with this connection's place unless it is a plain request whose body is to come.
    const auto done = [socket, pending] {
        pending->deadline.stop();
        socket->disconnect(pending);
        pending->deleteLater();
    };

    switch (status) {
    case RequestHeadReader::Status::Malformed:
        done();
        refuse(socket, 400, error);
        return;
    case RequestHeadReader::Status::TooLarge:
        done();
        refuse(socket, 431, error);
        return;
    default:
        break;
    }
    // A request without Host is no browser's (HTTP/1.0 health checkers send such): a rebinding
    // page cannot make one.
    const bool hostless = head.version == "HTTP/1.0" && head.value("Host").isEmpty();
    if (!m_auth.enabled() && !hostless && !hostAllowedWithoutAccessControl(head.value("Host"))) {
        // A page on an attacker's name that resolves to this server (DNS rebinding) is its own
        // origin: without credentials, only names that cannot be rebound are served.
        done();
        refuse(socket, 403,
               QStringLiteral("without access control this server answers only to an IP address "
                              "or localhost, not to \"%1\"")
                   .arg(QString::fromLatin1(head.value("Host").left(128))));
        return;
    }
    if (head.isWebSocketUpgrade()) {
        done();
        upgrade(socket, head, headSize);
        return;
    }
    // Only the login form takes a body, and a small one: QHttpServer holds bodies in memory whole.
    const QByteArray length = head.value("Content-Length").trimmed();
    const bool loginForm = head.method == "POST"
        && QUrl::fromEncoded(head.target).path() == u"/login" && length.size() <= 4
        && length.toInt() <= MaxRequestBody && head.value("Transfer-Encoding").isEmpty();
    if (!loginForm
        && ((!length.isEmpty() && length != "0") || !head.value("Transfer-Encoding").isEmpty())) {
        done();
        refuse(socket, 413, QStringLiteral("this server takes no request bodies"));
        return;
    }
    pending->head = head;
    pending->headSize = headSize;
    pending->requestSize = headSize + length.toLongLong();
    onRequestBytes(socket, pending);
}

void HttpFrontend::handOverToHttp(QTcpSocket *socket, qint64 requestSize)
{
    // One request per connection: QHttpServer 6.4 would take any later request on it, body and
    // all, past every check here (and answers pipelined requests out of order). A byte beyond
    // the first request closes the connection before QHttpServer reads it (this slot is
    // connected first); the answer closes it too.
    auto received = std::make_shared<qint64>(0);
    connect(socket, &QTcpSocket::readyRead, socket, [socket, received, requestSize] {
        *received += socket->bytesAvailable();
        if (*received > requestSize)
            socket->abort();
    });
    connect(socket, &QTcpSocket::bytesWritten, socket, [socket] {
        if (socket->bytesToWrite() == 0)
            socket->disconnectFromHost();
    });
    // QHttpServer 6.4 keeps connections alive without a limit or a timeout: count them, and
    // close one that has been idle for a minute.
    ++m_httpConnections;
    connect(socket, &QObject::destroyed, this, [this] { --m_httpConnections; });
    auto *idle = new QTimer(socket);
    idle->setSingleShot(true);
    idle->start(HttpIdleTimeoutMs);
    connect(idle, &QTimer::timeout, socket, &QTcpSocket::disconnectFromHost);
    connect(socket, &QTcpSocket::readyRead, idle, qOverload<>(&QTimer::start));
    connect(socket, &QTcpSocket::bytesWritten, idle, qOverload<>(&QTimer::start));
    m_listener->handOver(socket);
    // QHttpServer waits for readyRead, but the request is already buffered.
    QTimer::singleShot(0, socket, [socket] { Q_EMIT socket->readyRead(); });
}

HttpFrontend::WebSocketTarget HttpFrontend::resolveWebSocketTarget(const QByteArray &target) const
{
    WebSocketTarget result;
    const QUrl url = QUrl::fromEncoded(target);
    const QString path = url.path();
    static const QRegularExpression consolePath(QStringLiteral("^/c/([^/]+)/ws$"));
    QString name;
    if (path == QLatin1String("/ws")) {
        result.console = m_consoles.defaultConsole();
    } else if (const auto match = consolePath.match(path); match.hasMatch()) {
        name = match.captured(1);
        result.console = m_consoles.find(name);
    } else {
        result.status = 404;
        result.error = QStringLiteral("no WebSocket endpoint at %1").arg(path);
        return result;
    }
    if (!result.console) {
        result.status = 404;
        result.error = QStringLiteral("no console named \"%1\"").arg(name.left(64));
        return result;
    }

    const QUrlQuery query(url);
    if (query.hasQueryItem(QStringLiteral("offset"))) {
        static const QRegularExpression digits(QStringLiteral("^[0-9]{1,16}$"));
        const QString text = query.queryItemValue(QStringLiteral("offset"));
        const qint64 offset = digits.match(text).hasMatch() ? text.toLongLong() : -1;
        if (offset < 0 || offset > Protocol::MaxOffset) {
            result.status = 400;
            result.error = QStringLiteral("offset must be a whole number from 0 to 2^53-1");
            result.console = nullptr;
            return result;
        }
        // An offset from another epoch (the server restarted) means nothing here.
        const QString epoch = query.queryItemValue(QStringLiteral("epoch"));
        if (epoch.isEmpty() || epoch == result.console->epoch())
            result.resumeFrom = offset;
    }
    return result;
}

void HttpFrontend::upgrade(QTcpSocket *socket, const RequestHead &head, qsizetype headSize)
{
    if (head.method != "GET") {
        refuse(socket, 405, QStringLiteral("a WebSocket upgrade must be a GET"));
        return;
    }
    if (head.version != "HTTP/1.1") {
        refuse(socket, 400, QStringLiteral("a WebSocket upgrade needs HTTP/1.1"));
        return;
    }
    // QWebSocketServer drops a bad handshake without an answer; say what is wrong instead.
    if (QByteArray::fromBase64(head.value("Sec-WebSocket-Key")).size() != 16) {
        refuse(socket, 400, QStringLiteral("missing or malformed Sec-WebSocket-Key"));
        return;
    }
    if (head.value("Sec-WebSocket-Version") != "13") {
        refuse(socket, 426, QStringLiteral("unsupported WebSocket version; this server speaks 13"),
               "Sec-WebSocket-Version: 13\r\n");
        return;
    }
    // Who it is comes first, so that console names are not told to strangers.
    Principal principal;
    if (m_auth.enabled()) {
        const Authenticator::Result result
            = m_auth.authenticate(head.value("Authorization"), head.value("Cookie"));
        if (result.outcome != Authenticator::Result::Outcome::Allowed) {
            refuse(socket, 401, result.reason,
                   "WWW-Authenticate: Bearer realm=\"cloud-console\"\r\n");
            return;
        }
        principal = result.principal;
    }
    if (!originAllowed(head.value("Origin"), head.value("Host"),
                       m_settings.access.allowedOrigins)) {
        refuse(socket, 403,
               QStringLiteral("a page from %1 may not open consoles here (see allowed-origins)")
                   .arg(QString::fromLatin1(head.value("Origin").left(128))));
        return;
    }
    const WebSocketTarget target = resolveWebSocketTarget(head.target);
    if (!target.console) {
        refuse(socket, target.status, target.error);
        return;
    }
    if (m_auth.enabled() && !principal.allows(target.console->name())) {
        refuse(socket, 403,
               QStringLiteral("%1 may not use console \"%2\"")
                   .arg(principal.name, target.console->name()));
        return;
    }
    if (!head.value("Sec-WebSocket-Protocol").isEmpty()
        && !head.hasToken("Sec-WebSocket-Protocol", Protocol::Subprotocol)) {
        refuse(socket, 400,
               QStringLiteral("unsupported WebSocket subprotocol; this server speaks %1 (or none, "
                              "for raw mode)")
                   .arg(QLatin1String(Protocol::Subprotocol)));
        return;
    }
    // Handshakes in flight count too, so a burst cannot slip past the limit.
    m_handshaking.erase(std::remove_if(m_handshaking.begin(), m_handshaking.end(),
                                       [](const Handshake &h) { return !h.socket; }),
                        m_handshaking.end());
    if (m_consoles.totalClients() + int(m_handshaking.size()) >= m_settings.maxClients) {
        refuse(socket, 503,
               QStringLiteral("this server already has %1 clients, its limit")
                   .arg(m_settings.maxClients));
        return;
    }
    // Handshakes for this console in flight count against its limit as well.
    const int consoleHandshakes
        = int(std::count_if(m_handshaking.begin(), m_handshaking.end(),
                            [&target](const Handshake &h) { return h.console == target.console; }));
    if (target.console->clientCount() + consoleHandshakes
        >= target.console->settings().maxClients) {
        refuse(socket, 503,
               QStringLiteral("console \"%1\" already has %2 clients, its limit")
                   .arg(target.console->name())
                   .arg(target.console->settings().maxClients));
        return;
    }
    // The WebSocket server completes the handshake from the buffered request by itself (it
    // looks at what is already buffered; a second readyRead here would make it read the
    // handshake twice and drop the frames behind it).
    // Qt 6.4's QWebSocketServer reads the handshake through a QTextStream, which reads ahead
    // and swallows frames that a client sent right behind it. Leave only the head in the
    // socket; the early frames go back in once the handshake is done.
    // The head goes back as this server read it, with CRLF line ends: Qt waits for CRLF CRLF
    // and would hold a head that ends in bare LF (which RFC 9112 lets a server accept) for ever.
    const QByteArray buffered = socket->readAll();
    const QByteArray canonical = head.toCanonicalBytes();
    for (qsizetype i = canonical.size() - 1; i >= 0; --i)
        socket->ungetChar(canonical.at(i));
    const bool writable = !m_auth.enabled() || principal.role == Role::Operator;
    m_handshaking.push_back({socket, buffered.mid(headSize), writable, target.console,
                             head.value("Authorization"), head.value("Cookie")});
    // Whatever QWebSocketServer does with it, the handshake ends within the head's deadline: a
    // connection held here would count against the client limits.
    QTimer::singleShot(RequestHeadTimeoutMs, socket, [this, socket] {
        const bool pending
            = std::any_of(m_handshaking.begin(), m_handshaking.end(),
                          [socket](const Handshake &h) { return h.socket == socket; });
        if (!pending)
            return;
        qCInfo(lcHttp) << "closing a WebSocket handshake that did not finish in time";
        socket->abort();
        socket->deleteLater();
    });
    // Before QWebSocketServer connects to the socket, so that it sees each frame first.
    new InboundGate(socket);
    m_webSockets.handleConnection(socket);
}

void HttpFrontend::onWebSocketConnected()
{
    while (m_webSockets.hasPendingConnections()) {
        QWebSocket *socket = m_webSockets.nextPendingConnection();
        const QByteArray target
            = socket->requestUrl().toEncoded(QUrl::RemoveScheme | QUrl::RemoveAuthority);
        const WebSocketTarget resolved = resolveWebSocketTarget(target);
        if (!resolved.console) {
            // The console went away during the handshake.
            socket->close(QWebSocketProtocol::CloseCodeGoingAway, resolved.error);
            socket->deleteLater();
            continue;
        }
        const Handshake handshake = takeHandshaking(socket);
        QTcpSocket *const tcp = handshake.socket;
        bool writable = handshake.writable;
        // The credential is checked again now that the client is made: it may have logged out,
        // or been removed by a reload, since its request arrived.
        if (tcp && m_auth.enabled()) {
            const Authenticator::Result result
                = m_auth.authenticate(handshake.authorization, handshake.cookie);
            if (result.outcome != Authenticator::Result::Outcome::Allowed
                || !result.principal.allows(resolved.console->name())) {
                qCInfo(lcHttp).noquote()
                    << "closing a WebSocket whose credential went away during its handshake";
                socket->close(QWebSocketProtocol::CloseCodePolicyViolated,
                              QStringLiteral("the credential is no longer valid; log in again"));
                socket->deleteLater();
                continue;
            }
            writable = result.principal.role == Role::Operator;
        }
        if (tcp) {
            // Keep the kernel's queue of unsent bytes as shallow as our own, so a keystroke's
            // echo does not wait behind megabytes of output; data in flight may still grow with
            // the connection's bandwidth-delay product.
            const int lowWater = int(ClientSession::SendHighWater);
            ::setsockopt(int(tcp->socketDescriptor()), IPPROTO_TCP, TCP_NOTSENT_LOWAT, &lowWater,
                         sizeof lowWater);
        }
        // Frames the client sent right behind its handshake go back in front of whatever came
        // since, before the client's session is made (it checks them), and need a readyRead of
        // their own.
        if (tcp) {
            for (qsizetype i = handshake.early.size() - 1; i >= 0; --i)
                tcp->ungetChar(handshake.early.at(i));
        }
        const bool v1 = socket->subprotocol() == QLatin1String(Protocol::Subprotocol);
        // A handshake that cannot be matched to its check is served read-only.
        ClientSession *session = resolved.console->addClient(
            socket, v1 ? ClientSession::Mode::V1 : ClientSession::Mode::Raw, resolved.resumeFrom,
            tcp && writable, tcp);
        if (session)
            session->setCredential({handshake.authorization, handshake.cookie});
        if (tcp && tcp->bytesAvailable() > 0)
            QTimer::singleShot(0, tcp, [tcp] { Q_EMIT tcp->readyRead(); });
    }
}

HttpFrontend::Handshake HttpFrontend::takeHandshaking(const QWebSocket *socket)
{
    Handshake found;
    std::vector<Handshake> left;
    for (Handshake &handshake : m_handshaking) {
        if (!handshake.socket)
            continue; // its handshake failed and QWebSocketServer deleted it
        if (!found.socket && handshake.socket->peerPort() == socket->peerPort()
            && handshake.socket->peerAddress() == socket->peerAddress()) {
            found = std::move(handshake);
            continue;
        }
        left.push_back(std::move(handshake));
    }
    m_handshaking = std::move(left);
    return found;
}

void HttpFrontend::refuse(QTcpSocket *socket, int status, const QString &reason,
                          const QByteArray &extraHeaders) const
{
    qCInfo(lcHttp).noquote() << "refused a request from" << socket->peerAddress().toString()
                             << "with" << status << ":" << reason;
    const QByteArray body = reason.toUtf8() + '\n';
    QByteArray response = "HTTP/1.1 " + QByteArray::number(status) + ' ' + reasonPhrase(status)
        + "\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: "
        + QByteArray::number(body.size()) + "\r\nConnection: close\r\n";
    if (status == 503)
        response += "Retry-After: 5\r\n";
    if (m_settings.tls.enabled())
        response += "Strict-Transport-Security: max-age=31536000\r\n";
    response += extraHeaders;
    response += "\r\n" + body;
    socket->write(response);
    QObject::connect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
    socket->disconnectFromHost();
    // A peer that never reads its answer must not keep the socket forever.
    QTimer::singleShot(5000, socket, [socket] {
        socket->abort();
        socket->deleteLater();
    });
}

void HttpFrontend::setupRoutes()
{
    using Method = QHttpServerRequest::Method;
    m_http.route("/healthz", [] { return textResponse(QStringLiteral("ok"), StatusCode::Ok); });
    setupStatusRoutes();
    m_http.route("/login", Method::Get, [](const QHttpServerRequest &request) {
        const QString next = QUrlQuery(request.url()).queryItemValue(QStringLiteral("next"));
        return QHttpServerResponse("text/html; charset=utf-8", loginPage(next, QString()));
    });
    m_http.route("/login", Method::Post,
                 [this](const QHttpServerRequest &request) { return login(request); });
    m_http.route("/logout", Method::Post,
                 [this](const QHttpServerRequest &request) { return logout(request); });
    m_http.route("/", [this](const QHttpServerRequest &request) {
        if (!authorized(request))
            return loginRedirect(QString());
        // The default console's page while there is only one console, else the index.
        if (m_consoles.consoles().size() > 1)
            return indexPage(request);
        return page(QString());
    });
    m_http.route("/ws", [] { return notWebSocket(); });
    m_http.route("/c/<arg>/", [this](const QString &name, const QHttpServerRequest &request) {
        if (!authorized(request))
            return loginRedirect(QStringLiteral("c/%1/").arg(name));
        if (!authorized(request, name))
            return textResponse(QStringLiteral("you may not use console \"%1\"").arg(name.left(64)),
                                StatusCode::Forbidden);
        return page(name);
    });
    m_http.route("/c/<arg>", [this](const QString &name, const QHttpServerRequest &request) {
        if (!authorized(request))
            return unauthorized();
        if (!m_consoles.find(name))
            return textResponse(QStringLiteral("no console named \"%1\"").arg(name.left(64)),
                                StatusCode::NotFound);
        if (!authorized(request, name))
            return textResponse(QStringLiteral("you may not use console \"%1\"").arg(name.left(64)),
                                StatusCode::Forbidden);
        // Relative, so that it also works below a reverse proxy's sub-path.
        QHttpServerResponse response(StatusCode::MovedPermanently);
        response.addHeader("Location", QUrl::toPercentEncoding(name) + '/');
        return response;
    });
    m_http.route("/c/<arg>/ws", [this](const QString &name, const QHttpServerRequest &request) {
        if (!authorized(request))
            return unauthorized();
        if (!m_consoles.find(name))
            return textResponse(QStringLiteral("no console named \"%1\"").arg(name.left(64)),
                                StatusCode::NotFound);
        if (!authorized(request, name))
            return textResponse(QStringLiteral("you may not use console \"%1\"").arg(name.left(64)),
                                StatusCode::Forbidden);
        return notWebSocket();
    });
    // The screen, before the assets' pattern, which would take "screen" for a file name.
    m_http.route("/c/<arg>/screen", [this](const QString &name, const QHttpServerRequest &request) {
        return screenPage(name, request);
    });
    m_http.route("/screen", [this](const QHttpServerRequest &request) {
        return screenPage(QString(), request);
    });
    m_http.route(
        "/c/<arg>/<arg>",
        [this](const QString &name, const QString &file, const QHttpServerRequest &request) {
            if (!authorized(request))
                return unauthorized();
            if (!m_consoles.find(name))
                return textResponse(QStringLiteral("no console named \"%1\"").arg(name.left(64)),
                                    StatusCode::NotFound);
            return asset(file);
        });
    m_http.route("/<arg>", [this](const QString &file) { return asset(file); });
    m_http.afterRequest([this](QHttpServerResponse &&response) {
        // Browsers that reached this server over TLS must never come back without it.
        if (m_settings.tls.enabled())
            response.addHeader("Strict-Transport-Security", "max-age=31536000");
        response.addHeader("Connection", "close");
        return std::move(response);
    });
}

bool HttpFrontend::authorized(const QHttpServerRequest &request, const QString &console)
{
    if (!m_auth.enabled())
        return true;
    const Authenticator::Result result
        = m_auth.authenticate(request.value("Authorization"), request.value("Cookie"));
    return result.outcome == Authenticator::Result::Outcome::Allowed
        && (console.isEmpty() || result.principal.allows(console));
}

QHttpServerResponse HttpFrontend::loginRedirect(const QString &next) const
{
    // Relative to where the browser is, so that a reverse proxy's sub-path is kept. next comes
    // from the request's path: only a plain console path goes into the header.
    const QString safe = safeNext(next);
    const QString up = next.isEmpty() ? QString() : QStringLiteral("../../");
    QHttpServerResponse response(StatusCode::SeeOther);
    response.addHeader("Location",
                       (up + QStringLiteral("login")
                        + (safe.isEmpty() ? QString() : QStringLiteral("?next=") + safe))
                           .toUtf8());
    response.addHeader("Cache-Control", "no-store");
    return response;
}

QByteArray HttpFrontend::cookie(const QString &value, qint64 maxAgeSeconds) const
{
    QByteArray text = QByteArray(Authenticator::CookieName) + '=' + value.toLatin1()
        + "; Path=/; HttpOnly; SameSite=Strict; Max-Age=" + QByteArray::number(maxAgeSeconds);
    if (m_settings.tls.enabled())
        text += "; Secure";
    return text;
}

QFuture<QHttpServerResponse> HttpFrontend::login(const QHttpServerRequest &request)
{
    QByteArray body = request.body();
    body.replace('+', "%20"); // form encoding writes spaces as +
    const QUrlQuery form(QString::fromLatin1(body));
    const auto field = [&form](const char *name) {
        return form.queryItemValue(QLatin1String(name), QUrl::FullyDecoded);
    };
    const QString next = safeNext(field("next"));
    const QString user = field("user");
    const auto again = [next, user](const QString &message, StatusCode status) {
        QHttpServerResponse response("text/html; charset=utf-8", loginPage(next, message, user),
                                     status);
        response.addHeader("Cache-Control", "no-store");
        return response;
    };
    if (!formFromOwnPage(request))
        return QtFuture::makeReadyFuture(
            again(QStringLiteral("log in from this server's own page"), StatusCode::Forbidden));
    if (!m_auth.enabled())
        return QtFuture::makeReadyFuture(
            again(QStringLiteral("this server has no users; open the console directly"),
                  StatusCode::NotFound));
    // A check costs a worker thread tens of milliseconds by design; bound how many a flood of
    // guesses may start, and let it cost only its own target (see LoginThrottle).
    const auto busy = [&again] {
        return QtFuture::makeReadyFuture(
            again(QStringLiteral("too many login attempts; try again in a moment"),
                  StatusCode::TooManyRequests));
    };
    if (m_checksInFlight >= MaxPasswordChecksInFlight)
        return busy();
    if (m_loginThrottle.allow(request.remoteAddress(), user) != LoginThrottle::Verdict::Allowed)
        return busy();
    const QString peer = request.remoteAddress().toString();
    // The whole check runs on a worker thread, so consoles do not wait for it (the authenticator
    // is thread-safe; the cookie is made from values taken now).
    const QByteArray cookieTail
        = cookie(QStringLiteral("%1"), m_settings.access.sessionLifetime.count());
    ++m_checksInFlight;
    return QtConcurrent::run(
        &m_passwordChecks,
        [this, again, next, user, peer, cookieTail, password = field("password")] {
            // The check is over once this job returns, whatever it answers.
            const auto done = qScopeGuard([this] { --m_checksInFlight; });
            const std::optional<QString> ticket = m_auth.checkPassword(user, password);
            if (!ticket) {
                qCInfo(lcHttp).noquote() << "failed login for" << user.left(64) << "from" << peer;
                return again(QStringLiteral("wrong user or password"), StatusCode::Unauthorized);
            }
            qCInfo(lcHttp).noquote() << user << "logged in from" << peer;
            // The form is posted to "login" beside the root, so next is relative to the root.
            QHttpServerResponse response(StatusCode::SeeOther);
            response.addHeader("Location", next.isEmpty() ? QByteArray("./") : next.toUtf8());
            response.addHeader("Set-Cookie",
                               QString::fromLatin1(cookieTail).arg(*ticket).toLatin1());
            response.addHeader("Cache-Control", "no-store");
            return response;
        });
}

bool HttpFrontend::formFromOwnPage(const QHttpServerRequest &request) const
{
    // Browsers say where a form was posted from: Sec-Fetch-Site, and Origin (which is "null"
    // under the pages' no-referrer policy, so it alone cannot vouch for them).
    const QByteArray site = request.value("Sec-Fetch-Site");
    const QByteArray origin = request.value("Origin");
    if (site == "same-origin" || site == "none")
        return true;
    // Another site (or a sibling one) posted it: only an allowed origin, named, may.
    if (!site.isEmpty())
        return !origin.isEmpty() && origin != "null"
            && originAllowed(origin, request.value("Host"), m_settings.access.allowedOrigins);
    if (!origin.isEmpty() && origin != "null")
        return originAllowed(origin, request.value("Host"), m_settings.access.allowedOrigins);
    return true;
}

QHttpServerResponse HttpFrontend::logout(const QHttpServerRequest &request)
{
    if (!formFromOwnPage(request))
        return textResponse(QStringLiteral("log out from this server's own page"),
                            StatusCode::Forbidden);
    m_auth.logout(request.value("Cookie"));
    QHttpServerResponse response(StatusCode::SeeOther);
    response.addHeader("Location", "login");
    response.addHeader("Set-Cookie", cookie(QString(), 0));
    return response;
}

QHttpServerResponse HttpFrontend::page(const QString &consoleName) const
{
    if (!consoleName.isNull() && !m_consoles.find(consoleName))
        return textResponse(QStringLiteral("no console named \"%1\"").arg(consoleName.left(64)),
                            StatusCode::NotFound);
    return asset(QStringLiteral("index.html"));
}

QHttpServerResponse HttpFrontend::asset(const QString &name) const
{
    const QString notFound = QStringLiteral("not found: %1").arg(name.left(128));
    if (name.isEmpty() || name.startsWith(QLatin1Char('.')) || name.contains(QLatin1Char('/')))
        return textResponse(notFound, StatusCode::NotFound);
    const QString path = m_settings.webRoot.isEmpty()
        ? QStringLiteral(":/web/") + name
        : m_settings.webRoot + QLatin1Char('/') + name;
    QFile file(path);
    if (!QFileInfo(path).isFile() || !file.open(QIODevice::ReadOnly))
        return textResponse(notFound, StatusCode::NotFound);
    QHttpServerResponse response(mimeTypeFor(name), file.readAll());
    // The page changes with the server; let browsers check instead of guessing.
    response.addHeader("Cache-Control", "no-cache");
    response.addHeader("X-Content-Type-Options", "nosniff");
    response.addHeader("Referrer-Policy", "no-referrer");
    return response;
}

void HttpFrontend::setupStatusRoutes()
{
    // With access control, only a credential sees these (any role, any consoles: the figures
    // are the server's); the index page shows each user the consoles it may open.
    m_http.route("/metrics", [this](const QHttpServerRequest &request) {
        if (!authorized(request))
            return unauthorized();
        QHttpServerResponse response(Metrics::ContentType, Metrics::render(m_consoles));
        response.addHeader("Cache-Control", "no-store");
        return response;
    });
    m_http.route("/consoles.json", [this](const QHttpServerRequest &request) {
        if (!authorized(request))
            return unauthorized();
        QHttpServerResponse response("application/json",
                                     renderConsolesJson(visibleStatuses(request)));
        response.addHeader("Cache-Control", "no-store");
        response.addHeader("X-Content-Type-Options", "nosniff");
        return response;
    });
}

std::vector<ConsoleStatus> HttpFrontend::visibleStatuses(const QHttpServerRequest &request)
{
    std::vector<ConsoleStatus> statuses = consoleStatuses(m_consoles);
    if (!m_auth.enabled())
        return statuses;
    const Authenticator::Result result
        = m_auth.authenticate(request.value("Authorization"), request.value("Cookie"));
    statuses.erase(std::remove_if(statuses.begin(), statuses.end(),
                                  [&result](const ConsoleStatus &status) {
                                      return !result.principal.allows(status.name);
                                  }),
                   statuses.end());
    return statuses;
}

QHttpServerResponse HttpFrontend::screenPage(const QString &name, const QHttpServerRequest &request)
{
    if (!authorized(request))
        return unauthorized();
    const Console *console = name.isNull() ? m_consoles.defaultConsole() : m_consoles.find(name);
    if (!console)
        return textResponse(QStringLiteral("no console named \"%1\"").arg(name.left(64)),
                            StatusCode::NotFound);
    // The same rule as the console's WebSocket; a viewer may read the screen.
    if (!authorized(request, console->name()))
        return textResponse(
            QStringLiteral("you may not use console \"%1\"").arg(console->name().left(64)),
            StatusCode::Forbidden);
    const QString format = QUrlQuery(request.url()).queryItemValue(QStringLiteral("format"));
    const ConsoleScreen::Text screen = console->screen().text();
    if (screen.offset < 0)
        return textResponse(QStringLiteral("the console's screen is busy; try again"),
                            StatusCode::ServiceUnavailable);
    QHttpServerResponse response = [&] {
        if (format.isEmpty() || format == QLatin1String("text"))
            return QHttpServerResponse("text/plain; charset=utf-8", ScreenRenderer::text(screen));
        if (format == QLatin1String("json"))
            return QHttpServerResponse("application/json",
                                       ScreenRenderer::json(console->name(), screen));
        if (format == QLatin1String("html")) {
            QHttpServerResponse page("text/html; charset=utf-8",
                                     ScreenRenderer::html(console->name(), screen));
            page.addHeader("Content-Security-Policy",
                           "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'");
            return page;
        }
        return textResponse(QStringLiteral("format must be text, json or html"),
                            StatusCode::BadRequest);
    }();
    response.addHeader("Cache-Control", "no-store");
    response.addHeader("X-Content-Type-Options", "nosniff");
    return response;
}

QHttpServerResponse HttpFrontend::unauthorized()
{
    QHttpServerResponse response = textResponse(
        QStringLiteral("log in, or send Authorization: Bearer TOKEN"), StatusCode::Unauthorized);
    response.addHeader("WWW-Authenticate", "Bearer realm=\"cloud-console\"");
    return response;
}

QHttpServerResponse HttpFrontend::indexPage(const QHttpServerRequest &request)
{
    QHttpServerResponse response("text/html; charset=utf-8",
                                 renderIndexPage(visibleStatuses(request)));
    response.addHeader("Cache-Control", "no-store");
    response.addHeader("X-Content-Type-Options", "nosniff");
    response.addHeader("Referrer-Policy", "no-referrer");
    // Nothing but its own inline style and icon: no script, no frames, no forms.
    response.addHeader("Content-Security-Policy",
                       "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
                       "frame-ancestors 'none'; form-action 'none'; base-uri 'none'");
    return response;
}

} // namespace CloudConsole
