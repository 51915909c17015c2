#pragma once

// WebSocketHandoff completes the WebSocket handshake of an upgrade that the upgrade policy
// accepted, with Qt 6.4's QWebSocketServer, and gives the connected QWebSocket, the socket
// under it and the accept decision to whoever makes clients.
//
// It exists because Qt 6.4 has no way to check an upgrade before it is completed: QHttpServer
// upgrades through an internal QWebSocketServer whose subprotocols cannot be set (a browser
// that asks for cloud-console.v1 would fail there), and QWebSocketServer answers a bad
// handshake by dropping it. So the front end reads the head itself, decides, and only then
// hands the socket over here. This class, and the byte pushing below, goes when the project
// moves to a Qt with an upgrade verifier (QHttpServer::addWebSocketUpgradeVerifier, Qt 6.8).
//
// The push-back trick, known to this file alone: Qt 6.4's QWebSocketServer reads the
// handshake through a QTextStream, which reads ahead and swallows frames that a client sent
// right behind its head. So everything buffered is taken out, the head alone is pushed back
// (as the front end parsed it, with CRLF line ends: Qt waits for CRLF CRLF and would hold a head
// that ends in bare LF, which RFC 9112 lets a server accept, for ever), and the early frames go
// back in front once the handshake is done, with a readyRead of their own.
//
// The decision travels with the socket itself, in a small child object that also holds the
// QWebSocketServer completing that one handshake, so the connected QWebSocket comes back
// through the object that holds its decision, and nothing is resolved or checked twice (Qt
// 6.4's QWebSocket does not take the socket as its child, so a decision cannot be found under
// it). A handshake counts as a client of its console from hand-over until it connects or its
// socket goes, so that a burst of upgrades cannot slip past a client limit; one that does not
// finish within the deadline is closed.
//
// It owns the decisions in flight and their QWebSocketServers, as children of the sockets, and
// makes each connected socket a child of its QWebSocket, so that it goes with it; the WebSockets
// belong to whoever makes clients. It knows nothing of consoles or credentials beyond the
// decision it carries.

#include "upgradepolicy.h"

#include <QHash>
#include <QHostAddress>
#include <QObject>

#include <functional>

class QTcpSocket;
class QWebSocket;

namespace CloudConsole {

struct RequestHead;

class WebSocketHandoff : public QObject
{
    Q_OBJECT
public:
    // Makes a client of a connected WebSocket with its decision (transport is the socket under
    // it); false when it closed it instead.
    using ClientMaker = std::function<bool(QWebSocket *socket, QTcpSocket *transport,
                                           const UpgradeDecision &decision)>;

    WebSocketHandoff(int handshakeTimeoutMs, ClientMaker makeClient, QObject *parent = nullptr);

    // Completes the handshake of an accepted upgrade whose head (headSize bytes of what the
    // socket holds, unread) was parsed as head. The socket must not have been read past it.
    void handOver(QTcpSocket *socket, const RequestHead &head, qsizetype headSize,
                  UpgradeDecision decision);

    // Handshakes handed over and not yet connected, over all consoles and for one.
    int inFlight() const { return m_inFlight; }
    int inFlightFor(const QString &console) const { return m_inFlightByConsole.value(console); }
    int inFlightFrom(const QHostAddress &address) const
    {
        return m_inFlightByAddress.value(address);
    }

private:
    class Handshake;

    void onConnected(Handshake *handshake);
    void release(const QString &console, const QHostAddress &address);

    const int m_handshakeTimeoutMs;
    ClientMaker m_makeClient;
    int m_inFlight = 0;
    QHash<QString, int> m_inFlightByConsole;
    QHash<QHostAddress, int> m_inFlightByAddress;
};

} // namespace CloudConsole
