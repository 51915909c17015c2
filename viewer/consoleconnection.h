#pragma once

// ConsoleConnection is the viewer's end of protocol v1: one WebSocket to one console, kept open.
//
// It owns the socket (a fresh one per attempt) and a StreamCursor, so that after a drop it
// reconnects by itself with ?offset=&epoch= and delivers each console byte exactly once; bytes the
// server can no longer supply are reported as a count. It classifies failed attempts
// (unreachable, refused, unauthorized, ...) so that a window can explain them. It knows nothing
// about terminals: output leaves as bytes, input arrives as bytes.

#include "protocol.h"
#include "streamcursor.h"

#include <QObject>
#include <QPointer>
#include <QSize>
#include <QTimer>
#include <QUrl>

#include <optional>

class QWebSocket;

namespace CloudConsole::Viewer {

class ConsoleConnection : public QObject
{
    Q_OBJECT

public:
    enum class State { Idle, Connecting, Connected, WaitingToRetry };
    Q_ENUM(State)
    enum class Failure {
        None,
        Unreachable, // no route, unknown host, timeout
        Refused, // nothing listens on that port
        Unauthorized, // HTTP 401 or 403 on the upgrade
        NotFound, // HTTP 404: no such console
        Busy, // HTTP 503: the server's client limit
        Rejected, // another HTTP status
        Protocol, // the server does not speak cloud-console.v1
        Closed, // the connection ended
        PolicyClosed, // close code 1008 (the idle timeout): not retried
    };
    Q_ENUM(Failure)

    static constexpr int HandshakeTimeout = 10'000; // ms
    // UTF-8 bytes of a paste per message. JSON writes a control character as \u00XX, six bytes
    // for one, so a piece of pure escapes stays under the server's 64 KiB message limit too.
    static constexpr qsizetype PastePiece = 8 * 1024;
    // What the viewer calls itself in the WebSocket URL (?client=): the server shows it in its
    // list of clients.
    static constexpr char ClientKind[] = "viewer";

    explicit ConsoleConnection(QObject *parent = nullptr);
    ~ConsoleConnection() override;

    // Accepts ws://, wss://, http://, https:// and host:port; the page URL of a console
    // (/c/vm1/) becomes its WebSocket URL (/c/vm1/ws). Returns nothing and sets `error` for
    // anything else.
    static std::optional<QUrl> normalizeUrl(const QString &text, QString *error = nullptr);
    // Sent as "Authorization: Bearer TOKEN" with every connection attempt, for a server with
    // access control; empty sends none.
    void setBearerToken(const QString &token) { m_bearerToken = token; }

    // Connects to a console, forgetting the position in any previous one.
    void open(const QUrl &url);
    // Drops the current connection, if any, and connects again at once, resuming.
    void reconnect();
    void close();

    // Retry delays after a drop: the first, doubled after each failure up to the maximum.
    void setRetryDelays(int firstMs, int maxMs);

    // Input is sent only while connected; returns false when it was dropped.
    bool sendInput(const QByteArray &bytes);
    bool sendResize(QSize gridSize);
    bool sendBreak();
    bool sendPing(const QJsonValue &data);
    // A paste (`utf8`, bracketed-paste markers included) as `paste` messages of PastePiece bytes
    // at most, each ending between characters; the server feeds it to the console at its pace.
    bool sendPaste(qint64 id, const QByteArray &utf8);
    bool sendPasteCancel();
    bool sendControl(Protocol::Control::Action action, qint64 to = 0);
    // Where each piece of a paste ends: offsets into `utf8`, never inside a character.
    static QList<qsizetype> pastePieceEnds(const QByteArray &utf8, qsizetype piece = PastePiece);

    State state() const { return m_state; }
    QUrl url() const { return m_url; }
    // The URL of the next attempt, with the resume offset and its epoch.
    QUrl attemptUrl() const;
    const std::optional<Protocol::Hello> &hello() const { return m_hello; }
    bool isWritable() const { return m_hello && m_hello->writable; }
    bool canBreak() const { return m_state == State::Connected && m_hello && m_hello->canBreak; }
    const StreamCursor &cursor() const { return m_cursor; }
    qint64 bytesReceived() const { return m_bytesReceived; }
    qint64 bytesSkipped() const { return m_bytesSkipped; }
    Failure lastFailure() const { return m_lastFailure; }
    QString lastError() const { return m_lastError; }

    static QString describe(Failure failure);

Q_SIGNALS:
    void stateChanged(CloudConsole::Viewer::ConsoleConnection::State state);
    // `resumed`: this connection continues where an earlier one stopped.
    void helloReceived(const CloudConsole::Protocol::Hello &hello, bool resumed);
    // New console output, in order, never repeated. `replay`: history written before this
    // viewer first connected.
    void outputReceived(const QByteArray &bytes, bool replay);
    // Bytes this viewer will never see: the history moved past them.
    void outputSkipped(qint64 bytes);
    // The server's offsets started again (it restarted); what follows is a new run.
    void consoleRestarted();
    void sourceChanged(const CloudConsole::Protocol::SourceEvent &event);
    // The console's size changed (an operator resized it).
    void sizeChanged(QSize gridSize);
    // The console's screen from the server, to replace whatever was shown; output goes on from
    // its offset.
    void screenReceived(const CloudConsole::Protocol::Screen &screen);
    void serverError(const CloudConsole::Protocol::Error &error);
    // An alert rule of the server matched a line of the console's output (a kernel panic, the
    // login prompt). Alerts are not replayed: only those raised while connected arrive.
    void alertReceived(const CloudConsole::Protocol::AlertEvent &alert);
    // Who is attached (sent on every change), the keyboard of an exclusive console changing
    // hands, and the progress of a paste the server feeds to the console.
    void clientsReceived(const CloudConsole::Protocol::ClientsEvent &clients);
    void controlReceived(const CloudConsole::Protocol::ControlEvent &control);
    void pasteReceived(const CloudConsole::Protocol::PasteEvent &paste);
    // An attempt failed. `willRetry`: a retry is scheduled (the console was reached before).
    void attemptFailed(CloudConsole::Viewer::ConsoleConnection::Failure failure,
                       const QString &message, bool willRetry);

private:
    void startAttempt();
    void dropSocket();
    void onConnected();
    void onTextMessage(const QString &message);
    void onBinaryMessage(const QByteArray &message);
    void onSocketError();
    void onDisconnected();
    void onHandshakeTimeout();
    void endAttempt(Failure failure, const QString &message);
    void setState(State state);
    bool sendText(const QByteArray &json);

    QPointer<QWebSocket> m_socket;
    QUrl m_url;
    State m_state = State::Idle;
    StreamCursor m_cursor;
    std::optional<Protocol::Hello> m_hello;
    bool m_reachedOnce = false; // a hello arrived since open(): drops are retried
    bool m_helloSeen = false; // on the current socket
    bool m_firstSession = true; // no earlier connection to resume from
    qint64 m_replayEnd = 0; // history end announced by the first hello
    qint64 m_bytesReceived = 0;
    qint64 m_bytesSkipped = 0;
    Failure m_lastFailure = Failure::None;
    QString m_lastError;
    QTimer m_retryTimer;
    QTimer m_handshakeTimer;
    int m_firstRetryDelay = 500;
    int m_maxRetryDelay = 10'000;
    int m_retryDelay = 500;
    QString m_bearerToken;
};

} // namespace CloudConsole::Viewer
