// LoginThrottle on its own: each name's and each address's bucket, the server's, and what a
// refusal takes from which.

#include "loginthrottle.h"

#include <QTest>

using namespace CloudConsole;
using Verdict = LoginThrottle::Verdict;

namespace {
const QHostAddress Remote1(QStringLiteral("192.0.2.1"));
const QHostAddress Remote2(QStringLiteral("192.0.2.2"));
} // namespace

class tst_LoginThrottle : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void aNameGetsItsBurstThenWaits();
    void aFloodedNameCostsNoOtherNameAnything();
    void anAddressGetsItsBurstWhateverTheNames();
    void loopbackIsOneAddressForManyClients();
    void theServerBoundsEveryoneTogether();
    void namesAreCaseFoldedAndCut();
    void thousandsOfNamesAreRefusedNotRemembered();
};

void tst_LoginThrottle::aNameGetsItsBurstThenWaits()
{
    LoginThrottle throttle;
    const LoginLimits limits;
    for (int i = 0; i < int(limits.perUserBurst); ++i)
        QCOMPARE(throttle.allow(QHostAddress(QStringLiteral("192.0.2.%1").arg(10 + i)),
                                QStringLiteral("alice")),
                 Verdict::Allowed);
    QCOMPARE(throttle.allow(QHostAddress(QStringLiteral("192.0.2.99")), QStringLiteral("alice")),
             Verdict::UserBusy);
    QTest::qWait(int(1000 / limits.perUserPerSecond) + 50);
    QCOMPARE(throttle.allow(QHostAddress(QStringLiteral("192.0.2.99")), QStringLiteral("alice")),
             Verdict::Allowed);
}

void tst_LoginThrottle::aFloodedNameCostsNoOtherNameAnything()
{
    LoginThrottle throttle;
    int allowed = 0;
    for (int i = 0; i < 200; ++i) {
        const QHostAddress from(QStringLiteral("198.51.100.%1").arg(i % 250));
        allowed += throttle.allow(from, QStringLiteral("alice")) == Verdict::Allowed;
    }
    QCOMPARE(allowed, int(LoginLimits().perUserBurst));
    // Refused by alice's bucket, the flood took nothing from the server's.
    QCOMPARE(throttle.allow(Remote1, QStringLiteral("bob")), Verdict::Allowed);
}

void tst_LoginThrottle::anAddressGetsItsBurstWhateverTheNames()
{
    LoginThrottle throttle;
    const LoginLimits limits;
    for (int i = 0; i < int(limits.perAddressBurst); ++i)
        QCOMPARE(throttle.allow(Remote1, QStringLiteral("guess%1").arg(i)), Verdict::Allowed);
    QCOMPARE(throttle.allow(Remote1, QStringLiteral("another")), Verdict::AddressBusy);
    QCOMPARE(throttle.allow(Remote2, QStringLiteral("another")), Verdict::Allowed);
}

void tst_LoginThrottle::loopbackIsOneAddressForManyClients()
{
    LoginThrottle throttle;
    const QHostAddress proxy(QHostAddress::LocalHost);
    for (int i = 0; i < int(LoginLimits().perAddressBurst) + 3; ++i)
        QCOMPARE(throttle.allow(proxy, QStringLiteral("user%1").arg(i)), Verdict::Allowed);
}

void tst_LoginThrottle::theServerBoundsEveryoneTogether()
{
    LoginThrottle throttle;
    const int burst = int(LoginLimits().burst);
    for (int i = 0; i < burst; ++i)
        QCOMPARE(throttle.allow(QHostAddress(QStringLiteral("203.0.113.%1").arg(i)),
                                QStringLiteral("user%1").arg(i)),
                 Verdict::Allowed);
    QCOMPARE(throttle.allow(QHostAddress(QStringLiteral("203.0.113.200")), QStringLiteral("x")),
             Verdict::ServerBusy);
}

void tst_LoginThrottle::namesAreCaseFoldedAndCut()
{
    LoginThrottle throttle;
    const int burst = int(LoginLimits().perUserBurst);
    const QString longName(100, u'a');
    for (int i = 0; i < burst; ++i)
        QCOMPARE(throttle.allow(QHostAddress(QStringLiteral("192.0.2.%1").arg(i)),
                                i % 2 ? QStringLiteral("ALICE") : QStringLiteral("alice")),
                 Verdict::Allowed);
    QCOMPARE(throttle.allow(Remote1, QStringLiteral("Alice")), Verdict::UserBusy);
    for (int i = 0; i < burst; ++i)
        throttle.allow(QHostAddress(QStringLiteral("192.0.2.%1").arg(50 + i)), longName + u'x');
    QCOMPARE(throttle.allow(Remote2, longName + u'y'), Verdict::UserBusy);
}

void tst_LoginThrottle::thousandsOfNamesAreRefusedNotRemembered()
{
    // A server rate high enough not to be the limit here.
    LoginLimits limits;
    limits.perSecond = 1e6;
    limits.burst = 1e6;
    LoginThrottle throttle(limits);
    int busy = 0;
    for (int i = 0; i < LoginThrottle::MaxTracked + 100; ++i) {
        const QHostAddress from(quint32(0x0A000000u + quint32(i))); // 10.0.0.0/8, each new
        if (throttle.allow(from, QStringLiteral("name%1").arg(i)) == Verdict::ServerBusy)
            ++busy;
    }
    // Each took a token, so none of their buckets can be forgotten yet.
    QCOMPARE(busy, 100);
}

QTEST_GUILESS_MAIN(tst_LoginThrottle)
#include "tst_loginthrottle.moc"
