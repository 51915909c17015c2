#include "streamsocketsource.h"

#include <QHostAddress>
#include <QLocalSocket>
#include <QLoggingCategory>
#include <QTcpSocket>

Q_LOGGING_CATEGORY(lcSocketSource, "cloudconsole.source.socket")

namespace CloudConsole {

namespace {

QString schemeOf(StreamSocketSource::Transport transport)
{
    switch (transport) {
    case StreamSocketSource::Transport::Unix:
        return QStringLiteral("unix");
    case StreamSocketSource::Transport::Tcp:
        return QStringLiteral("tcp");
    case StreamSocketSource::Transport::Telnet:
        return QStringLiteral("telnet");
    }
    return {};
}

QString hostPort(const QString &host, quint16 port)
{
    const QString shown = host.contains(u':') ? u'[' + host + u']' : host;
    return shown + u':' + QString::number(port);
}

} // namespace

QString StreamSocketSource::Endpoint::toString() const
{
    if (transport == Transport::Unix)
        return schemeOf(transport) + u':' + path;
    return schemeOf(transport) + u':' + hostPort(host, port);
}

std::optional<StreamSocketSource::Endpoint> StreamSocketSource::parseEndpoint(QStringView spec,
                                                                              QString *error)
{
    Endpoint endpoint;
    const qsizetype colon = spec.indexOf(u':');
    const QStringView scheme = colon < 0 ? QStringView() : spec.first(colon);
    const QStringView rest = colon < 0 ? QStringView() : spec.sliced(colon + 1);
    if (scheme == u"unix") {
        if (rest.isEmpty()) {
            *error = QStringLiteral("%1: no socket path").arg(spec);
            return std::nullopt;
        }
        endpoint.transport = Transport::Unix;
        endpoint.path = rest.toString();
        return endpoint;
    }
    if (scheme == u"tcp")
        endpoint.transport = Transport::Tcp;
    else if (scheme == u"telnet")
        endpoint.transport = Transport::Telnet;
    else {
        *error
            = QStringLiteral("%1: expected unix:PATH, tcp:HOST:PORT or telnet:HOST:PORT").arg(spec);
        return std::nullopt;
    }
    const qsizetype portColon = rest.lastIndexOf(u':');
    QStringView host = portColon < 0 ? QStringView() : rest.first(portColon);
    if (host.startsWith(u'[') && host.endsWith(u']'))
        host = host.sliced(1, host.size() - 2);
    bool ok = false;
    const uint port = portColon < 0 ? 0 : rest.sliced(portColon + 1).toUInt(&ok);
    if (host.isEmpty() || !ok || port == 0 || port > 65535) {
        *error = QStringLiteral("%1: expected HOST:PORT with a port from 1 to 65535").arg(spec);
        return std::nullopt;
    }
    endpoint.host = host.toString();
    endpoint.port = quint16(port);
    return endpoint;
}

StreamSocketSource::StreamSocketSource(const Endpoint &endpoint, QObject *parent)
    : StreamSocketSource(endpoint, Backoff(), parent)
{ }

StreamSocketSource::StreamSocketSource(const Endpoint &endpoint, Backoff backoff, QObject *parent)
    : ConsoleSource(parent)
    , m_endpoint(endpoint)
    , m_retry(backoff)
    , m_reason(QStringLiteral("not connected yet"))
{
    connect(&m_retry, &Retry::due, this, &StreamSocketSource::connectToPeer);
    m_connectTimer.setSingleShot(true);
    m_connectTimer.setInterval(ConnectTimeout);
    connect(&m_connectTimer, &QTimer::timeout, this, &StreamSocketSource::onConnectTimeout);
}

StreamSocketSource::~StreamSocketSource()
{
    // The socket is a child and outlives this part of the object: it must not call back.
    if (m_socket)
        m_socket->disconnect(this);
}

void StreamSocketSource::start()
{
    if (!m_socket && !m_retry.isPending())
        connectToPeer();
}

void StreamSocketSource::connectToPeer()
{
    m_telnet.reset();
    m_backpressure.reset();
    m_connectTimer.start();
    // Signals carry the socket they came from, so a late one from a dropped socket is ignored.
    if (m_endpoint.transport == Transport::Unix) {
        auto *socket = new QLocalSocket(this);
        m_socket = socket;
        connect(socket, &QLocalSocket::connected, this, [this, socket] { onConnected(socket); });
        connect(socket, &QLocalSocket::readyRead, this, [this, socket] { onReadyRead(socket); });
        connect(socket, &QLocalSocket::bytesWritten, this,
                [this, socket] { onBytesWritten(socket); });
        connect(socket, &QLocalSocket::errorOccurred, this,
                [this, socket] { onGone(socket, socket->errorString()); });
        connect(socket, &QLocalSocket::disconnected, this,
                [this, socket] { onGone(socket, QStringLiteral("closed by the peer")); });
        // May report connected() or an error before it returns.
        socket->connectToServer(m_endpoint.path);
        return;
    }
    auto *socket = new QTcpSocket(this);
    m_socket = socket;
    connect(socket, &QTcpSocket::connected, this, [this, socket] { onConnected(socket); });
    connect(socket, &QTcpSocket::readyRead, this, [this, socket] { onReadyRead(socket); });
    connect(socket, &QTcpSocket::bytesWritten, this, [this, socket] { onBytesWritten(socket); });
    connect(socket, &QTcpSocket::errorOccurred, this,
            [this, socket] { onGone(socket, socket->errorString()); });
    connect(socket, &QTcpSocket::disconnected, this,
            [this, socket] { onGone(socket, QStringLiteral("closed by the peer")); });
    socket->connectToHost(m_endpoint.host, m_endpoint.port);
}

void StreamSocketSource::onConnected(QIODevice *socket)
{
    if (socket != m_socket)
        return;
    m_connectTimer.stop();
    if (auto *tcp = qobject_cast<QTcpSocket *>(socket)) {
        // Keystrokes go out at once; a peer that vanished without a FIN is noticed eventually.
        tcp->setSocketOption(QAbstractSocket::LowDelayOption, 1);
        tcp->setSocketOption(QAbstractSocket::KeepAliveOption, 1);
    }
    m_up = true;
    m_retry.noteAttached();
    m_reason = peerName();
    qCInfo(lcSocketSource).noquote() << "connected to" << m_reason;
    Q_EMIT up(m_reason);
}

QString StreamSocketSource::peerName() const
{
    const auto *tcp = qobject_cast<const QTcpSocket *>(m_socket.data());
    if (!tcp)
        return m_endpoint.toString();
    // Name the address actually reached, and the name it was reached by if that differs.
    const QString address = tcp->peerAddress().toString();
    const QString reached
        = schemeOf(m_endpoint.transport) + u':' + hostPort(address, tcp->peerPort());
    if (address == m_endpoint.host || address.isEmpty())
        return reached;
    return QStringLiteral("%1 (%2)").arg(reached, m_endpoint.host);
}

void StreamSocketSource::onReadyRead(QIODevice *socket)
{
    while (socket == m_socket && socket->bytesAvailable() > 0) {
        m_readBuffer.resize(MaxReadBurst);
        const qint64 n = socket->read(m_readBuffer.data(), MaxReadBurst);
        if (n <= 0)
            break;
        QByteArrayView chunk(m_readBuffer.constData(), n);
        if (m_endpoint.transport == Transport::Telnet) {
            m_decoded.data.clear();
            m_decoded.replies.clear();
            m_telnet.feed(chunk, m_decoded);
            if (!m_decoded.replies.isEmpty())
                socket->write(m_decoded.replies);
            chunk = m_decoded.data;
        }
        if (chunk.isEmpty())
            continue;
        // Output proves the peer works: the next hang-up is retried promptly again.
        m_retry.noteWorking();
        Q_EMIT dataRead(chunk);
    }
}

qsizetype StreamSocketSource::queuedBytes() const
{
    return m_socket && m_up ? qsizetype(m_socket->bytesToWrite()) : 0;
}

qsizetype StreamSocketSource::write(QByteArrayView data)
{
    if (!m_up || data.isEmpty())
        return 0;
    // Qt's socket buffer is the queue; only buffers and arms the socket's write notifier.
    if (m_endpoint.transport == Transport::Telnet) {
        QByteArray encoded;
        const qsizetype taken
            = m_telnet.encodeInto(data, m_backpressure.room(queuedBytes()), encoded);
        if (!encoded.isEmpty())
            m_socket->write(encoded);
        if (taken < data.size())
            m_backpressure.noteRefusal();
        return taken;
    }
    const qsizetype taken = m_backpressure.admit(data.size(), queuedBytes());
    if (taken > 0)
        m_socket->write(data.data(), taken);
    return taken;
}

bool StreamSocketSource::sendBreak()
{
    if (!canBreak() || !m_up)
        return false;
    return m_socket->write(TelnetCodec::breakSequence()) > 0;
}

void StreamSocketSource::onBytesWritten(QIODevice *socket)
{
    if (socket == m_socket && m_backpressure.takeRoomAgain(queuedBytes()))
        Q_EMIT writable();
}

void StreamSocketSource::onConnectTimeout()
{
    if (!m_socket || m_up)
        return;
    onGone(m_socket, QStringLiteral("no answer within %1 ms").arg(ConnectTimeout.count()));
}

void StreamSocketSource::onGone(QIODevice *socket, const QString &reason)
{
    if (socket != m_socket)
        return;
    // What the peer sent before it hung up is still console output.
    if (m_up)
        onReadyRead(socket);
    if (socket != m_socket)
        return;
    dropSocket();
    m_connectTimer.stop();
    const bool wasUp = m_up;
    m_up = false;
    m_backpressure.reset();
    m_reason = reason;
    // Remembered after a hang-up too: an attempt that then fails the same way is not news.
    const bool news = m_retry.noteFailure(reason);
    if (wasUp) {
        qCInfo(lcSocketSource).noquote() << m_endpoint.toString() << "hung up:" << reason;
        Q_EMIT down(reason);
    } else if (news) {
        qCInfo(lcSocketSource).noquote()
            << "cannot connect to" << m_endpoint.toString() + u':' << reason << "- retrying";
    }
    m_retry.schedule();
}

void StreamSocketSource::dropSocket()
{
    QIODevice *socket = m_socket;
    m_socket.clear();
    if (!socket)
        return;
    // This may run inside the socket's own signal: silence it and delete it later.
    socket->disconnect(this);
    if (auto *tcp = qobject_cast<QTcpSocket *>(socket))
        tcp->abort();
    else if (auto *local = qobject_cast<QLocalSocket *>(socket))
        local->abort();
    socket->deleteLater();
}

} // namespace CloudConsole
