#pragma once

// SoakClient is one WebSocket client of the console, as a browser or the viewer would be: a
// QWebSocket speaking protocol v1 (or raw mode), whose every output byte goes through a
// StreamChecker.
//
// It follows the stream by offsets: the hello says where output starts, each binary frame
// continues where the last one ended, a gap moves on and is announced to the checker, a screen
// moves the position (back: the repeated bytes are trimmed; forward without a gap: the checker
// finds the missing frames unannounced). It checks the protocol around the bytes too: a gap must
// start where the stream is, a resume must start where asked or be followed by a gap. With
// resume on, a reconnect asks for ?offset=&epoch= and the checker carries on across it, so a
// resumed stream is checked as one. The client counts what it saw (sessions, gaps, screens,
// source events, errors by code, close codes) and keeps a short trace of its last events, to
// show what led up to a finding.
//
// It owns its QWebSocket and checker; it knows nothing about why it connects or stalls.

#include "streamchecker.h"

#include <QMap>
#include <QNetworkRequest>
#include <QObject>
#include <QUrl>
#include <QWebSocket>

#include <memory>
#include <optional>

namespace CloudConsole::Protocol {
struct Hello;
}

namespace Soak {

struct ClientCounts
{
    qint64 sessions = 0; // connections that got their hello (v1) or opened (raw)
    qint64 failedOpens = 0; // handshakes refused or failed
    qint64 resumes = 0; // reconnects that asked for an offset
    qint64 exactResumes = 0; // ... and got it
    qint64 resumesWithGap = 0; // ... and were told of a gap
    qint64 gaps = 0;
    qint64 gapBytes = 0;
    qint64 screens = 0;
    qint64 sourceDown = 0;
    qint64 sourceUp = 0;
    qint64 protocolFindings = 0; // gaps from the wrong offset, unannounced skips
    QMap<QString, qint64> errors; // by code
    QMap<QString, qint64> closes; // "1001 no answer to pings for N s", ...
    QMap<QString, qint64> openFailures; // by error text
    qint64 bytesRefused = 0; // from the "N bytes ... refused/dropped" errors

    void add(const ClientCounts &other);
};

class SoakClient : public QObject
{
    Q_OBJECT
public:
    enum class Mode { V1, Raw };
    struct Setup
    {
        QUrl url;
        Mode mode = Mode::V1;
        QByteArray authorization; // "Bearer ..." or empty
        QByteArray cookie; // "cc_session=..." or empty
        QString origin; // sent as Origin when set, as a browser does
        bool resume = false; // reconnect with ?offset=&epoch=
    };

    SoakClient(const FrameOracle &oracle, const QString &name, QObject *parent = nullptr);
    ~SoakClient() override;

    void setExcuse(StreamChecker::Excuse excuse) { m_checker.setExcuse(std::move(excuse)); }
    void setFrameHook(StreamChecker::FrameHook hook) { m_checker.setFrameHook(std::move(hook)); }

    void open(const Setup &setup);
    // A clean close (a close frame), or an abort (the connection just drops).
    void close(bool abort);
    bool isOpen() const;
    bool isConnecting() const;
    void sendText(const QString &text);
    void sendBinary(const QByteArray &data);
    // The local port of the connection, to find it in a proxy.
    quint16 localPort() const;

    StreamChecker &checker() { return m_checker; }
    const StreamChecker &checker() const { return m_checker; }
    const ClientCounts &counts() const { return m_counts; }
    std::optional<quint64> lastSeq() const { return m_checker.lastSeq(); }
    // The last events of this client (connections, hellos, gaps, screens, the first output after
    // each), for the findings.
    QStringList trace() const { return m_trace; }

Q_SIGNALS:
    void opened();
    void closed(int code, const QString &reason);
    void errorReceived(const QString &code, const QString &message);

private:
    void onConnected();
    void onDisconnected();
    void onText(const QString &text);
    void onBinary(const QByteArray &data);
    void onHello(const CloudConsole::Protocol::Hello &hello);
    void finding(const QString &what);
    void note(const QString &event);

    QString m_name;
    StreamChecker m_checker;
    Setup m_setup;
    std::unique_ptr<QWebSocket> m_socket;
    ClientCounts m_counts;
    bool m_open = false;
    bool m_helloSeen = false;
    // Offsets: of the next output byte, and one past the last byte handed to the checker.
    qint64 m_next = 0;
    qint64 m_position = 0;
    bool m_positionKnown = false; // a hello was seen on some connection of this client
    QString m_epoch;
    std::optional<qint64> m_askedOffset; // this connection's ?offset=
    bool m_gapExpected = false; // a resume came back later than asked: a gap must follow
    qint64 m_sessionBytes = 0; // output bytes on this connection
    QStringList m_trace; // bounded
    bool m_traceData = true; // the next output frame goes into the trace
};

} // namespace Soak
