#include "clientsession.h"

#include "console.h"

#include <QDateTime>
#include <QLoggingCategory>

#include <algorithm>
#include <chrono>

Q_LOGGING_CATEGORY(lcClient, "cloudconsole.client")

namespace CloudConsole {

using namespace Protocol;

namespace {
// QTimer counts milliseconds in an int: longer waits are taken a day at a time.
int timerStep(qint64 ms)
{
    return int(std::clamp<qint64>(ms, 1, qint64(24) * 3600 * 1000));
}
} // namespace

ClientSession::ClientSession(Console &console, QWebSocket *socket, QTcpSocket *transport, Mode mode,
                             bool writable, QObject *parent)
    : QObject(parent)
    , m_console(console)
    , m_socket(socket)
    , m_mode(mode)
    , m_writable(writable)
    , m_peer(QStringLiteral("%1:%2").arg(socket->peerAddress().toString()).arg(socket->peerPort()))
    , m_joinedMs(QDateTime::currentMSecsSinceEpoch())
    , m_peerAddress(socket->peerAddress())
{
    socket->setParent(this);
    // Larger messages close the connection with 1009 (too big): a documented limit.
    socket->setMaxAllowedIncomingMessageSize(quint64(MaxClientMessage));
    socket->setMaxAllowedIncomingFrameSize(quint64(MaxClientMessage));
    connect(socket, &QWebSocket::binaryMessageReceived, this, &ClientSession::onBinaryMessage);
    connect(socket, &QWebSocket::textMessageReceived, this, &ClientSession::onTextMessage);
    connect(socket, &QWebSocket::bytesWritten, this, &ClientSession::pump);
    connect(socket, &QWebSocket::disconnected, this, [this] { Q_EMIT finished(this); });
    if (transport) {
        // QWebSocket answers each ping by writing a pong straight into the socket, outside
        // pump()'s bound: a client that pings and never reads would grow the server's memory
        // without end. Read in bounded steps, and look after each one. Queued, so that it runs
        // after QWebSocket has taken what arrived.
        transport->setReadBufferSize(TransportReadBuffer);
        connect(transport, &QIODevice::readyRead, this, &ClientSession::checkBufferedBytes,
                Qt::QueuedConnection);
        // Made by the front end before the handshake (see InboundGate).
        m_gate = transport->findChild<InboundGate *>(QString(), Qt::FindDirectChildrenOnly);
        if (m_gate) {
            // Queued: the console has not yet connected to this session when it is made.
            connect(
                m_gate, &InboundGate::violation, this,
                [this](const QString &reason) {
                    closeForLimit(QWebSocketProtocol::CloseCodeProtocolError, reason);
                },
                Qt::QueuedConnection);
        }
    }

    const LimitSettings &limits = m_console.settings().limits;
    // The bucket starts full: a client may paste a burst's worth as soon as it connects.
    m_inputTokens = double(limits.inputBytesPerSecond);
    m_inputClock.start();
    // Any frame proves the client alive, as a pong does; a message's frames count one by one.
    connect(socket, &QWebSocket::pong, this, &ClientSession::noteHeard);
    connect(socket, &QWebSocket::textFrameReceived, this, &ClientSession::noteHeard);
    connect(socket, &QWebSocket::binaryFrameReceived, this, &ClientSession::noteHeard);
    if (limits.pingInterval.count() > 0) {
        connect(&m_pingTimer, &QTimer::timeout, this, &ClientSession::onPingTick);
        m_pingTimer.start(timerStep(std::chrono::milliseconds(limits.pingInterval).count()));
    }
    m_lastActivity.start();
    if (limits.idleTimeout.count() > 0) {
        m_idleTimer.setSingleShot(true);
        connect(&m_idleTimer, &QTimer::timeout, this, &ClientSession::onIdleCheck);
        m_idleTimer.start(timerStep(std::chrono::milliseconds(limits.idleTimeout).count()));
    }
    m_screenDeadline.setSingleShot(true);
    connect(&m_screenDeadline, &QTimer::timeout, this, [this] {
        qCInfo(lcClient).noquote() << m_peer << "got no screen within" << ScreenWaitMs
                                   << "ms (the screen is far behind); it goes on without one";
        screenArrived(std::nullopt);
    });
    m_closeDeadline.setSingleShot(true);
    connect(&m_closeDeadline, &QTimer::timeout, this, [this] {
        if (m_socket)
            m_socket->abort();
    });
    // Frames sent with the handshake are in the socket already.
    if (m_gate)
        m_gate->arm();
}

ClientSession::~ClientSession()
{
    if (const qint64 heldBack = m_refusalLog.takeHeldBack(); heldBack > 0)
        qCInfo(lcClient).noquote()
            << m_peer << "left;" << heldBack << "refusals of its messages were not logged";
    if (m_socket)
        m_socket->disconnect(this);
}

void ClientSession::start(std::optional<qint64> resumeFrom, bool screenFirst)
{
    const HistoryRing &history = m_console.history();
    m_offset = history.startOffset();
    Attach attach;
    if (resumeFrom) {
        if (history.contains(*resumeFrom)) {
            m_offset = *resumeFrom;
            attach.resumed = true;
        } else if (*resumeFrom < history.startOffset()) {
            attach.gap = Gap {*resumeFrom, history.startOffset()};
        }
        // Beyond the end: an offset of an earlier epoch; everything kept is new to this client.
    }
    // Bytes from the start of the console draw its screen; a wrapped history does not.
    attach.wrapped = history.startOffset() > 0;
    attach.screenFirst = screenFirst && !attach.resumed && !attach.gap;
    if (m_mode == Mode::V1
        && (attach.gap || (!attach.resumed && (attach.wrapped || attach.screenFirst)))) {
        waitForScreen(
            [this, attach](std::optional<ConsoleScreen::Snapshot> screen) {
                finishStart(attach, std::move(screen));
            },
            attach.screenFirst);
        return;
    }
    finishStart(attach, std::nullopt);
}

void ClientSession::finishStart(Attach attach, std::optional<ConsoleScreen::Snapshot> screen)
{
    // The history may have moved on while the screen was made: output starts in it as it is now.
    if (!attach.resumed) {
        m_offset = attach.wrapped && !screen ? replayStart() : m_console.history().startOffset();
    }
    // A gap ends where the client goes on: at the screen's offset, or at the first byte sent.
    if (attach.gap)
        attach.gap->to = std::max(attach.gap->to, screen ? screen->offset : m_offset);
    if (attach.gap)
        m_console.countGap(attach.gap->to - attach.gap->from);
    m_started = true;
    if (m_mode == Mode::V1) {
        sendEvent(m_console.hello(m_offset, m_writable));
        if (attach.gap)
            sendEvent(*attach.gap);
        if (screen)
            sendScreen(std::move(*screen));
        sendEvent(m_console.presence(*this));
    }
    pump();
}

void ClientSession::waitForScreen(ScreenHandler then, bool current)
{
    m_onScreen = std::move(then);
    const quint64 request = ++m_screenRequest;
    // Any screen still in the history will do, the rest coming from the history; unless the
    // screen of now is wanted.
    const HistoryRing &history = m_console.history();
    m_console.screen().requestSnapshot(this, current ? history.endOffset() : history.startOffset(),
                                       [this, request](ConsoleScreen::Snapshot snapshot) {
                                           if (request == m_screenRequest)
                                               screenArrived(usable(std::move(snapshot)));
                                       });
    m_screenDeadline.start(ScreenWaitMs);
}

void ClientSession::screenArrived(std::optional<ConsoleScreen::Snapshot> screen)
{
    ++m_screenRequest; // a late answer to this request is not wanted any more
    m_screenDeadline.stop();
    const ScreenHandler then = std::exchange(m_onScreen, ScreenHandler());
    then(std::move(screen));
    pump();
}

std::optional<ConsoleScreen::Snapshot> ClientSession::usable(ConsoleScreen::Snapshot snapshot) const
{
    const HistoryRing &history = m_console.history();
    if (snapshot.offset < history.startOffset() || snapshot.offset > history.endOffset())
        return std::nullopt;
    return snapshot;
}

void ClientSession::sendScreen(ConsoleScreen::Snapshot snapshot)
{
    sendEvent(Screen {snapshot.offset, snapshot.size.width(), snapshot.size.height(),
                      snapshot.complete, std::move(snapshot.data)});
    // Output goes on from where the screen stands: back from where this client was (those bytes
    // come again, after the screen), or forth past bytes the caller reported as a gap.
    m_offset = snapshot.offset;
}

qint64 ClientSession::replayStart() const
{
    const HistoryRing &history = m_console.history();
    const qint64 start = history.startOffset();
    const QByteArray head
        = history.copy(start, qsizetype(std::min<qint64>(4096, history.endOffset() - start)));
    const qsizetype lineEnd = head.indexOf('\n');
    if (lineEnd >= 0)
        return start + lineEnd + 1;
    // No line end near: at least not inside a UTF-8 character.
    qsizetype skip = 0;
    while (skip < head.size() && (quint8(head[skip]) & 0xc0) == 0x80)
        ++skip;
    return start + skip;
}

void ClientSession::pump()
{
    // Waiting for a screen: what it stands for decides where the output goes on.
    if (!m_started || m_pumping || m_onScreen || !m_socket
        || m_socket->state() != QAbstractSocket::ConnectedState)
        return;
    m_pumping = true;
    if (!m_pendingPresence.isEmpty() && m_socket->bytesToWrite() < SendHighWater)
        sendPresence(std::exchange(m_pendingPresence, {}));
    const HistoryRing &history = m_console.history();
    while (m_offset < history.endOffset()) {
        const qint64 pending = m_socket->bytesToWrite();
        if (pending >= SendHighWater)
            break; // bytesWritten() calls again
        if (m_offset < history.startOffset()) {
            skipTo(history.startOffset());
            if (m_onScreen)
                break; // the screen decides where to go on
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
    // A v1 client gets the screen in place of what it missed, and the output goes on from
    // where the screen stands.
    if (m_mode == Mode::V1)
        waitForScreen([this](std::optional<ConsoleScreen::Snapshot> screen) {
            if (screen)
                goOnFromScreen(std::move(*screen));
        });
}

void ClientSession::goOnFromScreen(ConsoleScreen::Snapshot screen)
{
    // Bytes this client has not had that the screen stands for are reported as a gap.
    if (screen.offset > m_offset) {
        m_console.countGap(screen.offset - m_offset);
        sendEvent(Gap {m_offset, screen.offset});
    }
    sendScreen(std::move(screen));
}

void ClientSession::sendPresence(const QByteArray &json)
{
    if (m_mode != Mode::V1 || !m_socket || !m_started)
        return;
    // A client that does not read gets the latest list when it does, not every one meanwhile.
    if (m_socket->bytesToWrite() >= SendHighWater) {
        m_pendingPresence = json;
        return;
    }
    m_pendingPresence.clear();
    m_socket->sendTextMessage(QString::fromUtf8(json));
}

void ClientSession::sendEvent(const ServerMessage &message)
{
    if (m_mode != Mode::V1 || !m_socket)
        return;
    // Before the hello, which tells the console's state as it is when the client starts, events
    // about that state are old news: the hello comes first.
    if (!m_started)
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
    // A client decides how many of these it provokes: a few are logged, then one now and then
    // with the count held back, and the rest when it goes.
    qint64 heldBack = 0;
    if (m_refusalLog.allow(&heldBack)) {
        const QString more = heldBack > 0
            ? QStringLiteral(" (and %1 more refusals not logged)").arg(heldBack)
            : QString();
        if (m_mode == Mode::V1)
            qCDebug(lcClient).noquote() << m_peer << code << message + more;
        else
            qCInfo(lcClient).noquote() << m_peer << "(raw mode):" << message + more;
    }
    if (m_mode == Mode::V1)
        sendEvent(Error {QString::fromLatin1(code), message});
}

void ClientSession::close(QWebSocketProtocol::CloseCode code, const QString &reason)
{
    if (m_socket)
        m_socket->close(code, reason);
}

void ClientSession::onBinaryMessage(const QByteArray &message)
{
    if (m_gate && m_gate->violated())
        return;
    noteActivity();
    queueInput(message);
}

void ClientSession::onTextMessage(const QString &message)
{
    if (m_gate && m_gate->violated())
        return;
    if (m_mode == Mode::Raw) {
        // The earlier tool's pages send keystrokes as text frames.
        noteActivity();
        queueInput(message.toUtf8());
        return;
    }
    const auto decoded = decodeClientMessage(message.toUtf8());
    if (const auto *error = std::get_if<DecodeError>(&decoded)) {
        noteActivity();
        sendError(error->code.toLatin1().constData(), error->message);
        return;
    }
    const ClientMessage &request = std::get<ClientMessage>(decoded);
    if (const auto *ping = std::get_if<Ping>(&request)) {
        // Pings keep a connection alive, not a session in use: the page sends them by itself
        // while nobody types, so they do not hold off the idle timeout.
        sendEvent(Pong {ping->data});
        return;
    }
    noteActivity();
    if (std::holds_alternative<ScreenRequest>(request)) {
        // A screen costs the console's thread milliseconds to make: one a second per client, so
        // that a client asking in a loop cannot hold up the others.
        if (m_lastScreenRequest.isValid()
            && m_lastScreenRequest.elapsed() < ScreenRequestIntervalMs) {
            sendError(ErrorCode::InputRate,
                      QStringLiteral("at most one screen request a second; this one is refused"));
            return;
        }
        m_lastScreenRequest.start();
        // Viewers may look too.
        if (!m_onScreen)
            waitForScreen([this](std::optional<ConsoleScreen::Snapshot> screen) {
                if (screen)
                    goOnFromScreen(std::move(*screen));
            });
        return;
    }
    if (const auto *control = std::get_if<Control>(&request)) {
        if (m_writable && !m_controlRequests.take()) {
            sendError(ErrorCode::InputRate,
                      QStringLiteral("at most %1 keyboard requests at once, then %2 a second; this "
                                     "one is refused")
                          .arg(ControlRequestBurst)
                          .arg(ControlRequestsPerSecond));
            return;
        }
        const QString refusal = m_writable ? m_console.control(*this, *control)
                                           : QStringLiteral("a viewer never has the keyboard");
        if (!refusal.isEmpty())
            sendError(ErrorCode::NotAllowed, refusal);
        return;
    }
    if (std::holds_alternative<PasteCancel>(request)) {
        m_console.cancelPaste(*this);
        return;
    }
    if (!m_writable) {
        sendError(ErrorCode::ReadOnly, QStringLiteral("this client may not change the console"));
        return;
    }
    // On an exclusive console, only the keyboard's holder types, pastes, resizes or sends BREAK.
    if (const QString refusal = m_console.mayType(*this, false); !refusal.isEmpty()) {
        sendError(ErrorCode::ReadOnly, refusal);
        return;
    }
    if (const auto *paste = std::get_if<Paste>(&request)) {
        if (const QString refusal = m_console.paste(*this, *paste); !refusal.isEmpty())
            sendError(ErrorCode::PasteRefused, refusal);
        return;
    }
    if (const auto *resize = std::get_if<Resize>(&request)) {
        m_console.resize(resize->cols, resize->rows, this);
        return;
    }
    if (std::holds_alternative<Break>(request) && !m_console.sendBreak(this))
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
    if (const QString refusal = m_console.mayType(*this, false); !refusal.isEmpty()) {
        sendError(ErrorCode::ReadOnly,
                  QStringLiteral("%1 bytes of input refused: %2").arg(data.size()).arg(refusal));
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
    // A message passes whole or not at all: cutting it would hand the guest half a paste, or
    // half of a key's escape sequence or of a UTF-8 character, and leave the client to work out
    // which bytes went through.
    if (!takeInputTokens(data.size())) {
        const qint64 rate = m_console.settings().limits.inputBytesPerSecond;
        sendError(ErrorCode::InputRate,
                  QStringLiteral("%1 bytes of input refused: over this client's input rate of "
                                 "%2 bytes per second (bursts up to %2 bytes); none of them "
                                 "reached the console")
                      .arg(data.size())
                      .arg(rate));
        return;
    }
    m_console.mayType(*this, true); // accepted: on an exclusive console nobody held, it takes it
    m_input.append(data);
    m_console.drainInput();
    if (m_gate && m_input.size() > InputPauseAt)
        m_gate->pause();
}

void ClientSession::markTyped()
{
    m_typedMs = QDateTime::currentMSecsSinceEpoch();
}

void ClientSession::consumeInput(qsizetype bytes)
{
    m_input.remove(0, bytes);
    if (m_gate && m_gate->isPaused() && m_input.size() <= InputResumeAt)
        m_gate->resume();
}

bool ClientSession::takeInputTokens(qsizetype bytes)
{
    const qint64 rate = m_console.settings().limits.inputBytesPerSecond;
    if (rate <= 0)
        return true;
    // Topped up at the rate since the last message, up to the burst (a second's worth).
    const double burst = double(rate);
    const qint64 elapsedNs = m_inputClock.nsecsElapsed();
    m_inputClock.start();
    m_inputTokens = std::min(burst, m_inputTokens + double(elapsedNs) * double(rate) / 1e9);
    // A message larger than the burst (possible when the rate is below the 64 KiB message
    // limit) passes when the bucket is full, and leaves it below zero: the rate still holds on
    // average, and such a message is not refused forever.
    if (m_inputTokens < std::min(double(bytes), burst))
        return false;
    m_inputTokens -= double(bytes);
    return true;
}

void ClientSession::onPingTick()
{
    const qint64 interval = m_console.settings().limits.pingInterval.count();
    if (interval <= 0) {
        m_pingTimer.stop(); // turned off since (a reloaded configuration)
        return;
    }
    if (!m_socket || m_socket->state() != QAbstractSocket::ConnectedState)
        return;
    // Nothing arrived in the two intervals since the first of the last two pings: the client,
    // or the path to it, is gone.
    // While reading is paused for input to drain, a pong may be waiting unread: not the
    // client's silence.
    if (isInputPaused()) {
        m_unansweredPings = 0;
        return;
    }
    if (m_unansweredPings >= 2) {
        closeForLimit(QWebSocketProtocol::CloseCodeGoingAway,
                      QStringLiteral("no answer to pings for %1 s").arg(2 * interval));
        return;
    }
    ++m_unansweredPings;
    m_socket->ping();
}

void ClientSession::checkBufferedBytes()
{
    if (!m_socket || m_socket->bytesToWrite() <= MaxBufferedBytes)
        return;
    // A close frame would wait behind everything else: there is no one to tell.
    qCInfo(lcClient).noquote() << m_peer << "cut off:" << m_socket->bytesToWrite()
                               << "bytes wait for it, answers to its own pings; it sends but "
                                  "does not read";
    m_socket->abort();
}

void ClientSession::onIdleCheck()
{
    const qint64 timeoutMs
        = std::chrono::milliseconds(m_console.settings().limits.idleTimeout).count();
    if (timeoutMs <= 0)
        return; // turned off since (a reloaded configuration)
    const qint64 leftMs = timeoutMs - m_lastActivity.elapsed();
    if (leftMs > 0) {
        m_idleTimer.start(timerStep(leftMs));
        return;
    }
    // 1008 (policy violation) rather than a code of our own from 4000-4999: QWebSocket takes the
    // code as an enum whose range ends at 1023, and the page does not reconnect after 1008.
    closeForLimit(QWebSocketProtocol::CloseCodePolicyViolated,
                  QStringLiteral("idle: nothing sent for %1 s (the server's idle timeout)")
                      .arg(m_console.settings().limits.idleTimeout.count()));
}

void ClientSession::closeForLimit(QWebSocketProtocol::CloseCode code, const QString &reason)
{
    if (!m_socket || m_closeDeadline.isActive())
        return;
    qCInfo(lcClient).noquote() << m_peer << "closed:" << reason;
    m_pingTimer.stop();
    m_idleTimer.stop();
    m_socket->close(code, reason);
    m_closeDeadline.start(CloseGraceMs);
}

void ClientSession::dropInput(const char *code, const QString &why)
{
    if (m_input.isEmpty())
        return;
    sendError(code,
              QStringLiteral("%1 bytes of queued input dropped: %2").arg(m_input.size()).arg(why));
    m_input.clear();
    if (m_gate)
        m_gate->resume();
}

} // namespace CloudConsole
