#include "stallproxy.h"

#include <QHostAddress>

namespace Soak {

StallProxy::StallProxy(quint16 serverPort, QObject *parent)
    : QObject(parent), m_serverPort(serverPort)
{
    connect(&m_server, &QTcpServer::newConnection, this, &StallProxy::onNewConnection);
}

StallProxy::~StallProxy()
{
    for (auto &[port, pair] : m_pairs) {
        if (pair.client)
            pair.client->disconnect(this);
        if (pair.server)
            pair.server->disconnect(this);
    }
}

bool StallProxy::listen(QString *error)
{
    m_server.setListenBacklogSize(1024);
    if (!m_server.listen(QHostAddress::LocalHost, 0)) {
        *error = m_server.errorString();
        return false;
    }
    return true;
}

void StallProxy::onNewConnection()
{
    while (QTcpSocket *client = m_server.nextPendingConnection()) {
        const quint16 key = client->peerPort();
        drop(key); // a stale pair on a reused port
        auto *server = new QTcpSocket(this);
        client->setParent(this);
        server->setReadBufferSize(StalledBuffer);
        Pair &pair = m_pairs[key];
        pair.key = key;
        pair.client = client;
        pair.server = server;
        connect(client, &QTcpSocket::readyRead, this, [this, key] {
            Pair &p = m_pairs[key];
            if (!p.client)
                return;
            if (p.server && p.server->state() == QAbstractSocket::ConnectedState)
                p.server->write(p.client->readAll());
            else
                p.early += p.client->readAll();
        });
        connect(client, &QTcpSocket::disconnected, this, [this, key] { drop(key); });
        connect(client, &QTcpSocket::errorOccurred, this, [this, key] { drop(key); });
        connect(server, &QTcpSocket::connected, this, [this, key] {
            Pair &p = m_pairs[key];
            if (p.server && !p.early.isEmpty())
                p.server->write(std::exchange(p.early, {}));
        });
        connect(server, &QTcpSocket::readyRead, this,
                [this, key] { forwardToClient(m_pairs[key]); });
        connect(server, &QTcpSocket::disconnected, this, [this, key] {
            Pair &p = m_pairs[key];
            p.serverGone = true;
            forwardToClient(p);
        });
        connect(server, &QTcpSocket::errorOccurred, this, [this, key] {
            Pair &p = m_pairs[key];
            p.serverGone = true;
            forwardToClient(p);
        });
        server->connectToHost(QHostAddress::LocalHost, m_serverPort);
        // A client that went away before its signals were connected says nothing more.
        if (client->state() != QAbstractSocket::ConnectedState)
            drop(key);
    }
}

void StallProxy::forwardToClient(Pair &pair)
{
    if (pair.stalled || !pair.client || !pair.server)
        return;
    if (pair.client->state() != QAbstractSocket::ConnectedState) {
        drop(pair.key);
        return;
    }
    if (pair.server->isOpen())
        pair.client->write(pair.server->readAll());
    if (pair.serverGone && pair.server->bytesAvailable() == 0)
        pair.client->disconnectFromHost();
}

void StallProxy::setStalled(quint16 clientPort, bool stalled)
{
    const auto it = m_pairs.find(clientPort);
    if (it == m_pairs.end())
        return;
    it->second.stalled = stalled;
    if (!stalled)
        forwardToClient(it->second);
}

void StallProxy::drop(quint16 clientPort)
{
    const auto it = m_pairs.find(clientPort);
    if (it == m_pairs.end())
        return;
    Pair pair = it->second;
    m_pairs.erase(it);
    if (pair.client) {
        pair.client->disconnect(this);
        pair.client->abort();
        pair.client->deleteLater();
    }
    if (pair.server) {
        pair.server->disconnect(this);
        pair.server->abort();
        pair.server->deleteLater();
    }
}

} // namespace Soak
