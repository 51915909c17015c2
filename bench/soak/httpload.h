#pragma once

// Plain HTTP against the server: one request per connection (the server closes after each
// answer), a login flood, and a slowloris set.
//
// HttpExchange sends one request on a new connection and reads the answer until the server
// closes, bounded in time. LoginFlood posts wrong passwords at a steady rate, as a guesser
// would, and counts the answers (401 checked, 429 refused by the server's limit, anything else).
// Slowloris keeps N connections that send their request head a byte a second, reopening each
// one the server closes, and records how long the server let each live. The attackers connect
// from a loopback address of their own (127.0.0.2 and the like), as real ones would come from
// elsewhere.
//
// Each owns its sockets and timers; none knows about consoles.

#include <QElapsedTimer>
#include <QHostAddress>
#include <QMap>
#include <QObject>
#include <QPointer>
#include <QRandomGenerator>
#include <QTcpSocket>
#include <QTimer>

#include <functional>
#include <vector>

namespace Soak {

struct HttpResult
{
    int status = 0; // 0: no answer
    QByteArray head;
    QByteArray body;
    QString error; // when there is no answer
    qint64 ms = 0;

    QByteArray header(const QByteArray &name) const;
};

class HttpExchange : public QObject
{
    Q_OBJECT
public:
    using Done = std::function<void(const HttpResult &)>;
    // Starts one exchange; `done` is called once, on the event loop, unless `context` is gone.
    // `from` is the local address to connect from (any loopback address is this host).
    static void run(quint16 port, const QByteArray &request, int timeoutMs, QObject *context,
                    Done done, const QHostAddress &from = {});
    // A form post to /login as the server's own page sends it.
    static QByteArray loginRequest(quint16 port, const QString &user, const QString &password);

private:
    HttpExchange(quint16 port, const QByteArray &request, int timeoutMs, QObject *context,
                 Done done, const QHostAddress &from);
    void finish(const QString &error);

    QTcpSocket m_socket;
    QTimer m_timeout;
    QElapsedTimer m_clock;
    QByteArray m_request;
    QByteArray m_received;
    QPointer<QObject> m_context;
    Done m_done;
    bool m_finished = false;
};

class LoginFlood : public QObject
{
    Q_OBJECT
public:
    struct Totals
    {
        qint64 attempts = 0;
        qint64 skipped = 0; // not started: too many still waiting for an answer
        QMap<int, qint64> statuses; // 0: no answer
        QStringList failures; // the first few non-answers
        std::vector<double> ms; // answered ones
    };

    LoginFlood(quint16 port, double perSecond, QHostAddress from, QObject *parent = nullptr);
    void start();
    void stop();
    const Totals &totals() const { return m_totals; }
    int inFlight() const { return m_inFlight; }

private:
    void attempt();

    quint16 m_port;
    QHostAddress m_from;
    QTimer m_timer;
    QRandomGenerator m_random {7};
    Totals m_totals;
    int m_inFlight = 0;
};

class Slowloris : public QObject
{
    Q_OBJECT
public:
    struct Totals
    {
        qint64 opened = 0;
        qint64 closedByServer = 0;
        qint64 refusedAtOnce = 0; // closed within a second
        std::vector<double> lifetimesSeconds; // of those the server closed later
        qint64 answered = 0; // got an HTTP answer (the head was never complete: should be 0)
    };

    Slowloris(quint16 port, int connections, QHostAddress from, QObject *parent = nullptr);
    ~Slowloris() override;
    void start();
    void stop();
    const Totals &totals() const { return m_totals; }

private:
    struct Conn
    {
        QPointer<QTcpSocket> socket;
        QElapsedTimer age;
        qsizetype sent = 0;
    };
    void open(Conn &conn);
    void drip();

    quint16 m_port;
    QHostAddress m_from;
    int m_count;
    std::vector<Conn> m_conns;
    QTimer m_drip;
    QRandomGenerator m_random {11};
    Totals m_totals;
    bool m_stopping = false;
};

} // namespace Soak
