#include "websockethandoff.h"

#include "httplog.h"
#include "inboundgate.h"
#include "protocol.h"
#include "requesthead.h"

#include <QTcpSocket>
#include <QTimer>
#include <QWebSocket>
#include <QWebSocketServer>

#include <memory>

namespace CloudConsole {

// One handshake in flight: its decision, the frames its client sent right behind the head, its
// deadline and the QWebSocketServer that completes it. A child of its socket.
class WebSocketHandoff::Handshake : public QObject
{
public:
    Handshake(QTcpSocket *socket, UpgradeDecision decision, QByteArray early, int timeoutMs)
        : QObject(socket)
        , transport(socket)
        , decision(std::move(decision))
        , early(std::move(early))
        , server(QStringLiteral("cloud-console"), QWebSocketServer::NonSecureMode)
    {
        server.setSupportedSubprotocols({QString::fromLatin1(Protocol::Subprotocol)});
        server.setHandshakeTimeout(timeoutMs);
        deadline.setSingleShot(true);
        deadline.start(timeoutMs);
    }
    QTcpSocket *const transport; // the parent
    const QHostAddress address = transport->peerAddress();
    const UpgradeDecision decision;
    const QByteArray early;
    QWebSocketServer server;
    QTimer deadline;
    // Until it connects or goes; shared, so that the handler of destroyed() can read it after
    // this object is gone.
    std::shared_ptr<bool> inFlight = std::make_shared<bool>(true);
};

WebSocketHandoff::WebSocketHandoff(int handshakeTimeoutMs, ClientMaker makeClient, QObject *parent)
    : QObject(parent), m_handshakeTimeoutMs(handshakeTimeoutMs), m_makeClient(std::move(makeClient))
{ }

void WebSocketHandoff::handOver(QTcpSocket *socket, const RequestHead &head, qsizetype headSize,
                                UpgradeDecision decision)
{
    // QWebSocketServer completes the handshake from the buffered request by itself (it looks at
    // what is already buffered; a second readyRead here would make it read the handshake twice
    // and drop the frames behind it). Leave only the head in the socket.
    const QByteArray buffered = socket->readAll();
    const QByteArray canonical = head.toCanonicalBytes();
    for (qsizetype i = canonical.size() - 1; i >= 0; --i)
        socket->ungetChar(canonical.at(i));

    const QString console = decision.consoleName;
    const QHostAddress address = socket->peerAddress();
    auto *handshake
        = new Handshake(socket, std::move(decision), buffered.mid(headSize), m_handshakeTimeoutMs);
    ++m_inFlight;
    ++m_inFlightByConsole[console];
    ++m_inFlightByAddress[address];
    connect(handshake, &QObject::destroyed, this,
            [this, inFlight = handshake->inFlight, console, address] {
                // Still in flight: its socket went away before the handshake completed.
                if (*inFlight)
                    release(console, address);
            });
    // Whatever QWebSocketServer does with it, the handshake ends within the deadline: a
    // connection held here counts against the client limits.
    connect(&handshake->deadline, &QTimer::timeout, handshake, [socket] {
        qCInfo(lcHttp) << "closing a WebSocket handshake that did not finish in time";
        socket->abort();
        socket->deleteLater();
    });
    connect(&handshake->server, &QWebSocketServer::newConnection, this,
            [this, handshake] { onConnected(handshake); });
    // Before QWebSocketServer connects to the socket, so that it sees each frame first.
    new InboundGate(socket);
    handshake->server.handleConnection(socket);
}

void WebSocketHandoff::release(const QString &console, const QHostAddress &address)
{
    --m_inFlight;
    if (--m_inFlightByConsole[console] <= 0)
        m_inFlightByConsole.remove(console);
    if (--m_inFlightByAddress[address] <= 0)
        m_inFlightByAddress.remove(address);
}

void WebSocketHandoff::onConnected(Handshake *handshake)
{
    QWebSocket *socket = handshake->server.nextPendingConnection();
    if (!socket || !*handshake->inFlight)
        return;
    // No longer in flight: the client is made below, or the socket closed. Its server is inside
    // the signal that brought us here, so it goes later.
    *handshake->inFlight = false;
    handshake->deadline.stop();
    release(handshake->decision.consoleName, handshake->address);
    handshake->deleteLater();
    QTcpSocket *const transport = handshake->transport;
    // Qt 6.4's QWebSocket neither takes nor deletes the socket under it: it goes with the
    // WebSocket, whoever deletes that (a client's session, or a refusal below). Left to the
    // listener, every closed client's socket stayed until the server stopped.
    transport->setParent(socket);
    // Frames the client sent right behind its handshake go back in front of whatever came
    // since, before the client's session is made (it checks them).
    for (qsizetype i = handshake->early.size() - 1; i >= 0; --i)
        transport->ungetChar(handshake->early.at(i));
    if (!m_makeClient(socket, transport, handshake->decision))
        return;
    // The frames put back need a readyRead of their own.
    if (transport->bytesAvailable() > 0)
        QTimer::singleShot(0, transport, [transport] { Q_EMIT transport->readyRead(); });
}

} // namespace CloudConsole
