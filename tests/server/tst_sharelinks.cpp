// Read-only links that expire, end to end on real loopback sockets with real WebSocket clients and
// the real cloud-console binary: an operator makes a link (the page's HTTP API, or --share), its
// visitor opens it and watches one console read-only; the link expires, is revoked (over HTTP or
// from the command line, while its session is open), opens once when single-use, and is refused
// when tampered with or used on another console; the state directory's key is private; and no
// token ever reaches the log.

#include "secrethash.h"
#include "sharelinks.h"
#include "testclient.h"
#include "testpty.h"
#include "testserver.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

#include <sys/stat.h>

using namespace CloudConsole;
using namespace CloudConsole::Test;

namespace {

const QString Binary = QStringLiteral(CLOUD_CONSOLE_BIN);

// Every line the server logs during a test, to look for secrets in.
QStringList &logLines()
{
    static QStringList lines;
    return lines;
}
QtMessageHandler previousHandler = nullptr;

void recordMessage(QtMsgType type, const QMessageLogContext &context, const QString &message)
{
    logLines().append(QString::fromLatin1(context.category ? context.category : "") + u' '
                      + message);
    if (previousHandler)
        previousHandler(type, context, message);
}

struct Answer
{
    int status = 0;
    QByteArray raw;

    QByteArray header(const QByteArray &name) const
    {
        for (const QByteArray &line : raw.left(raw.indexOf("\r\n\r\n")).split('\n')) {
            if (line.toLower().startsWith(name.toLower() + ':'))
                return line.mid(name.size() + 1).trimmed();
        }
        return {};
    }
    QByteArray body() const { return raw.mid(raw.indexOf("\r\n\r\n") + 4); }
    QJsonObject json() const { return QJsonDocument::fromJson(body()).object(); }
};

// One plain HTTP request, headers as "Name: value" lines.
Answer http(quint16 port, const QByteArray &method, const QByteArray &path,
            const QByteArrayList &headers = {}, const QByteArray &body = {})
{
    QByteArray request
        = method + ' ' + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + QByteArray::number(port) + "\r\n";
    for (const QByteArray &header : headers)
        request += header + "\r\n";
    if (!body.isEmpty())
        request += "Content-Type: application/json\r\nContent-Length: "
            + QByteArray::number(body.size()) + "\r\n";
    request += "\r\n" + body;
    Answer answer;
    answer.raw = exchange(port, request);
    answer.status = statusLine(answer.raw).split(' ').value(1).toInt();
    return answer;
}

// The page's own requests: browsers say they come from the same origin.
const QByteArray SameOrigin = "Sec-Fetch-Site: same-origin";

QByteArray cookieOf(const Answer &answer)
{
    const QByteArray setCookie = answer.header("Set-Cookie");
    return setCookie.left(setCookie.indexOf(';'));
}

// The two consoles of these tests, vm1 and vm2, on their ptys.
TestServer::ConsoleList twoConsoles(TestPty &vm1, TestPty &vm2)
{
    TestServer::ConsoleList consoles;
    for (auto [name, pty] :
         {std::pair {QStringLiteral("vm1"), &vm1}, std::pair {QStringLiteral("vm2"), &vm2}}) {
        ConsoleSettings console = plainConsoleSettings(name);
        consoles.emplace_back(console, pty->path());
    }
    return consoles;
}

struct ProcessResult
{
    int code = -1;
    QString out;
    QString err;
};

ProcessResult runCli(const QStringList &arguments)
{
    QProcess process;
    process.start(Binary, arguments);
    ProcessResult result;
    if (!process.waitForFinished(10000)) {
        process.kill();
        process.waitForFinished();
        return result;
    }
    result.code = process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1;
    result.out = QString::fromUtf8(process.readAllStandardOutput());
    result.err = QString::fromUtf8(process.readAllStandardError());
    return result;
}

int modeOf(const QString &path)
{
    struct stat info;
    return ::stat(QFile::encodeName(path).constData(), &info) == 0 ? int(info.st_mode & 07777) : -1;
}

} // namespace

class tst_ShareLinks : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void init();
    void cleanup();
    void anOperatorSharesAConsoleAndItsVisitorOnlyWatches();
    void aShareSessionSeesItsConsoleAndNothingElse();
    void theCommandLineMakesListsAndRevokesLinksTheServerHonours();
    void theCommandLineRefusesAnUnknownConsoleAndABadLifetime_data();
    void theCommandLineRefusesAnUnknownConsoleAndABadLifetime();
    void aLinkExpiresAndItsOpenSessionEndsWithIt();
    void aLinkRevokedOverHttpEndsItsOpenSessionAtOnce();
    void aSingleUseLinkOpensOnceAndLookingAtItUsesNothing();
    void aTamperedLinkNeverOpens_data();
    void aTamperedLinkNeverOpens();
    void aTamperedSessionCookieIsRefused();
    void aTokenHasOneSpellingOnly();
    void onlyAnOperatorOfTheConsoleMakesListsAndRevokesItsLinks();
    void theHttpApiRefusesBadSettingsAndOtherSites_data();
    void theHttpApiRefusesBadSettingsAndOtherSites();
    void withoutAccessControlALinkStillOpensAReadOnlyView();
    void theStateDirectoryAndKeyArePrivateAndAnExposedKeyIsRefused();
    void processesMakingTheKeyAtOnceAgreeOnIt();
    void metricsCountLinkUsesByResult();

private:
    FrontendSettings settings(bool accessControl = true) const;
    // A link made through the page's API with the operator's token: {id, path, url, ...}.
    QJsonObject makeLink(quint16 port, const QString &console, int ttl = 3600,
                         bool singleUse = false);
    // Opens a link as a browser does (the landing page, then its button): the session cookie.
    QByteArray openLink(quint16 port, const QString &path, Answer *posted = nullptr);
    void remember(const QByteArray &secret) { m_secrets.append(secret); }

    QString m_operatorToken;
    QString m_viewerToken;
    AccessSettings m_access;
    std::unique_ptr<QTemporaryDir> m_state;
    QByteArrayList m_secrets; // tokens and cookies of the test, never to be logged
};

void tst_ShareLinks::initTestCase()
{
    previousHandler = qInstallMessageHandler(recordMessage);
    m_operatorToken = SecretHash::newToken();
    m_viewerToken = SecretHash::newToken();
    m_access.credentials = {
        {Credential::Kind::Token,
         QStringLiteral("ops"),
         SecretHash::hashToken(m_operatorToken),
         Role::Operator,
         {}},
        {Credential::Kind::Token,
         QStringLiteral("watcher"),
         SecretHash::hashToken(m_viewerToken),
         Role::Viewer,
         {}},
        {Credential::Kind::Token,
         QStringLiteral("vm2ops"),
         SecretHash::hashToken(QStringLiteral("unused")),
         Role::Operator,
         {QStringLiteral("vm2")}},
    };
}

void tst_ShareLinks::init()
{
    m_state = std::make_unique<QTemporaryDir>();
    QVERIFY(m_state->isValid());
    logLines().clear();
    m_secrets.clear();
}

void tst_ShareLinks::cleanup()
{
    // The secret never appears in the log: neither a link's token (nor its signature alone) nor a
    // session's cookie.
    for (const QByteArray &secret : std::as_const(m_secrets)) {
        QByteArrayList parts = secret.split('.');
        parts.append(secret);
        for (const QByteArray &part : std::as_const(parts)) {
            if (part.size() < 16)
                continue;
            for (const QString &line : std::as_const(logLines()))
                QVERIFY2(!line.contains(QString::fromLatin1(part)),
                         qPrintable(QStringLiteral("a secret in the log: ") + line));
        }
    }
}

FrontendSettings tst_ShareLinks::settings(bool accessControl) const
{
    FrontendSettings frontend;
    if (accessControl)
        frontend.access = m_access;
    frontend.access.stateDir = m_state->path() + QStringLiteral("/state");
    return frontend;
}

QJsonObject tst_ShareLinks::makeLink(quint16 port, const QString &console, int ttl, bool singleUse)
{
    const Answer made = http(port, "POST", "/c/" + console.toLatin1() + "/shares",
                             {"Authorization: Bearer " + m_operatorToken.toLatin1()},
                             QJsonDocument(QJsonObject {{QLatin1String("ttl"), ttl},
                                                        {QLatin1String("singleUse"), singleUse}})
                                 .toJson(QJsonDocument::Compact));
    if (made.status != 201)
        qWarning() << "making a link failed:" << made.raw;
    const QJsonObject link = made.json();
    remember(link.value(QLatin1String("path")).toString().mid(6).toLatin1());
    return link;
}

QByteArray tst_ShareLinks::openLink(quint16 port, const QString &path, Answer *posted)
{
    const Answer landing = http(port, "GET", '/' + path.toLatin1());
    if (landing.status != 200)
        return {};
    const Answer opened = http(port, "POST", '/' + path.toLatin1(), {SameOrigin});
    if (posted)
        *posted = opened;
    const QByteArray cookie = cookieOf(opened);
    remember(cookie.mid(cookie.indexOf('=') + 1));
    return opened.status == 303 ? cookie : QByteArray();
}

void tst_ShareLinks::anOperatorSharesAConsoleAndItsVisitorOnlyWatches()
{
    TestPty vm1;
    TestPty vm2;
    TestServer server(twoConsoles(vm1, vm2), settings());
    QVERIFY(server.listening);
    const quint16 port = server.port();

    const QJsonObject link = makeLink(port, QStringLiteral("vm1"));
    const QString id = link.value(QLatin1String("id")).toString();
    const QString path = link.value(QLatin1String("path")).toString();
    QVERIFY2(QRegularExpression(QStringLiteral("^[0-9a-f]{12}$")).match(id).hasMatch(),
             qPrintable(id));
    QVERIFY(path.startsWith(QLatin1String("share/")));
    QCOMPARE(link.value(QLatin1String("url")).toString(),
             QStringLiteral("http://127.0.0.1:%1/%2").arg(port).arg(path));
    QCOMPARE(link.value(QLatin1String("console")).toString(), QStringLiteral("vm1"));
    QCOMPARE(link.value(QLatin1String("createdBy")).toString(), QStringLiteral("ops"));
    const QDateTime expires
        = QDateTime::fromString(link.value(QLatin1String("expires")).toString(), Qt::ISODate);
    QVERIFY(qAbs(QDateTime::currentDateTimeUtc().secsTo(expires) - 3600) <= 2);

    // The landing page says what the link opens, and posts to itself: it sets no cookie.
    const Answer landing = http(port, "GET", '/' + path.toLatin1());
    QCOMPARE(landing.status, 200);
    QVERIFY(landing.body().contains("Console vm1, read-only"));
    QVERIFY(landing.body().contains("method=\"post\" action=\"\""));
    QVERIFY(landing.header("Set-Cookie").isEmpty());

    Answer opened;
    const QByteArray cookie = openLink(port, path, &opened);
    QVERIFY2(!cookie.isEmpty(), opened.raw.constData());
    QCOMPARE(opened.header("Location"), QByteArray("../c/vm1/"));
    const QByteArray setCookie = opened.header("Set-Cookie");
    QVERIFY2(setCookie.startsWith("cc_share=") && setCookie.contains("; HttpOnly")
                 && setCookie.contains("; SameSite=Strict") && setCookie.contains("; Path=/"),
             setCookie.constData());
    const int maxAge = QRegularExpression(QStringLiteral("Max-Age=(\\d+)"))
                           .match(QString::fromLatin1(setCookie))
                           .captured(1)
                           .toInt();
    QVERIFY2(maxAge > 3590 && maxAge <= 3600, setCookie.constData());
    // The session's cookie is not the link: the token is nowhere in it.
    QVERIFY(!setCookie.contains(path.mid(6).toLatin1()));

    // The console's page, and its WebSocket: read-only, named for the link.
    QCOMPARE(http(port, "GET", "/c/vm1/", {"Cookie: " + cookie}).status, 200);
    TestClient visitor(server.request(QStringLiteral("/c/vm1/ws"), {}, cookie));
    TestClient operatorClient(
        server.request(QStringLiteral("/c/vm1/ws"), "Bearer " + m_operatorToken.toLatin1()));
    QTRY_VERIFY(visitor.hello.has_value() && operatorClient.hello.has_value());
    QVERIFY(!visitor.hello->writable);
    QVERIFY(operatorClient.hello->writable);
    QVERIFY(vm1.write("login: "));
    QTRY_COMPARE(visitor.received, QByteArray("login: "));
    visitor.socket.sendBinaryMessage("visitor typed\r");
    visitor.send(Protocol::Resize {100, 30});
    visitor.send(Protocol::Break {});
    QTRY_COMPARE(visitor.errors.size(), size_t(3));
    for (const Protocol::Error &error : visitor.errors)
        QCOMPARE(error.code, QString::fromLatin1(Protocol::ErrorCode::ReadOnly));
    QTest::qWait(100);
    QCOMPARE(vm1.readAvailable(), QByteArray());
    // Everyone sees who the visitor is: the link, as a viewer.
    QTRY_VERIFY(std::any_of(
        operatorClient.texts.begin(), operatorClient.texts.end(), [&id](const QString &text) {
            return text.contains(QStringLiteral("\"name\":\"share:%1\"").arg(id))
                && text.contains(QLatin1String("\"role\":\"viewer\""));
        }));
    // The operator sees where everyone connects from; the visitor, from outside, sees nobody's.
    const auto lastPresence = [](const TestClient &client) {
        QString last;
        for (const QString &text : client.texts) {
            if (text.contains(QLatin1String("\"type\":\"clients\"")))
                last = text;
        }
        return last;
    };
    QTRY_VERIFY(lastPresence(visitor).contains(QStringLiteral("share:%1").arg(id))
                && lastPresence(visitor).contains(QLatin1String("\"name\":\"ops\"")));
    QVERIFY2(!lastPresence(visitor).contains(QLatin1String("127.0.0.1")),
             qPrintable(lastPresence(visitor)));
    QVERIFY2(lastPresence(operatorClient).contains(QLatin1String("\"address\":\"127.0.0.1:")),
             qPrintable(lastPresence(operatorClient)));

    // The use is logged, by id and address, never with the token.
    QVERIFY(std::any_of(logLines().begin(), logLines().end(), [&id](const QString &line) {
        return line.contains(
            QStringLiteral("share link %1 for console vm1 opened from 127.0.0.1").arg(id));
    }));
}

void tst_ShareLinks::aShareSessionSeesItsConsoleAndNothingElse()
{
    TestPty vm1;
    TestPty vm2;
    TestServer server(twoConsoles(vm1, vm2), settings());
    QVERIFY(server.listening);
    const quint16 port = server.port();
    const QByteArray cookie = openLink(
        port, makeLink(port, QStringLiteral("vm1")).value(QLatin1String("path")).toString());
    QVERIFY(!cookie.isEmpty());
    const QByteArray withCookie = "Cookie: " + cookie;

    // Its console: the page, the screen, the events.
    QCOMPARE(http(port, "GET", "/c/vm1/", {withCookie}).status, 200);
    QTRY_COMPARE(http(port, "GET", "/c/vm1/screen", {withCookie}).status, 200);
    QCOMPARE(http(port, "GET", "/c/vm1/events", {withCookie}).status, 200);
    // The root is its console's page, not the index of every console.
    const Answer root = http(port, "GET", "/", {withCookie});
    QCOMPARE(root.status, 303);
    QCOMPARE(root.header("Location"), QByteArray("c/vm1/"));
    // /consoles.json lists its console alone; /metrics (the server's figures) is not its to see.
    const Answer list = http(port, "GET", "/consoles.json", {withCookie});
    QCOMPARE(list.status, 200);
    QVERIFY2(list.body().contains("\"vm1\"") && !list.body().contains("vm2"), list.raw.constData());
    QCOMPARE(http(port, "GET", "/metrics", {withCookie}).status, 403);

    // The other console, on every path: its page says why.
    const Answer page = http(port, "GET", "/c/vm2/", {withCookie});
    QCOMPARE(page.status, 403);
    QVERIFY2(page.body().contains("console &quot;vm1&quot; alone"), page.raw.constData());
    for (const QByteArray path : {"/c/vm2/screen", "/c/vm2/events", "/c/vm2/ws",
                                  "/c/vm2/search?q=x", "/c/vm2/recordings", "/c/vm2/shares"})
        QVERIFY2(http(port, "GET", path, {withCookie}).status == 403, path.constData());
    TestClient other(server.request(QStringLiteral("/c/vm2/ws"), {}, cookie));
    QTRY_VERIFY(other.closed);
    QVERIFY(!other.connected);
    QCOMPARE(server.clients(), 0);

    // It neither makes, lists nor revokes links, even of its own console.
    QCOMPARE(http(port, "GET", "/c/vm1/shares", {withCookie}).status, 403);
    const Answer made = http(port, "POST", "/c/vm1/shares", {withCookie, SameOrigin}, "{}");
    QCOMPARE(made.status, 403);
    QVERIFY(made.body().contains("only an operator"));
    QCOMPARE(http(port, "DELETE", "/c/vm1/shares/000000000000", {withCookie, SameOrigin}).status,
             403);
}

void tst_ShareLinks::theCommandLineMakesListsAndRevokesLinksTheServerHonours()
{
    TestPty vm1;
    TestPty vm2;
    TestServer server(twoConsoles(vm1, vm2), settings());
    QVERIFY(server.listening);
    const quint16 port = server.port();
    const QString config = m_state->path() + QStringLiteral("/cloud-console.conf");
    QFile file(config);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write(QStringLiteral("[server]\nlisten = 127.0.0.1:%1\nstate-dir = %2\n\n"
                              "[console vm1]\nsource = %3\n\n[console vm2]\nsource = %4\n")
                   .arg(port)
                   .arg(settings().access.stateDir, vm1.path(), vm2.path())
                   .toUtf8());
    file.close();

    const ProcessResult made
        = runCli({QStringLiteral("--config"), config, QStringLiteral("--share"),
                  QStringLiteral("vm1"), QStringLiteral("--ttl"), QStringLiteral("10m")});
    QVERIFY2(made.code == 0, qPrintable(made.err));
    const QString url = made.out.trimmed();
    const QString prefix = QStringLiteral("http://127.0.0.1:%1/share/").arg(port);
    QVERIFY2(url.startsWith(prefix) && !url.contains(u'\n'), qPrintable(made.out));
    const QString token = url.mid(prefix.size());
    remember(token.toLatin1());
    QVERIFY2(!made.err.contains(token), qPrintable(made.err));
    const QString id = QRegularExpression(QStringLiteral("share link ([0-9a-f]{12})"))
                           .match(made.err)
                           .captured(1);
    QVERIFY2(!id.isEmpty(), qPrintable(made.err));

    // Listed, by the command line and by the server's API alike.
    const ProcessResult listed = runCli(
        {QStringLiteral("--config"), config, QStringLiteral("--shares"), QStringLiteral("vm1")});
    QCOMPARE(listed.code, 0);
    QVERIFY2(listed.out.contains(id) && listed.out.contains(QLatin1String("live"))
                 && listed.out.contains(QLatin1String("cli:")),
             qPrintable(listed.out));
    QVERIFY(!listed.out.contains(token));
    const Answer api = http(port, "GET", "/c/vm1/shares",
                            {"Authorization: Bearer " + m_operatorToken.toLatin1()});
    QCOMPARE(api.status, 200);
    QVERIFY2(api.body().contains(id.toLatin1()), api.raw.constData());
    QCOMPARE(runCli({QStringLiteral("--config"), config, QStringLiteral("--shares"),
                     QStringLiteral("vm2")})
                 .out.count(id),
             0);

    // The server opens it; revoked from the command line, its open session ends within a second
    // or two (the server sees the list change), and the link is refused.
    const QByteArray cookie = openLink(port, QStringLiteral("share/") + token);
    QVERIFY(!cookie.isEmpty());
    TestClient visitor(server.request(QStringLiteral("/c/vm1/ws"), {}, cookie));
    QTRY_VERIFY(visitor.hello.has_value());
    const ProcessResult revoked
        = runCli({QStringLiteral("--config"), config, QStringLiteral("--revoke"), id});
    QVERIFY2(revoked.code == 0, qPrintable(revoked.err));
    QVERIFY(revoked.out.contains(id));
    QTRY_VERIFY_WITH_TIMEOUT(visitor.closed, 3000);
    QCOMPARE(int(visitor.closeCode), int(QWebSocketProtocol::CloseCodePolicyViolated));
    QVERIFY2(visitor.socket.closeReason().contains(QLatin1String("revoked")),
             qPrintable(visitor.socket.closeReason()));
    const Answer page = http(port, "GET", "/c/vm1/", {"Cookie: " + cookie});
    QCOMPARE(page.status, 410);
    QVERIFY(page.body().contains("was revoked"));
    QVERIFY2(page.header("Set-Cookie").startsWith("cc_share=;"), page.raw.constData());
    const Answer again = http(port, "GET", "/share/" + token.toLatin1());
    QCOMPARE(again.status, 410);
    QVERIFY(again.body().contains("This link was revoked"));
    QVERIFY(runCli({QStringLiteral("--config"), config, QStringLiteral("--shares")})
                .out.contains(QLatin1String("revoked")));

    // An unknown id is an error, not a silent success.
    const ProcessResult unknown = runCli(
        {QStringLiteral("--config"), config, QStringLiteral("--revoke"), QStringLiteral("abc")});
    QCOMPARE(unknown.code, 1);
    QVERIFY2(unknown.err.contains(QLatin1String("no share link with id \"abc\"")),
             qPrintable(unknown.err));
}

void tst_ShareLinks::theCommandLineRefusesAnUnknownConsoleAndABadLifetime_data()
{
    QTest::addColumn<QStringList>("arguments");
    QTest::addColumn<QString>("error");
    QTest::newRow("unknown console")
        << QStringList {QStringLiteral("--share"), QStringLiteral("vm9")}
        << QStringLiteral("has no console named \"vm9\" (its "
                          "consoles: vm1)");
    QTest::newRow("over a day") << QStringList {QStringLiteral("--share"), QStringLiteral("vm1"),
                                                QStringLiteral("--ttl"), QStringLiteral("25h")}
                                << QStringLiteral(
                                       "--ttl: a link works for 1 second to 24 hours, not 25h");
    QTest::newRow("zero") << QStringList {QStringLiteral("--share"), QStringLiteral("vm1"),
                                          QStringLiteral("--ttl"), QStringLiteral("0")}
                          << QStringLiteral("--ttl: a link works for 1 second to 24 hours, not 0");
    QTest::newRow("not a duration")
        << QStringList {QStringLiteral("--share"), QStringLiteral("vm1"), QStringLiteral("--ttl"),
                        QStringLiteral("soon")}
        << QStringLiteral("--ttl: \"soon\" is not a duration");
    QTest::newRow("ttl alone") << QStringList {QStringLiteral("--ttl"), QStringLiteral("1h")}
                               << QStringLiteral("--ttl and --single-use go with --share");
    QTest::newRow("two actions") << QStringList {QStringLiteral("--share"), QStringLiteral("vm1"),
                                                 QStringLiteral("--shares")}
                                 << QStringLiteral("give one of --share, --shares and --revoke");
}

void tst_ShareLinks::theCommandLineRefusesAnUnknownConsoleAndABadLifetime()
{
    QFETCH(QStringList, arguments);
    QFETCH(QString, error);
    const QString config = m_state->path() + QStringLiteral("/cloud-console.conf");
    QFile file(config);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write(QStringLiteral("[server]\nstate-dir = %1\n\n[console vm1]\nsource = exec:true\n")
                   .arg(settings().access.stateDir)
                   .toUtf8());
    file.close();
    const ProcessResult result
        = runCli(QStringList {QStringLiteral("--config"), config} + arguments);
    QCOMPARE(result.code, 2);
    QVERIFY2(result.err.contains(error), qPrintable(result.err));
    QVERIFY(result.out.isEmpty());
    // Nothing was made.
    QVERIFY(!QFile::exists(settings().access.stateDir + QStringLiteral("/shares.json")));
    // Without --config, --share cannot know the consoles.
    const ProcessResult alone = runCli({QStringLiteral("--share"), QStringLiteral("vm1")});
    QCOMPARE(alone.code, 2);
    QVERIFY2(alone.err.contains(QLatin1String("--share needs --config FILE")),
             qPrintable(alone.err));
}

void tst_ShareLinks::aLinkExpiresAndItsOpenSessionEndsWithIt()
{
    TestPty vm1;
    TestPty vm2;
    TestServer server(twoConsoles(vm1, vm2), settings());
    QVERIFY(server.listening);
    const quint16 port = server.port();
    const QJsonObject link = makeLink(port, QStringLiteral("vm1"), 2);
    const QString path = link.value(QLatin1String("path")).toString();
    const QByteArray cookie = openLink(port, path);
    QVERIFY(!cookie.isEmpty());
    TestClient visitor(server.request(QStringLiteral("/c/vm1/ws"), {}, cookie));
    QTRY_VERIFY(visitor.hello.has_value());

    // At its expiry (within the second the sweep takes), the session ends; the page and the link
    // say so.
    QTRY_VERIFY_WITH_TIMEOUT(visitor.closed, 5000);
    QCOMPARE(int(visitor.closeCode), int(QWebSocketProtocol::CloseCodePolicyViolated));
    QVERIFY2(visitor.socket.closeReason().contains(QLatin1String("expired")),
             qPrintable(visitor.socket.closeReason()));
    const Answer page = http(port, "GET", "/c/vm1/", {"Cookie: " + cookie});
    QCOMPARE(page.status, 410);
    QVERIFY(page.body().contains("expired"));
    const Answer landing = http(port, "GET", '/' + path.toLatin1());
    QCOMPARE(landing.status, 410);
    QVERIFY(landing.body().contains("This link has expired"));
    const Answer opened = http(port, "POST", '/' + path.toLatin1(), {SameOrigin});
    QCOMPARE(opened.status, 410);
    QVERIFY(opened.header("Set-Cookie").isEmpty());
    TestClient late(server.request(QStringLiteral("/c/vm1/ws"), {}, cookie));
    QTRY_VERIFY(late.closed);
    QVERIFY(!late.connected);
}

void tst_ShareLinks::aLinkRevokedOverHttpEndsItsOpenSessionAtOnce()
{
    TestPty vm1;
    TestPty vm2;
    TestServer server(twoConsoles(vm1, vm2), settings());
    QVERIFY(server.listening);
    const quint16 port = server.port();
    const QJsonObject link = makeLink(port, QStringLiteral("vm1"));
    const QString id = link.value(QLatin1String("id")).toString();
    const QString path = link.value(QLatin1String("path")).toString();
    const QByteArray cookie = openLink(port, path);
    TestClient visitor(server.request(QStringLiteral("/c/vm1/ws"), {}, cookie));
    QTRY_VERIFY(visitor.hello.has_value());

    // From another console's operator: not theirs to revoke.
    const Answer wrongConsole = http(port, "DELETE", "/c/vm2/shares/" + id.toLatin1(),
                                     {"Authorization: Bearer " + m_operatorToken.toLatin1()});
    QCOMPARE(wrongConsole.status, 404);
    QTest::qWait(200);
    QVERIFY(!visitor.closed);

    const Answer revoked = http(port, "DELETE", "/c/vm1/shares/" + id.toLatin1(),
                                {"Authorization: Bearer " + m_operatorToken.toLatin1()});
    QCOMPARE(revoked.status, 200);
    QCOMPARE(revoked.json().value(QLatin1String("state")).toString(), QStringLiteral("revoked"));
    // At once, not at the next sweep.
    QTRY_VERIFY_WITH_TIMEOUT(visitor.closed, 500);
    QCOMPARE(int(visitor.closeCode), int(QWebSocketProtocol::CloseCodePolicyViolated));
    QCOMPARE(http(port, "GET", "/c/vm1/", {"Cookie: " + cookie}).status, 410);
    QCOMPARE(http(port, "GET", "/c/vm1/screen", {"Cookie: " + cookie}).status, 401);
    QCOMPARE(http(port, "GET", '/' + path.toLatin1()).status, 410);
    TestClient late(server.request(QStringLiteral("/c/vm1/ws"), {}, cookie));
    QTRY_VERIFY(late.closed);
    QVERIFY(!late.connected);
    QCOMPARE(server.clients(), 0);
    QVERIFY(std::any_of(logLines().begin(), logLines().end(), [&id](const QString &line) {
        return line.contains(
            QStringLiteral("share link %1 for console vm1 revoked by ops").arg(id));
    }));
}

void tst_ShareLinks::aSingleUseLinkOpensOnceAndLookingAtItUsesNothing()
{
    TestPty vm1;
    TestPty vm2;
    TestServer server(twoConsoles(vm1, vm2), settings());
    QVERIFY(server.listening);
    const quint16 port = server.port();
    const QString path
        = makeLink(port, QStringLiteral("vm1"), 3600, true).value(QLatin1String("path")).toString();
    // A chat's preview fetches the link: that uses nothing up.
    for (int i = 0; i < 3; ++i)
        QCOMPARE(http(port, "GET", '/' + path.toLatin1()).status, 200);
    const QByteArray cookie = openLink(port, path);
    QVERIFY(!cookie.isEmpty());

    // The second browser gets the "used" page, and no session.
    const Answer second = http(port, "POST", '/' + path.toLatin1(), {SameOrigin});
    QCOMPARE(second.status, 410);
    QVERIFY(second.body().contains("This link was already used"));
    QVERIFY(second.header("Set-Cookie").isEmpty());
    QCOMPARE(http(port, "GET", '/' + path.toLatin1()).status, 410);
    // The first one's session goes on.
    QCOMPARE(http(port, "GET", "/c/vm1/", {"Cookie: " + cookie}).status, 200);
    TestClient visitor(server.request(QStringLiteral("/c/vm1/ws"), {}, cookie));
    QTRY_VERIFY(visitor.hello.has_value());
    QVERIFY(!visitor.hello->writable);
}

void tst_ShareLinks::aTamperedLinkNeverOpens_data()
{
    QTest::addColumn<QString>("how");
    QTest::newRow("a byte of the signature") << QStringLiteral("signature");
    QTest::newRow("the console's name") << QStringLiteral("console");
    QTest::newRow("the expiry") << QStringLiteral("expiry");
    QTest::newRow("the single-use flag") << QStringLiteral("flags");
    QTest::newRow("cut short") << QStringLiteral("cut");
    QTest::newRow("no signature") << QStringLiteral("unsigned");
    QTest::newRow("another server's key") << QStringLiteral("other key");
    QTest::newRow("garbage") << QStringLiteral("garbage");
}

void tst_ShareLinks::aTamperedLinkNeverOpens()
{
    QFETCH(QString, how);
    TestPty vm1;
    TestPty vm2;
    TestServer server(twoConsoles(vm1, vm2), settings());
    QVERIFY(server.listening);
    const quint16 port = server.port();
    const QString token = makeLink(port, QStringLiteral("vm1"), 3600, true)
                              .value(QLatin1String("path"))
                              .toString()
                              .mid(6);
    const auto encoding = QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals;
    QByteArray payload = QByteArray::fromBase64(token.section(u'.', 0, 0).toLatin1(), encoding);
    QByteArray signature = QByteArray::fromBase64(token.section(u'.', 1).toLatin1(), encoding);
    QCOMPARE(payload.right(3), QByteArray("vm1"));
    QByteArray tampered;
    if (how == QLatin1String("signature")) {
        signature[7] = char(signature[7] ^ 0x01);
    } else if (how == QLatin1String("console")) {
        payload[payload.size() - 1] = '2'; // vm1 -> vm2
    } else if (how == QLatin1String("expiry")) {
        payload[1 + 6 + 6] = char(payload[1 + 6 + 6] + 1); // 256 seconds later
    } else if (how == QLatin1String("flags")) {
        payload[1 + 6 + 8] = 0; // single-use no more
    } else if (how == QLatin1String("cut")) {
        signature.chop(1);
    } else if (how == QLatin1String("unsigned")) {
        tampered = payload.toBase64(encoding);
    } else if (how == QLatin1String("other key")) {
        // A link for the same console from a server with a key of its own.
        QTemporaryDir other;
        ShareLinks links(other.path());
        QString error;
        const auto issued = links.create(QStringLiteral("vm1"), std::chrono::hours(1), false,
                                         QStringLiteral("x"), &error);
        QVERIFY2(issued, qPrintable(error));
        tampered = issued->token.toLatin1();
    } else {
        tampered = "not-a-link-at-all";
    }
    if (tampered.isEmpty())
        tampered = payload.toBase64(encoding) + '.' + signature.toBase64(encoding);
    remember(tampered);

    for (const QByteArray method : {"GET", "POST"}) {
        const Answer answer = http(port, method, "/share/" + tampered, {SameOrigin});
        QCOMPARE(answer.status, 403);
        QVERIFY2(answer.body().contains("This link is not valid"), answer.raw.constData());
        QVERIFY(answer.header("Set-Cookie").isEmpty());
    }
    // The real one still opens (once: the tampered flag did not use it up).
    QVERIFY(!openLink(port, QStringLiteral("share/") + token).isEmpty());
    QVERIFY(std::any_of(logLines().begin(), logLines().end(), [](const QString &line) {
        return line.contains(
            QLatin1String("share link refused from 127.0.0.1: invalid, a link this "
                          "server did not sign"));
    }));
}

void tst_ShareLinks::aTamperedSessionCookieIsRefused()
{
    TestPty vm1;
    TestPty vm2;
    TestServer server(twoConsoles(vm1, vm2), settings());
    QVERIFY(server.listening);
    const quint16 port = server.port();
    const QByteArray cookie = openLink(
        port, makeLink(port, QStringLiteral("vm1")).value(QLatin1String("path")).toString());
    QVERIFY(cookie.startsWith("cc_share="));
    // Another link's id with this one's signature, and this one's with a byte flipped.
    const QByteArray value = cookie.mid(9);
    QByteArray otherId = value;
    otherId[0] = otherId[0] == 'a' ? 'b' : 'a';
    QByteArray flipped = value;
    flipped[flipped.size() - 2] = flipped[flipped.size() - 2] == 'A' ? 'B' : 'A';
    for (const QByteArray &bad : {otherId, flipped}) {
        const QByteArray header = "Cookie: cc_share=" + bad;
        const Answer page = http(port, "GET", "/c/vm1/", {header});
        QCOMPARE(page.status, 403);
        QVERIFY(page.body().contains("This shared view has ended"));
        QCOMPARE(http(port, "GET", "/c/vm1/screen", {header}).status, 401);
        TestClient refused(server.request(QStringLiteral("/c/vm1/ws"), {}, "cc_share=" + bad));
        QTRY_VERIFY(refused.closed);
        QVERIFY(!refused.connected);
    }
    QCOMPARE(server.clients(), 0);
}

void tst_ShareLinks::aTokenHasOneSpellingOnly()
{
    // Base64's last character carries bits beyond the bytes; a decoder that ignores them would
    // take other spellings of the same token (found by fuzz_sharetoken).
    ShareLinks links(m_state->path() + QStringLiteral("/state"));
    QString error;
    const auto issued = links.create(QStringLiteral("vm1"), std::chrono::hours(1), false,
                                     QStringLiteral("test"), &error);
    QVERIFY2(issued, qPrintable(error));
    remember(issued->token.toLatin1());
    const QString session = links.sessionValue(issued->link);
    remember(session.toLatin1());
    const QString alphabet
        = QStringLiteral("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_");
    for (const QString &text : {issued->token, session}) {
        for (const qsizetype at : {text.indexOf(u'.') - 1, text.size() - 1}) {
            for (const QChar c : alphabet) {
                QString spelling = text;
                spelling[at] = c;
                const bool same = spelling == text;
                QVERIFY2((links.check(spelling).verdict != ShareLinks::Verdict::Invalid) == same
                             || text == session,
                         qPrintable(spelling));
                QVERIFY2((links.session(spelling).verdict != ShareLinks::Verdict::Invalid) == same
                             || text != session,
                         qPrintable(spelling));
            }
        }
    }
}

void tst_ShareLinks::onlyAnOperatorOfTheConsoleMakesListsAndRevokesItsLinks()
{
    TestPty vm1;
    TestPty vm2;
    TestServer server(twoConsoles(vm1, vm2), settings());
    QVERIFY(server.listening);
    const quint16 port = server.port();
    const QByteArray viewer = "Authorization: Bearer " + m_viewerToken.toLatin1();
    QCOMPARE(http(port, "POST", "/c/vm1/shares", {viewer}, "{}").status, 403);
    QCOMPARE(http(port, "GET", "/c/vm1/shares", {viewer}).status, 403);
    QCOMPARE(http(port, "POST", "/c/vm1/shares", {}, "{}").status, 401);
    QCOMPARE(http(port, "GET", "/c/vm1/shares").status, 401);
    QCOMPARE(http(port, "POST", "/c/vm9/shares",
                  {"Authorization: Bearer " + m_operatorToken.toLatin1()}, "{}")
                 .status,
             404);
    QVERIFY(!QFile::exists(settings().access.stateDir + QStringLiteral("/shares.json")));
    // The defaults: an hour, not single-use; listed for the console's operators.
    const Answer made = http(port, "POST", "/c/vm1/shares",
                             {"Authorization: Bearer " + m_operatorToken.toLatin1()});
    QCOMPARE(made.status, 201);
    remember(made.json().value(QLatin1String("path")).toString().mid(6).toLatin1());
    QCOMPARE(made.json().value(QLatin1String("singleUse")).toBool(true), false);
    const QDateTime expires = QDateTime::fromString(
        made.json().value(QLatin1String("expires")).toString(), Qt::ISODate);
    QVERIFY(qAbs(QDateTime::currentDateTimeUtc().secsTo(expires) - 3600) <= 2);
    const Answer listed = http(port, "GET", "/c/vm1/shares",
                               {"Authorization: Bearer " + m_operatorToken.toLatin1()});
    const QJsonArray links = listed.json().value(QLatin1String("links")).toArray();
    QCOMPARE(links.size(), 1);
    QCOMPARE(links.at(0).toObject().value(QLatin1String("state")).toString(),
             QStringLiteral("live"));
    // The list holds no token, in the API and in the file.
    QVERIFY(!listed.body().contains("share/"));
    QFile file(settings().access.stateDir + QStringLiteral("/shares.json"));
    QVERIFY(file.open(QIODevice::ReadOnly));
    const QByteArray stored = file.readAll();
    QVERIFY(stored.contains(made.json().value(QLatin1String("id")).toString().toLatin1()));
    QVERIFY(
        !stored.contains(made.json().value(QLatin1String("path")).toString().mid(6).toLatin1()));
}

void tst_ShareLinks::theHttpApiRefusesBadSettingsAndOtherSites_data()
{
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<QByteArray>("site");
    QTest::addColumn<int>("status");
    QTest::newRow("over a day") << QByteArray("{\"ttl\":86401}") << SameOrigin << 400;
    QTest::newRow("zero") << QByteArray("{\"ttl\":0}") << SameOrigin << 400;
    QTest::newRow("a fraction") << QByteArray("{\"ttl\":1.5}") << SameOrigin << 400;
    QTest::newRow("text") << QByteArray("{\"ttl\":\"1h\"}") << SameOrigin << 400;
    QTest::newRow("single-use as text")
        << QByteArray("{\"singleUse\":\"yes\"}") << SameOrigin << 400;
    QTest::newRow("not JSON") << QByteArray("ttl=60") << SameOrigin << 400;
    QTest::newRow("from another site")
        << QByteArray("{}") << QByteArray("Sec-Fetch-Site: cross-site") << 403;
    QTest::newRow("a day exactly") << QByteArray("{\"ttl\":86400}") << SameOrigin << 201;
}

void tst_ShareLinks::theHttpApiRefusesBadSettingsAndOtherSites()
{
    QFETCH(QByteArray, body);
    QFETCH(QByteArray, site);
    QFETCH(int, status);
    TestPty vm1;
    TestPty vm2;
    // Without access control, where the browser's requests carry no credential at all: the
    // same-origin check is what keeps another site from making links.
    TestServer server(twoConsoles(vm1, vm2), settings(false));
    QVERIFY(server.listening);
    const Answer answer = http(server.port(), "POST", "/c/vm1/shares", {site}, body);
    QVERIFY2(answer.status == status, answer.raw.constData());
    remember(answer.json().value(QLatin1String("path")).toString().mid(6).toLatin1());
}

void tst_ShareLinks::withoutAccessControlALinkStillOpensAReadOnlyView()
{
    TestPty vm1;
    TestPty vm2;
    TestServer server(twoConsoles(vm1, vm2), settings(false));
    QVERIFY(server.listening);
    const quint16 port = server.port();
    const Answer made = http(port, "POST", "/c/vm1/shares", {SameOrigin}, "{\"ttl\":600}");
    QCOMPARE(made.status, 201);
    QCOMPARE(made.json().value(QLatin1String("createdBy")).toString(), QStringLiteral("anonymous"));
    const QString path = made.json().value(QLatin1String("path")).toString();
    remember(path.mid(6).toLatin1());
    const QByteArray cookie = openLink(port, path);
    QVERIFY(!cookie.isEmpty());
    // With the link's cookie, a viewer of vm1 alone; without it, anyone may type (there is no
    // access control to keep them from it).
    TestClient visitor(server.request(QStringLiteral("/c/vm1/ws"), {}, cookie));
    TestClient anyone(server.request(QStringLiteral("/c/vm1/ws")));
    QTRY_VERIFY(visitor.hello.has_value() && anyone.hello.has_value());
    QVERIFY(!visitor.hello->writable);
    QVERIFY(anyone.hello->writable);
    QCOMPARE(http(port, "GET", "/c/vm2/", {"Cookie: " + cookie}).status, 403);
    QCOMPARE(http(port, "POST", "/c/vm1/shares", {"Cookie: " + cookie, SameOrigin}, "{}").status,
             403);
    const QString id = made.json().value(QLatin1String("id")).toString();
    QCOMPARE(http(port, "DELETE", "/c/vm1/shares/" + id.toLatin1(), {SameOrigin}).status, 200);
    QTRY_VERIFY_WITH_TIMEOUT(visitor.closed, 500);
    QTest::qWait(100);
    QVERIFY(!anyone.closed);
}

void tst_ShareLinks::theStateDirectoryAndKeyArePrivateAndAnExposedKeyIsRefused()
{
    TestPty vm1;
    TestPty vm2;
    TestServer server(twoConsoles(vm1, vm2), settings());
    QVERIFY(server.listening);
    const quint16 port = server.port();
    const QString dir = settings().access.stateDir;
    QVERIFY(!QFile::exists(dir)); // made on first use, not before
    const QString path
        = makeLink(port, QStringLiteral("vm1")).value(QLatin1String("path")).toString();
    QCOMPARE(modeOf(dir), 0700);
    QCOMPARE(modeOf(dir + QStringLiteral("/share.key")), 0600);
    QCOMPARE(QFileInfo(dir + QStringLiteral("/share.key")).size(), 32);
    QCOMPARE(modeOf(dir + QStringLiteral("/shares.json")), 0600);

    // A key others may read is refused, by the server and by the command line, with the reason.
    QVERIFY(::chmod(QFile::encodeName(dir + QStringLiteral("/share.key")).constData(), 0644) == 0);
    const Answer made = http(port, "POST", "/c/vm1/shares",
                             {"Authorization: Bearer " + m_operatorToken.toLatin1()}, "{}");
    QCOMPARE(made.status, 500);
    QVERIFY2(made.body().contains("group or others may read it (mode 0644); chmod 600"),
             made.raw.constData());
    const Answer opened = http(port, "GET", '/' + path.toLatin1());
    QCOMPARE(opened.status, 503);
    QVERIFY(opened.body().contains("Shared links are unavailable"));
    const ProcessResult cli
        = runCli({QStringLiteral("--state-dir"), dir, QStringLiteral("--shares")});
    QVERIFY2(cli.code == 0, qPrintable(cli.err)); // listing needs no key
    QFile config(m_state->path() + QStringLiteral("/c.conf"));
    QVERIFY(config.open(QIODevice::WriteOnly));
    config.write(QStringLiteral("[server]\nstate-dir = %1\n[console vm1]\nsource = exec:true\n")
                     .arg(dir)
                     .toUtf8());
    config.close();
    const ProcessResult share = runCli({QStringLiteral("--config"), config.fileName(),
                                        QStringLiteral("--share"), QStringLiteral("vm1")});
    QCOMPARE(share.code, 1);
    QVERIFY2(share.err.contains(QLatin1String("refusing the share key")), qPrintable(share.err));
    QVERIFY(share.out.isEmpty());

    // Made private again, everything works again.
    QVERIFY(::chmod(QFile::encodeName(dir + QStringLiteral("/share.key")).constData(), 0600) == 0);
    QCOMPARE(http(port, "GET", '/' + path.toLatin1()).status, 200);
    // A state directory others may write to is refused too.
    QVERIFY(::chmod(QFile::encodeName(dir).constData(), 0777) == 0);
    const Answer exposed = http(port, "POST", "/c/vm1/shares",
                                {"Authorization: Bearer " + m_operatorToken.toLatin1()}, "{}");
    QCOMPARE(exposed.status, 500);
    QVERIFY2(exposed.body().contains("may be written by group or others"), exposed.raw.constData());
    QVERIFY(::chmod(QFile::encodeName(dir).constData(), 0700) == 0);
}

void tst_ShareLinks::processesMakingTheKeyAtOnceAgreeOnIt()
{
    TestPty vm1;
    TestPty vm2;
    TestServer server(twoConsoles(vm1, vm2), settings());
    QVERIFY(server.listening);
    const quint16 port = server.port();
    QFile config(m_state->path() + QStringLiteral("/c.conf"));
    QVERIFY(config.open(QIODevice::WriteOnly));
    config.write(QStringLiteral("[server]\nlisten = 127.0.0.1:%1\nstate-dir = %2\n"
                                "[console vm1]\nsource = exec:true\n")
                     .arg(port)
                     .arg(settings().access.stateDir)
                     .toUtf8());
    config.close();
    // Four at once, into a state directory that is not there yet: one key, four links listed.
    std::vector<std::unique_ptr<QProcess>> processes;
    for (int i = 0; i < 4; ++i) {
        processes.push_back(std::make_unique<QProcess>());
        processes.back()->start(Binary,
                                {QStringLiteral("--config"), config.fileName(),
                                 QStringLiteral("--share"), QStringLiteral("vm1")});
    }
    QStringList tokens;
    for (const auto &process : processes) {
        QVERIFY(process->waitForFinished(10000));
        QVERIFY2(process->exitCode() == 0, process->readAllStandardError().constData());
        tokens.append(QString::fromLatin1(process->readAllStandardOutput())
                          .trimmed()
                          .section(QStringLiteral("/share/"), 1));
        remember(tokens.constLast().toLatin1());
    }
    for (const QString &token : std::as_const(tokens))
        QVERIFY2(http(port, "GET", "/share/" + token.toLatin1()).status == 200, qPrintable(token));
    const Answer listed = http(port, "GET", "/c/vm1/shares",
                               {"Authorization: Bearer " + m_operatorToken.toLatin1()});
    QCOMPARE(listed.json().value(QLatin1String("links")).toArray().size(), 4);
}

void tst_ShareLinks::metricsCountLinkUsesByResult()
{
    TestPty vm1;
    TestPty vm2;
    TestServer server(twoConsoles(vm1, vm2), settings());
    QVERIFY(server.listening);
    const quint16 port = server.port();
    const QString path
        = makeLink(port, QStringLiteral("vm1"), 3600, true).value(QLatin1String("path")).toString();
    const QByteArray cookie = openLink(port, path);
    QCOMPARE(http(port, "POST", '/' + path.toLatin1(), {SameOrigin}).status, 410);
    QCOMPARE(http(port, "GET", "/share/x.y").status, 403);
    QCOMPARE(http(port, "GET", "/c/vm2/", {"Cookie: " + cookie}).status, 403);
    const Answer metrics
        = http(port, "GET", "/metrics", {"Authorization: Bearer " + m_operatorToken.toLatin1()});
    QCOMPARE(metrics.status, 200);
    for (const QByteArray line : {"cloud_console_share_link_uses_total{result=\"opened\"} 1",
                                  "cloud_console_share_link_uses_total{result=\"used\"} 1",
                                  "cloud_console_share_link_uses_total{result=\"invalid\"} 1",
                                  "cloud_console_share_link_uses_total{result=\"wrong-console\"} 1",
                                  "cloud_console_share_link_uses_total{result=\"expired\"} 0"})
        QVERIFY2(metrics.body().contains(line + '\n'), line.constData());
}

QTEST_GUILESS_MAIN(tst_ShareLinks)
#include "tst_sharelinks.moc"
