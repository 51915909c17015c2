#include "connectionintake.h"

#include "httplog.h"
#include "requesthead.h"

#include <QRegularExpression>
#include <QSslSocket>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTimer>
#include <QUrl>

#include <unistd.h>

#include <memory>
#include <optional>

namespace CloudConsole {

// Accepts connections for ConnectionIntake and hands the plain HTTP ones on to QHttpServer.
class ConnectionIntake::Listener : public QTcpServer
{
public:
    explicit Listener(ConnectionIntake &intake) : m_intake(intake) { }
    // QHttpServer takes sockets from this server's pending connections.
    void handOver(QTcpSocket *socket) { addPendingConnection(socket); }

protected:
    void incomingConnection(qintptr descriptor) override
    {
        const TlsSettings &tls = m_intake.m_settings.tls;
        // With TLS every connection is a QSslSocket; everything after reads decrypted bytes.
        QTcpSocket *socket = tls.enabled() ? new QSslSocket(this) : new QTcpSocket(this);
        if (!socket->setSocketDescriptor(descriptor)) {
            ::close(int(descriptor));
            delete socket;
            return;
        }
        // A console is interactive: the frame that carries a keystroke's echo is small, and
        // with Nagle's algorithm it waits for the ACK of the output sent before it.
        socket->setSocketOption(QAbstractSocket::LowDelayOption, 1);
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
        m_intake.accept(socket);
    }

private:
    ConnectionIntake &m_intake;
};

// The state of one connection while its request arrives; a child of its socket. Its place in
// the admission goes back when it is destroyed.
class PendingRequest : public QObject
{
public:
    PendingRequest(QTcpSocket *socket, Admission::Ticket ticket) : QObject(socket), ticket(ticket)
    {
        deadline.setSingleShot(true);
        deadline.start(ConnectionIntake::RequestHeadTimeoutMs);
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

ConnectionIntake::ConnectionIntake(const FrontendSettings &settings, const Authenticator &auth,
                                   QHttpServer &http, UpgradeHandler onUpgrade, QObject *parent)
    : QObject(parent)
    , m_settings(settings)
    , m_auth(auth)
    , m_http(http)
    , m_onUpgrade(std::move(onUpgrade))
    , m_admission({MaxPendingRequests, MaxPendingPerAddress, 1000, RequestHeadTimeoutMs, 2048})
{
    connect(&m_admission, &Admission::admitted, this, &ConnectionIntake::onAdmitted);
}

bool ConnectionIntake::hostAllowedWithoutAccessControl(QByteArrayView host)
{
    QString name = QString::fromLatin1(host).trimmed().toLower();
    if (name.startsWith(u'[')) // [v6]:port
        name = name.mid(1, name.indexOf(u']') - 1);
    else if (name.count(u':') == 1)
        name = name.left(name.indexOf(u':'));
    return name == QLatin1String("localhost") || !QHostAddress(name).isNull();
}

bool ConnectionIntake::listen(const QHostAddress &address, quint16 port, QString *error)
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

quint16 ConnectionIntake::port() const
{
    return m_listener ? m_listener->serverPort() : 0;
}

int ConnectionIntake::openConnections() const
{
    return m_listener
        ? int(m_listener->findChildren<QTcpSocket *>(QString(), Qt::FindDirectChildrenOnly).size())
        : 0;
}

void ConnectionIntake::accept(QTcpSocket *socket)
{
    // Nothing reads a connection before it has a place, and its request is at most a head and
    // a login form: keep no more than that of it in memory.
    socket->setReadBufferSize(RequestHeadReader::MaxHeadSize + MaxRequestBody + 1);
    m_admission.offer(socket);
}

void ConnectionIntake::onAdmitted(QTcpSocket *socket, Admission::Ticket ticket)
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

void ConnectionIntake::onRequestBytes(QTcpSocket *socket, PendingRequest *pending)
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
        refuse(socket,
               {413,
                QStringLiteral("bytes after the request: this server takes one request per "
                               "connection, and no request bodies")});
        return;
    }
    if (m_httpConnections >= MaxHttpConnections) {
        refuse(socket, {503, QStringLiteral("too many open HTTP connections")});
        return;
    }
    handOverToHttp(socket, requestSize);
}

void ConnectionIntake::onHead(QTcpSocket *socket, PendingRequest *pending)
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
        refuse(socket, {400, error});
        return;
    case RequestHeadReader::Status::TooLarge:
        done();
        refuse(socket, {431, error});
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
        refuse(socket,
               {403,
                QStringLiteral("without access control this server answers only to an IP address "
                               "or localhost, not to \"%1\"")
                    .arg(QString::fromLatin1(head.value("Host").left(128)))});
        return;
    }
    if (head.isWebSocketUpgrade()) {
        done();
        m_onUpgrade(socket, head, headSize);
        return;
    }
    // Only the login form and a new share link's settings (a small JSON object at
    // /c/NAME/shares) take a body, and a small one: QHttpServer holds bodies in memory whole.
    const QByteArray length = head.value("Content-Length").trimmed();
    const QString path = QUrl::fromEncoded(head.target).path();
    static const QRegularExpression sharesPath(QStringLiteral("^/c/[^/]+/shares$"));
    const bool loginForm = head.method == "POST"
        && (path == u"/login" || sharesPath.match(path).hasMatch()) && length.size() <= 4
        && length.toInt() <= MaxRequestBody && head.value("Transfer-Encoding").isEmpty();
    if (!loginForm
        && ((!length.isEmpty() && length != "0") || !head.value("Transfer-Encoding").isEmpty())) {
        done();
        refuse(socket, {413, QStringLiteral("this server takes no request bodies")});
        return;
    }
    pending->head = head;
    pending->headSize = headSize;
    pending->requestSize = headSize + length.toLongLong();
    onRequestBytes(socket, pending);
}

void ConnectionIntake::handOverToHttp(QTcpSocket *socket, qint64 requestSize)
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

void ConnectionIntake::refuse(QTcpSocket *socket, const Refusal &refusal) const
{
    CloudConsole::refuse(socket, refusal,
                         m_settings.tls.enabled() ? Transport::Tls : Transport::Plain);
}

} // namespace CloudConsole
