// StreamCursor: resuming, replays and gaps deliver every byte once, or count it as skipped.

#include "streamcursor.h"

#include <QTest>

using namespace CloudConsole;
using namespace CloudConsole::Protocol;

class tst_StreamCursor : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void firstHelloSetsThePosition();
    void framesSplitAtEveryByteDeliverTheSameStream();
    void aResumedStreamThatOverlapsIsTrimmed();
    void aGapCountsOnlyBytesNotSeen();
    void aHelloBeyondThePositionCountsTheSkippedBytes();
    void aNewEpochStartsAgain();
};

namespace {
Hello hello(qint64 offset, const char *epoch = "e1")
{
    Hello h;
    h.console = QStringLiteral("c");
    h.offset = offset;
    h.epoch = QString::fromLatin1(epoch);
    return h;
}
} // namespace

void tst_StreamCursor::firstHelloSetsThePosition()
{
    StreamCursor cursor;
    QVERIFY(!cursor.resumeOffset());
    const auto result = cursor.acceptHello(hello(500));
    QVERIFY(!result.restarted);
    QCOMPARE(result.skipped, 0);
    QCOMPARE(cursor.resumeOffset().value(), 500);
}

void tst_StreamCursor::framesSplitAtEveryByteDeliverTheSameStream()
{
    const QByteArray stream = "login: root\r\nPassword: \r\n\x1b[1;32m# \x1b[0m";
    for (qsizetype split = 0; split <= stream.size(); ++split) {
        StreamCursor cursor;
        cursor.acceptHello(hello(100));
        QByteArray seen;
        seen += cursor.acceptData(QByteArrayView(stream).first(split)).toByteArray();
        seen += cursor.acceptData(QByteArrayView(stream).sliced(split)).toByteArray();
        QCOMPARE(seen, stream);
        QCOMPARE(cursor.position(), 100 + stream.size());
    }
}

void tst_StreamCursor::aResumedStreamThatOverlapsIsTrimmed()
{
    // A reconnect that replays from before the position, at every possible overlap.
    const QByteArray stream = "0123456789abcdef";
    for (qsizetype shown = 0; shown <= stream.size(); ++shown) {
        for (qsizetype replayFrom = 0; replayFrom <= shown; ++replayFrom) {
            StreamCursor cursor;
            cursor.acceptHello(hello(0));
            QByteArray seen = cursor.acceptData(QByteArrayView(stream).first(shown)).toByteArray();
            cursor.acceptHello(hello(replayFrom));
            seen += cursor.acceptData(QByteArrayView(stream).sliced(replayFrom)).toByteArray();
            QVERIFY2(seen == stream,
                     qPrintable(QStringLiteral("shown %1, replayed from %2: %3")
                                    .arg(shown)
                                    .arg(replayFrom)
                                    .arg(QString::fromLatin1(seen))));
        }
    }
}

void tst_StreamCursor::aGapCountsOnlyBytesNotSeen()
{
    StreamCursor cursor;
    cursor.acceptHello(hello(0));
    cursor.acceptData("abcd");
    // The server's history moved on: it resumes at 10, reporting [4, 10).
    cursor.acceptHello(hello(10));
    QCOMPARE(cursor.acceptGap(Gap {4, 10}), 0); // already counted by the hello
    QCOMPARE(cursor.acceptData("xy").toByteArray(), QByteArray("xy"));
    QCOMPARE(cursor.position(), 12);

    StreamCursor lagging;
    lagging.acceptHello(hello(0));
    lagging.acceptData("abc");
    QCOMPARE(lagging.acceptGap(Gap {3, 20}), 17);
    QCOMPARE(lagging.acceptData("z").toByteArray(), QByteArray("z"));
    QCOMPARE(lagging.position(), 21);
}

void tst_StreamCursor::aHelloBeyondThePositionCountsTheSkippedBytes()
{
    StreamCursor cursor;
    cursor.acceptHello(hello(0));
    cursor.acceptData("abc");
    const auto result = cursor.acceptHello(hello(8));
    QVERIFY(!result.restarted);
    QCOMPARE(result.skipped, 5);
}

void tst_StreamCursor::aNewEpochStartsAgain()
{
    StreamCursor cursor;
    cursor.acceptHello(hello(0, "old"));
    cursor.acceptData("abcdef");
    const auto result = cursor.acceptHello(hello(0, "new"));
    QVERIFY(result.restarted);
    QCOMPARE(cursor.epoch(), QStringLiteral("new"));
    QCOMPARE(cursor.acceptData("ab").toByteArray(), QByteArray("ab"));
}

QTEST_APPLESS_MAIN(tst_StreamCursor)
#include "tst_streamcursor.moc"
