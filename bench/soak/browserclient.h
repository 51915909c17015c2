#pragma once

// BrowserClient behaves as the web page does: it logs in with the user's password (a form post,
// retried after a moment when the server's login limit answers 429), opens the console's
// WebSocket with the session cookie and its page's Origin, and whenever the connection drops,
// or it drops it, comes back with ?offset=&epoch= to resume exactly where it was. It leaves at
// random every few seconds, sometimes cleanly, sometimes by just dropping the connection, and
// logs in again now and then, so logins are tried in the middle of the login flood. Its stream
// is checked as one across every reconnect.
//
// It owns its SoakClient and timers; it knows nothing about faults.

#include "soakclient.h"

#include <QElapsedTimer>
#include <QObject>
#include <QRandomGenerator>
#include <QTimer>

#include <vector>

namespace Soak {

class BrowserClient : public QObject
{
    Q_OBJECT
public:
    struct Totals
    {
        qint64 logins = 0; // that got a session
        qint64 loginAttempts = 0;
        qint64 loginsRefused429 = 0;
        qint64 loginFailures = 0; // any other answer, or none
        QStringList loginFailureSamples;
        std::vector<double> loginMs; // from the first attempt to the session, each login
        qint64 reconnects = 0;
    };

    BrowserClient(const FrameOracle &oracle, quint16 port, QString user, QString password,
                  quint32 seed, QObject *parent = nullptr);

    void setExcuse(StreamChecker::Excuse excuse) { m_client.setExcuse(std::move(excuse)); }
    void start();
    void settle(); // stays connected from now on
    // Leaves for good.
    void close();
    bool isOpen() const { return m_client.isOpen(); }
    std::optional<quint64> lastSeq() const { return m_client.lastSeq(); }
    const Totals &totals() const { return m_totals; }
    const SoakClient &client() const { return m_client; }

private:
    void login();
    void connectNow();
    void onClosed();

    quint16 m_port;
    QString m_user;
    QString m_password;
    QRandomGenerator m_random;
    SoakClient m_client;
    QTimer m_timer;
    QByteArray m_cookie;
    QElapsedTimer m_loginClock;
    Totals m_totals;
    int m_connectsSinceLogin = 0;
    bool m_settled = false;
    bool m_closing = false;
};

} // namespace Soak
