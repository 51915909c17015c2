// ProxyTrust on its own: which peers are trusted proxies (addresses, networks, IPv4 clients of a
// dual-stack socket), what a user header from one of them and from anyone else is worth, and
// the settings' parsers with their refusals.

#include "proxytrust.h"

#include <QTest>

using namespace CloudConsole;

class tst_ProxyTrust : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void onlyATrustedPeersHeaderNamesAUser();
    void networksAndHeadersParseOrAreRefused_data();
    void networksAndHeadersParseOrAreRefused();
};

void tst_ProxyTrust::onlyATrustedPeersHeaderNamesAUser()
{
    ProxyTrustSettings settings;
    QVERIFY(
        parseTrustedProxies(QStringLiteral("127.0.0.1, 10.1.0.0/16, fd00::/8"), &settings.networks)
            .isEmpty());
    using Verdict = ProxyTrust::Verdict;
    const auto judge = [&](const char *peer, QByteArrayView value, bool present = true) {
        return ProxyTrust::judge(settings, QHostAddress(QLatin1String(peer)), value, present);
    };
    QCOMPARE(judge("127.0.0.1", "alice").verdict, Verdict::User);
    QCOMPARE(judge("127.0.0.1", "  alice@example.com ").user, QStringLiteral("alice@example.com"));
    QCOMPARE(judge("::ffff:10.1.2.3", "bob").verdict, Verdict::User); // dual-stack IPv4
    QCOMPARE(judge("fd12::1", "bob").verdict, Verdict::User);
    // No header: other credentials decide, from anywhere.
    QCOMPARE(judge("127.0.0.1", "", false).verdict, Verdict::NoHeader);
    QCOMPARE(judge("192.0.2.7", "", false).verdict, Verdict::NoHeader);
    // Anyone else's header is ignored, and says so.
    const ProxyTrust::Answer stranger = judge("10.2.0.1", "alice");
    QCOMPARE(stranger.verdict, Verdict::Untrusted);
    QVERIFY(stranger.user.isEmpty());
    QVERIFY2(stranger.reason.contains(QLatin1String("10.2.0.1")), qPrintable(stranger.reason));
    QCOMPARE(judge("127.0.0.2", "alice").verdict, Verdict::Untrusted);
    QCOMPARE(judge("::1", "alice").verdict, Verdict::Untrusted);
    // A trusted proxy's header that is not one user name is refused, not guessed at.
    for (const QByteArrayView bad : {QByteArrayView(""), QByteArrayView("alice, bob"),
                                     QByteArrayView("al\x01ice"), QByteArrayView("a b")})
        QCOMPARE(judge("127.0.0.1", bad).verdict, Verdict::Malformed);
    // Without trusted proxies, a header is nothing at all.
    QCOMPARE(ProxyTrust::judge({}, QHostAddress::LocalHost, "alice", true).verdict,
             Verdict::NoHeader);
}

void tst_ProxyTrust::networksAndHeadersParseOrAreRefused_data()
{
    QTest::addColumn<QString>("proxies");
    QTest::addColumn<QString>("header");
    QTest::addColumn<QString>("error");
    QTest::newRow("good") << "127.0.0.1, ::1, 10.0.0.0/8"
                          << "X-Remote-User"
                          << "";
    QTest::newRow("not an address") << "proxy.example"
                                    << "X-Remote-User"
                                    << "\"proxy.example\" is not an IP address or network (such as "
                                       "127.0.0.1, 10.0.0.0/8 or fd00::/8)";
    QTest::newRow("bad prefix") << "10.0.0.0/33"
                                << "X-Remote-User"
                                << "\"10.0.0.0/33\" is not an IP address or network (such as "
                                   "127.0.0.1, 10.0.0.0/8 or fd00::/8)";
    QTest::newRow("header with a space") << "127.0.0.1"
                                         << "X Remote"
                                         << "\"X Remote\" is not an HTTP header name";
    QTest::newRow("the server's own header")
        << "127.0.0.1"
        << "authorization"
        << "authorization carries the server's own credentials, not a proxy's user";
}

void tst_ProxyTrust::networksAndHeadersParseOrAreRefused()
{
    QFETCH(QString, proxies);
    QFETCH(QString, header);
    QFETCH(QString, error);
    ProxyTrustSettings settings;
    QString why = parseTrustedProxies(proxies, &settings.networks);
    if (why.isEmpty())
        why = parseUserHeader(header, &settings.userHeader);
    QCOMPARE(why, error);
    if (error.isEmpty()) {
        QCOMPARE(settings.networks.size(), size_t(3));
        QCOMPARE(trustedProxiesText(settings.networks),
                 QStringLiteral("127.0.0.1/32, ::1/128, 10.0.0.0/8"));
        QCOMPARE(settings.userHeader, QByteArray("X-Remote-User"));
    }
}

QTEST_MAIN(tst_ProxyTrust)
#include "tst_proxytrust.moc"
