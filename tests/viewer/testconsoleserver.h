#pragma once

// TestConsoleServer is a small protocol v1 server on a loopback port, for testing the viewer's
// connection without the real server: it keeps a history, honours ?offset= and ?epoch= as
// docs/protocol.md "Resuming" says (an offset of another epoch is ignored), sends gaps, screens,
// size events, alerts and the presence and paste events it is told to, takes resizes where it can,
// and records what clients send (and the kind each named in ?client=). It implements
// only what the tests need; the end-to-end test runs the real server.

#include "protocol.h"

#include <QSize>
#include <QUrlQuery>
#include <QWebSocket>
#include <QWebSocketServer>

#include <algorithm>

class TestConsoleServer : public QObject
{
    Q_OBJECT

public:
    explicit TestConsoleServer(QObject *parent = nullptr)
        : QObject(parent), m_server(QStringLiteral("test"), QWebSocketServer::NonSecureMode, this)
    {
        m_server.setSupportedSubprotocols(
            {QString::fromLatin1(CloudConsole::Protocol::Subprotocol)});
        connect(&m_server, &QWebSocketServer::newConnection, this,
                &TestConsoleServer::onNewConnection);
    }

    ~TestConsoleServer() override
    {
        // The sockets are children and die after the members; they must not call back.
        for (QWebSocket *client : std::as_const(m_clients))
            client->disconnect(this);
    }

    bool listen() { return m_server.listen(QHostAddress::LocalHost, 0); }
    QUrl url() const
    {
        return QUrl(QStringLiteral("ws://127.0.0.1:%1/c/test/ws").arg(m_server.serverPort()));
    }

    // Console output: kept in the history and sent to every client.
    void output(const QByteArray &bytes)
    {
        m_history += bytes;
        for (QWebSocket *client : std::as_const(m_clients))
            client->sendBinaryMessage(bytes);
    }
    // Forget everything before `offset`, as a ring that moved on.
    void dropHistoryBefore(qint64 offset) { m_historyStart = std::max(m_historyStart, offset); }
    void disconnectClients()
    {
        // A copy: an aborted socket may leave m_clients at once.
        const QList<QWebSocket *> clients = m_clients;
        for (QWebSocket *client : clients)
            client->abort();
    }
    void closeClients(QWebSocketProtocol::CloseCode code, const QString &reason)
    {
        const QList<QWebSocket *> clients = m_clients;
        for (QWebSocket *client : clients)
            client->close(code, reason);
    }
    // A new run of the server: offsets start again at 0 under a new epoch.
    void restart(const QString &newEpoch)
    {
        disconnectClients();
        m_history.clear();
        m_historyStart = 0;
        epoch = newEpoch;
    }
    // The console's size changed (another operator): every client is told.
    void setSize(QSize newSize)
    {
        if (newSize == size)
            return;
        size = newSize;
        broadcast(CloudConsole::Protocol::SizeEvent {size.width(), size.height()});
    }
    void sendScreen(const CloudConsole::Protocol::Screen &screen) { broadcast(screen); }
    void sendAlert(const CloudConsole::Protocol::AlertEvent &alert) { broadcast(alert); }
    // Any event (clients, control, paste, error), to every client.
    void sendEvent(const CloudConsole::Protocol::ServerMessage &message) { broadcast(message); }

    // The client messages of one type, in the order they came.
    template<typename Message> QList<Message> messagesOf() const
    {
        QList<Message> found;
        for (const auto &message : messages) {
            if (const auto *one = std::get_if<Message>(&message))
                found << *one;
        }
        return found;
    }

    bool canResize = true;
    bool canBreak = false;
    bool writable = true;
    QString epoch = QStringLiteral("epoch-1");
    QSize size {80, 24};
    // Offsets that clients asked for, one per connection, and the epochs they named.
    QList<qint64> requestedOffsets;
    QStringList requestedEpochs;
    QStringList requestedClients; // ?client= of each connection
    QByteArray input;
    QList<CloudConsole::Protocol::ClientMessage> messages;
    int connections = 0;
    qsizetype largestInputMessage = 0;

    int resizeCount() const
    {
        return int(std::count_if(messages.begin(), messages.end(), [](const auto &message) {
            return std::holds_alternative<CloudConsole::Protocol::Resize>(message);
        }));
    }

private:
    void broadcast(const CloudConsole::Protocol::ServerMessage &message)
    {
        const QString text = QString::fromUtf8(CloudConsole::Protocol::encode(message));
        for (QWebSocket *client : std::as_const(m_clients))
            client->sendTextMessage(text);
    }

    void onNewConnection()
    {
        using namespace CloudConsole;
        QWebSocket *client = m_server.nextPendingConnection();
        client->setParent(this);
        ++connections;
        m_clients << client;
        connect(client, &QWebSocket::disconnected, this, [this, client]() {
            m_clients.removeAll(client);
            client->deleteLater();
        });
        connect(client, &QWebSocket::binaryMessageReceived, this, [this](const QByteArray &bytes) {
            input += bytes;
            largestInputMessage = std::max(largestInputMessage, bytes.size());
        });
        connect(client, &QWebSocket::textMessageReceived, this, [this](const QString &text) {
            const auto decoded = Protocol::decodeClientMessage(text.toUtf8());
            const auto *message = std::get_if<Protocol::ClientMessage>(&decoded);
            if (!message)
                return;
            messages << *message;
            // As the real server: the last resize wins where the console takes a size, and
            // every client (the one that asked too) is told.
            if (const auto *resize = std::get_if<Protocol::Resize>(message); resize && canResize)
                setSize(QSize(resize->cols, resize->rows));
        });

        const qint64 end = m_history.size();
        const QUrlQuery query(client->requestUrl());
        qint64 offset = query.hasQueryItem(QStringLiteral("offset"))
            ? query.queryItemValue(QStringLiteral("offset")).toLongLong()
            : m_historyStart;
        requestedOffsets << offset;
        const QString clientEpoch = query.queryItemValue(QStringLiteral("epoch"));
        requestedEpochs << clientEpoch;
        requestedClients << query.queryItemValue(QStringLiteral("client"));
        // An offset counted by another run of the server means nothing in this one.
        if (!clientEpoch.isEmpty() && clientEpoch != epoch)
            offset = m_historyStart;
        qint64 from = std::clamp(offset, m_historyStart, end);
        if (offset > end)
            from = m_historyStart;
        Protocol::Hello hello;
        hello.console = QStringLiteral("test");
        hello.offset = from;
        hello.epoch = epoch;
        hello.historyStart = m_historyStart;
        hello.historyEnd = end;
        hello.writable = writable;
        hello.source = Protocol::SourceState::Up;
        hello.canResize = canResize;
        hello.canBreak = canBreak;
        hello.cols = size.width();
        hello.rows = size.height();
        client->sendTextMessage(
            QString::fromUtf8(Protocol::encode(Protocol::ServerMessage(hello))));
        if (offset < m_historyStart)
            client->sendTextMessage(QString::fromUtf8(
                Protocol::encode(Protocol::ServerMessage(Protocol::Gap {offset, m_historyStart}))));
        if (from < end)
            client->sendBinaryMessage(m_history.mid(from));
    }

    QWebSocketServer m_server;
    QList<QWebSocket *> m_clients;
    QByteArray m_history;
    qint64 m_historyStart = 0;
};
