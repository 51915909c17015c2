#include "consoleconnection.h"

#include "logging.h"

#include <QNetworkRequest>
#include <QRegularExpression>
#include <QUrlQuery>
#include <QWebSocket>
#include <QWebSocketHandshakeOptions>

#include <algorithm>

namespace CloudConsole::Viewer {

namespace {

template<class... Ts> struct Overloaded : Ts...
{
    using Ts::operator()...;
};
template<class... Ts> Overloaded(Ts...) -> Overloaded<Ts...>;

// Qt 6.4's QWebSocket reports a refused upgrade only as ConnectionRefusedError with the HTTP
// status inside the message ("Unhandled http status code: 401 (Unauthorized)."); there is no
// accessor for the response, so the status is read back from the text.
std::optional<int> httpStatusIn(const QString &message)
{
    static const QRegularExpression pattern(QStringLiteral("status code: (\\d{3})"));
    const QRegularExpressionMatch match = pattern.match(message);
    if (!match.hasMatch())
        return std::nullopt;
    return match.captured(1).toInt();
}

} // namespace

ConsoleConnection::ConsoleConnection(QObject *parent) : QObject(parent)
{
    m_retryTimer.setSingleShot(true);
    connect(&m_retryTimer, &QTimer::timeout, this, &ConsoleConnection::startAttempt);
    m_handshakeTimer.setSingleShot(true);
    m_handshakeTimer.setInterval(HandshakeTimeout);
    connect(&m_handshakeTimer, &QTimer::timeout, this, &ConsoleConnection::onHandshakeTimeout);
}

ConsoleConnection::~ConsoleConnection()
{
    dropSocket();
}

std::optional<QUrl> ConsoleConnection::normalizeUrl(const QString &text, QString *error)
{
    const auto fail = [error](const QString &message) -> std::optional<QUrl> {
        if (error)
            *error = message;
        return std::nullopt;
    };
    QString input = text.trimmed();
    if (input.isEmpty())
        return fail(tr("Enter the address of a console, such as ws://host:8080/c/vm1/ws."));
    if (!input.contains(QLatin1String("://")))
        input.prepend(QLatin1String("ws://"));
    QUrl url(input, QUrl::StrictMode);
    if (!url.isValid() || url.host().isEmpty())
        return fail(tr("\"%1\" is not a valid address.").arg(text.trimmed()));
    const QString scheme = url.scheme().toLower();
    if (scheme == QLatin1String("http"))
        url.setScheme(QStringLiteral("ws"));
    else if (scheme == QLatin1String("https"))
        url.setScheme(QStringLiteral("wss"));
    else if (scheme != QLatin1String("ws") && scheme != QLatin1String("wss"))
        return fail(tr("Unsupported scheme \"%1\": use ws://, wss://, http:// or https://.")
                        .arg(url.scheme()));
    QString path = url.path();
    if (!path.endsWith(QLatin1String("/ws"))) {
        if (!path.endsWith(QLatin1Char('/')))
            path += QLatin1Char('/');
        path += QLatin1String("ws");
    }
    url.setPath(path);
    // The resume position is the connection's business, never the user's.
    QUrlQuery query(url);
    query.removeAllQueryItems(QStringLiteral("offset"));
    query.removeAllQueryItems(QStringLiteral("epoch"));
    url.setQuery(query);
    url.setFragment(QString());
    return url;
}

void ConsoleConnection::setRetryDelays(int firstMs, int maxMs)
{
    m_firstRetryDelay = std::max(0, firstMs);
    m_maxRetryDelay = std::max(m_firstRetryDelay, maxMs);
    m_retryDelay = m_firstRetryDelay;
}

void ConsoleConnection::open(const QUrl &url)
{
    dropSocket();
    m_retryTimer.stop();
    m_url = url;
    m_cursor = StreamCursor();
    m_hello.reset();
    m_reachedOnce = false;
    m_firstSession = true;
    m_replayEnd = 0;
    m_bytesReceived = 0;
    m_bytesSkipped = 0;
    m_retryDelay = m_firstRetryDelay;
    startAttempt();
}

void ConsoleConnection::reconnect()
{
    if (m_url.isEmpty())
        return;
    dropSocket();
    m_retryTimer.stop();
    m_retryDelay = m_firstRetryDelay;
    startAttempt();
}

void ConsoleConnection::close()
{
    m_retryTimer.stop();
    dropSocket();
    setState(State::Idle);
}

QUrl ConsoleConnection::attemptUrl() const
{
    QUrl url = m_url;
    if (const std::optional<qint64> offset = m_cursor.resumeOffset()) {
        // The offset means something only in the run of the server that counted it: with the
        // epoch, a restarted server replays its new history from the start instead of resuming
        // at an offset of its new run, which would skip that run's first bytes.
        QUrlQuery query(url);
        query.addQueryItem(QStringLiteral("offset"), QString::number(*offset));
        if (!m_cursor.epoch().isEmpty())
            query.addQueryItem(QStringLiteral("epoch"), m_cursor.epoch());
        url.setQuery(query);
    }
    QUrlQuery query(url);
    if (!query.hasQueryItem(QStringLiteral("client"))) {
        query.addQueryItem(QStringLiteral("client"), QLatin1String(ClientKind));
        url.setQuery(query);
    }
    return url;
}

void ConsoleConnection::startAttempt()
{
    dropSocket();
    m_helloSeen = false;
    m_socket = new QWebSocket(QString(), QWebSocketProtocol::VersionLatest, this);
    QWebSocket *socket = m_socket;
    // Output frames are at most 64 KiB; anything far larger is not a v1 server.
    socket->setMaxAllowedIncomingMessageSize(quint64(Protocol::MaxOutputFrame) * 4);
    // QWebSocket turns everything the socket has buffered into messages in one go; during a
    // flood that is megabytes, and the window would freeze while the terminal digests them.
    // A small read buffer makes each pass of the event loop take about one output frame, so
    // painting and keys get their turn, and a reader slower than the console pushes back
    // through TCP to the server (which then resumes from its history or reports a gap).
    socket->setReadBufferSize(Protocol::MaxOutputFrame);
    connect(socket, &QWebSocket::connected, this, &ConsoleConnection::onConnected);
    connect(socket, &QWebSocket::textMessageReceived, this, &ConsoleConnection::onTextMessage);
    connect(socket, &QWebSocket::binaryMessageReceived, this, &ConsoleConnection::onBinaryMessage);
    connect(socket, QOverload<QAbstractSocket::SocketError>::of(&QWebSocket::error), this,
            &ConsoleConnection::onSocketError);
    connect(socket, &QWebSocket::disconnected, this, &ConsoleConnection::onDisconnected);

    QWebSocketHandshakeOptions options;
    options.setSubprotocols({QString::fromLatin1(Protocol::Subprotocol)});
    const QUrl url = attemptUrl();
    qCInfo(lcConnection) << "connecting to" << url.toString();
    setState(State::Connecting);
    m_handshakeTimer.start();
    QNetworkRequest request(url);
    if (!m_bearerToken.isEmpty())
        request.setRawHeader("Authorization", "Bearer " + m_bearerToken.toUtf8());
    socket->open(request, options);
}

void ConsoleConnection::dropSocket()
{
    m_handshakeTimer.stop();
    if (!m_socket)
        return;
    QWebSocket *socket = m_socket;
    m_socket.clear();
    // The socket may be in the middle of emitting the signal that brought us here.
    socket->disconnect(this);
    socket->abort();
    socket->deleteLater();
}

void ConsoleConnection::onConnected()
{
    if (m_socket->subprotocol() != QLatin1String(Protocol::Subprotocol)) {
        endAttempt(Failure::Protocol,
                   tr("The server did not accept the %1 protocol; it may be an older version.")
                       .arg(QLatin1String(Protocol::Subprotocol)));
        return;
    }
    qCDebug(lcConnection) << "upgraded; waiting for hello";
}

void ConsoleConnection::onTextMessage(const QString &message)
{
    const auto decoded = Protocol::decodeServerMessage(message.toUtf8());
    if (const auto *error = std::get_if<Protocol::DecodeError>(&decoded)) {
        // Unknown types are newer servers talking; everything else is logged and ignored too,
        // except a hello we cannot read, without which nothing makes sense.
        if (!m_helloSeen) {
            endAttempt(Failure::Protocol,
                       tr("Unreadable greeting from the server: %1").arg(error->message));
            return;
        }
        qCWarning(lcConnection) << "ignoring a control message:" << error->code << error->message;
        return;
    }
    std::visit(
        Overloaded {
            [this](const Protocol::Hello &hello) {
                m_handshakeTimer.stop();
                m_helloSeen = true;
                const bool resumed = !m_firstSession;
                const StreamCursor::HelloResult result = m_cursor.acceptHello(hello);
                if (m_firstSession)
                    m_replayEnd = hello.historyEnd;
                m_firstSession = false;
                m_hello = hello;
                m_reachedOnce = true;
                m_retryDelay = m_firstRetryDelay;
                m_lastFailure = Failure::None;
                m_lastError.clear();
                setState(State::Connected);
                if (result.restarted) {
                    m_replayEnd = 0;
                    Q_EMIT consoleRestarted();
                }
                if (result.skipped > 0) {
                    m_bytesSkipped += result.skipped;
                    Q_EMIT outputSkipped(result.skipped);
                }
                Q_EMIT helloReceived(hello, resumed && !result.restarted);
            },
            [this](const Protocol::Gap &gap) {
                const qint64 skipped = m_cursor.acceptGap(gap);
                if (skipped > 0) {
                    m_bytesSkipped += skipped;
                    Q_EMIT outputSkipped(skipped);
                }
            },
            [this](const Protocol::SourceEvent &event) {
                if (m_hello) {
                    m_hello->source = event.state;
                    m_hello->sourceReason = event.reason;
                }
                Q_EMIT sourceChanged(event);
            },
            [this](const Protocol::Error &error) {
                qCWarning(lcConnection)
                    << "server refused a message:" << error.code << error.message;
                Q_EMIT serverError(error);
            },
            [](const Protocol::Pong &) {},
            [this](const Protocol::SizeEvent &size) {
                if (m_hello) {
                    m_hello->cols = size.cols;
                    m_hello->rows = size.rows;
                }
                Q_EMIT sizeChanged(QSize(size.cols, size.rows));
            },
            [this](const Protocol::Screen &screen) {
                m_cursor.acceptScreen(screen);
                Q_EMIT screenReceived(screen);
            },
            [this](const Protocol::AlertEvent &alert) {
                qCDebug(lcConnection) << "alert" << alert.rule << alert.severity;
                Q_EMIT alertReceived(alert);
            },
            [this](const Protocol::ClientsEvent &clients) { Q_EMIT clientsReceived(clients); },
            [this](const Protocol::ControlEvent &control) { Q_EMIT controlReceived(control); },
            [this](const Protocol::PasteEvent &paste) { Q_EMIT pasteReceived(paste); },
        },
        std::get<Protocol::ServerMessage>(decoded));
}

void ConsoleConnection::onBinaryMessage(const QByteArray &message)
{
    if (!m_helloSeen) {
        qCWarning(lcConnection) << "output before hello; ignored";
        return;
    }
    const QByteArrayView fresh = m_cursor.acceptData(message);
    if (fresh.isEmpty())
        return;
    m_bytesReceived += fresh.size();
    const bool replay = m_cursor.position() <= m_replayEnd;
    Q_EMIT outputReceived(fresh.size() == message.size() ? message : fresh.toByteArray(), replay);
}

void ConsoleConnection::onSocketError()
{
    const QAbstractSocket::SocketError error = m_socket->error();
    const QString message = m_socket->errorString();
    Failure failure = Failure::Closed;
    if (const std::optional<int> status = httpStatusIn(message)) {
        failure = *status == 401 || *status == 403 ? Failure::Unauthorized
            : *status == 404                       ? Failure::NotFound
            : *status == 503                       ? Failure::Busy
                                                   : Failure::Rejected;
    } else if (message.contains(QLatin1String("processHandshake"))) {
        // Qt 6.4 names the status only for some codes (400 becomes "Unknown error condition").
        failure = Failure::Rejected;
    } else if (error == QAbstractSocket::ConnectionRefusedError) {
        failure = Failure::Refused;
    } else if (error == QAbstractSocket::HostNotFoundError || error == QAbstractSocket::NetworkError
               || error == QAbstractSocket::SocketTimeoutError) {
        failure = Failure::Unreachable;
    }
    endAttempt(failure, message);
}

void ConsoleConnection::onDisconnected()
{
    // A refused TCP connection reports "disconnected" before "error"; the error says more.
    if (m_socket->error() != QAbstractSocket::UnknownSocketError) {
        onSocketError();
        return;
    }
    const QString reason = m_socket->closeReason();
    // 1008 is the server's idle timeout; the protocol asks clients not to come back by
    // themselves, or an idle viewer would hold its place for ever.
    const Failure failure = m_socket->closeCode() == QWebSocketProtocol::CloseCodePolicyViolated
        ? Failure::PolicyClosed
        : Failure::Closed;
    endAttempt(failure, reason.isEmpty() ? tr("The connection was closed.") : reason);
}

void ConsoleConnection::onHandshakeTimeout()
{
    endAttempt(Failure::Unreachable,
               tr("No answer from the server within %1 seconds.").arg(HandshakeTimeout / 1000));
}

void ConsoleConnection::endAttempt(Failure failure, const QString &message)
{
    dropSocket();
    m_lastFailure = failure;
    m_lastError = message;
    // Once the console was reached, any drop is retried: the server restarting, a network
    // blip or a 503 are all worth waiting out. Before that, the user has to decide; a refused
    // credential (401, 403) does not get better by asking again; and a server that closed an
    // idle connection (1008) asked not to be asked again.
    const bool retry
        = m_reachedOnce && failure != Failure::Unauthorized && failure != Failure::PolicyClosed;
    qCInfo(lcConnection) << "connection ended:" << failure << message
                         << (retry ? "(retrying)" : "");
    if (retry) {
        setState(State::WaitingToRetry);
        m_retryTimer.start(m_retryDelay);
        m_retryDelay = std::min(m_maxRetryDelay, std::max(1, m_retryDelay * 2));
    } else {
        setState(State::Idle);
    }
    Q_EMIT attemptFailed(failure, message, retry);
}

void ConsoleConnection::setState(State state)
{
    if (state == m_state)
        return;
    m_state = state;
    Q_EMIT stateChanged(state);
}

bool ConsoleConnection::sendInput(const QByteArray &bytes)
{
    if (m_state != State::Connected || !m_socket) {
        qCDebug(lcConnection) << "not connected; dropping" << bytes.size() << "bytes of input";
        return false;
    }
    // The server closes connections that send messages over 64 KiB.
    for (qsizetype at = 0; at < bytes.size(); at += Protocol::MaxClientMessage)
        m_socket->sendBinaryMessage(bytes.mid(at, Protocol::MaxClientMessage));
    return true;
}

bool ConsoleConnection::sendText(const QByteArray &json)
{
    if (m_state != State::Connected || !m_socket)
        return false;
    m_socket->sendTextMessage(QString::fromUtf8(json));
    return true;
}

bool ConsoleConnection::sendResize(QSize gridSize)
{
    Protocol::Resize resize;
    resize.cols = std::clamp(gridSize.width(), 1, Protocol::MaxCols);
    resize.rows = std::clamp(gridSize.height(), 1, Protocol::MaxRows);
    return sendText(Protocol::encode(Protocol::ClientMessage(resize)));
}

bool ConsoleConnection::sendBreak()
{
    return sendText(Protocol::encode(Protocol::ClientMessage(Protocol::Break {})));
}

bool ConsoleConnection::sendPing(const QJsonValue &data)
{
    return sendText(Protocol::encode(Protocol::ClientMessage(Protocol::Ping {data})));
}

QList<qsizetype> ConsoleConnection::pastePieceEnds(const QByteArray &utf8, qsizetype piece)
{
    QList<qsizetype> ends;
    qsizetype start = 0;
    while (start < utf8.size()) {
        qsizetype end = std::min(utf8.size(), start + std::max<qsizetype>(piece, 4));
        // Back off continuation bytes (10xxxxxx): a piece ends before a character starts.
        while (end < utf8.size() && end > start && (quint8(utf8.at(end)) & 0xc0) == 0x80)
            --end;
        ends << end;
        start = end;
    }
    return ends;
}

bool ConsoleConnection::sendPaste(qint64 id, const QByteArray &utf8)
{
    if (m_state != State::Connected || !m_socket || utf8.isEmpty())
        return false;
    qsizetype start = 0;
    for (const qsizetype end : pastePieceEnds(utf8)) {
        Protocol::Paste paste;
        paste.id = id;
        paste.total = utf8.size();
        paste.at = start;
        paste.data = utf8.mid(start, end - start);
        m_socket->sendTextMessage(
            QString::fromUtf8(Protocol::encode(Protocol::ClientMessage(paste))));
        start = end;
    }
    return true;
}

bool ConsoleConnection::sendPasteCancel()
{
    return sendText(Protocol::encode(Protocol::ClientMessage(Protocol::PasteCancel {})));
}

bool ConsoleConnection::sendControl(Protocol::Control::Action action, qint64 to)
{
    Protocol::Control control;
    control.action = action;
    control.to = to;
    return sendText(Protocol::encode(Protocol::ClientMessage(control)));
}

QString ConsoleConnection::describe(Failure failure)
{
    switch (failure) {
    case Failure::None:
        return tr("connected");
    case Failure::Unreachable:
        return tr("The server cannot be reached.");
    case Failure::Refused:
        return tr("The server refused the connection: nothing is listening "
                  "on that port.");
    case Failure::Unauthorized:
        return tr("The server refused access to this console.");
    case Failure::NotFound:
        return tr("The server has no console by that name.");
    case Failure::Busy:
        return tr("The server has too many clients right now.");
    case Failure::Rejected:
        return tr("The server rejected the request.");
    case Failure::Protocol:
        return tr("The server does not speak the cloud-console protocol.");
    case Failure::Closed:
        return tr("The connection was closed.");
    case Failure::PolicyClosed:
        return tr("The server closed the connection because it was idle.");
    }
    return {};
}

} // namespace CloudConsole::Viewer
