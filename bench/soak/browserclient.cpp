#include "browserclient.h"

#include "httpload.h"

namespace Soak {

namespace {
constexpr int ConnectsPerLogin = 5;
}

BrowserClient::BrowserClient(const FrameOracle &oracle, quint16 port, QString user,
                             QString password, quint32 seed, QObject *parent)
    : QObject(parent)
    , m_port(port)
    , m_user(std::move(user))
    , m_password(std::move(password))
    , m_random(seed)
    , m_client(oracle, QStringLiteral("browser"))
{
    m_timer.setSingleShot(true);
    connect(&m_client, &SoakClient::opened, this, [this] {
        // Stay a few seconds, then leave; closed() brings it back.
        if (!m_settled)
            m_timer.start(2000 + int(m_random.bounded(6000)));
    });
    connect(&m_client, &SoakClient::closed, this, &BrowserClient::onClosed);
    connect(&m_timer, &QTimer::timeout, this, [this] {
        if (m_client.isOpen())
            m_client.close(m_random.bounded(2) == 0);
        else
            connectNow();
    });
}

void BrowserClient::start()
{
    login();
}

void BrowserClient::settle()
{
    m_settled = true;
    m_timer.stop();
    if (!m_client.isOpen() && !m_client.isConnecting())
        connectNow();
}

void BrowserClient::close()
{
    m_closing = true;
    m_timer.stop();
    m_client.close(false);
}

void BrowserClient::login()
{
    if (m_closing)
        return;
    if (!m_loginClock.isValid())
        m_loginClock.start();
    ++m_totals.loginAttempts;
    HttpExchange::run(m_port, HttpExchange::loginRequest(m_port, m_user, m_password), 15'000, this,
                      [this](const HttpResult &result) {
                          const QByteArray setCookie = result.header("Set-Cookie");
                          if (result.status == 303 && setCookie.startsWith("cc_session=")) {
                              m_cookie = setCookie.left(setCookie.indexOf(';'));
                              ++m_totals.logins;
                              m_totals.loginMs.push_back(double(m_loginClock.elapsed()));
                              m_loginClock.invalidate();
                              m_connectsSinceLogin = 0;
                              connectNow();
                              return;
                          }
                          if (result.status == 429) {
                              ++m_totals.loginsRefused429;
                          } else {
                              ++m_totals.loginFailures;
                              if (m_totals.loginFailureSamples.size() < 5)
                                  m_totals.loginFailureSamples.append(
                                      result.status ? QStringLiteral("HTTP %1").arg(result.status)
                                                    : result.error);
                          }
                          // As a person would: try again in a moment.
                          QTimer::singleShot(500 + int(m_random.bounded(1000)), this,
                                             &BrowserClient::login);
                      });
}

void BrowserClient::connectNow()
{
    // A login that comes back while a connection is already there leaves it alone.
    if (m_closing || m_client.isOpen() || m_client.isConnecting())
        return;
    if (!m_settled && m_connectsSinceLogin >= ConnectsPerLogin) {
        login();
        return;
    }
    ++m_connectsSinceLogin;
    SoakClient::Setup setup;
    setup.url = QUrl(QStringLiteral("ws://127.0.0.1:%1/c/soak/ws").arg(m_port));
    setup.cookie = m_cookie;
    setup.origin = QStringLiteral("http://127.0.0.1:%1").arg(m_port);
    setup.resume = true;
    m_client.open(setup);
}

void BrowserClient::onClosed()
{
    if (m_closing)
        return;
    ++m_totals.reconnects;
    // The page comes back after a short pause.
    m_timer.start(m_settled ? 100 : 100 + int(m_random.bounded(1500)));
}

} // namespace Soak
