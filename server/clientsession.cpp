#include "clientsession.h"

#include "console.h"

#include <QLoggingCategory>

Q_LOGGING_CATEGORY(lcClient, "cloudconsole.client")

namespace CloudConsole {

using namespace Protocol;

ClientSession::ClientSession(Console &console, QWebSocket *socket, Mode mode, bool writable,
                             QObject *parent)
    : QObject(parent)
    , m_console(console)
    , m_socket(socket)
    , m_mode(mode)
    , m_writable(writable)
    , m_peer(QStringLiteral("%1:%2").arg(socket->peerAddress().toString()).arg(socket->peerPort()))
{
    socket->setParent(this);
    // Larger messages close the connection with 1009 (too big): a documented limit.
    socket->setMaxAllowedIncomingMessageSize(quint64(MaxClientMessage));
    socket->setMaxAllowedIncomingFrameSize(quint64(MaxClientMessage));
    connect(socket, &QWebSocket::binaryMessageReceived, this, &ClientSession::onBinaryMessage);
    connect(socket, &QWebSocket::textMessageReceived, this, &ClientSession::onTextMessage);
    connect(socket, &QWebSocket::bytesWritten, this, &ClientSession::pump);
    connect(socket, &QWebSocket::disconnected, this, [this] { Q_EMIT finished(this); });
}

ClientSession::~ClientSession()
{
    if (m_socket)
        m_socket->disconnect(this);
}

void ClientSession::start(std::optional<qint64> resumeFrom)
{
    const HistoryRing &history = m_console.history();
    m_offset = history.startOffset();
    std::optional<Gap> gap;
    if (resumeFrom) {
        if (history.contains(*resumeFrom))
            m_offset = *resumeFrom;
        else if (*resumeFrom < history.startOffset())
            gap = Gap {*resumeFrom, history.startOffset()};
        // Beyond the end: an offset of an earlier epoch; everything kept is new to this client.
    }
    if (gap)
        m_console.countGap(gap->to - gap->from);
    if (m_mode == Mode::V1) {
        sendEvent(m_console.hello(m_offset, m_writable));
        if (gap)
            sendEvent(*gap);
    }
    m_started = true;
    pump();
}

void ClientSession::pump()
{
    if (!m_started || m_pumping || !m_socket
        || m_socket->state() != QAbstractSocket::ConnectedState)
        return;
    m_pumping = true;
    const HistoryRing &history = m_console.history();
    while (m_offset < history.endOffset()) {
        const qint64 pending = m_socket->bytesToWrite();
        if (pending >= SendHighWater)
            break; // bytesWritten() calls again
        if (m_offset < history.startOffset()) {
            skipTo(history.startOffset());
            continue;
        }
        // While earlier frames are still on their way out, wait for a whole frame's worth: a
        // burst leaves in large frames, and a lone keystroke echo (nothing pending) at once.
        const qint64 available = history.endOffset() - m_offset;
        if (pending > 0 && available < MaxOutputFrame)
            break;
        const QByteArray frame = m_console.frameAt(m_offset, MaxOutputFrame);
        m_socket->sendBinaryMessage(frame);
        m_offset += frame.size();
        m_console.countSent(frame.size());
        // QWebSocket queues a frame's header and payload as two pieces, and the socket writes
        // one piece per write notification: without this, output leaves at half the rate it
        // arrives and every client falls behind. (The bytesWritten() that flush() emits finds
        // m_pumping set and returns; this loop goes on by itself.)
        m_socket->flush();
    }
    m_pumping = false;
}

void ClientSession::skipTo(qint64 offset)
{
    const qint64 skipped = offset - m_offset;
    m_console.countGap(skipped);
    // A client that cannot keep up may skip many times a second: one line per ten seconds.
    m_skippedSinceReport += skipped;
    ++m_gapsSinceReport;
    if (!m_gapReport.isValid() || m_gapReport.elapsed() >= 10'000) {
        qCInfo(lcClient).noquote()
            << m_peer << "fell behind the history: skipped" << m_skippedSinceReport << "bytes in"
            << m_gapsSinceReport << "gap(s)";
        m_skippedSinceReport = 0;
        m_gapsSinceReport = 0;
        m_gapReport.start();
    }
    if (m_mode == Mode::V1)
        sendEvent(Gap {m_offset, offset});
    else
        m_socket->sendBinaryMessage(
            QStringLiteral("\r\n[cloud-console: %1 bytes skipped]\r\n").arg(skipped).toUtf8());
    m_offset = offset;
}

void ClientSession::sendEvent(const ServerMessage &message)
{
    if (m_mode != Mode::V1 || !m_socket)
        return;
    // Answers to a client that does not read its output (pongs, errors about its own input)
    // must not pile up: past the high-water mark they are counted, not queued. Events about
    // the console (hello, source, gap) are few and always sent.
    const bool answer
        = std::holds_alternative<Pong>(message) || std::holds_alternative<Error>(message);
    if (answer && m_socket->bytesToWrite() >= SendHighWater) {
        ++m_answersDropped;
        return;
    }
    if (m_answersDropped > 0 && answer) {
        const qint64 dropped = std::exchange(m_answersDropped, 0);
        m_socket->sendTextMessage(QString::fromUtf8(encode(ServerMessage(
            Error {QString::fromLatin1(ErrorCode::InputOverflow),
                   QStringLiteral("%1 answers to this client were dropped: it was not reading")
                       .arg(dropped)}))));
    }
    m_socket->sendTextMessage(QString::fromUtf8(encode(message)));
}

void ClientSession::sendError(const char *code, const QString &message)
{
    qCDebug(lcClient).noquote() << m_peer << code << message;
    if (m_mode == Mode::V1)
        sendEvent(Error {QString::fromLatin1(code), message});
    else
        qCInfo(lcClient).noquote() << m_peer << "(raw mode):" << message;
}

void ClientSession::close(QWebSocketProtocol::CloseCode code, const QString &reason)
{
    if (m_socket)
        m_socket->close(code, reason);
}

void ClientSession::onBinaryMessage(const QByteArray &message)
{
    queueInput(message);
}

void ClientSession::onTextMessage(const QString &message)
{
    if (m_mode == Mode::Raw) {
        // The earlier tool's pages send keystrokes as text frames.
        queueInput(message.toUtf8());
        return;
    }
    const auto decoded = decodeClientMessage(message.toUtf8());
    if (const auto *error = std::get_if<DecodeError>(&decoded)) {
        sendError(error->code.toLatin1().constData(), error->message);
        return;
    }
    const ClientMessage &request = std::get<ClientMessage>(decoded);
    if (const auto *ping = std::get_if<Ping>(&request)) {
        sendEvent(Pong {ping->data});
        return;
    }
    if (!m_writable) {
        sendError(ErrorCode::ReadOnly, QStringLiteral("this client may not change the console"));
        return;
    }
    if (const auto *resize = std::get_if<Resize>(&request)) {
        m_console.resize(resize->cols, resize->rows);
        return;
    }
    if (std::holds_alternative<Break>(request) && !m_console.sendBreak())
        sendError(ErrorCode::Unsupported, QStringLiteral("this console cannot send a BREAK"));
}

void ClientSession::queueInput(QByteArrayView data)
{
    if (!m_writable) {
        sendError(ErrorCode::ReadOnly,
                  QStringLiteral("%1 bytes of input refused: this client may not write")
                      .arg(data.size()));
        return;
    }
    if (!m_console.source().isUp()) {
        sendError(ErrorCode::SourceDown,
                  QStringLiteral("%1 bytes of input refused: the console is down (%2)")
                      .arg(data.size())
                      .arg(m_console.source().stateReason()));
        return;
    }
    if (data.size() > InputQueueLimit - m_input.size()) {
        sendError(ErrorCode::InputOverflow,
                  QStringLiteral("%1 bytes of input refused: the console is not reading its "
                                 "input and %2 bytes are already waiting")
                      .arg(data.size())
                      .arg(m_input.size()));
        return;
    }
    m_input.append(data);
    m_console.drainInput();
}

void ClientSession::dropInput(const QString &reason)
{
    if (m_input.isEmpty())
        return;
    sendError(ErrorCode::SourceDown,
              QStringLiteral("%1 bytes of queued input dropped: the console went down (%2)")
                  .arg(m_input.size())
                  .arg(reason));
    m_input.clear();
}

} // namespace CloudConsole
