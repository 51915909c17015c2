// Access control end to end, on real loopback sockets with real WebSocket clients: every refused
// path (no credentials, wrong credentials, expired session, viewer input, bad origin, unknown or
// forbidden console) gets its HTTP status and never becomes a client; the browser's login gives
// an HttpOnly session cookie; TLS with a certificate the test makes; and the checks on their own.

#include "authenticator.h"
#include "rawframe.h"
#include "secrethash.h"
#include "testclient.h"
#include "testpty.h"
#include "testserver.h"

#include <QProcess>
#include <QScopeGuard>
#include <QSslConfiguration>
#include <QSslSocket>
#include <QStandardPaths>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>

using namespace CloudConsole;
using namespace CloudConsole::Test;

class tst_Access : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void secretsVerifyOnlyTheirOwnSecret();
    void malformedHashesAreRecognised_data();
    void malformedHashesAreRecognised();
    void originsAreCheckedAgainstTheHostAndTheAllowList_data();
    void originsAreCheckedAgainstTheHostAndTheAllowList();
    void refusedUpgradesGetTheirStatusAndNeverBecomeClients_data();
    void refusedUpgradesGetTheirStatusAndNeverBecomeClients();
    void anOperatorTypesAndAViewerOnlyWatches();
    void theBrowserLogsInAndGetsAnHttpOnlyCookie();
    void loginsGoOnWorkingAfterManyWrongPasswords();
    void aFloodAgainstOneUserLocksOutNoOtherUser();
    void aReloadClosesTheClientsOfARemovedOrChangedCredential();
    void theScreenFollowsTheConsolesRules();
    void anExpiredSessionIsRefused();
    void loggingOutEndsTheSession();
    void pagesNeedALoginButAssetsDoNot();
    void tlsServesWssAndHttpsWithHsts();
    void requestBodiesAndLaterRequestsAreBounded();
    void withoutAccessControlOnlyUnrebindableHostsAreServed_data();
    void withoutAccessControlOnlyUnrebindableHostsAreServed();
    void consoleNamesAndRedirectsTellStrangersNothing();
    void aChangedPasswordEndsItsSessions();
    void anHttp10HealthCheckWithoutHostIsAnswered();
    void aForbiddenConsoleIsForbiddenOnEveryPath();
    void aCrossSiteLoginWithoutOriginIsRefused();

private:
    QString m_operatorToken;
    QString m_viewerToken;
    QString m_vm2Token;
    AccessSettings m_access;
};

namespace {

const QString Password = QStringLiteral("correct horse battery staple");

// The two consoles of these tests, vm1 and vm2, on their ptys.
TestServer::ConsoleList twoConsoles(TestPty &vm1, TestPty &vm2)
{
    TestServer::ConsoleList consoles;
    for (auto [name, pty] :
         {std::pair {QStringLiteral("vm1"), &vm1}, std::pair {QStringLiteral("vm2"), &vm2}}) {
        ConsoleSettings console;
        console.name = name;
        console.markers = false;
        consoles.emplace_back(console, pty->path());
    }
    return consoles;
}

QByteArray headerOf(const QByteArray &answer, const QByteArray &name)
{
    for (const QByteArray &line : answer.left(answer.indexOf("\r\n\r\n")).split('\n')) {
        if (line.toLower().startsWith(name.toLower() + ':'))
            return line.mid(name.size() + 1).trimmed();
    }
    return {};
}

// Logs in through the form; the session cookie ("cc_session=..."), or empty.
QByteArray logIn(quint16 port, const QString &user, const QString &password,
                 QByteArray *answer = nullptr)
{
    const QByteArray body = "user=" + QUrl::toPercentEncoding(user)
        + "&password=" + QUrl::toPercentEncoding(password) + "&next=c%2Fvm1%2F";
    const QByteArray reply = exchange(port,
                                      "POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: "
                                      "application/x-www-form-urlencoded\r\nContent-Length: "
                                          + QByteArray::number(body.size()) + "\r\n\r\n" + body);
    if (answer)
        *answer = reply;
    const QByteArray setCookie = headerOf(reply, "Set-Cookie");
    return setCookie.left(setCookie.indexOf(';'));
}

} // namespace

void tst_Access::initTestCase()
{
    m_operatorToken = SecretHash::newToken();
    m_viewerToken = SecretHash::newToken();
    m_vm2Token = SecretHash::newToken();
    m_access.credentials = {
        {Credential::Kind::User,
         QStringLiteral("alice"),
         SecretHash::hashPassword(Password, 10000),
         Role::Operator,
         {}},
        {Credential::Kind::User,
         QStringLiteral("bob"),
         SecretHash::hashPassword(Password, 10000),
         Role::Viewer,
         {}},
        {Credential::Kind::Token,
         QStringLiteral("ci"),
         SecretHash::hashToken(m_operatorToken),
         Role::Operator,
         {}},
        {Credential::Kind::Token,
         QStringLiteral("monitor"),
         SecretHash::hashToken(m_viewerToken),
         Role::Viewer,
         {}},
        {Credential::Kind::Token,
         QStringLiteral("vm2-only"),
         SecretHash::hashToken(m_vm2Token),
         Role::Operator,
         {QStringLiteral("vm2")}},
    };
    m_access.allowedOrigins = {QStringLiteral("https://ops.example.com")};
}

void tst_Access::secretsVerifyOnlyTheirOwnSecret()
{
    const QString hash = SecretHash::hashPassword(Password, 10000);
    QVERIFY(hash.startsWith(QStringLiteral("pbkdf2-sha256$10000$")));
    QVERIFY(SecretHash::verifyPassword(Password, hash));
    QVERIFY(!SecretHash::verifyPassword(Password + u'!', hash));
    QVERIFY(!SecretHash::verifyPassword(QString(), hash));
    // Salted: the same password hashes differently every time.
    QVERIFY(SecretHash::hashPassword(Password, 10000) != hash);

    const QString token = SecretHash::newToken();
    QCOMPARE(token.size(), 43);
    QVERIFY(SecretHash::verifyToken(token, SecretHash::hashToken(token)));
    QVERIFY(!SecretHash::verifyToken(SecretHash::newToken(), SecretHash::hashToken(token)));
    QVERIFY(SecretHash::constantTimeEquals("abc", "abc"));
    QVERIFY(!SecretHash::constantTimeEquals("abc", "abd"));
    QVERIFY(!SecretHash::constantTimeEquals("abc", "abcd"));
}

void tst_Access::malformedHashesAreRecognised_data()
{
    QTest::addColumn<QString>("hash");
    QTest::addColumn<bool>("password");
    QTest::addColumn<bool>("valid");
    QTest::newRow("good password hash")
        << SecretHash::hashPassword(Password, 10000) << true << true;
    QTest::newRow("good token hash") << SecretHash::hashToken(QStringLiteral("x")) << false << true;
    QTest::newRow("plain text password") << Password << true << false;
    QTest::newRow("too few iterations")
        << QStringLiteral("pbkdf2-sha256$10$c2FsdHNhbHQ=$"
                          "MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTIzNDU2Nzg5MDE=")
        << true << false;
    QTest::newRow("bad base64") << QStringLiteral("pbkdf2-sha256$10000$!!$??") << true << false;
    QTest::newRow("short key") << QStringLiteral("pbkdf2-sha256$10000$c2FsdHNhbHQ=$c2hvcnQ=")
                               << true << false;
    QTest::newRow("md5 token hash")
        << QStringLiteral("md5$0123456789abcdef0123456789abcdef") << false << false;
    QTest::newRow("uppercase hex")
        << QStringLiteral("sha256$") + QString(64, u'A') << false << false;
    QTest::newRow("short hex") << QStringLiteral("sha256$abcdef") << false << false;
}

void tst_Access::malformedHashesAreRecognised()
{
    QFETCH(QString, hash);
    QFETCH(bool, password);
    QFETCH(bool, valid);
    QString error;
    const bool ok = password ? SecretHash::isPasswordHash(hash, &error)
                             : SecretHash::isTokenHash(hash, &error);
    QCOMPARE(ok, valid);
    QCOMPARE(error.isEmpty(), valid);
    if (password && !valid)
        QVERIFY(!SecretHash::verifyPassword(Password, hash));
}

void tst_Access::originsAreCheckedAgainstTheHostAndTheAllowList_data()
{
    QTest::addColumn<QByteArray>("origin");
    QTest::addColumn<QByteArray>("host");
    QTest::addColumn<bool>("allowed");
    QTest::newRow("no origin: not a browser") << QByteArray() << QByteArray("h:8080") << true;
    QTest::newRow("same host and port")
        << QByteArray("http://h:8080") << QByteArray("h:8080") << true;
    QTest::newRow("same, TLS ended at a proxy")
        << QByteArray("https://h:8080") << QByteArray("h:8080") << true;
    QTest::newRow("other port") << QByteArray("http://h:9090") << QByteArray("h:8080") << false;
    QTest::newRow("default port") << QByteArray("https://h") << QByteArray("h:443") << true;
    QTest::newRow("other host") << QByteArray("http://evil.example") << QByteArray("h:8080")
                                << false;
    QTest::newRow("host without port (proxy $host)")
        << QByteArray("http://h:8123") << QByteArray("h") << true;
    QTest::newRow("case") << QByteArray("HTTP://H:8080") << QByteArray("h:8080") << true;
    QTest::newRow("allowed") << QByteArray("https://ops.example.com") << QByteArray("h:8080")
                             << true;
    QTest::newRow("allowed but other scheme")
        << QByteArray("http://ops.example.com") << QByteArray("h:8080") << false;
    QTest::newRow("suffix trick") << QByteArray("http://h:8080.evil.example")
                                  << QByteArray("h:8080") << false;
    QTest::newRow("null origin") << QByteArray("null") << QByteArray("h:8080") << false;
    QTest::newRow("IPv6") << QByteArray("http://[::1]:8080") << QByteArray("[::1]:8080") << true;
}

void tst_Access::originsAreCheckedAgainstTheHostAndTheAllowList()
{
    QFETCH(QByteArray, origin);
    QFETCH(QByteArray, host);
    QFETCH(bool, allowed);
    QCOMPARE(originAllowed(origin, host, m_access.allowedOrigins), allowed);
}

void tst_Access::refusedUpgradesGetTheirStatusAndNeverBecomeClients_data()
{
    QTest::addColumn<QByteArray>("target");
    QTest::addColumn<QByteArray>("headers"); // %OP% is the operator token, %VM2% vm2's
    QTest::addColumn<int>("status");
    QTest::newRow("no credentials") << QByteArray("/c/vm1/ws") << QByteArray() << 401;
    QTest::newRow("an unknown token")
        << QByteArray("/c/vm1/ws") << QByteArray("Authorization: Bearer nope\r\n") << 401;
    QTest::newRow("basic auth") << QByteArray("/c/vm1/ws")
                                << QByteArray("Authorization: Basic YWxpY2U6eA==\r\n") << 401;
    QTest::newRow("an unknown session")
        << QByteArray("/c/vm1/ws") << QByteArray("Cookie: cc_session=forged\r\n") << 401;
    QTest::newRow("no credentials for an unknown console")
        << QByteArray("/c/nope/ws") << QByteArray() << 401;
    QTest::newRow("a bad origin") << QByteArray(
        "/c/vm1/ws") << QByteArray("Authorization: Bearer %OP%\r\nOrigin: http://evil.example\r\n")
                                  << 403;
    QTest::newRow("an unknown console")
        << QByteArray("/c/nope/ws") << QByteArray("Authorization: Bearer %OP%\r\n") << 404;
    QTest::newRow("a console the token may not use")
        << QByteArray("/c/vm1/ws") << QByteArray("Authorization: Bearer %VM2%\r\n") << 403;
}

void tst_Access::refusedUpgradesGetTheirStatusAndNeverBecomeClients()
{
    QFETCH(QByteArray, target);
    QFETCH(QByteArray, headers);
    QFETCH(int, status);
    headers.replace("%OP%", m_operatorToken.toLatin1()).replace("%VM2%", m_vm2Token.toLatin1());
    TestPty vm1;
    TestPty vm2;
    FrontendSettings settings;
    settings.access = m_access;
    TestServer server(twoConsoles(vm1, vm2), settings);
    QVERIFY(server.listening);
    const QByteArray answer = exchange(server.frontend->port(), upgradeRequest(target, headers));
    QVERIFY2(answer.startsWith("HTTP/1.1 " + QByteArray::number(status) + ' '), answer.constData());
    if (status == 401)
        QCOMPARE(headerOf(answer, "WWW-Authenticate"),
                 QByteArray("Bearer realm=\"cloud-console\""));
    QTest::qWait(50);
    QCOMPARE(server.clients(), 0);
    // The same request with good credentials where it was refused for them gets in.
    TestClient good(server.request(QStringLiteral("/c/vm2/ws"), "Bearer " + m_vm2Token.toLatin1()));
    QTRY_VERIFY(good.hello.has_value());
}

void tst_Access::anOperatorTypesAndAViewerOnlyWatches()
{
    TestPty vm1;
    TestPty vm2;
    FrontendSettings settings;
    settings.access = m_access;
    TestServer server(twoConsoles(vm1, vm2), settings);
    QVERIFY(server.listening);
    TestClient operatorClient(
        server.request(QStringLiteral("/c/vm1/ws"), "Bearer " + m_operatorToken.toLatin1()));
    TestClient viewer(
        server.request(QStringLiteral("/c/vm1/ws"), "Bearer " + m_viewerToken.toLatin1()));
    QTRY_VERIFY(operatorClient.hello.has_value() && viewer.hello.has_value());
    QVERIFY(operatorClient.hello->writable);
    QVERIFY(!viewer.hello->writable);

    // Both see the output; only the operator's input reaches the console.
    QVERIFY(vm1.write("login: "));
    QTRY_COMPARE(viewer.received, QByteArray("login: "));
    QTRY_COMPARE(operatorClient.received, QByteArray("login: "));
    viewer.socket.sendBinaryMessage("viewer typed\r");
    viewer.send(Protocol::Resize {100, 30});
    viewer.send(Protocol::Break {});
    QTRY_COMPARE(viewer.errors.size(), size_t(3));
    for (const Protocol::Error &error : viewer.errors)
        QCOMPARE(error.code, QString::fromLatin1(Protocol::ErrorCode::ReadOnly));
    operatorClient.socket.sendBinaryMessage("root\r");
    QByteArray input;
    QTRY_COMPARE((input += vm1.readAvailable()), QByteArray("root\r"));
    QTest::qWait(100);
    QCOMPARE(input += vm1.readAvailable(), QByteArray("root\r"));
    QVERIFY(operatorClient.errors.empty());
}

void tst_Access::theBrowserLogsInAndGetsAnHttpOnlyCookie()
{
    TestPty vm1;
    TestPty vm2;
    FrontendSettings settings;
    settings.access = m_access;
    TestServer server(twoConsoles(vm1, vm2), settings);
    QVERIFY(server.listening);
    const quint16 port = server.frontend->port();

    QByteArray answer;
    QVERIFY(logIn(port, QStringLiteral("alice"), QStringLiteral("wrong"), &answer).isEmpty());
    QVERIFY2(answer.startsWith("HTTP/1.1 401"), answer.constData());
    QVERIFY(answer.contains("wrong user or password"));
    QVERIFY(logIn(port, QStringLiteral("mallory"), Password, &answer).isEmpty());
    QVERIFY2(answer.startsWith("HTTP/1.1 401"), answer.constData());

    const QByteArray cookie = logIn(port, QStringLiteral("alice"), Password, &answer);
    QVERIFY2(answer.startsWith("HTTP/1.1 303"), answer.constData());
    QCOMPARE(headerOf(answer, "Location"), QByteArray("c/vm1/"));
    const QByteArray setCookie = headerOf(answer, "Set-Cookie");
    QVERIFY2(setCookie.contains("; HttpOnly") && setCookie.contains("; SameSite=Strict")
                 && setCookie.contains("; Path=/") && !setCookie.contains("Secure"),
             setCookie.constData());
    QVERIFY(cookie.startsWith("cc_session="));
    QVERIFY(!cookie.contains(Password.toUtf8()));

    // The cookie opens the page and the console; the secret is never in a URL.
    const QByteArray page = exchange(
        port, "GET /c/vm1/ HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: " + cookie + "\r\n\r\n");
    QVERIFY2(page.startsWith("HTTP/1.1 200"), page.left(200).constData());
    TestClient browser(server.request(QStringLiteral("/c/vm1/ws"), {}, cookie,
                                      "http://127.0.0.1:" + QByteArray::number(port)));
    QTRY_VERIFY(browser.hello.has_value());
    QVERIFY(browser.hello->writable);

    // bob is a viewer.
    const QByteArray bob = logIn(port, QStringLiteral("bob"), Password);
    TestClient viewer(server.request(QStringLiteral("/c/vm1/ws"), {}, bob));
    QTRY_VERIFY(viewer.hello.has_value());
    QVERIFY(!viewer.hello->writable);
}

void tst_Access::loginsGoOnWorkingAfterManyWrongPasswords()
{
    TestPty vm1;
    TestPty vm2;
    FrontendSettings settings;
    settings.access = m_access;
    TestServer server(twoConsoles(vm1, vm2), settings);
    QVERIFY(server.listening);
    const quint16 port = server.frontend->port();

    // Each check finishes before the next starts, and they come slower than a user's rate
    // (LoginThrottle): none of them may count against a later login once it has been answered.
    QByteArray answer;
    for (int attempt = 1; attempt <= HttpFrontend::MaxPasswordChecksInFlight + 1; ++attempt) {
        QVERIFY(logIn(port, QStringLiteral("alice"), QStringLiteral("wrong"), &answer).isEmpty());
        QVERIFY2(answer.startsWith("HTTP/1.1 401"),
                 qPrintable(QStringLiteral("attempt %1: %2")
                                .arg(attempt)
                                .arg(QString::fromUtf8(answer.left(200)))));
        QTest::qWait(1000 / int(LoginThrottle::Limits().perUserPerSecond) + 50);
    }
    const QByteArray cookie = logIn(port, QStringLiteral("alice"), Password, &answer);
    QVERIFY2(answer.startsWith("HTTP/1.1 303"), answer.left(200).constData());
    QVERIFY(cookie.startsWith("cc_session="));
}

void tst_Access::aFloodAgainstOneUserLocksOutNoOtherUser()
{
    TestPty vm1;
    TestPty vm2;
    FrontendSettings settings;
    settings.access = m_access;
    TestServer server(twoConsoles(vm1, vm2), settings);
    QVERIFY(server.listening);
    const quint16 port = server.frontend->port();
    // Thirty guesses at alice's password at once, from thirty addresses.
    const QByteArray guess = "user=alice&password=guess&next=";
    std::vector<std::unique_ptr<QTcpSocket>> flood;
    for (int i = 0; i < 30; ++i) {
        flood.push_back(std::make_unique<QTcpSocket>());
        QTcpSocket *socket = flood.back().get();
        socket->bind(QHostAddress(QStringLiteral("127.0.0.%1").arg(10 + i)));
        QObject::connect(socket, &QTcpSocket::connected, socket, [socket, guess] {
            socket->write("POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: "
                          "application/x-www-form-urlencoded\r\nContent-Length: "
                          + QByteArray::number(guess.size()) + "\r\n\r\n" + guess);
            socket->setProperty("sent", true);
        });
        socket->connectToHost(QHostAddress::LocalHost, port);
    }
    // Every guess sent (some may be answered, and closed, already).
    QTRY_VERIFY(std::all_of(flood.begin(), flood.end(), [](const auto &s) {
        return s->property("sent").toBool() && s->bytesToWrite() == 0;
    }));
    QTest::qWait(50);
    // bob, meanwhile, logs in.
    QByteArray answer;
    const QByteArray cookie = logIn(port, QStringLiteral("bob"), Password, &answer);
    QVERIFY2(answer.startsWith("HTTP/1.1 303"), answer.left(300).constData());
    QVERIFY(cookie.startsWith("cc_session="));
    // And the flood got few checks, the rest 429.
    QTRY_VERIFY(std::all_of(flood.begin(), flood.end(), [](const auto &s) {
        return s->state() == QAbstractSocket::UnconnectedState;
    }));
    int refused = 0;
    for (const auto &socket : flood)
        refused += socket->readAll().startsWith("HTTP/1.1 429");
    QVERIFY2(refused >= 30 - int(LoginLimits().perUserBurst), qPrintable(QString::number(refused)));
}

void tst_Access::aReloadClosesTheClientsOfARemovedOrChangedCredential()
{
    TestPty vm1;
    TestPty vm2;
    FrontendSettings settings;
    settings.access = m_access;
    TestServer server(twoConsoles(vm1, vm2), settings);
    QVERIFY(server.listening);
    const auto bearer = [](const QString &token) { return "Bearer " + token.toLatin1(); };
    TestClient removed(server.request(QStringLiteral("/c/vm1/ws"), bearer(m_operatorToken)));
    TestClient demoted(server.request(QStringLiteral("/c/vm2/ws"), bearer(m_vm2Token)));
    TestClient kept(server.request(QStringLiteral("/c/vm1/ws"), bearer(m_viewerToken)));
    QTRY_VERIFY(removed.hello && demoted.hello && kept.hello);

    // ci is removed; vm2-only becomes a viewer; monitor is unchanged.
    AccessSettings reloaded = m_access;
    reloaded.credentials.erase(
        std::remove_if(reloaded.credentials.begin(), reloaded.credentials.end(),
                       [](const Credential &c) { return c.name == QLatin1String("ci"); }),
        reloaded.credentials.end());
    for (Credential &c : reloaded.credentials) {
        if (c.name == QLatin1String("vm2-only"))
            c.role = Role::Viewer;
    }
    server.frontend->setAccess(reloaded, {});
    QTRY_VERIFY(removed.closed && demoted.closed);
    QCOMPARE(int(removed.closeCode), int(QWebSocketProtocol::CloseCodePolicyViolated));
    QCOMPARE(int(demoted.closeCode), int(QWebSocketProtocol::CloseCodePolicyViolated));
    QVERIFY2(removed.socket.closeReason().contains(QLatin1String("reload")),
             qPrintable(removed.socket.closeReason()));
    QTest::qWait(200);
    QVERIFY(!kept.closed);
    QTRY_COMPARE(server.clients(), 1);
}

void tst_Access::theScreenFollowsTheConsolesRules()
{
    TestPty vm1;
    TestPty vm2;
    FrontendSettings settings;
    settings.access = m_access;
    TestServer server(twoConsoles(vm1, vm2), settings);
    QVERIFY(server.listening);
    const quint16 port = server.frontend->port();
    const auto get = [port](const QByteArray &target, const QString &token) {
        QByteArray request = "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
        if (!token.isEmpty())
            request += "Authorization: Bearer " + token.toLatin1() + "\r\n";
        return exchange(port, request + "\r\n");
    };
    QVERIFY(get("/c/vm1/screen", QString()).startsWith("HTTP/1.1 401"));
    QVERIFY(get("/c/vm1/screen", m_operatorToken).startsWith("HTTP/1.1 200"));
    // A viewer may read the screen, as it may watch the console.
    QVERIFY(get("/c/vm1/screen?format=json", m_viewerToken).startsWith("HTTP/1.1 200"));
    // A credential for vm2 alone sees vm2's screen and not vm1's.
    QVERIFY(get("/c/vm2/screen", m_vm2Token).startsWith("HTTP/1.1 200"));
    QVERIFY(get("/c/vm1/screen", m_vm2Token).startsWith("HTTP/1.1 403"));
}

void tst_Access::anExpiredSessionIsRefused()
{
    TestPty vm1;
    TestPty vm2;
    FrontendSettings settings;
    settings.access = m_access;
    settings.access.sessionLifetime = std::chrono::seconds(1);
    TestServer server(twoConsoles(vm1, vm2), settings);
    QVERIFY(server.listening);
    const QByteArray cookie = logIn(server.frontend->port(), QStringLiteral("alice"), Password);
    QVERIFY(!cookie.isEmpty());
    {
        TestClient early(server.request(QStringLiteral("/c/vm1/ws"), {}, cookie));
        QTRY_VERIFY(early.hello.has_value());
    }
    QTest::qWait(1200);
    const QByteArray answer = exchange(server.frontend->port(),
                                       upgradeRequest("/c/vm1/ws", "Cookie: " + cookie + "\r\n"));
    QVERIFY2(answer.startsWith("HTTP/1.1 401"), answer.constData());
    QVERIFY(answer.contains("the session expired; log in again"));
    const QByteArray page
        = exchange(server.frontend->port(),
                   "GET /c/vm1/ HTTP/1.1\r\nHost: x\r\nCookie: " + cookie + "\r\n\r\n");
    QVERIFY2(page.startsWith("HTTP/1.1 303"), page.constData());
    QTRY_COMPARE(server.clients(), 0);
}

void tst_Access::loggingOutEndsTheSession()
{
    TestPty vm1;
    TestPty vm2;
    FrontendSettings settings;
    settings.access = m_access;
    TestServer server(twoConsoles(vm1, vm2), settings);
    const quint16 port = server.frontend->port();
    const QByteArray cookie = logIn(port, QStringLiteral("alice"), Password);
    QCOMPARE(server.frontend->authenticator().sessionCount(), 1);
    const QByteArray answer = exchange(port,
                                       "POST /logout HTTP/1.1\r\nHost: x\r\nCookie: " + cookie
                                           + "\r\nContent-Length: 0\r\n\r\n");
    QVERIFY2(answer.startsWith("HTTP/1.1 303"), answer.constData());
    QVERIFY(headerOf(answer, "Set-Cookie").contains("Max-Age=0"));
    QCOMPARE(server.frontend->authenticator().sessionCount(), 0);
    const QByteArray refused
        = exchange(port, upgradeRequest("/c/vm1/ws", "Cookie: " + cookie + "\r\n"));
    QVERIFY2(refused.startsWith("HTTP/1.1 401"), refused.constData());
}

void tst_Access::pagesNeedALoginButAssetsDoNot()
{
    TestPty vm1;
    TestPty vm2;
    FrontendSettings settings;
    settings.access = m_access;
    TestServer server(twoConsoles(vm1, vm2), settings);
    const quint16 port = server.frontend->port();
    const auto get = [port](const QByteArray &path, const QByteArray &extra = {}) {
        return exchange(port, "GET " + path + " HTTP/1.1\r\nHost: x\r\n" + extra + "\r\n");
    };
    QByteArray answer = get("/");
    QVERIFY2(answer.startsWith("HTTP/1.1 303"), answer.constData());
    QCOMPARE(headerOf(answer, "Location"), QByteArray("login"));
    answer = get("/c/vm2/");
    QCOMPARE(headerOf(answer, "Location"), QByteArray("../../login?next=c/vm2/"));
    answer = get("/login?next=c/vm2/");
    QVERIFY2(answer.startsWith("HTTP/1.1 200"), answer.constData());
    QVERIFY(answer.contains("name=\"next\" value=\"c/vm2/\""));
    // A next that leads elsewhere is dropped.
    answer = get("/login?next=//evil.example/");
    QVERIFY(answer.contains("name=\"next\" value=\"\""));
    QVERIFY(get("/app.js").startsWith("HTTP/1.1 200"));
    QVERIFY(get("/healthz").startsWith("HTTP/1.1 200"));
    // A token opens pages too, but only of its consoles.
    QVERIFY(get("/c/vm2/", "Authorization: Bearer " + m_vm2Token.toLatin1() + "\r\n")
                .startsWith("HTTP/1.1 200"));
    QVERIFY(get("/c/vm1/", "Authorization: Bearer " + m_vm2Token.toLatin1() + "\r\n")
                .startsWith("HTTP/1.1 403"));
    // A console's events, with the console's access.
    QVERIFY(get("/c/vm2/events").startsWith("HTTP/1.1 401"));
    QVERIFY(get("/c/vm1/events", "Authorization: Bearer " + m_vm2Token.toLatin1() + "\r\n")
                .startsWith("HTTP/1.1 403"));
    answer = get("/c/vm2/events", "Authorization: Bearer " + m_vm2Token.toLatin1() + "\r\n");
    QVERIFY2(answer.startsWith("HTTP/1.1 200") && answer.contains("\"console\":\"vm2\""),
             answer.constData());

    // The index and the status routes show a credential only its consoles; strangers nothing.
    const QByteArray vm2Only = "Authorization: Bearer " + m_vm2Token.toLatin1() + "\r\n";
    answer = get("/", vm2Only);
    QVERIFY2(answer.startsWith("HTTP/1.1 200"), answer.constData());
    QVERIFY(answer.contains("c/vm2/") && !answer.contains("c/vm1/"));
    answer = get("/consoles.json", vm2Only);
    QVERIFY(answer.contains("\"vm2\"") && !answer.contains("\"vm1\""));
    for (const QByteArray &path : {QByteArray("/metrics"), QByteArray("/consoles.json")}) {
        answer = get(path);
        QVERIFY2(answer.startsWith("HTTP/1.1 401"), answer.constData());
        QVERIFY(!answer.contains("vm1"));
    }
    answer = get("/metrics", "Authorization: Bearer " + m_viewerToken.toLatin1() + "\r\n");
    QVERIFY2(answer.startsWith("HTTP/1.1 200") && answer.contains("cloud_console_consoles 2"),
             answer.left(300).constData());
}

void tst_Access::tlsServesWssAndHttpsWithHsts()
{
    if (!QSslSocket::supportsSsl())
        QSKIP("this Qt has no TLS backend");
    const QString openssl = QStandardPaths::findExecutable(QStringLiteral("openssl"));
    QVERIFY2(!openssl.isEmpty(), "openssl is needed to make the test's certificate");
    QTemporaryDir dir;
    QProcess make;
    make.start(openssl,
               {QStringLiteral("req"), QStringLiteral("-x509"), QStringLiteral("-newkey"),
                QStringLiteral("ec"), QStringLiteral("-pkeyopt"),
                QStringLiteral("ec_paramgen_curve:prime256v1"), QStringLiteral("-nodes"),
                QStringLiteral("-days"), QStringLiteral("1"), QStringLiteral("-subj"),
                QStringLiteral("/CN=127.0.0.1"), QStringLiteral("-addext"),
                QStringLiteral("subjectAltName=IP:127.0.0.1"), QStringLiteral("-keyout"),
                dir.filePath(QStringLiteral("key.pem")), QStringLiteral("-out"),
                dir.filePath(QStringLiteral("cert.pem"))});
    QVERIFY(make.waitForFinished(30000));
    QVERIFY2(make.exitCode() == 0, make.readAllStandardError().constData());

    TestPty vm1;
    TestPty vm2;
    FrontendSettings settings;
    settings.access = m_access;
    settings.tls.certificatePath = dir.filePath(QStringLiteral("cert.pem"));
    settings.tls.keyPath = dir.filePath(QStringLiteral("key.pem"));
    QString error;
    QVERIFY2(settings.tls.load(&error), qPrintable(error));
    TestServer server(twoConsoles(vm1, vm2), settings);
    QVERIFY(server.listening);
    const quint16 port = server.frontend->port();

    // A client that trusts the test's certificate gets the console over wss.
    QSslConfiguration trust = QSslConfiguration::defaultConfiguration();
    trust.setCaCertificates(settings.tls.certificateChain);
    QNetworkRequest request(QUrl(QStringLiteral("wss://127.0.0.1:%1/c/vm1/ws").arg(port)));
    // QWebSocket takes its TLS settings from the default configuration when it opens.
    const QSslConfiguration previous = QSslConfiguration::defaultConfiguration();
    QSslConfiguration::setDefaultConfiguration(trust);
    const auto restore = qScopeGuard([&] { QSslConfiguration::setDefaultConfiguration(previous); });
    request.setRawHeader("Authorization", "Bearer " + m_operatorToken.toLatin1());
    TestClient client(request);
    QTRY_VERIFY_WITH_TIMEOUT(client.hello.has_value(), 10000);
    QVERIFY(vm1.write("over TLS\r\n"));
    QTRY_COMPARE(client.received, QByteArray("over TLS\r\n"));

    // HTTPS answers carry HSTS; so do refusals.
    const auto https = [&](const QByteArray &request) {
        QSslSocket socket;
        socket.setSslConfiguration(trust);
        socket.connectToHostEncrypted(QStringLiteral("127.0.0.1"), port);
        QByteArray answer;
        if (!QTest::qWaitFor([&] { return socket.isEncrypted(); }, 10000))
            return QByteArray("no TLS: ") + socket.errorString().toUtf8();
        socket.write(request);
        if (!QTest::qWaitFor([&] { return (answer += socket.readAll()).contains("\r\n\r\n"); },
                             10000))
            return QByteArray("no answer: ") + answer;
        return answer;
    };
    const QByteArray answer = https("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    QVERIFY2(answer.startsWith("HTTP/1.1 200"), answer.constData());
    QCOMPARE(headerOf(answer, "Strict-Transport-Security"), QByteArray("max-age=31536000"));
    const QByteArray refused = https(upgradeRequest("/c/vm1/ws", {}));
    QVERIFY2(refused.startsWith("HTTP/1.1 401"), refused.constData());
    QCOMPARE(headerOf(refused, "Strict-Transport-Security"), QByteArray("max-age=31536000"));

    // Plain HTTP on the TLS port gets no HTTP answer and never becomes anything.
    const QByteArray plain = exchange(port, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    QVERIFY2(!plain.startsWith("HTTP/1.1 200"), plain.constData());
    QCOMPARE(server.clients(), 1);
}

void tst_Access::requestBodiesAndLaterRequestsAreBounded()
{
    TestPty vm1;
    TestPty vm2;
    FrontendSettings settings;
    settings.access = m_access;
    TestServer server(twoConsoles(vm1, vm2), settings);
    const quint16 port = server.frontend->port();
    // Another site's page cannot post the login form (to log a visitor into its account).
    const QByteArray form = "user=alice&password=x";
    QByteArray answer = exchange(port,
                                 "POST /login HTTP/1.1\r\nHost: x\r\nOrigin: "
                                 "http://evil.example\r\nSec-Fetch-Site: cross-site\r\n"
                                 "Content-Length: "
                                     + QByteArray::number(form.size()) + "\r\n\r\n" + form);
    QVERIFY2(answer.startsWith("HTTP/1.1 403"), answer.constData());
    // A chunked login body is not taken, whatever its size.
    answer = exchange(port,
                      "POST /login HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: "
                      "chunked\r\n\r\n5\r\nuser=\r\n0\r\n\r\n");
    QVERIFY2(answer.startsWith("HTTP/1.1 413"), answer.constData());
    answer = exchange(port, "POST /login HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n");
    QVERIFY2(answer.startsWith("HTTP/1.1 413"), answer.constData());

    // One request per connection: the server closes it after answering.
    {
        QTcpSocket socket;
        socket.connectToHost(QHostAddress::LocalHost, port);
        QTRY_VERIFY(socket.state() == QAbstractSocket::ConnectedState);
        socket.write("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
        QByteArray reply;
        QTRY_VERIFY_WITH_TIMEOUT(
            (reply += socket.readAll(), socket.state() == QAbstractSocket::UnconnectedState),
            10000);
        reply += socket.readAll();
        QVERIFY2(reply.startsWith("HTTP/1.1 200"), reply.constData());
        QCOMPARE(headerOf(reply, "Connection"), QByteArray("close"));
    }
    // A second request pipelined behind the first, with a huge body, is cut off at once, not
    // read into memory.
    QTcpSocket socket;
    socket.connectToHost(QHostAddress::LocalHost, port);
    QTRY_VERIFY(socket.state() == QAbstractSocket::ConnectedState);
    socket.write("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nPOST /healthz HTTP/1.1\r\nHost: "
                 "x\r\nContent-Length: 999999999\r\n\r\n");
    const QByteArray chunk(64 * 1024, 'x');
    int sent = 0;
    for (; sent < 256 && socket.state() == QAbstractSocket::ConnectedState; ++sent) {
        socket.write(chunk);
        QTest::qWait(2);
    }
    QTRY_VERIFY_WITH_TIMEOUT(socket.state() == QAbstractSocket::UnconnectedState, 10000);
    QVERIFY2(sent < 256, "16 MiB went in without the connection being cut");
    QVERIFY(socket.readAll().count("HTTP/1.1 ") <= 1);
}

void tst_Access::withoutAccessControlOnlyUnrebindableHostsAreServed_data()
{
    QTest::addColumn<QByteArray>("host");
    QTest::addColumn<bool>("served");
    QTest::newRow("IPv4") << QByteArray("127.0.0.1:8080") << true;
    QTest::newRow("IPv6") << QByteArray("[::1]:8080") << true;
    QTest::newRow("localhost") << QByteArray("localhost:8080") << true;
    QTest::newRow("a name that could be rebound")
        << QByteArray("rebind.attacker.example:8080") << false;
    QTest::newRow("a name without a port") << QByteArray("console.example") << false;
    QTest::newRow("no host") << QByteArray() << false;
}

void tst_Access::withoutAccessControlOnlyUnrebindableHostsAreServed()
{
    QFETCH(QByteArray, host);
    QFETCH(bool, served);
    TestPty vm1;
    TestPty vm2;
    TestServer server(twoConsoles(vm1, vm2), FrontendSettings {});
    const QByteArray hostLine = host.isEmpty() ? QByteArray() : "Host: " + host + "\r\n";
    const QByteArray page
        = exchange(server.frontend->port(), "GET /healthz HTTP/1.1\r\n" + hostLine + "\r\n");
    QVERIFY2(page.startsWith(served ? "HTTP/1.1 200" : "HTTP/1.1 403"), page.constData());
    // The attacker's page is its own origin: the upgrade would pass the origin check.
    const QByteArray upgrade
        = exchange(server.frontend->port(),
                   "GET /c/vm1/ws HTTP/1.1\r\n" + hostLine + "Origin: http://" + host
                       + "\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: "
                         "13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n");
    QVERIFY2(upgrade.startsWith(served ? "HTTP/1.1 101" : "HTTP/1.1 403"), upgrade.constData());
    QTRY_COMPARE(server.clients(), served ? 1 : 0);
}

void tst_Access::anHttp10HealthCheckWithoutHostIsAnswered()
{
    // Health checkers send HTTP/1.0 without Host; no browser does, so no rebinding page can.
    TestPty vm1;
    TestPty vm2;
    TestServer server(twoConsoles(vm1, vm2), FrontendSettings {});
    const QByteArray answer = exchange(server.frontend->port(), "GET /healthz HTTP/1.0\r\n\r\n");
    QVERIFY2(answer.startsWith("HTTP/1.1 200"), answer.constData());
}

void tst_Access::aForbiddenConsoleIsForbiddenOnEveryPath()
{
    TestPty vm1;
    TestPty vm2;
    FrontendSettings settings;
    settings.access = m_access;
    TestServer server(twoConsoles(vm1, vm2), settings);
    const QByteArray token = "Authorization: Bearer " + m_vm2Token.toLatin1() + "\r\n";
    for (const QByteArray path : {"/c/vm1", "/c/vm1/", "/c/vm1/ws", "/c/vm1/screen"}) {
        const QByteArray answer
            = exchange(server.frontend->port(),
                       "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + token + "\r\n");
        QVERIFY2(answer.startsWith("HTTP/1.1 403"), qPrintable(path + ": " + answer));
    }
}

void tst_Access::aCrossSiteLoginWithoutOriginIsRefused()
{
    TestPty vm1;
    TestPty vm2;
    FrontendSettings settings;
    settings.access = m_access;
    TestServer server(twoConsoles(vm1, vm2), settings);
    const QByteArray form = "user=alice&password=" + QUrl::toPercentEncoding(Password);
    for (const QByteArray site : {"cross-site", "same-site"}) {
        const QByteArray answer
            = exchange(server.frontend->port(),
                       "POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\nSec-Fetch-Site: " + site
                           + "\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                             "Content-Length: "
                           + QByteArray::number(form.size()) + "\r\n\r\n" + form);
        QVERIFY2(answer.startsWith("HTTP/1.1 403"), qPrintable(site + ": " + answer));
    }
}

void tst_Access::consoleNamesAndRedirectsTellStrangersNothing()
{
    TestPty vm1;
    TestPty vm2;
    FrontendSettings settings;
    settings.access = m_access;
    TestServer server(twoConsoles(vm1, vm2), settings);
    const quint16 port = server.frontend->port();
    const auto get = [port](const QByteArray &path) {
        return exchange(port, "GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n");
    };
    // An existing and a missing console answer alike.
    for (const QByteArray &name : {QByteArray("vm1"), QByteArray("missing")}) {
        for (const QByteArray &path :
             {"/c/" + name, "/c/" + name + "/ws", "/c/" + name + "/x.js"}) {
            const QByteArray answer = get(path);
            QVERIFY2(answer.startsWith("HTTP/1.1 401"), (path + ": " + answer).constData());
        }
    }
    // A path with a line break does not reach the redirect's header.
    const QByteArray answer = get("/c/a%0d%0aX-Injected:%201/");
    QVERIFY2(!answer.contains("\r\nX-Injected"), answer.constData());
    QVERIFY2(answer.startsWith("HTTP/1.1 303"), answer.constData());
    QCOMPARE(headerOf(answer, "Location"), QByteArray("../../login"));
}

void tst_Access::aChangedPasswordEndsItsSessions()
{
    TestPty vm1;
    TestPty vm2;
    FrontendSettings settings;
    settings.access = m_access;
    TestServer server(twoConsoles(vm1, vm2), settings);
    const quint16 port = server.frontend->port();
    const QByteArray cookie = logIn(port, QStringLiteral("alice"), Password);
    QVERIFY(!cookie.isEmpty());
    const QByteArray upgrade = upgradeRequest("/c/vm1/ws", "Cookie: " + cookie + "\r\n");
    QVERIFY(exchange(port, upgrade).startsWith("HTTP/1.1 101"));

    // The same configuration with a new password for alice (a reload).
    AccessSettings changed = m_access;
    changed.credentials[0].hash = SecretHash::hashPassword(QStringLiteral("new"), 10000);
    server.frontend->setAccess(changed, TlsSettings {});
    const QByteArray answer = exchange(port, upgrade);
    QVERIFY2(answer.startsWith("HTTP/1.1 401"), answer.constData());
    QVERIFY(answer.contains("log in again"));
}

QTEST_GUILESS_MAIN(tst_Access)
#include "tst_access.moc"
