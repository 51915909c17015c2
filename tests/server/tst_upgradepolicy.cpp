// The upgrade policy on its own, without sockets: request heads as a browser or a script sends
// them, against a server with two consoles (one of them full), with and without access control.
// One row per way an upgrade is refused, each with its status and sentence, and the accepted
// ones with what they carry on to the handshake.

#include "requesthead.h"
#include "secrethash.h"
#include "upgradepolicy.h"

#include <QTest>

using namespace CloudConsole;

namespace {

const QString OperatorToken = QStringLiteral("operator-token");
const QString ViewerToken = QStringLiteral("viewer-token");

// A well-formed upgrade to target; replace swaps one piece of it for another.
QByteArray upgradeHead(const QByteArray &target = "/ws", const QByteArray &extra = {},
                       std::pair<QByteArray, QByteArray> replace = {})
{
    QByteArray head = "GET " + target
        + " HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
          "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
        + extra + "\r\n";
    if (!replace.first.isEmpty())
        head.replace(replace.first, replace.second);
    return head;
}

RequestHead parse(const QByteArray &bytes)
{
    RequestHeadReader reader;
    const auto status = reader.feed(bytes);
    if (status != RequestHeadReader::Status::Complete)
        qFatal("a test head does not parse: %s", qPrintable(reader.error()));
    return reader.head();
}

AccessSettings accessSettings()
{
    AccessSettings access;
    access.credentials.push_back({Credential::Kind::Token,
                                  QStringLiteral("ops"),
                                  SecretHash::hashToken(OperatorToken),
                                  Role::Operator,
                                  {}});
    access.credentials.push_back({Credential::Kind::Token,
                                  QStringLiteral("watcher"),
                                  SecretHash::hashToken(ViewerToken),
                                  Role::Viewer,
                                  {QStringLiteral("vm1")}});
    return access;
}

// vm1 (the default, with room) and full (at its limit).
UpgradeContext context(Authenticator *auth)
{
    UpgradeContext context;
    context.auth = auth;
    context.maxClients = 10;
    context.clients = 2;
    context.findConsole = [](const QString &name) -> std::optional<UpgradeConsole> {
        if (name.isNull() || name == QLatin1String("vm1"))
            return UpgradeConsole {{}, QStringLiteral("vm1"), QStringLiteral("epoch-1"), 0, 2};
        if (name == QLatin1String("full"))
            return UpgradeConsole {{}, QStringLiteral("full"), QStringLiteral("epoch-2"), 2, 2};
        return std::nullopt;
    };
    return context;
}

QByteArray bearer(const QString &token)
{
    return "Authorization: Bearer " + token.toLatin1() + "\r\n";
}

} // namespace

class tst_UpgradePolicy : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void refusals_data();
    void refusals();
    void aServerAtItsLimitRefusesWith503();
    void oneAddressAtItsLimitGets429_data();
    void oneAddressAtItsLimitGets429();
    void aGoodUpgradeGoesToItsConsole_data();
    void aGoodUpgradeGoesToItsConsole();
    void aGoodUpgradeCarriesItsCredentialAndRole();
};

void tst_UpgradePolicy::refusals_data()
{
    QTest::addColumn<QByteArray>("head");
    QTest::addColumn<bool>("accessControl");
    QTest::addColumn<int>("status");
    QTest::addColumn<QString>("reason");
    QTest::addColumn<QByteArray>("extraHeaders");

    QTest::newRow("405: not a GET") << upgradeHead("/ws", {}, {"GET ", "POST "}) << false << 405
                                    << "a WebSocket upgrade must be a GET" << QByteArray();
    QTest::newRow("400: HTTP/1.0") << upgradeHead("/ws", {}, {"HTTP/1.1", "HTTP/1.0"}) << false
                                   << 400 << "a WebSocket upgrade needs HTTP/1.1" << QByteArray();
    QTest::newRow("400: a key that is not 16 bytes")
        << upgradeHead("/ws", {}, {"dGhlIHNhbXBsZSBub25jZQ==", "c2hvcnQ="}) << false << 400
        << "missing or malformed Sec-WebSocket-Key" << QByteArray();
    QTest::newRow("426: WebSocket version 8")
        << upgradeHead("/ws", {}, {"Version: 13", "Version: 8"}) << false << 426
        << "unsupported WebSocket version; this server speaks 13"
        << QByteArray("Sec-WebSocket-Version: 13\r\n");
    QTest::newRow("401: no credential with access control")
        << upgradeHead("/c/vm1/ws") << true << 401 << QString()
        << QByteArray("WWW-Authenticate: Bearer realm=\"cloud-console\"\r\n");
    QTest::newRow("401: a wrong token")
        << upgradeHead("/c/vm1/ws", bearer(QStringLiteral("guess"))) << true << 401 << QString()
        << QByteArray("WWW-Authenticate: Bearer realm=\"cloud-console\"\r\n");
    QTest::newRow("403: a page from another origin")
        << upgradeHead("/ws", "Origin: http://evil.example\r\n") << false << 403
        << "a page from http://evil.example may not open consoles here (see allowed-origins)"
        << QByteArray();
    QTest::newRow("404: no endpoint at the path")
        << upgradeHead("/c/vm1/other") << false << 404 << "no WebSocket endpoint at /c/vm1/other"
        << QByteArray();
    QTest::newRow("404: no such console")
        << upgradeHead("/c/nope/ws") << false << 404 << "no console named \"nope\"" << QByteArray();
    QTest::newRow("404 after the credential: no such console")
        << upgradeHead("/c/nope/ws", bearer(OperatorToken)) << true << 404
        << "no console named \"nope\"" << QByteArray();
    QTest::newRow("400: an offset that is not a number")
        << upgradeHead("/ws?offset=-1") << false << 400
        << "offset must be a whole number from 0 to 2^53-1" << QByteArray();
    QTest::newRow("400: an offset past 2^53-1")
        << upgradeHead("/ws?offset=9007199254740992") << false << 400
        << "offset must be a whole number from 0 to 2^53-1" << QByteArray();
    QTest::newRow("403: a credential without the console")
        << upgradeHead("/c/full/ws", bearer(ViewerToken)) << true << 403
        << "watcher may not use console \"full\"" << QByteArray();
    QTest::newRow("400: an unknown subprotocol")
        << upgradeHead("/ws", "Sec-WebSocket-Protocol: chat\r\n") << false << 400
        << "unsupported WebSocket subprotocol; this server speaks cloud-console.v1 (or none, "
           "for raw mode)"
        << QByteArray();
    QTest::newRow("503: a console at its limit")
        << upgradeHead("/c/full/ws") << false << 503
        << "console \"full\" already has 2 clients, its limit" << QByteArray();
}

void tst_UpgradePolicy::refusals()
{
    QFETCH(QByteArray, head);
    QFETCH(bool, accessControl);
    QFETCH(int, status);
    QFETCH(QString, reason);
    QFETCH(QByteArray, extraHeaders);

    Authenticator auth(accessControl ? accessSettings() : AccessSettings {});
    const UpgradeDecision decision = decideUpgrade(parse(head), context(&auth));
    QVERIFY2(!decision.accepted(), head.constData());
    QCOMPARE(decision.refusal->status, status);
    if (reason.isEmpty()) // the authenticator's own sentence
        QVERIFY2(!decision.refusal->reason.isEmpty(), "a refusal says why");
    else
        QCOMPARE(decision.refusal->reason, reason);
    QCOMPARE(decision.refusal->extraHeaders, extraHeaders);
}

void tst_UpgradePolicy::aServerAtItsLimitRefusesWith503()
{
    UpgradeContext full = context(nullptr);
    full.clients = full.maxClients; // handshakes in flight included
    const UpgradeDecision decision = decideUpgrade(parse(upgradeHead()), full);
    QVERIFY(!decision.accepted());
    QCOMPARE(decision.refusal->status, 503);
    QCOMPARE(decision.refusal->reason,
             QStringLiteral("this server already has 10 clients, its limit"));
}

void tst_UpgradePolicy::oneAddressAtItsLimitGets429_data()
{
    QTest::addColumn<QString>("address");
    QTest::addColumn<int>("clients");
    QTest::addColumn<int>("status"); // 0: accepted
    QTest::newRow("below the limit") << QStringLiteral("192.0.2.7") << 2 << 0;
    QTest::newRow("at the limit") << QStringLiteral("192.0.2.7") << 3 << 429;
    QTest::newRow("IPv6 at the limit") << QStringLiteral("2001:db8::7") << 3 << 429;
    // A reverse proxy on the same host brings every user from one loopback address.
    QTest::newRow("loopback past the limit") << QStringLiteral("127.0.0.1") << 50 << 0;
    QTest::newRow("IPv6 loopback past the limit") << QStringLiteral("::1") << 50 << 0;
    QTest::newRow("IPv4-mapped loopback") << QStringLiteral("::ffff:127.0.0.1") << 50 << 0;
}

void tst_UpgradePolicy::oneAddressAtItsLimitGets429()
{
    QFETCH(QString, address);
    QFETCH(int, clients);
    QFETCH(int, status);
    UpgradeContext limited = context(nullptr);
    limited.peer = QHostAddress(address);
    limited.peerClients = clients; // handshakes in flight included
    limited.maxClientsPerAddress = 3;
    const UpgradeDecision decision = decideUpgrade(parse(upgradeHead()), limited);
    if (status == 0) {
        QVERIFY2(decision.accepted(),
                 qPrintable(decision.refusal ? decision.refusal->reason : QString()));
        return;
    }
    QVERIFY(!decision.accepted());
    QCOMPARE(decision.refusal->status, status);
    QCOMPARE(decision.refusal->reason,
             address
                 + QStringLiteral(" already has 3 clients on this server, the limit for one "
                                  "address"));
}

void tst_UpgradePolicy::aGoodUpgradeGoesToItsConsole_data()
{
    QTest::addColumn<QByteArray>("head");
    QTest::addColumn<QString>("console");
    QTest::addColumn<qint64>("resumeFrom"); // -1: from the start

    QTest::newRow("/ws is the default console") << upgradeHead() << "vm1" << qint64(-1);
    QTest::newRow("a named console") << upgradeHead("/c/vm1/ws") << "vm1" << qint64(-1);
    QTest::newRow("the server's own origin")
        << upgradeHead("/ws", "Origin: http://127.0.0.1:8080\r\n") << "vm1" << qint64(-1);
    QTest::newRow("the v1 subprotocol among others")
        << upgradeHead("/ws", "Sec-WebSocket-Protocol: chat, cloud-console.v1\r\n") << "vm1"
        << qint64(-1);
    QTest::newRow("an offset without an epoch")
        << upgradeHead("/ws?offset=42") << "vm1" << qint64(42);
    QTest::newRow("an offset of this epoch")
        << upgradeHead("/c/vm1/ws?offset=7&epoch=epoch-1") << "vm1" << qint64(7);
    QTest::newRow("an offset of another epoch is ignored")
        << upgradeHead("/c/vm1/ws?offset=7&epoch=epoch-0") << "vm1" << qint64(-1);
}

void tst_UpgradePolicy::aGoodUpgradeGoesToItsConsole()
{
    QFETCH(QByteArray, head);
    QFETCH(QString, console);
    QFETCH(qint64, resumeFrom);

    const UpgradeDecision decision = decideUpgrade(parse(head), context(nullptr));
    QVERIFY2(decision.accepted(),
             qPrintable(decision.refusal ? decision.refusal->reason : QString()));
    QCOMPARE(decision.consoleName, console);
    QCOMPARE(decision.resumeFrom.value_or(-1), resumeFrom);
    QVERIFY2(decision.writable, "without access control anyone may type");
}

void tst_UpgradePolicy::aGoodUpgradeCarriesItsCredentialAndRole()
{
    Authenticator auth(accessSettings());
    const QByteArray cookie = "Cookie: theme=dark\r\n";
    const UpgradeDecision operatorDecision = decideUpgrade(
        parse(upgradeHead("/c/vm1/ws", bearer(OperatorToken) + cookie)), context(&auth));
    QVERIFY(operatorDecision.accepted());
    QVERIFY(operatorDecision.writable);
    QCOMPARE(operatorDecision.authorization, "Bearer " + OperatorToken.toLatin1());
    QCOMPARE(operatorDecision.cookie, QByteArray("theme=dark"));

    const UpgradeDecision viewerDecision
        = decideUpgrade(parse(upgradeHead("/c/vm1/ws", bearer(ViewerToken))), context(&auth));
    QVERIFY(viewerDecision.accepted());
    QVERIFY2(!viewerDecision.writable, "a viewer reads only");
}

QTEST_GUILESS_MAIN(tst_UpgradePolicy)
#include "tst_upgradepolicy.moc"
