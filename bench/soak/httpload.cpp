#include "httpload.h"

#include <QUrl>

namespace Soak {

namespace {
constexpr qsizetype MaxAnswer = 256 * 1024;
// The request head a slowloris connection drips, a byte a second after its first line; it
// never ends.
constexpr QByteArrayView SlowHead = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "
                                    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
} // namespace

QByteArray HttpResult::header(const QByteArray &name) const
{
    for (const QByteArray &line : head.split('\n')) {
        const qsizetype colon = line.indexOf(':');
        if (colon > 0 && line.left(colon).trimmed().compare(name, Qt::CaseInsensitive) == 0)
            return line.mid(colon + 1).trimmed();
    }
    return {};
}

void HttpExchange::run(quint16 port, const QByteArray &request, int timeoutMs, QObject *context,
                       Done done, const QHostAddress &from)
{
    // Deletes itself when finished.
    new HttpExchange(port, request, timeoutMs, context, std::move(done), from);
}

QByteArray HttpExchange::loginRequest(quint16 port, const QString &user, const QString &password)
{
    const QByteArray body = "user=" + QUrl::toPercentEncoding(user)
        + "&password=" + QUrl::toPercentEncoding(password) + "&next=";
    return "POST /login HTTP/1.1\r\nHost: 127.0.0.1:" + QByteArray::number(port)
        + "\r\nContent-Type: application/x-www-form-urlencoded\r\nSec-Fetch-Site: same-origin"
          "\r\nOrigin: http://127.0.0.1:"
        + QByteArray::number(port) + "\r\nConnection: close\r\nContent-Length: "
        + QByteArray::number(body.size()) + "\r\n\r\n" + body;
}

HttpExchange::HttpExchange(quint16 port, const QByteArray &request, int timeoutMs, QObject *context,
                           Done done, const QHostAddress &from)
    : m_request(request), m_context(context), m_done(std::move(done))
{
    m_clock.start();
    m_timeout.setSingleShot(true);
    connect(&m_timeout, &QTimer::timeout, this,
            [this] { finish(QStringLiteral("no answer in time")); });
    connect(&m_socket, &QTcpSocket::connected, this, [this] { m_socket.write(m_request); });
    connect(&m_socket, &QTcpSocket::readyRead, this, [this] {
        m_received += m_socket.readAll();
        if (m_received.size() > MaxAnswer)
            finish(QStringLiteral("an answer over 256 KiB"));
    });
    connect(&m_socket, &QTcpSocket::disconnected, this, [this] { finish({}); });
    connect(&m_socket, &QTcpSocket::errorOccurred, this, [this](QAbstractSocket::SocketError e) {
        if (e == QAbstractSocket::RemoteHostClosedError)
            return; // disconnected() follows, with the answer
        finish(m_socket.errorString());
    });
    m_timeout.start(timeoutMs);
    if (!from.isNull())
        m_socket.bind(from);
    m_socket.connectToHost(QHostAddress::LocalHost, port);
}

void HttpExchange::finish(const QString &error)
{
    if (m_finished)
        return;
    m_finished = true;
    m_timeout.stop();
    if (m_socket.isOpen())
        m_received += m_socket.readAll();
    HttpResult result;
    result.ms = m_clock.elapsed();
    const qsizetype end = m_received.indexOf("\r\n\r\n");
    if (m_received.startsWith("HTTP/1.") && end > 0) {
        result.head = m_received.left(end);
        result.body = m_received.mid(end + 4);
        result.status = m_received.mid(9, 3).toInt();
    } else {
        result.error = error.isEmpty() ? QStringLiteral("closed without an answer") : error;
    }
    m_socket.abort();
    if (m_context && m_done)
        m_done(result);
    deleteLater();
}

LoginFlood::LoginFlood(quint16 port, double perSecond, QHostAddress from, QObject *parent)
    : QObject(parent), m_port(port), m_from(std::move(from))
{
    m_timer.setInterval(std::max(1, int(1000.0 / std::max(0.1, perSecond))));
    connect(&m_timer, &QTimer::timeout, this, &LoginFlood::attempt);
}

void LoginFlood::start()
{
    m_timer.start();
}

void LoginFlood::stop()
{
    m_timer.stop();
}

void LoginFlood::attempt()
{
    if (m_inFlight >= 64) {
        ++m_totals.skipped;
        return;
    }
    ++m_totals.attempts;
    ++m_inFlight;
    // Guesses at the real user and at names that do not exist.
    const QString user = m_random.bounded(2)
        ? QStringLiteral("soak")
        : QStringLiteral("guess%1").arg(m_random.bounded(1000));
    const QString password = QString::number(m_random.generate64(), 36);
    HttpExchange::run(
        m_port, HttpExchange::loginRequest(m_port, user, password), 15'000, this,
        [this](const HttpResult &result) {
            --m_inFlight;
            ++m_totals.statuses[result.status];
            if (result.status == 0) {
                if (m_totals.failures.size() < 5)
                    m_totals.failures.append(result.error);
            } else {
                m_totals.ms.push_back(double(result.ms));
            }
        },
        m_from);
}

Slowloris::Slowloris(quint16 port, int connections, QHostAddress from, QObject *parent)
    : QObject(parent), m_port(port), m_from(std::move(from)), m_count(connections)
{
    m_drip.setInterval(1000);
    connect(&m_drip, &QTimer::timeout, this, &Slowloris::drip);
}

Slowloris::~Slowloris()
{
    stop();
}

void Slowloris::start()
{
    m_conns.resize(size_t(m_count));
    for (Conn &conn : m_conns)
        open(conn);
    m_drip.start();
}

void Slowloris::stop()
{
    m_stopping = true;
    m_drip.stop();
    for (Conn &conn : m_conns) {
        if (conn.socket) {
            conn.socket->disconnect(this);
            conn.socket->abort();
            conn.socket->deleteLater();
        }
    }
    m_conns.clear();
}

void Slowloris::open(Conn &conn)
{
    auto *socket = new QTcpSocket(this);
    conn.socket = socket;
    conn.sent = 0;
    conn.age.start();
    ++m_totals.opened;
    const size_t index = size_t(&conn - m_conns.data());
    connect(socket, &QTcpSocket::readyRead, this, [this, socket] {
        if (socket->readAll().startsWith("HTTP/"))
            ++m_totals.answered;
    });
    connect(socket, &QTcpSocket::disconnected, this, [this, index, socket] {
        if (m_stopping || index >= m_conns.size() || m_conns[index].socket != socket)
            return;
        Conn &c = m_conns[index];
        ++m_totals.closedByServer;
        const double lived = double(c.age.elapsed()) / 1000.0;
        if (lived < 1.0)
            ++m_totals.refusedAtOnce;
        else
            m_totals.lifetimesSeconds.push_back(lived);
        socket->deleteLater();
        c.socket.clear();
        // Come back a little later, as an attacker would.
        QTimer::singleShot(100 + int(m_random.bounded(900)), this, [this, index] {
            if (!m_stopping && index < m_conns.size())
                open(m_conns[index]);
        });
    });
    if (!m_from.isNull())
        socket->bind(m_from);
    socket->connectToHost(QHostAddress::LocalHost, m_port);
}

void Slowloris::drip()
{
    const qsizetype firstLines = SlowHead.indexOf("X-Slow");
    for (Conn &conn : m_conns) {
        if (!conn.socket || conn.socket->state() != QAbstractSocket::ConnectedState)
            continue;
        // The request line and Host at once, then one byte a second; the header's value is
        // dripped over again if the server waits that long.
        if (conn.sent >= SlowHead.size())
            conn.sent = firstLines;
        const qsizetype chunk = conn.sent == 0 ? firstLines : 1;
        conn.socket->write(SlowHead.sliced(conn.sent, chunk).toByteArray());
        conn.sent += chunk;
    }
}

} // namespace Soak
