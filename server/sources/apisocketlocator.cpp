#include "apisocketlocator.h"

#include <QLocalSocket>

namespace CloudConsole {

ApiSocketLocator::ApiSocketLocator(const QString &socketPath, const QString &apiName,
                                   QObject *parent)
    : PtyLocator(parent), m_socketPath(socketPath), m_apiName(apiName)
{
    m_timeout.setSingleShot(true);
    connect(&m_timeout, &QTimer::timeout, this, [this] {
        fail(QStringLiteral("no answer within %1 s").arg(AnswerTimeout.count() / 1000.0));
    });
}

ApiSocketLocator::~ApiSocketLocator()
{
    if (m_socket)
        m_socket->disconnect(this);
}

QString ApiSocketLocator::describe() const
{
    return QStringLiteral("%1 at %2").arg(m_apiName, m_socketPath);
}

void ApiSocketLocator::locate()
{
    endQuestion();
    auto *socket = new QLocalSocket(this);
    m_socket = socket;
    connect(socket, &QLocalSocket::connected, this, [this] { onConnected(); });
    connect(socket, &QLocalSocket::readyRead, this, [this, socket] {
        // Read everything, even if an answer ends the question half-way through.
        const QByteArray data = socket->readAll();
        if (socket == m_socket)
            onBytes(data);
    });
    connect(socket, &QLocalSocket::disconnected, this, [this, socket] {
        if (socket == m_socket)
            onClosed();
    });
    connect(socket, &QLocalSocket::errorOccurred, this,
            [this, socket](QLocalSocket::LocalSocketError error) {
                if (socket != m_socket)
                    return;
                // The peer closing is the protocol's business (onClosed); the rest is a failure,
                // said in words that point at the VMM (Qt says "Invalid name" for a missing
                // socket).
                switch (error) {
                case QLocalSocket::PeerClosedError:
                    return;
                case QLocalSocket::ServerNotFoundError:
                    fail(QStringLiteral("no socket there (is the VMM running?)"));
                    return;
                case QLocalSocket::ConnectionRefusedError:
                    fail(QStringLiteral("connection refused (the VMM is not listening)"));
                    return;
                case QLocalSocket::SocketAccessError:
                    fail(QStringLiteral("permission denied"));
                    return;
                default:
                    fail(socket->errorString());
                }
            });
    m_timeout.start(AnswerTimeout);
    socket->connectToServer(m_socketPath);
}

void ApiSocketLocator::send(QByteArrayView data)
{
    if (m_socket)
        m_socket->write(data.data(), data.size());
}

void ApiSocketLocator::succeed(const QString &ptyPath)
{
    endQuestion();
    Q_EMIT located(ptyPath);
}

void ApiSocketLocator::fail(const QString &reason)
{
    endQuestion();
    Q_EMIT failed(QStringLiteral("%1: %2").arg(describe(), reason));
}

void ApiSocketLocator::endQuestion()
{
    m_timeout.stop();
    if (QLocalSocket *socket = m_socket.data()) {
        m_socket.clear();
        socket->disconnect(this);
        socket->abort();
        socket->deleteLater();
    }
}

} // namespace CloudConsole
