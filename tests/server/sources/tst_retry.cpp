// How every source tries again (retry.h, backoff.h): delays that double up to a cap and start
// over once the source works, a real timer that fires once per scheduled attempt, and a failure
// that repeats on every attempt counted as news once.

#include "backoff.h"
#include "retry.h"

#include <QElapsedTimer>
#include <QSignalSpy>
#include <QTest>

#include <chrono>
#include <vector>

using namespace CloudConsole;
using namespace std::chrono_literals;

using Delays = std::vector<int>; // milliseconds
Q_DECLARE_METATYPE(Delays)

class tst_Retry : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void backoffDoublesUpToItsCap_data();
    void backoffDoublesUpToItsCap();
    void backoffStartsOverAfterAReset();
    void theDefaultsAreATenthOfASecondToFiveSeconds();
    void anAttemptIsDueOnceAfterItsDelay();
    void scheduledDelaysGrowToTheCapAndStartOverOnceTheSourceWorks();
    void aNewScheduleReplacesAPendingOne();
    void aCancelledAttemptIsNeverDue();
    void aRepeatedFailureIsNewsOnceUntilAnAttemptWorks();
};

void tst_Retry::backoffDoublesUpToItsCap_data()
{
    QTest::addColumn<int>("initial");
    QTest::addColumn<int>("cap");
    QTest::addColumn<Delays>("delays");
    QTest::newRow("100 ms to 5 s")
        << 100 << 5000 << Delays {100, 200, 400, 800, 1600, 3200, 5000, 5000};
    QTest::newRow("a cap that is a power of two away")
        << 50 << 400 << Delays {50, 100, 200, 400, 400, 400};
    QTest::newRow("the cap at the initial delay") << 250 << 250 << Delays {250, 250, 250};
}

void tst_Retry::backoffDoublesUpToItsCap()
{
    QFETCH(int, initial);
    QFETCH(int, cap);
    QFETCH(Delays, delays);
    Backoff backoff {std::chrono::milliseconds(initial), std::chrono::milliseconds(cap)};
    for (std::size_t i = 0; i < delays.size(); ++i) {
        const auto delay = backoff.next();
        QVERIFY2(delay.count() == delays[i],
                 qPrintable(QStringLiteral("delay %1 is %2 ms, expected %3 ms")
                                .arg(i)
                                .arg(delay.count())
                                .arg(delays[i])));
    }
}

void tst_Retry::backoffStartsOverAfterAReset()
{
    Backoff backoff {100ms, 5000ms};
    for (int i = 0; i < 10; ++i)
        backoff.next();
    QCOMPARE(backoff.next(), 5000ms);
    backoff.reset();
    QCOMPARE(backoff.next(), 100ms);
    QCOMPARE(backoff.next(), 200ms);
}

void tst_Retry::theDefaultsAreATenthOfASecondToFiveSeconds()
{
    Retry retry;
    QCOMPARE(retry.schedule(), 100ms);
    std::chrono::milliseconds last {};
    for (int i = 0; i < 10; ++i)
        last = retry.schedule();
    QCOMPARE(last, 5000ms);
    retry.cancel();
}

void tst_Retry::anAttemptIsDueOnceAfterItsDelay()
{
    Retry retry {Backoff {80ms, 1000ms}};
    QSignalSpy due(&retry, &Retry::due);
    QVERIFY(!retry.isPending());
    QElapsedTimer timer;
    timer.start();
    QCOMPARE(retry.schedule(), 80ms);
    QVERIFY(retry.isPending());
    QTRY_COMPARE(due.count(), 1);
    QVERIFY2(timer.elapsed() >= 70,
             qPrintable(QStringLiteral("due after %1 ms").arg(timer.elapsed())));
    QVERIFY(!retry.isPending());
    QTest::qWait(300);
    QCOMPARE(due.count(), 1);
}

void tst_Retry::scheduledDelaysGrowToTheCapAndStartOverOnceTheSourceWorks()
{
    Retry retry {Backoff {20ms, 100ms}};
    QSignalSpy due(&retry, &Retry::due);
    QCOMPARE(retry.schedule(), 20ms);
    QTRY_COMPARE(due.count(), 1);
    QCOMPARE(retry.schedule(), 40ms);
    QTRY_COMPARE(due.count(), 2);
    QCOMPARE(retry.schedule(), 80ms);
    QTRY_COMPARE(due.count(), 3);
    QCOMPARE(retry.schedule(), 100ms);
    QTRY_COMPARE(due.count(), 4);
    QCOMPARE(retry.schedule(), 100ms);
    QTRY_COMPARE(due.count(), 5);

    // Output arrived: the next failure is retried promptly again.
    retry.noteWorking();
    QCOMPARE(retry.schedule(), 20ms);
    QTRY_COMPARE(due.count(), 6);
    // Merely attaching is not working: the delays go on growing.
    retry.noteAttached();
    QCOMPARE(retry.schedule(), 40ms);
    QTRY_COMPARE(due.count(), 7);
}

void tst_Retry::aNewScheduleReplacesAPendingOne()
{
    Retry retry {Backoff {50ms, 1000ms}};
    QSignalSpy due(&retry, &Retry::due);
    retry.schedule();
    retry.schedule();
    QTRY_COMPARE(due.count(), 1);
    QTest::qWait(300);
    QCOMPARE(due.count(), 1);
}

void tst_Retry::aCancelledAttemptIsNeverDue()
{
    Retry retry {Backoff {30ms, 1000ms}};
    QSignalSpy due(&retry, &Retry::due);
    retry.schedule();
    retry.cancel();
    QVERIFY(!retry.isPending());
    QTest::qWait(200);
    QCOMPARE(due.count(), 0);
}

void tst_Retry::aRepeatedFailureIsNewsOnceUntilAnAttemptWorks()
{
    Retry retry;
    const QString refused = QStringLiteral("Connection refused");
    const QString timeout = QStringLiteral("no answer within 10000 ms");
    QVERIFY(retry.noteFailure(refused));
    QVERIFY(!retry.noteFailure(refused));
    QVERIFY(!retry.noteFailure(refused));
    QVERIFY(retry.noteFailure(timeout));
    QVERIFY(retry.noteFailure(refused)); // changed back: news again
    // Output is not an attempt that worked: what fails next compares with the last failure.
    retry.noteWorking();
    QVERIFY(!retry.noteFailure(refused));
    retry.noteAttached();
    QVERIFY(retry.noteFailure(refused));
}

QTEST_GUILESS_MAIN(tst_Retry)
#include "tst_retry.moc"
