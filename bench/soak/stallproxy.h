#pragma once

// StallProxy stands between some clients and the server, so that a client can stop reading the
// way a browser on a stalled network does: while stalled, the proxy takes nothing from the
// server's side beyond a small buffer, the kernel's windows fill, and the server sees a client
// that does not read. QWebSocket has no way to stop reading its own socket; the proxy is that
// network. The client's own bytes (pongs, messages) still go through, as they would.
//
// It owns the listener and both sockets of every pair; it knows nothing about WebSockets.

#include <QObject>
#include <QPointer>
#include <QTcpServer>
#include <QTcpSocket>

#include <map>

namespace Soak {

class StallProxy : public QObject
{
    Q_OBJECT
public:
    // What is read from the server's side of a stalled pair before the proxy stops reading.
    static constexpr qint64 StalledBuffer = 64 * 1024;

    explicit StallProxy(quint16 serverPort, QObject *parent = nullptr);
    ~StallProxy() override;

    bool listen(QString *error);
    quint16 port() const { return m_server.serverPort(); }
    // Stops (or resumes) passing the server's bytes to the client whose end has this port.
    void setStalled(quint16 clientPort, bool stalled);
    int pairs() const { return int(m_pairs.size()); }

private:
    struct Pair
    {
        quint16 key = 0; // the client's port
        QPointer<QTcpSocket> client; // accepted from the client
        QPointer<QTcpSocket> server; // connected to the server
        QByteArray early; // the client's bytes before the server's side connected
        bool stalled = false;
        bool serverGone = false;
    };

    void onNewConnection();
    void forwardToClient(Pair &pair);
    void drop(quint16 clientPort);

    quint16 m_serverPort;
    QTcpServer m_server;
    std::map<quint16, Pair> m_pairs; // by the client's port
};

} // namespace Soak
