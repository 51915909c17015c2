// PasteFeeder on its own, as a decoder of what a client sends: a paste split into two pieces at
// every byte boundary is written whole and in order, whatever it holds (multi-byte characters,
// CR LF, bracketed-paste markers, bytes that are not UTF-8); a paced paste never takes more
// characters than its batch and never cuts a character; with a pause after lines, a piece of
// writing ends at a line end and keeps CR LF together; a paste cancelled after any byte leaves
// the guest out of bracketed-paste mode; pieces that do not follow are refused.

#include "pastefeeder.h"

#include <QSignalSpy>
#include <QTest>

using namespace CloudConsole;
using namespace std::chrono_literals;

class tst_PasteFeeder : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void aPasteSplitAnywhereIsWrittenWholeAndInOrder_data();
    void aPasteSplitAnywhereIsWrittenWholeAndInOrder();
    void aPacedPasteWritesWholeCharactersABatchAtATime();
    void aPauseFollowsEveryLineEndAndCrLfIsOne();
    void aCancelledBracketedPasteIsAlwaysClosed();
    void piecesThatDoNotFollowAreRefused();
};

namespace {

// Everything the feeder offers, taken at once (as a console whose source takes all).
QByteArray drainAll(PasteFeeder &feeder, qsizetype max = 1 << 20)
{
    QByteArray written;
    for (;;) {
        const QByteArrayView ready = feeder.ready(max);
        if (ready.isEmpty())
            return written;
        written += ready;
        feeder.consumed(ready.size());
    }
}

const QByteArray Mixed = QByteArray("ls -l\r\n") + "caf\xc3\xa9 \xe4\xb8\xad \xf0\x9f\x98\x80\r"
    + "\x1b[200~inside\x1b[201~\n" + "\x80\xbf lone \xc3\r" + "\xe4\xb8";

} // namespace

void tst_PasteFeeder::aPasteSplitAnywhereIsWrittenWholeAndInOrder_data()
{
    QTest::addColumn<QByteArray>("text");
    QTest::addColumn<int>("max");
    QTest::newRow("mixed, source takes all") << Mixed << (1 << 20);
    QTest::newRow("mixed, source takes 1 byte") << Mixed << 1;
    QTest::newRow("mixed, source takes 3 bytes") << Mixed << 3;
    QTest::newRow("only continuation bytes") << QByteArray("\x80\x80\xbf\xbf") << 2;
}

void tst_PasteFeeder::aPasteSplitAnywhereIsWrittenWholeAndInOrder()
{
    QFETCH(QByteArray, text);
    QFETCH(int, max);
    for (qsizetype cut = 0; cut <= text.size(); ++cut) {
        PasteFeeder feeder;
        QSignalSpy progress(&feeder, &PasteFeeder::progress);
        QVERIFY(feeder.add(7, {1, text.size(), 0, text.first(cut)}).isEmpty());
        QByteArray written = drainAll(feeder, max);
        QCOMPARE(written, text.first(cut));
        if (cut < text.size()) {
            QVERIFY(feeder.isRunning());
            QVERIFY(feeder.add(7, {1, text.size(), cut, text.sliced(cut)}).isEmpty());
            written += drainAll(feeder, max);
        }
        QCOMPARE(written, text);
        QVERIFY(!feeder.isRunning());
        const auto last = progress.last().first().value<Protocol::PasteEvent>();
        QCOMPARE(last.state, QStringLiteral("done"));
        QCOMPARE(last.sent, text.size());
    }
}

void tst_PasteFeeder::aPacedPasteWritesWholeCharactersABatchAtATime()
{
    // 100 characters a second: a batch of 10 ms is one character, of one to four bytes.
    const QByteArray text = QByteArray("a\xc3\xa9\xe4\xb8\xad\xf0\x9f\x98\x80z");
    const QList<QByteArray> characters {"a", "\xc3\xa9", "\xe4\xb8\xad", "\xf0\x9f\x98\x80", "z"};
    PasteFeeder feeder;
    feeder.setRules({100, 0ms, SharingSettings::PasteMode::Paced, 1024});
    QVERIFY(feeder.add(1, {1, text.size(), 0, text}).isEmpty());
    QSignalSpy wake(&feeder, &PasteFeeder::wantsDrain);
    QList<QByteArray> pieces;
    QElapsedTimer clock;
    clock.start();
    while (feeder.isRunning() && clock.elapsed() < 5000) {
        const QByteArrayView ready = feeder.ready(1024);
        if (ready.isEmpty()) {
            QVERIFY(wake.wait(1000)); // the feeder says when the next batch may go
            continue;
        }
        pieces += ready.toByteArray();
        feeder.consumed(ready.size());
    }
    QCOMPARE(pieces, characters);
    // Five characters at 100 a second: the pace held them back (one batch at once, then 10 ms
    // each); a loose bound, since the point is that they did not all go at once.
    QVERIFY2(clock.elapsed() >= 30, qPrintable(QString::number(clock.elapsed())));

    // At 400 a second a batch is 4 characters: the first one offers 4 of 4 bytes each.
    const QByteArray smiles = QByteArray("\xf0\x9f\x98\x80").repeated(8);
    PasteFeeder faster;
    faster.setRules({400, 0ms, SharingSettings::PasteMode::Paced, 1024});
    QVERIFY(faster.add(1, {1, smiles.size(), 0, smiles}).isEmpty());
    QCOMPARE(faster.ready(1024).size(), 16);
}

void tst_PasteFeeder::aPauseFollowsEveryLineEndAndCrLfIsOne()
{
    const QByteArray text = QByteArray("one\r\ntwo\rthree\n\nfour");
    const QList<QByteArray> lines {"one\r\n", "two\r", "three\n", "\n", "four"};
    for (qsizetype cut = 1; cut <= text.size(); ++cut) {
        PasteFeeder feeder;
        feeder.setRules({0, 1ms, SharingSettings::PasteMode::Paced, 1024});
        QSignalSpy wake(&feeder, &PasteFeeder::wantsDrain);
        QVERIFY(feeder.add(1, {1, text.size(), 0, text.first(cut)}).isEmpty());
        QList<QByteArray> pieces;
        bool restSent = cut == text.size();
        QElapsedTimer clock;
        clock.start();
        while (feeder.isRunning() && clock.elapsed() < 5000) {
            const QByteArrayView ready = feeder.ready(1024);
            if (!ready.isEmpty()) {
                pieces += ready.toByteArray();
                feeder.consumed(ready.size());
            } else if (!restSent) {
                QVERIFY(feeder.add(1, {1, text.size(), cut, text.sliced(cut)}).isEmpty());
                restSent = true;
            } else {
                QVERIFY(wake.wait(1000));
            }
        }
        QCOMPARE(pieces.join(), text);
        // Each piece ends at a line end or where the bytes that had come ended; a CR LF is cut
        // only where the pieces cut it.
        for (qsizetype i = 0; i + 1 < pieces.size(); ++i) {
            const char last = pieces[i].back();
            const qsizetype end = [&] {
                qsizetype total = 0;
                for (qsizetype j = 0; j <= i; ++j)
                    total += pieces[j].size();
                return total;
            }();
            QVERIFY2(last == '\r' || last == '\n' || end == cut,
                     qPrintable(QStringLiteral("cut %1: piece %2").arg(cut).arg(i)));
            if (last == '\r' && pieces[i + 1].startsWith('\n'))
                QCOMPARE(end, cut);
        }
        if (cut == text.size())
            QCOMPARE(pieces, lines);
    }
}

void tst_PasteFeeder::aCancelledBracketedPasteIsAlwaysClosed()
{
    const QByteArray start = "\x1b[200~";
    const QByteArray end = "\x1b[201~";
    const QByteArray text = start + "echo pasted\r" + end;
    for (qsizetype written = 0; written <= text.size(); ++written) {
        PasteFeeder feeder;
        QByteArray guest;
        connect(&feeder, &PasteFeeder::leftOpen, &feeder,
                [&guest](const QByteArray &closing) { guest += closing; });
        QVERIFY(feeder.add(1, {1, text.size(), 0, text}).isEmpty());
        const QByteArrayView ready = feeder.ready(written);
        QCOMPARE(ready.size(), written);
        guest = ready.toByteArray();
        feeder.consumed(written);
        feeder.cancel(QStringLiteral("test"));
        QVERIFY(!feeder.isRunning());
        if (written == 0) {
            QVERIFY(guest.isEmpty()); // nothing started, nothing to close
            continue;
        }
        // The guest saw a whole start marker and, after it, a whole end marker.
        const qsizetype opened = guest.indexOf(start);
        QVERIFY2(opened == 0, guest.toPercentEncoding().constData());
        QVERIFY2(guest.indexOf(end, opened + start.size()) > 0,
                 guest.toPercentEncoding().constData());
        QVERIFY(guest.endsWith(end));
    }
}

void tst_PasteFeeder::piecesThatDoNotFollowAreRefused()
{
    PasteFeeder feeder;
    feeder.setRules({0, 0ms, SharingSettings::PasteMode::Paced, 10});
    QVERIFY(!feeder.add(1, {1, 11, 0, "x"}).isEmpty()); // over max
    QVERIFY(!feeder.add(1, {1, 10, 5, "hello"}).isEmpty()); // not started
    QVERIFY(feeder.add(1, {1, 10, 0, "hello"}).isEmpty());
    QVERIFY(!feeder.add(2, {1, 10, 5, "world"}).isEmpty()); // another sender
    QVERIFY(!feeder.add(1, {2, 10, 5, "world"}).isEmpty()); // another paste
    QVERIFY(!feeder.add(1, {1, 10, 4, "world"}).isEmpty()); // overlaps
    QVERIFY(!feeder.add(1, {1, 12, 5, "world"}).isEmpty()); // another total
    QVERIFY(feeder.add(1, {1, 10, 5, "world"}).isEmpty());
    QCOMPARE(drainAll(feeder), QByteArray("helloworld"));
}

QTEST_MAIN(tst_PasteFeeder)
#include "tst_pastefeeder.moc"
