#pragma once

// FrameFuzzer is the client that sends random frames, in two ways:
//
// - a v1 client (viewer token) that sends random messages through QWebSocket: JSON of unknown
//   and known types with wrong fields, text that is no JSON, binary input (refused: a viewer),
//   pings with odd data, screen requests, and now and then a message over the 64 KiB limit,
//   which must close it with 1009. Its output stream is checked like any client's.
// - a raw TCP connection that does the upgrade by hand and then writes random WebSocket frames:
//   random opcodes, reserved bits, masks, lengths (including the 16- and 64-bit forms), and
//   plain random bytes. The server must refuse them by closing, and nothing else.
//
// Each raw burst is one injected fault; the FaultInjector asks for them. It owns its clients and
// sockets; it knows nothing about the other faults.

#include "soakclient.h"

#include <QHostAddress>
#include <QObject>
#include <QRandomGenerator>
#include <QTcpSocket>
#include <QTimer>

namespace Soak {

class FrameFuzzer : public QObject
{
    Q_OBJECT
public:
    struct Totals
    {
        qint64 messages = 0; // sent by the v1 client
        qint64 oversized = 0;
        qint64 rawConnections = 0;
        qint64 rawFrames = 0;
        qint64 rawClosedByServer = 0; // the server closed the connection (the expected end)
        qint64 rawUpgradeRefused = 0; // the handshake was not answered with 101
        QMap<QString, qint64> rawCloseCodes; // close frames the server sent, by code
    };

    FrameFuzzer(const FrameOracle &oracle, quint16 port, QByteArray viewerToken, quint32 seed,
                QHostAddress rawFrom, QObject *parent = nullptr);

    void setExcuse(StreamChecker::Excuse excuse) { m_client.setExcuse(std::move(excuse)); }
    void start();
    // One burst of random frames on a new raw connection.
    void rawBurst();
    void stop();
    void close() { m_client.close(false); }
    bool isOpen() const { return m_client.isOpen(); }
    std::optional<quint64> lastSeq() const { return m_client.lastSeq(); }
    const Totals &totals() const { return m_totals; }
    const SoakClient &client() const { return m_client; }

private:
    void connectNow();
    void sendRandomMessage();
    QByteArray randomFrame();
    void onRawData(QTcpSocket *socket);

    quint16 m_port;
    QHostAddress m_rawFrom;
    QByteArray m_token;
    QRandomGenerator m_random;
    SoakClient m_client;
    QTimer m_messageTimer;
    Totals m_totals;
    bool m_stopping = false;
};

} // namespace Soak
