#pragma once

// ClientSession is one WebSocket client of a Console.
//
// It holds a cursor (an absolute offset) into the console's shared HistoryRing and sends from it
// whenever its socket has room, so the data is never copied per client and a client that stops
// reading holds back only itself: at most SendHighWater bytes wait in its socket, and if the
// history moves past its cursor it gets a gap and goes on from the oldest byte kept. Input is
// queued per client (bounded) and drained by the console in arrival order. It enforces the
// console's per-client limits (LimitSettings): an input rate, WebSocket pings that close a client
// which stopped answering, and an idle timeout. It owns its QWebSocket; it knows nothing about
// HTTP or where the console's bytes come from.

#include "consolescreen.h"
#include "inboundgate.h"
#include "protocol.h"
#include "ratelimit.h"

#include <QByteArray>
#include <QElapsedTimer>
#include <QObject>
#include <QPointer>
#include <QTcpSocket>
#include <QTimer>
#include <QWebSocket>

#include <functional>
#include <optional>

namespace CloudConsole {

class Console;

class ClientSession : public QObject
{
    Q_OBJECT
public:
    enum class Mode { Raw, V1 };

    // Output waiting in one client's socket before the session stops sending to it. Shallow on
    // purpose: a keystroke's echo waits behind whatever is queued for its client (together
    // with the kernel's unsent bytes, which HttpFrontend bounds the same way).
    static constexpr qint64 SendHighWater = 64 * 1024;
    // Input waiting per client while the console is not reading its input. Past InputPauseAt
    // nothing more is read from the client's socket (TCP slows the client down) until the
    // console has taken all but InputResumeAt; the limit leaves room for the one message that
    // may arrive while reading stops, so a client that TCP holds back is never refused.
    static constexpr qsizetype InputPauseAt = 16 * 1024;
    static constexpr qsizetype InputResumeAt = 4 * 1024;
    static constexpr qsizetype InputQueueLimit = 2 * Protocol::MaxClientMessage;
    // How long a client closed for a limit has to take the close frame before it is cut off: one
    // that does not read would otherwise hold its connection open.
    static constexpr int CloseGraceMs = 5000;
    // Output waiting in a client's socket past which the client is cut off. pump() stays below
    // SendHighWater plus one frame; only answers that Qt writes by itself, unasked (a pong to
    // every WebSocket ping), go beyond, and only for a client that sends without reading.
    static constexpr qint64 MaxBufferedBytes = SendHighWater + Protocol::MaxOutputFrame + 64 * 1024;
    // What is read from a client's socket at a time, which bounds the pongs one read can ask
    // for; the kernel's window holds the client back meanwhile. Room for a largest message.
    static constexpr qint64 TransportReadBuffer = 4 * Protocol::MaxClientMessage;
    // Screen requests a client may make: one per this interval.
    static constexpr int ScreenRequestIntervalMs = 1000;
    // Keyboard requests (take, release, give) a client may make: this many at once, then one a
    // second. Each is announced to every client, logged and recorded, so a client toggling the
    // keyboard in a loop would flood all of them.
    static constexpr int ControlRequestBurst = 10;
    static constexpr double ControlRequestsPerSecond = 1.0;
    // How long output to a client waits for a screen (made on the screen's thread, which may be
    // behind a flood) before it goes on without one, as a client without a screen would.
    static constexpr int ScreenWaitMs = 2000;

    // Takes ownership of socket, which must be connected. transport is the TCP (or TLS) socket
    // under it, when known: it lets the session bound what Qt writes there on its own.
    ClientSession(Console &console, QWebSocket *socket, QTcpSocket *transport, Mode mode,
                  bool writable, QObject *parent = nullptr);
    ~ClientSession() override;

    // Sends the hello (and a gap if resumeFrom is older than the history), then the output. A v1
    // client gets the console's screen instead of bytes that no longer draw it: when the history
    // has wrapped and it resumes from nothing it kept, or from before the history. A raw client
    // replays from the first line start in the history. With screenFirst (`start=screen`), a v1
    // client that does not resume starts from the console's current screen instead of its
    // history: a wall tile or a thumbnail wants what the console shows, not its scrollback.
    void start(std::optional<qint64> resumeFrom, bool screenFirst = false);
    // Sends what the history has beyond the cursor, as far as the socket has room.
    void pump();
    void sendEvent(const Protocol::ServerMessage &message);
    // A clients event, encoded: past the send high-water mark only the latest is kept, and sent
    // once the client reads again.
    void sendPresence(const QByteArray &json);
    void close(QWebSocketProtocol::CloseCode code, const QString &reason);

    Mode mode() const { return m_mode; }
    // May type, resize and send BREAK: an operator; otherwise a viewer.
    bool isWritable() const { return m_writable; }
    qint64 offset() const { return m_offset; }
    QString peer() const { return m_peer; }
    QHostAddress peerAddress() const { return m_peerAddress; }
    // Who the credential says the client is (a user or token name); empty without access control.
    QString user() const { return m_user; }
    // The console's number for this client, what it called itself (or what its User-Agent says),
    // and when it joined, for the others to see (presence). Set by the console before start().
    void setIdentity(qint64 id, QString user, QString kind)
    {
        m_id = id;
        m_user = std::move(user);
        m_kind = std::move(kind);
    }
    qint64 id() const { return m_id; }
    QString kind() const { return m_kind; }
    qint64 joinedMs() const { return m_joinedMs; } // ms since the epoch
    // When its input last reached the console (ms since the epoch); 0: never.
    qint64 typedMs() const { return m_typedMs; }
    void markTyped();
    // The credential the client came with (Authorization and Cookie headers of its handshake),
    // for the front end to check again when the configuration is reloaded.
    struct Credential
    {
        QByteArray authorization;
        QByteArray cookie;
        // Where it came from and its user header: what a trusted proxy said (Authenticator).
        QHostAddress peer;
        std::optional<QByteArray> proxyUser;
    };
    void setCredential(Credential credential) { m_credential = std::move(credential); }
    const Credential &credential() const { return m_credential; }
    // Closes with 1008 (which clients do not reconnect after) and the reason.
    void revoke(const QString &reason)
    {
        closeForLimit(QWebSocketProtocol::CloseCodePolicyViolated, reason);
    }
    // Output waiting in this client's socket: bounded by SendHighWater plus one frame.
    qint64 bufferedBytes() const { return m_socket ? m_socket->bytesToWrite() : 0; }

    QByteArrayView pendingInput() const { return m_input; }
    // The console took these bytes: reading resumes once little is left.
    void consumeInput(qsizetype bytes);
    // Whether reading from the client's socket is paused for its input to drain.
    bool isInputPaused() const { return m_gate && m_gate->isPaused(); }
    // Discards queued input, and tells the client why with an error of that code: the source
    // went down, or the client no longer may type (another operator took the keyboard).
    void dropInput(const char *code, const QString &why);

Q_SIGNALS:
    // The socket closed; the console drops the session.
    void finished(ClientSession *session);

private:
    void onBinaryMessage(const QByteArray &message);
    void onTextMessage(const QString &message);
    void queueInput(QByteArrayView data);
    // The input rate's token bucket: whether a message of this size may pass now, taking it.
    bool takeInputTokens(qsizetype bytes);
    // Anything arrived from the client (a pong, a frame): it is alive.
    void noteHeard() { m_unansweredPings = 0; }
    // Input or a control message other than a ping: someone uses it.
    void noteActivity() { m_lastActivity.start(); }
    void onPingTick();
    // Cuts the client off when answers it asks for but does not read pile up in its socket.
    void checkBufferedBytes();
    void onIdleCheck();
    void closeForLimit(QWebSocketProtocol::CloseCode code, const QString &reason);
    void sendError(const char *code, const QString &message);
    void skipTo(qint64 offset);

    // What start() found, for when the screen it waits for comes.
    struct Attach
    {
        std::optional<Protocol::Gap> gap;
        bool resumed = false;
        bool wrapped = false;
        bool screenFirst = false; // the current screen, not the history
    };
    void finishStart(Attach attach, std::optional<ConsoleScreen::Snapshot> screen);
    // Asks the console's screen for a snapshot; output to this client waits until it comes
    // (then `then` gets it, if usable) or ScreenWaitMs pass (then `then` gets none).
    using ScreenHandler = std::function<void(std::optional<ConsoleScreen::Snapshot>)>;
    // `current`: the screen as of everything output until now, not any still in the history.
    void waitForScreen(ScreenHandler then, bool current = false);
    void screenArrived(std::optional<ConsoleScreen::Snapshot> screen);
    // The snapshot, unless the offset it stands for has left the history (the screen is far
    // behind a flood): a client could not go on from there.
    std::optional<ConsoleScreen::Snapshot> usable(ConsoleScreen::Snapshot snapshot) const;
    // Reports what the screen stands for that this client has not had as a gap, sends it, and
    // goes on from its offset.
    void goOnFromScreen(ConsoleScreen::Snapshot screen);
    // Sends it and goes on from its offset.
    void sendScreen(ConsoleScreen::Snapshot snapshot);
    // Where a client without a screen starts in a wrapped history: past its first line end, so
    // not inside an escape sequence or a UTF-8 character.
    qint64 replayStart() const;

    Console &m_console;
    QPointer<QWebSocket> m_socket;
    // Frames QWebSocket would take and RFC 6455 forbids; the transport's, when it is known.
    QPointer<InboundGate> m_gate;
    Mode m_mode;
    bool m_writable;
    Credential m_credential;
    QString m_peer;
    QString m_user;
    QString m_kind;
    QByteArray m_pendingPresence; // the latest clients event a slow client has not been sent
    qint64 m_id = 0;
    qint64 m_joinedMs = 0;
    qint64 m_typedMs = 0;
    QHostAddress m_peerAddress;
    qint64 m_offset = 0;
    QByteArray m_input;
    bool m_started = false;
    bool m_pumping = false;
    qint64 m_answersDropped = 0; // pongs and errors not sent to a client that did not read
    qint64 m_skippedSinceReport = 0;
    int m_gapsSinceReport = 0;
    QElapsedTimer m_gapReport;
    LogThrottle m_refusalLog {0.1, 5}; // lines about this client's refused messages
    double m_inputTokens = 0; // bytes that may pass now; below 0 after a message over the burst
    QElapsedTimer m_inputClock; // since the bucket was last topped up
    QTimer m_pingTimer;
    int m_unansweredPings = 0; // pings sent since anything last arrived from the client
    QTimer m_idleTimer;
    QElapsedTimer m_lastActivity;
    QTimer m_closeDeadline;
    QElapsedTimer m_lastScreenRequest;
    TokenBucket m_controlRequests {ControlRequestsPerSecond, ControlRequestBurst};
    ScreenHandler m_onScreen; // set while output waits for a screen
    quint64 m_screenRequest = 0; // the request whose answer is wanted
    QTimer m_screenDeadline;
};

} // namespace CloudConsole
