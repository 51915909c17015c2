// Tests of VTermInputGuard: what reaches libvterm for good, split and hostile input.

#include "vterminputguard.h"

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

QTEST_GUILESS_MAIN(tst_VTermInputGuard)
#include "tst_vterminputguard.moc"
