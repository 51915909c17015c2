// HistoryRing: the kept bytes and their offsets do not depend on how appends were split, the ring
// wraps without losing or reordering bytes, and reads outside the kept range give nothing.

#include "historyring.h"

#include <QRandomGenerator>
#include <QTest>

using namespace CloudConsole;

class tst_HistoryRing : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void anEmptyRingKeepsNothing();
    void appendsSplitAtEveryByteGiveTheSameContent_data();
    void appendsSplitAtEveryByteGiveTheSameContent();
    void aFullRingKeepsTheNewestBytesAcrossTheWrapPoint_data();
    void aFullRingKeepsTheNewestBytesAcrossTheWrapPoint();
    void anAppendLargerThanTheCapacityKeepsTheLastBytesAndCountsAll_data();
    void anAppendLargerThanTheCapacityKeepsTheLastBytesAndCountsAll();
    void contiguousFromStopsAtTheWrapPointAndCopyCrossesIt_data();
    void contiguousFromStopsAtTheWrapPointAndCopyCrossesIt();
    void offsetsOutsideTheKeptRangeGiveNothing_data();
    void offsetsOutsideTheKeptRangeGiveNothing();
    void aRingOfCapacityOneKeepsTheLastByte();
    void randomAppendsAndReadsMatchAPlainReference_data();
    void randomAppendsAndReadsMatchAPlainReference();
};

namespace {

// Bytes that are distinct for a long stretch, so a misplaced byte is visible.
QByteArray pattern(qsizetype size, int salt = 0)
{
    QByteArray bytes(size, Qt::Uninitialized);
    for (qsizetype i = 0; i < size; ++i)
        bytes[i] = char((i * 7 + salt + i / 251) & 0xff);
    return bytes;
}

QString describe(const HistoryRing &ring)
{
    return QStringLiteral("capacity %1, start %2, end %3, size %4")
        .arg(ring.capacity())
        .arg(ring.startOffset())
        .arg(ring.endOffset())
        .arg(ring.size());
}

// Everything the ring keeps, read through contiguousFrom() only.
QByteArray keptByContiguousReads(const HistoryRing &ring)
{
    QByteArray out;
    qint64 offset = ring.startOffset();
    while (offset < ring.endOffset()) {
        const QByteArrayView part = ring.contiguousFrom(offset, ring.capacity());
        if (part.isEmpty())
            break;
        out.append(part);
        offset += part.size();
    }
    return out;
}

} // namespace

void tst_HistoryRing::anEmptyRingKeepsNothing()
{
    HistoryRing ring(16);
    QCOMPARE(ring.capacity(), 16);
    QCOMPARE(ring.size(), 0);
    QCOMPARE(ring.startOffset(), 0);
    QCOMPARE(ring.endOffset(), 0);
    QVERIFY(ring.contiguousFrom(0, 16).isEmpty());
    QVERIFY(ring.copy(0, 16).isEmpty());
    ring.append(QByteArrayView());
    QCOMPARE(ring.endOffset(), 0);
}

void tst_HistoryRing::appendsSplitAtEveryByteGiveTheSameContent_data()
{
    QTest::addColumn<qsizetype>("capacity");
    QTest::addColumn<qsizetype>("total");
    QTest::newRow("fits") << qsizetype(64) << qsizetype(40);
    QTest::newRow("exactly full") << qsizetype(32) << qsizetype(32);
    QTest::newRow("wraps once") << qsizetype(32) << qsizetype(45);
    QTest::newRow("wraps many times") << qsizetype(7) << qsizetype(61);
    QTest::newRow("capacity 1") << qsizetype(1) << qsizetype(9);
}

void tst_HistoryRing::appendsSplitAtEveryByteGiveTheSameContent()
{
    QFETCH(qsizetype, capacity);
    QFETCH(qsizetype, total);
    const QByteArray data = pattern(total);
    const QByteArray expected = data.right(std::min(capacity, total));

    // Two appends split at every boundary, and three appends split at every pair of boundaries.
    for (qsizetype first = 0; first <= total; ++first) {
        for (qsizetype second = first; second <= total; ++second) {
            HistoryRing ring(capacity);
            ring.append(QByteArrayView(data).first(first));
            ring.append(QByteArrayView(data).sliced(first, second - first));
            ring.append(QByteArrayView(data).sliced(second));
            const QString where = QStringLiteral("split at %1 and %2: ").arg(first).arg(second);
            QVERIFY2(ring.endOffset() == total, qPrintable(where + describe(ring)));
            QVERIFY2(ring.startOffset() == total - expected.size(),
                     qPrintable(where + describe(ring)));
            QVERIFY2(ring.size() == expected.size(), qPrintable(where + describe(ring)));
            const QByteArray copied = ring.copy(ring.startOffset(), capacity);
            QVERIFY2(copied == expected,
                     qPrintable(where + "copy " + copied.toHex() + " != " + expected.toHex()));
            QVERIFY2(keptByContiguousReads(ring) == expected, qPrintable(where));
        }
    }

    // Byte by byte.
    HistoryRing ring(capacity);
    for (char c : data)
        ring.append(QByteArrayView(&c, 1));
    QCOMPARE(ring.endOffset(), total);
    QCOMPARE(ring.copy(ring.startOffset(), capacity), expected);
}

void tst_HistoryRing::aFullRingKeepsTheNewestBytesAcrossTheWrapPoint_data()
{
    QTest::addColumn<qsizetype>("capacity");
    QTest::addColumn<QList<int>>("appends");
    QTest::newRow("one over") << qsizetype(8) << QList<int> {8, 1};
    QTest::newRow("wrap inside an append") << qsizetype(8) << QList<int> {5, 6};
    QTest::newRow("append ends at the wrap point") << qsizetype(8) << QList<int> {3, 5, 8};
    QTest::newRow("append exactly the capacity after a partial fill")
        << qsizetype(8) << QList<int> {3, 8};
    QTest::newRow("many small appends, several laps")
        << qsizetype(10) << QList<int> {3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3};
}

void tst_HistoryRing::aFullRingKeepsTheNewestBytesAcrossTheWrapPoint()
{
    QFETCH(qsizetype, capacity);
    QFETCH(QList<int>, appends);
    HistoryRing ring(capacity);
    QByteArray all;
    int salt = 0;
    for (int n : appends) {
        const QByteArray chunk = pattern(n, salt += 13);
        ring.append(chunk);
        all += chunk;
        const QByteArray expected = all.right(std::min<qsizetype>(capacity, all.size()));
        QCOMPARE(ring.endOffset(), all.size());
        QCOMPARE(ring.startOffset(), all.size() - expected.size());
        const QByteArray copied = ring.copy(ring.startOffset(), capacity);
        QVERIFY2(copied == expected,
                 qPrintable(describe(ring) + ": " + copied.toHex() + " != " + expected.toHex()));
    }
}

void tst_HistoryRing::anAppendLargerThanTheCapacityKeepsTheLastBytesAndCountsAll_data()
{
    QTest::addColumn<qsizetype>("capacity");
    QTest::addColumn<qsizetype>("before");
    QTest::addColumn<qsizetype>("bigAppend");
    QTest::newRow("into an empty ring") << qsizetype(16) << qsizetype(0) << qsizetype(100);
    QTest::newRow("capacity plus one") << qsizetype(16) << qsizetype(0) << qsizetype(17);
    QTest::newRow("after a partial fill") << qsizetype(16) << qsizetype(5) << qsizetype(37);
    QTest::newRow("after a full lap") << qsizetype(16) << qsizetype(21) << qsizetype(50);
    QTest::newRow("huge") << qsizetype(64) << qsizetype(3) << qsizetype(100000);
}

void tst_HistoryRing::anAppendLargerThanTheCapacityKeepsTheLastBytesAndCountsAll()
{
    QFETCH(qsizetype, capacity);
    QFETCH(qsizetype, before);
    QFETCH(qsizetype, bigAppend);
    HistoryRing ring(capacity);
    ring.append(pattern(before, 1));
    const QByteArray big = pattern(bigAppend, 2);
    ring.append(big);
    QCOMPARE(ring.endOffset(), before + bigAppend);
    QCOMPARE(ring.size(), capacity);
    QCOMPARE(ring.startOffset(), before + bigAppend - capacity);
    QCOMPARE(ring.copy(ring.startOffset(), capacity), big.right(capacity));
    QCOMPARE(keptByContiguousReads(ring), big.right(capacity));
}

void tst_HistoryRing::contiguousFromStopsAtTheWrapPointAndCopyCrossesIt_data()
{
    // Capacity 10, 25 bytes appended: kept [15, 25), stored at ring positions 5..9 then 0..4,
    // so the wrap point is at offset 20.
    QTest::addColumn<qint64>("offset");
    QTest::addColumn<qsizetype>("maxBytes");
    QTest::addColumn<qsizetype>("contiguousSize");
    QTest::addColumn<qsizetype>("copySize");
    QTest::newRow("oldest byte, all")
        << qint64(15) << qsizetype(100) << qsizetype(5) << qsizetype(10);
    QTest::newRow("oldest byte, limited")
        << qint64(15) << qsizetype(3) << qsizetype(3) << qsizetype(3);
    QTest::newRow("just before the wrap")
        << qint64(19) << qsizetype(100) << qsizetype(1) << qsizetype(6);
    QTest::newRow("across the wrap, limited")
        << qint64(18) << qsizetype(4) << qsizetype(2) << qsizetype(4);
    QTest::newRow("at the wrap point")
        << qint64(20) << qsizetype(100) << qsizetype(5) << qsizetype(5);
    QTest::newRow("after the wrap point")
        << qint64(22) << qsizetype(2) << qsizetype(2) << qsizetype(2);
    QTest::newRow("newest byte") << qint64(24) << qsizetype(100) << qsizetype(1) << qsizetype(1);
    QTest::newRow("zero bytes asked") << qint64(17) << qsizetype(0) << qsizetype(0) << qsizetype(0);
    QTest::newRow("negative bytes asked")
        << qint64(17) << qsizetype(-5) << qsizetype(0) << qsizetype(0);
}

void tst_HistoryRing::contiguousFromStopsAtTheWrapPointAndCopyCrossesIt()
{
    QFETCH(qint64, offset);
    QFETCH(qsizetype, maxBytes);
    QFETCH(qsizetype, contiguousSize);
    QFETCH(qsizetype, copySize);
    const QByteArray all = pattern(25, 5);
    HistoryRing ring(10);
    ring.append(QByteArrayView(all).first(12));
    ring.append(QByteArrayView(all).sliced(12));
    QCOMPARE(ring.startOffset(), 15);

    const QByteArrayView part = ring.contiguousFrom(offset, maxBytes);
    QCOMPARE(part.size(), contiguousSize);
    QCOMPARE(part.toByteArray(), all.mid(offset, contiguousSize));
    const QByteArray copied = ring.copy(offset, maxBytes);
    QCOMPARE(copied.size(), copySize);
    QCOMPARE(copied, all.mid(offset, copySize));
}

void tst_HistoryRing::offsetsOutsideTheKeptRangeGiveNothing_data()
{
    QTest::addColumn<qsizetype>("appended");
    QTest::addColumn<qint64>("offset");
    QTest::newRow("before start, wrapped") << qsizetype(25) << qint64(14);
    QTest::newRow("long overwritten") << qsizetype(25) << qint64(0);
    QTest::newRow("at end, wrapped") << qsizetype(25) << qint64(25);
    QTest::newRow("past end, wrapped") << qsizetype(25) << qint64(26);
    QTest::newRow("at end, not wrapped") << qsizetype(4) << qint64(4);
    QTest::newRow("past end, not wrapped") << qsizetype(4) << qint64(9);
    QTest::newRow("negative") << qsizetype(4) << qint64(-1);
    QTest::newRow("same ring position as a kept byte") << qsizetype(25) << qint64(5);
}

void tst_HistoryRing::offsetsOutsideTheKeptRangeGiveNothing()
{
    QFETCH(qsizetype, appended);
    QFETCH(qint64, offset);
    HistoryRing ring(10);
    ring.append(pattern(appended));
    QVERIFY2(ring.contiguousFrom(offset, 100).isEmpty(),
             qPrintable(QStringLiteral("offset %1 in %2").arg(offset).arg(describe(ring))));
    QVERIFY2(ring.copy(offset, 100).isEmpty(),
             qPrintable(QStringLiteral("offset %1 in %2").arg(offset).arg(describe(ring))));
}

void tst_HistoryRing::aRingOfCapacityOneKeepsTheLastByte()
{
    HistoryRing ring(1);
    QCOMPARE(ring.capacity(), 1);
    ring.append("a");
    QCOMPARE(ring.copy(0, 10), QByteArray("a"));
    ring.append("bcd");
    QCOMPARE(ring.endOffset(), 4);
    QCOMPARE(ring.startOffset(), 3);
    QCOMPARE(ring.size(), 1);
    QCOMPARE(ring.contiguousFrom(3, 10).toByteArray(), QByteArray("d"));
    QCOMPARE(ring.copy(3, 10), QByteArray("d"));
    QVERIFY(ring.copy(2, 10).isEmpty());
    ring.append("e");
    QCOMPARE(ring.copy(4, 1), QByteArray("e"));

    // A capacity below one is raised to one rather than dividing by zero.
    HistoryRing zero(0);
    QCOMPARE(zero.capacity(), 1);
    zero.append("xy");
    QCOMPARE(zero.copy(1, 5), QByteArray("y"));
}

void tst_HistoryRing::randomAppendsAndReadsMatchAPlainReference_data()
{
    QTest::addColumn<quint32>("seed");
    QTest::addColumn<qsizetype>("capacity");
    QTest::newRow("seed 1, capacity 1") << quint32(1) << qsizetype(1);
    QTest::newRow("seed 2, capacity 13") << quint32(2) << qsizetype(13);
    QTest::newRow("seed 3, capacity 256") << quint32(3) << qsizetype(256);
    QTest::newRow("seed 4, capacity 4096") << quint32(4) << qsizetype(4096);
}

void tst_HistoryRing::randomAppendsAndReadsMatchAPlainReference()
{
    QFETCH(quint32, seed);
    QFETCH(qsizetype, capacity);
    QRandomGenerator random(seed);
    HistoryRing ring(capacity);
    QByteArray reference; // every byte ever appended
    for (int step = 0; step < 2000; ++step) {
        const qsizetype n = random.bounded(int(capacity * 2 + 3));
        QByteArray chunk(n, Qt::Uninitialized);
        for (char &c : chunk)
            c = char(random.bounded(256));
        ring.append(chunk);
        reference += chunk;

        const qint64 start = std::max<qint64>(0, reference.size() - capacity);
        QVERIFY2(ring.endOffset() == reference.size() && ring.startOffset() == start,
                 qPrintable(QStringLiteral("step %1: %2").arg(step).arg(describe(ring))));

        // Read from a random offset around the kept range, including just outside it.
        const qint64 offset = start - 2 + random.bounded(int(reference.size() - start + 4));
        const qsizetype maxBytes = random.bounded(int(capacity + 3));
        const bool kept = offset >= start && offset < reference.size();
        const QByteArray expected
            = kept && maxBytes > 0 ? reference.mid(offset, maxBytes) : QByteArray();
        const QByteArray copied = ring.copy(offset, maxBytes);
        QVERIFY2(copied == expected,
                 qPrintable(QStringLiteral("step %1: copy(%2, %3) in %4")
                                .arg(step)
                                .arg(offset)
                                .arg(maxBytes)
                                .arg(describe(ring))));
        const QByteArrayView part = ring.contiguousFrom(offset, maxBytes);
        QVERIFY2(expected.startsWith(part) && (part.isEmpty() == expected.isEmpty()),
                 qPrintable(QStringLiteral("step %1: contiguousFrom(%2, %3) gave %4 bytes in %5")
                                .arg(step)
                                .arg(offset)
                                .arg(maxBytes)
                                .arg(part.size())
                                .arg(describe(ring))));
    }
}

QTEST_APPLESS_MAIN(tst_HistoryRing)
#include "tst_historyring.moc"
