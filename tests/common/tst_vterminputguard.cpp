// Tests of VTermInputGuard: what reaches libvterm for good, split and hostile input.

#include "vterminputguard.h"
#include "vtermrepeatprobe.h"

#include <QRandomGenerator>
#include <QTest>

using namespace CloudConsole::Terminal;

namespace {

// Feeds the chunks and returns what the sink received, with '|' between the pieces handed over
// by separate filter() calls.
QByteArray run(VTermInputGuard &guard, const QList<QByteArray> &chunks)
{
    QByteArray out;
    for (const QByteArray &chunk : chunks) {
        if (!out.isEmpty())
            out += '|';
        guard.filter(chunk,
                     [&out](const char *data, size_t size) { out.append(data, qsizetype(size)); });
    }
    return out;
}

} // namespace

class tst_VTermInputGuard : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void passesOrHoldsBytesAsLibvtermNeeds_data();
    void passesOrHoldsBytesAsLibvtermNeeds();
    void everySplitOfASequenceDeliversTheSameBytes_data();
    void everySplitOfASequenceDeliversTheSameBytes();
    void aLongUnterminatedStringIsNotHeldForever();
    void noSpellingOfARepeatReachesLibvterm_data();
    void noSpellingOfARepeatReachesLibvterm();
    void noRandomStreamOfEscapeBytesPassesARepeat();
};

void tst_VTermInputGuard::passesOrHoldsBytesAsLibvtermNeeds_data()
{
    QTest::addColumn<QList<QByteArray>>("chunks");
    QTest::addColumn<QByteArray>("expected");
    QTest::addColumn<qint64>("trimmed");

    QTest::newRow("plain text passes") << QList<QByteArray> {"hello"} << QByteArray("hello") << 0LL;
    QTest::newRow("sixteen arguments pass")
        << QList<QByteArray> {"\x1b[1;2;3;4;5;6;7;8;9;10;11;12;13;14;15;16mX"}
        << QByteArray("\x1b[1;2;3;4;5;6;7;8;9;10;11;12;13;14;15;16mX") << 0LL;
    QTest::newRow("the seventeenth argument is dropped")
        << QList<QByteArray> {"\x1b[1;2;3;4;5;6;7;8;9;10;11;12;13;14;15;16;17mX"}
        << QByteArray("\x1b[1;2;3;4;5;6;7;8;9;10;11;12;13;14;15;16mX") << 1LL;
    QTest::newRow("colon sub-parameters count as arguments (neovim 34012)")
        << QList<QByteArray> {"\x1b[38:2:59:66:97;48:2:36:40:59;58:2:224:175:104;4:3mX"}
        << QByteArray("\x1b[38:2:59:66:97;48:2:36:40:59;58:2:224:175:104;4mX") << 1LL;
    QTest::newRow("an overflow split across writes")
        << QList<QByteArray> {"\x1b[;;;;;;;;;;", ";;;;;;;;;;;;;", "1m!"}
        << QByteArray("\x1b[;;;;;;;;;;|;;;;;|m!") << 1LL;
    QTest::newRow("controls inside an overflowing CSI still run")
        << QList<QByteArray> {"\x1b[" + QByteArray(20, ';') + "\n5H"}
        << "\x1b[" + QByteArray(15, ';') + "\nH" << 1LL;
    QTest::newRow("ESC inside an overflowing CSI starts afresh")
        << QList<QByteArray> {"\x1b[" + QByteArray(20, ';') + "\x1b[31mX"}
        << "\x1b[" + QByteArray(15, ';') + "\x1b[31mX" << 1LL;
    QTest::newRow("an incomplete utf-8 character waits")
        << QList<QByteArray> {"ab\xe6\x97", "\xa5!"} << QByteArray("ab|\xe6\x97\xa5!") << 0LL;
    QTest::newRow("an incomplete OSC waits for its end")
        << QList<QByteArray> {"x\x1b]0;ti", "tle\x07y"} << QByteArray("x|\x1b]0;title\x07y") << 0LL;
    QTest::newRow("an OSC ended by ESC backslash")
        << QList<QByteArray> {"\x1b]2;a\x1b", "\\z"} << QByteArray("\x1b]2;a\x1b\\z") << 0LL;
    QTest::newRow("a lone trailing ESC waits")
        << QList<QByteArray> {"abc\x1b", "[1mB"} << QByteArray("abc|\x1b[1mB") << 0LL;
    QTest::newRow("CAN cancels a held string")
        << QList<QByteArray> {"\x1bPq", "#\x18ok"} << QByteArray("\x1bPq#\x18ok") << 0LL;
    QTest::newRow("REP is cancelled, also behind a DEL that libvterm ignores")
        << QList<QByteArray> {"a\x1b[5b", "\x1b\x7f[2bc"}
        << QByteArray("a\x1b[5\x18|\x1b\x7f[2\x18"
                      "c")
        << 0LL;
    QTest::newRow("invalid utf-8 is not held")
        << QList<QByteArray> {"\xff\xfe", "a"} << QByteArray("\xff\xfe|a") << 0LL;
}

void tst_VTermInputGuard::passesOrHoldsBytesAsLibvtermNeeds()
{
    QFETCH(QList<QByteArray>, chunks);
    QFETCH(QByteArray, expected);
    QFETCH(qint64, trimmed);
    VTermInputGuard guard;
    const QByteArray actual = run(guard, chunks);
    QVERIFY2(actual == expected,
             qPrintable(QStringLiteral("got %1, expected %2")
                            .arg(QString::fromLatin1(actual.toPercentEncoding()),
                                 QString::fromLatin1(expected.toPercentEncoding()))));
    QCOMPARE(guard.trimmedSequences(), trimmed);
    QCOMPARE(guard.heldBytes(), 0);
}

void tst_VTermInputGuard::everySplitOfASequenceDeliversTheSameBytes_data()
{
    QTest::addColumn<QByteArray>("bytes");
    QTest::newRow("mixed") << QByteArray(
        "a\xc3\xa9\x1b]0;t\x07\x1b[1;31mb\xf0\x9f\x98\x80\x1bPx\x1b\\c");
    QTest::newRow("overflow") << "\x1b[" + QByteArray(30, ';') + "1mX\xe2\x82\xac";
}

void tst_VTermInputGuard::everySplitOfASequenceDeliversTheSameBytes()
{
    QFETCH(QByteArray, bytes);
    VTermInputGuard reference;
    QByteArray expected = run(reference, {bytes});
    for (int split = 1; split < bytes.size(); ++split) {
        VTermInputGuard guard;
        QByteArray actual = run(guard, {bytes.left(split), bytes.mid(split)});
        actual.replace("|", "");
        QVERIFY2(actual == expected,
                 qPrintable(QStringLiteral("split at %1: %2")
                                .arg(split)
                                .arg(QString::fromLatin1(actual.toPercentEncoding()))));
    }
}

void tst_VTermInputGuard::aLongUnterminatedStringIsNotHeldForever()
{
    VTermInputGuard guard;
    QByteArray out;
    const auto sink = [&out](const char *data, size_t size) { out.append(data, qsizetype(size)); };
    guard.filter("\x1b]0;", sink);
    QCOMPARE(guard.heldBytes(), 4);
    guard.filter(QByteArray(VTermInputGuard::MaxHeld, 'a'), sink);
    QCOMPARE(guard.heldBytes(), 0);
    QCOMPARE(out.size(), VTermInputGuard::MaxHeld + 4);
    guard.filter("bbb", sink);
    QCOMPARE(guard.heldBytes(), 0);
    QVERIFY(out.endsWith("abbb"));
}

void tst_VTermInputGuard::noSpellingOfARepeatReachesLibvterm_data()
{
    // X and Y stand for every byte and every pair of bytes; each spelling is fed whole and, with
    // one X, split at every byte boundary.
    QTest::addColumn<QByteArray>("spelling");
    QTest::newRow("between ESC and [") << QByteArray("\xcc\x81\x1bX[5b");
    QTest::newRow("two between ESC and [") << QByteArray("\xcc\x81\x1bXY[5b");
    QTest::newRow("after [") << QByteArray("\x1b[X5b");
    QTest::newRow("before the final b") << QByteArray("\x1b[5Xb");
    QTest::newRow("two inside the CSI") << QByteArray("\x1b[X5Yb");
    QTest::newRow("in a string's closing ESC") << QByteArray("\x1b]0;t\x1bX[5b");
    QTest::newRow("two in a DCS's closing ESC") << QByteArray("\x1bPq\x1bXY[5b");
    QTest::newRow("after a NUL in a string's closing ESC") << QByteArray("\x1bPq\x1b\x00X[5b", 9);
    QTest::newRow("before a NUL in a string's closing ESC") << QByteArray("\x1bPq\x1bX\x00[5b", 9);
    QTest::newRow("ending a string") << QByteArray("\x1b]0;tX\x1b[5b");
    QTest::newRow("after an escape's intermediate") << QByteArray("\x1b(X[5b");
    QTest::newRow("ESC X as a string start") << QByteArray("\x1bX\x1b[5b");
}

void tst_VTermInputGuard::noSpellingOfARepeatReachesLibvterm()
{
    // libvterm's own parser (VTermRepeatProbe) reads what the guard passes on: a REP it finds
    // there is one the guard missed, and libvterm 0.1.4 would loop for ever on it.
    QFETCH(QByteArray, spelling);
    const bool pair = spelling.contains('Y');
    int spellings = 0;
    // The first spelling and split through which a REP reached libvterm, or nothing.
    const auto slipsThrough = [&spellings](const QByteArray &bytes, bool splits) -> QString {
        ++spellings;
        for (int split = splits ? 1 : bytes.size(); split <= bytes.size(); ++split) {
            VTermInputGuard guard;
            VTermRepeatProbe probe;
            const auto sink = [&probe](const char *data, size_t size) { probe.write(data, size); };
            guard.filter(QByteArrayView(bytes).first(split), sink);
            guard.filter(QByteArrayView(bytes).sliced(split), sink);
            if (probe.repeats() != 0)
                return QString::fromLatin1(bytes.toHex(' ')) + QStringLiteral(" split at ")
                    + QString::number(split);
        }
        return QString();
    };
    for (int x = 0; x < 256; ++x) {
        QByteArray one = spelling;
        one.replace('X', QByteArray(1, char(x)));
        for (int y = 0; y < (pair ? 256 : 1); ++y) {
            QByteArray bytes = one;
            bytes.replace('Y', QByteArray(1, char(y)));
            const QString found = slipsThrough(bytes, !pair);
            QVERIFY2(found.isEmpty(),
                     qPrintable(QStringLiteral("a REP reached libvterm: ") + found));
        }
    }
    QCOMPARE(spellings, pair ? 65536 : 256);
}

void tst_VTermInputGuard::noRandomStreamOfEscapeBytesPassesARepeat()
{
    // Streams drawn from the bytes that steer libvterm's parser (fixed seed), each cut in three
    // at random places, against the same oracle, for what the twelve spellings above do
    // not list.
    static constexpr char alphabet[] = {
        '\x1b', '[',    ']',        'P',        'X',        '\\',       '\x07',    '\x00', '\x7f',
        '\x18', '\x1a', '(',        ' ',        ';',        ':',        '5',       'b',    '?',
        '\n',   'a',    char(0x80), char(0x9b), char(0x9c), char(0xcc), char(0x81)};
    QRandomGenerator random(20261205);
    for (int run = 0; run < 500'000; ++run) {
        QByteArray bytes(1 + random.bounded(24), Qt::Uninitialized);
        for (char &c : bytes)
            c = alphabet[random.bounded(int(sizeof alphabet))];
        qsizetype first = random.bounded(bytes.size() + 1);
        qsizetype second = random.bounded(bytes.size() + 1);
        if (second < first)
            std::swap(first, second);
        VTermInputGuard guard;
        VTermRepeatProbe probe;
        const auto sink = [&probe](const char *data, size_t size) { probe.write(data, size); };
        guard.filter(QByteArrayView(bytes).first(first), sink);
        guard.filter(QByteArrayView(bytes).sliced(first, second - first), sink);
        guard.filter(QByteArrayView(bytes).sliced(second), sink);
        QVERIFY2(probe.repeats() == 0,
                 qPrintable(QStringLiteral("a REP reached libvterm: %1 cut at %2 and %3")
                                .arg(QString::fromLatin1(bytes.toHex(' ')))
                                .arg(first)
                                .arg(second)));
    }
}

QTEST_GUILESS_MAIN(tst_VTermInputGuard)
#include "tst_vterminputguard.moc"
