// Headless tests of TerminalModel: libvterm behind the model, checked through cells and text.

#include "terminalmodel.h"

#include <QRandomGenerator>
#include <QSignalSpy>
#include <QTest>

using namespace CloudConsole::Terminal;

namespace {

// Everything a user could see: every line's cells, the cursor, the title, the screen mode.
QStringList snapshot(const TerminalModel &model)
{
    QStringList lines;
    Line cells;
    for (int line = 0; line < model.lineCount(); ++line) {
        model.fetchLine(line, cells);
        QString text;
        for (const Cell &cell : cells) {
            text += QStringLiteral("%1/%2/%3/%4/%5/%6 ")
                        .arg(quint32(cell.ch), 0, 16)
                        .arg(quint32(cell.combining), 0, 16)
                        .arg(cell.width)
                        .arg(cell.flags, 0, 16)
                        .arg(cell.foreground, 0, 16)
                        .arg(cell.background, 0, 16);
        }
        lines << text;
    }
    const TerminalCursor cursor = model.cursor();
    lines << QStringLiteral("cursor %1,%2 visible %3 blink %4 shape %5")
                 .arg(cursor.position.x())
                 .arg(cursor.position.y())
                 .arg(cursor.visible)
                 .arg(cursor.blinking)
                 .arg(int(cursor.shape));
    lines << QStringLiteral("title %1 alt %2").arg(model.title()).arg(model.isAltScreen());
    return lines;
}

QString firstDifference(const QStringList &expected, const QStringList &actual)
{
    for (int i = 0; i < std::max(expected.size(), actual.size()); ++i) {
        if (expected.value(i) != actual.value(i))
            return QStringLiteral("line %1:\n  expected %2\n  actual   %3")
                .arg(i)
                .arg(expected.value(i).left(200), actual.value(i).left(200));
    }
    return {};
}

QString screenText(const TerminalModel &model)
{
    QStringList lines;
    for (int line = 0; line < model.lineCount(); ++line)
        lines << model.lineText(line);
    return lines.join(QLatin1Char('|'));
}

} // namespace

class tst_TerminalModel : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void aRepeatTheModelCannotDoIsDroppedNotLoopedOn_data();
    void aRepeatTheModelCannotDoIsDroppedNotLoopedOn();
    void megabytesOfTextInOneWriteAreShownWhole_data();
    void megabytesOfTextInOneWriteAreShownWhole();
    void theSameBytesSplitAtAnyBoundaryGiveTheSameScreen_data();
    void theSameBytesSplitAtAnyBoundaryGiveTheSameScreen();
    void coloursResolveToTheirRgbValues_data();
    void coloursResolveToTheirRgbValues();
    void attributesBecomeCellFlags_data();
    void attributesBecomeCellFlags();
    void wideCharactersTakeTwoCells_data();
    void wideCharactersTakeTwoCells();
    void linesScrolledOffTheTopGoToTheScrollback();
    void growingTheScreenPullsLinesBackFromTheScrollback();
    void scrollbackIsBoundedAndDropsTheOldestLines();
    void theAlternateScreenKeepsTheScrollbackUntouched();
    void cursorShapeAndBlinkFollowTheGuest_data();
    void cursorShapeAndBlinkFollowTheGuest();
    void malformedInputNeitherCrashesNorWedgesTheParser_data();
    void malformedInputNeitherCrashesNorWedgesTheParser();
    void randomBytesNeitherCrashNorWedgeTheParser();
    void aWriteAnnouncesItsDamageOnce();
    void answersToQueriesAreDroppedWhileRepliesAreDisabled();
    void pasteIsBracketedOnlyWhenTheGuestAskedForIt_data();
    void pasteIsBracketedOnlyWhenTheGuestAskedForIt();
    void aMarkedLineStartsOnANewLineInItsOwnColours();
    void textSpansLinesAndTrimsTrailingBlanks();
    void editingSequencesMoveTheRightCells_data();
    void editingSequencesMoveTheRightCells();
    void aScrollRegionBelowTheTopKeepsItsLinesOutOfTheScrollback();
    void selectiveEraseKeepsProtectedCells();
    void overwritingHalfAWideCharacterClearsTheOtherHalf();
    void erasedCellsTakeThePenAndScrolledLinesKeepTheirColours();
};

void tst_TerminalModel::aRepeatTheModelCannotDoIsDroppedNotLoopedOn_data()
{
    // libvterm 0.1.4 loops for ever on these REP sequences (found by fuzz_terminal): as a
    // guest's first output, and after a combining mark with no base.
    QTest::addColumn<QByteArray>("bytes");
    QTest::newRow("REP first of all") << QByteArray("\x1b[5b");
    QTest::newRow("REP after a lone combining mark") << QByteArray("\xd6\xa3\x1b[0;b");
    QTest::newRow("REP split from its count") << QByteArray("\xcc\x81\x1b[3");
    QTest::newRow("REP behind a DEL after its ESC") << QByteArray("\xcc\x81\x1b\x7f[5b");
    QTest::newRow("REP behind a DEL in a string's closing ESC")
        << QByteArray("\xcc\x81\x1b]0;t\x1b\x7f[5b");
    QTest::newRow("REP behind a NUL after its ESC") << QByteArray("\xcc\x81\x1b\x00[5b", 8);
}

void tst_TerminalModel::aRepeatTheModelCannotDoIsDroppedNotLoopedOn()
{
    QFETCH(QByteArray, bytes);
    TerminalModel model({20, 5});
    model.write(bytes);
    model.write("b after\r\nnext line");
    QCOMPARE(model.lineText(model.scrollbackLines() + 1), QStringLiteral("next line"));
}

void tst_TerminalModel::megabytesOfTextInOneWriteAreShownWhole_data()
{
    QTest::addColumn<QByteArray>("unit");
    QTest::newRow("ASCII, no line breaks") << QByteArray("abcdefgh");
    QTest::newRow("three-byte characters") << QByteArray("日本語");
    QTest::newRow("lines") << QByteArray("0123456789 line\r\n");
}

void tst_TerminalModel::megabytesOfTextInOneWriteAreShownWhole()
{
    // libvterm 0.1.4 overflowed an 8 MiB stack on one 4 MiB run of text (a crash of the whole
    // server, since its screen writes what the console prints).
    QFETCH(QByteArray, unit);
    const QByteArray text = unit.repeated(6 * 1024 * 1024 / unit.size()) + "\r\nthe end";
    TerminalModel model({80, 24});
    model.write(text);
    QCOMPARE(model.lineText(model.lineCount() - 24 + model.cursor().position.y()),
             QStringLiteral("the end"));
    // Nothing was cut inside a character: no replacement character anywhere on the screen.
    for (int row = 0; row < 24; ++row)
        QVERIFY(!model.lineText(model.scrollbackLines() + row).contains(QChar(0xfffd)));
}

void tst_TerminalModel::theSameBytesSplitAtAnyBoundaryGiveTheSameScreen_data()
{
    QTest::addColumn<QByteArray>("bytes");
    QTest::newRow("plain lines") << QByteArray("hello\r\nworld\r\n$ ");
    QTest::newRow("utf-8 of every length") << QByteArray("caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac "
                                                         "\xf0\x9f\x98\x80 \xe2\x82\xac");
    QTest::newRow("16, 256 and truecolour") << QByteArray(
        "\x1b[31mred\x1b[0m \x1b[1;92mbold\x1b[0m \x1b[38;5;208mo\x1b[48;5;21mb\x1b[0m "
        "\x1b[38;2;10;200;30mrgb\x1b[48;2;1;2;3mbg\x1b[m");
    QTest::newRow("cursor movement and erase")
        << QByteArray("abcdef\x1b[1;3HX\x1b[2;1Hline two\x1b[K\x1b[3;5H\x1b[1J\x1b[10C!");
    QTest::newRow("scrolling into the scrollback")
        << QByteArray("1\r\n2\r\n3\r\n4\r\n5\r\n6\r\n7\r\n8\r\n9\r\n10\r\n11\r\n12\r\n");
    QTest::newRow("alternate screen and back")
        << QByteArray("main\x1b[?1049h\x1b[2J\x1b[Halt screen\x1b[?1049lback");
    QTest::newRow("title, cursor shape and modes")
        << QByteArray("\x1b]0;my title\x07\x1b[4 q\x1b[?25l\x1b[?2004hx\x1b[?25h");
    QTest::newRow("combining and wide at the margin")
        << QByteArray("e\xcc\x81 \x1b[1;79H\xe6\x97\xa5wrapped");
    QTest::newRow("line drawing charset") << QByteArray("\x1b(0lqqk\r\nx  x\r\nmqqj\x1b(B");
}

void tst_TerminalModel::theSameBytesSplitAtAnyBoundaryGiveTheSameScreen()
{
    QFETCH(QByteArray, bytes);
    const QSize grid(80, 8);
    TerminalModel whole(grid);
    whole.write(bytes);
    const QStringList expected = snapshot(whole);

    for (int split = 1; split < bytes.size(); ++split) {
        TerminalModel model(grid);
        model.write(bytes.left(split));
        model.write(bytes.mid(split));
        const QStringList actual = snapshot(model);
        QVERIFY2(actual == expected,
                 qPrintable(QStringLiteral("split at byte %1 differs at %2")
                                .arg(split)
                                .arg(firstDifference(expected, actual))));
    }

    TerminalModel byteByByte(grid);
    for (const char byte : bytes)
        byteByByte.write(QByteArrayView(&byte, 1));
    QVERIFY2(snapshot(byteByByte) == expected,
             qPrintable(QStringLiteral("byte by byte differs at %1")
                            .arg(firstDifference(expected, snapshot(byteByByte)))));
}

void tst_TerminalModel::coloursResolveToTheirRgbValues_data()
{
    const TerminalColors colors;
    QTest::addColumn<QByteArray>("sgr");
    QTest::addColumn<bool>("background");
    QTest::addColumn<Rgb>("expected");

    QTest::newRow("ansi red foreground") << QByteArray("31") << false << colors.ansi[1];
    QTest::newRow("ansi bright green foreground") << QByteArray("92") << false << colors.ansi[10];
    QTest::newRow("bold brightens an ansi colour")
        << QByteArray("1;34") << false << colors.ansi[12];
    QTest::newRow("ansi blue background") << QByteArray("44") << true << colors.ansi[4];
    QTest::newRow("ansi bright white background") << QByteArray("107") << true << colors.ansi[15];
    QTest::newRow("256: low index is the ansi palette")
        << QByteArray("38;5;3") << false << colors.ansi[3];
    QTest::newRow("256: colour cube red") << QByteArray("38;5;196") << false << rgb(255, 0, 0);
    QTest::newRow("256: colour cube mix")
        << QByteArray("38;5;67") << false << rgb(0x5f, 0x87, 0xaf);
    QTest::newRow("256: grey ramp") << QByteArray("48;5;244") << true << rgb(128, 128, 128);
    QTest::newRow("truecolour foreground")
        << QByteArray("38;2;10;20;30") << false << rgb(10, 20, 30);
    QTest::newRow("truecolour background")
        << QByteArray("48;2;250;128;1") << true << rgb(250, 128, 1);
    // libvterm 0.1.4 reads the colon form without the colour-space field.
    QTest::newRow("truecolour with colons") << QByteArray("38:2:1:2:3") << false << rgb(1, 2, 3);
    QTest::newRow("default foreground") << QByteArray("0") << false << colors.foreground;
    QTest::newRow("default background after reset")
        << QByteArray("41;49") << true << colors.background;
}

void tst_TerminalModel::coloursResolveToTheirRgbValues()
{
    QFETCH(QByteArray, sgr);
    QFETCH(bool, background);
    QFETCH(Rgb, expected);
    TerminalModel model;
    model.write("\x1b[" + sgr + "mX");
    const Cell cell = model.cellAt(model.scrollbackLines(), 0);
    QCOMPARE(cell.ch, U'X');
    const Rgb actual = background ? cell.background : cell.foreground;
    QVERIFY2(actual == expected,
             qPrintable(QStringLiteral("SGR %1: got #%2, expected #%3")
                            .arg(QString::fromLatin1(sgr))
                            .arg(actual & 0xffffff, 6, 16, QLatin1Char('0'))
                            .arg(expected & 0xffffff, 6, 16, QLatin1Char('0'))));
    const bool isDefault = cell.has(background ? Cell::DefaultBackground : Cell::DefaultForeground);
    const bool expectDefault = sgr == "0" || sgr == "41;49";
    QCOMPARE(isDefault, expectDefault);
}

void tst_TerminalModel::attributesBecomeCellFlags_data()
{
    QTest::addColumn<QByteArray>("sgr");
    QTest::addColumn<int>("flags");
    QTest::newRow("bold") << QByteArray("1") << int(Cell::Bold);
    QTest::newRow("italic") << QByteArray("3") << int(Cell::Italic);
    QTest::newRow("underline") << QByteArray("4") << int(Cell::Underline);
    QTest::newRow("double underline") << QByteArray("21") << int(Cell::DoubleUnderline);
    QTest::newRow("blink") << QByteArray("5") << int(Cell::Blink);
    QTest::newRow("reverse") << QByteArray("7") << int(Cell::Reverse);
    QTest::newRow("strike") << QByteArray("9") << int(Cell::Strike);
    QTest::newRow("bold italic underline")
        << QByteArray("1;3;4") << int(Cell::Bold | Cell::Italic | Cell::Underline);
    QTest::newRow("bold then not bold") << QByteArray("1;22") << 0;
}

void tst_TerminalModel::attributesBecomeCellFlags()
{
    QFETCH(QByteArray, sgr);
    QFETCH(int, flags);
    TerminalModel model;
    model.write("\x1b[" + sgr + "mX\x1b[mY");
    const int styleMask = Cell::Bold | Cell::Italic | Cell::Underline | Cell::DoubleUnderline
        | Cell::Blink | Cell::Reverse | Cell::Strike;
    QCOMPARE(model.cellAt(0, 0).flags & styleMask, flags);
    QCOMPARE(model.cellAt(0, 1).flags & styleMask, 0);
}

void tst_TerminalModel::wideCharactersTakeTwoCells_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QList<int>>("widths");
    QTest::addColumn<int>("cursorColumn");
    QTest::newRow("CJK") << QStringLiteral("日本") << QList<int> {2, 0, 2, 0} << 4;
    QTest::newRow("emoji") << QStringLiteral("a😀b") << QList<int> {1, 2, 0, 1} << 4;
    QTest::newRow("hangul between ascii") << QStringLiteral("x한y") << QList<int> {1, 2, 0, 1} << 4;
    QTest::newRow("combining accent stays in one cell")
        << QStringLiteral("e\u0301!") << QList<int> {1, 1} << 2;
}

void tst_TerminalModel::wideCharactersTakeTwoCells()
{
    QFETCH(QString, text);
    QFETCH(QList<int>, widths);
    QFETCH(int, cursorColumn);
    TerminalModel model;
    model.write(text.toUtf8());
    for (int column = 0; column < widths.size(); ++column)
        QVERIFY2(model.cellAt(0, column).width == widths[column],
                 qPrintable(QStringLiteral("column %1 has width %2, expected %3")
                                .arg(column)
                                .arg(model.cellAt(0, column).width)
                                .arg(widths[column])));
    QCOMPARE(model.cursor().position, QPoint(cursorColumn, 0));
    QCOMPARE(model.lineText(0), text);
}

void tst_TerminalModel::linesScrolledOffTheTopGoToTheScrollback()
{
    TerminalModel model(QSize(20, 3));
    QSignalSpy scrollbackSpy(&model, &TerminalModel::scrollbackChanged);
    model.write("one\r\ntwo\r\nthree\r\nfour\r\nfive");
    QCOMPARE(model.scrollbackLines(), 2);
    QCOMPARE(model.linesScrolledOff(), 2);
    QCOMPARE(screenText(model), QStringLiteral("one|two|three|four|five"));
    QCOMPARE(scrollbackSpy.count(), 1);
    // Lines are stored without their blank tail.
    QCOMPARE(model.scrollback().line(0).size(), size_t(3));
}

void tst_TerminalModel::growingTheScreenPullsLinesBackFromTheScrollback()
{
    TerminalModel model(QSize(20, 3));
    model.write("\x1b[1mone\x1b[m\r\ntwo\r\nthree\r\nfour\r\nfive");
    QCOMPARE(model.scrollbackLines(), 2);
    model.resize(QSize(20, 5));
    QCOMPARE(model.scrollbackLines(), 0);
    QCOMPARE(screenText(model), QStringLiteral("one|two|three|four|five"));
    QVERIFY2(model.cellAt(0, 0).has(Cell::Bold), "attributes survive the round trip");
    QCOMPARE(model.cursor().position, QPoint(4, 4));
    model.resize(QSize(20, 2));
    QCOMPARE(model.scrollbackLines(), 3);
    QCOMPARE(screenText(model), QStringLiteral("one|two|three|four|five"));
}

void tst_TerminalModel::scrollbackIsBoundedAndDropsTheOldestLines()
{
    TerminalModel model(QSize(20, 4));
    model.setScrollbackCapacity(100);
    QByteArray bytes;
    for (int i = 0; i < 1000; ++i)
        bytes += "line " + QByteArray::number(i) + "\r\n";
    model.write(bytes);
    QCOMPARE(model.scrollbackLines(), 100);
    // 1000 lines and an empty one with the cursor: lines 997..999 and "" are on screen.
    QCOMPARE(model.lineText(99), QStringLiteral("line 996"));
    QCOMPARE(model.lineText(0), QStringLiteral("line 897"));
    QCOMPARE(model.scrollback().droppedCount(), 897);
    QCOMPARE(TerminalModel().scrollbackCapacity(), 10'000);
}

void tst_TerminalModel::theAlternateScreenKeepsTheScrollbackUntouched()
{
    TerminalModel model(QSize(20, 3));
    QSignalSpy altSpy(&model, &TerminalModel::altScreenChanged);
    model.write("a\r\nb\r\nc\r\nd");
    QCOMPARE(model.scrollbackLines(), 1);
    model.write("\x1b[?1049h");
    QVERIFY(model.isAltScreen());
    for (int i = 0; i < 50; ++i)
        model.write("full screen app\r\n");
    QCOMPARE(model.scrollbackLines(), 1);
    model.write("\x1b[?1049l");
    QVERIFY(!model.isAltScreen());
    QCOMPARE(screenText(model), QStringLiteral("a|b|c|d"));
    QCOMPARE(altSpy.count(), 2);
}

void tst_TerminalModel::cursorShapeAndBlinkFollowTheGuest_data()
{
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<int>("shape");
    QTest::addColumn<bool>("blinking");
    QTest::addColumn<bool>("visible");
    using Shape = TerminalCursor::Shape;
    QTest::newRow("blinking block") << QByteArray("\x1b[1 q") << int(Shape::Block) << true << true;
    QTest::newRow("steady block") << QByteArray("\x1b[2 q") << int(Shape::Block) << false << true;
    QTest::newRow("blinking underline")
        << QByteArray("\x1b[3 q") << int(Shape::Underline) << true << true;
    QTest::newRow("steady bar") << QByteArray("\x1b[6 q") << int(Shape::Bar) << false << true;
    QTest::newRow("hidden") << QByteArray("\x1b[?25l") << int(Shape::Block) << true << false;
}

void tst_TerminalModel::cursorShapeAndBlinkFollowTheGuest()
{
    QFETCH(QByteArray, bytes);
    QFETCH(int, shape);
    QFETCH(bool, blinking);
    QFETCH(bool, visible);
    TerminalModel model;
    QSignalSpy spy(&model, &TerminalModel::cursorChanged);
    model.write(bytes);
    QCOMPARE(int(model.cursor().shape), shape);
    QCOMPARE(model.cursor().blinking, blinking);
    QCOMPARE(model.cursor().visible, visible);
    QCOMPARE(spy.count(), 1);
}

void tst_TerminalModel::malformedInputNeitherCrashesNorWedgesTheParser_data()
{
    QTest::addColumn<QByteArray>("bytes");
    QTest::newRow("truncated utf-8") << QByteArray("\xe6\x97");
    QTest::newRow("invalid utf-8 bytes") << QByteArray("\xff\xfe\xc0\xaf\xed\xa0\x80");
    QTest::newRow("continuation bytes alone") << QByteArray("\x80\x81\x82\xbf");
    QTest::newRow("huge CSI parameter")
        << QByteArray("\x1b[99999999999999999999999999;9999999999H");
    QTest::newRow("hundreds of CSI parameters") << "\x1b[" + QByteArray(600, ';') + "m";
    QTest::newRow("seventeen CSI arguments (neovim 34012)")
        << QByteArray("\x1b[38:2:59:66:97;48:2:36:40:59;58:2:224:175:104;4:3mX");
    QTest::newRow("two hundred CSI arguments")
        << "\x1b[" + QByteArray(200, '1').replace('1', "1;") + "H";
    QTest::newRow("CSI without a final byte") << QByteArray("\x1b[1;2;3");
    QTest::newRow("unknown CSI") << QByteArray("\x1b[?9999z\x1b[>5;6;7~");
    QTest::newRow("huge scroll region") << QByteArray("\x1b[0;65535r\x1b[65535S\x1b[65535T");
    QTest::newRow("insert and delete far beyond the screen")
        << QByteArray("\x1b[65535@\x1b[65535P\x1b[65535L\x1b[65535M\x1b[65535X");
    QTest::newRow("unterminated OSC of 200 KiB") << "\x1b]0;" + QByteArray(200 * 1024, 'a');
    QTest::newRow("unterminated DCS") << "\x1bP" + QByteArray(10000, 'q');
    QTest::newRow("NUL and C1 controls") << QByteArray("a\0b\x9b\x31m\x90\x9c", 8);
    QTest::newRow("resize request to zero") << QByteArray("\x1b[8;0;0t");
    QTest::newRow("repeat last char a million times") << QByteArray("x\x1b[1000000b");
}

void tst_TerminalModel::malformedInputNeitherCrashesNorWedgesTheParser()
{
    QFETCH(QByteArray, bytes);
    TerminalModel model(QSize(40, 5));
    model.write(bytes);
    // Whatever state the garbage left, CAN, a reset of attributes and a fresh line get a
    // terminal that writes text where the cursor is again.
    model.write("\x18\x1b\\\x1b[0m\r\nstill alive");
    const TerminalCursor cursor = model.cursor();
    QVERIFY2(
        cursor.position.x() >= 0 && cursor.position.x() <= 40 && cursor.position.y() >= 0
            && cursor.position.y() < 5,
        qPrintable(
            QStringLiteral("cursor at %1,%2").arg(cursor.position.x()).arg(cursor.position.y())));
    const QString line = model.lineText(model.scrollbackLines() + cursor.position.y());
    QVERIFY2(line.endsWith(QLatin1String("still alive")), qPrintable(line));
}

void tst_TerminalModel::randomBytesNeitherCrashNorWedgeTheParser()
{
    QRandomGenerator random(42); // fixed seed: a failure can be replayed
    TerminalModel model(QSize(80, 24));
    model.setScrollbackCapacity(500);
    QByteArray chunk(4096, '\0');
    for (int round = 0; round < 256; ++round) {
        for (char &byte : chunk) {
            // Weighted towards ESC, '[' and digits so that sequences actually start.
            const quint32 roll = random.bounded(100);
            byte = roll < 10 ? '\x1b'
                : roll < 20  ? '['
                : roll < 35  ? char('0' + roll % 10)
                             : char(random.bounded(256));
        }
        model.write(chunk);
    }
    // The garbage may have set any mode (insert, origin, a scroll region); a cancel and a full
    // reset must bring back a terminal that writes where it is told.
    model.write("\x18\x1b\\\x1b"
                "cstill alive");
    const int line = model.scrollbackLines();
    QVERIFY2(model.lineText(line) == QLatin1String("still alive"),
             qPrintable(model.lineText(line)));
    QVERIFY(model.scrollbackLines() <= 500);
}

void tst_TerminalModel::aWriteAnnouncesItsDamageOnce()
{
    TerminalModel model(QSize(80, 24));
    QSignalSpy spy(&model, &TerminalModel::damaged);
    model.write(QByteArray(1000, 'x'));
    QCOMPARE(spy.count(), 1);
    QCOMPARE(spy.at(0).at(0).toRect(), QRect(0, 0, 80, 13));
    model.write("\x1b[20;5HY");
    QCOMPARE(spy.count(), 2);
    QCOMPARE(spy.at(1).at(0).toRect(), QRect(4, 19, 1, 1));
}

void tst_TerminalModel::answersToQueriesAreDroppedWhileRepliesAreDisabled()
{
    TerminalModel model;
    QSignalSpy spy(&model, &TerminalModel::inputReady);
    model.write("\x1b[6n"); // where is the cursor?
    QCOMPARE(spy.count(), 1);
    QCOMPARE(spy.at(0).at(0).toByteArray(), QByteArray("\x1b[1;1R"));
    model.setRepliesEnabled(false);
    model.write("\x1b[6n\x1b[c");
    QCOMPARE(spy.count(), 1);
    // Keys still go out: only answers are muted.
    model.sendKey(VTERM_KEY_ENTER, VTERM_MOD_NONE);
    QCOMPARE(spy.count(), 2);
    QCOMPARE(spy.at(1).at(0).toByteArray(), QByteArray("\r"));
}

void tst_TerminalModel::pasteIsBracketedOnlyWhenTheGuestAskedForIt_data()
{
    QTest::addColumn<QByteArray>("mode");
    QTest::addColumn<QString>("text");
    QTest::addColumn<QByteArray>("expected");
    QTest::newRow("plain") << QByteArray() << QStringLiteral("ls -l\n") << QByteArray("ls -l\r");
    QTest::newRow("crlf becomes one return")
        << QByteArray() << QStringLiteral("a\r\nb") << QByteArray("a\rb");
    QTest::newRow("bracketed") << QByteArray("\x1b[?2004h") << QStringLiteral("a\nb")
                               << QByteArray("\x1b[200~a\rb\x1b[201~");
    QTest::newRow("bracketed then switched off")
        << QByteArray("\x1b[?2004h\x1b[?2004l") << QStringLiteral("x") << QByteArray("x");
    QTest::newRow("an end marker inside the paste is removed")
        << QByteArray("\x1b[?2004h") << QStringLiteral("a\x1b[201~rm -rf /\n")
        << QByteArray("\x1b[200~arm -rf /\r\x1b[201~");
    QTest::newRow("utf-8") << QByteArray() << QStringLiteral("é日")
                           << QByteArray("\xc3\xa9\xe6\x97\xa5");
}

void tst_TerminalModel::pasteIsBracketedOnlyWhenTheGuestAskedForIt()
{
    QFETCH(QByteArray, mode);
    QFETCH(QString, text);
    QFETCH(QByteArray, expected);
    TerminalModel model;
    model.write(mode);
    QSignalSpy spy(&model, &TerminalModel::inputReady);
    model.paste(text);
    QCOMPARE(spy.count(), 1);
    QCOMPARE(spy.at(0).at(0).toByteArray(), expected);
}

void tst_TerminalModel::aMarkedLineStartsOnANewLineInItsOwnColours()
{
    TerminalModel model(QSize(40, 5));
    model.write("abc\x1b[31m\x1b[1"); // a sequence cut short by the gap
    model.markLine(QStringLiteral("[cloud-console: 99 bytes skipped]"));
    model.write("def");
    QCOMPARE(screenText(model), QStringLiteral("abc|[cloud-console: 99 bytes skipped]|def||"));
    const Cell marker = model.cellAt(1, 0);
    QCOMPARE(marker.background, model.colors().ansi[3]);
    QVERIFY2(!model.cellAt(1, 39).has(Cell::DefaultBackground), "the mark spans the line");
    QVERIFY2(model.cellAt(2, 0).has(Cell::DefaultForeground), "the pen is reset after the mark");
}

void tst_TerminalModel::textSpansLinesAndTrimsTrailingBlanks()
{
    TerminalModel model(QSize(20, 4));
    model.write("first line   \r\nsecond\r\n日本 x");
    QCOMPARE(model.text({6, 0}, {3, 1}), QStringLiteral("line\nsec"));
    QCOMPARE(model.text({0, 2}, {20, 2}), QStringLiteral("日本 x"));
    QCOMPARE(model.allText(), QStringLiteral("first line\nsecond\n日本 x\n"));
}

void tst_TerminalModel::editingSequencesMoveTheRightCells_data()
{
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<QString>("expected");
    QTest::newRow("insert characters")
        << QByteArray("abcdef\r\x1b[2@") << QStringLiteral("  abcdef|||");
    QTest::newRow("delete characters")
        << QByteArray("abcdef\r\x1b[2C\x1b[3P") << QStringLiteral("abf|||");
    QTest::newRow("erase characters")
        << QByteArray("abcdef\r\x1b[C\x1b[2X") << QStringLiteral("a  def|||");
    QTest::newRow("insert line") << QByteArray("1\r\n2\r\n3\r\n4\x1b[2;1H\x1b[L")
                                 << QStringLiteral("1||2|3");
    QTest::newRow("delete line") << QByteArray("1\r\n2\r\n3\r\n4\x1b[2;1H\x1b[M")
                                 << QStringLiteral("1|3|4|");
    QTest::newRow("scroll down") << QByteArray("1\r\n2\r\n3\r\n4\x1b[2T")
                                 << QStringLiteral("||1|2");
    QTest::newRow("scroll up") << QByteArray("1\r\n2\r\n3\r\n4\x1b[H\x1b[2S")
                               << QStringLiteral("1|2|3|4||");
    QTest::newRow("reverse index at the top")
        << QByteArray("1\r\n2\r\n3\r\n4\x1b[H\x1bM") << QStringLiteral("|1|2|3");
}

void tst_TerminalModel::editingSequencesMoveTheRightCells()
{
    QFETCH(QByteArray, bytes);
    QFETCH(QString, expected);
    TerminalModel model(QSize(10, 4));
    model.write(bytes);
    QCOMPARE(screenText(model), expected);
}

void tst_TerminalModel::aScrollRegionBelowTheTopKeepsItsLinesOutOfTheScrollback()
{
    TerminalModel model(QSize(10, 4));
    // A status line on row 0, a region of rows 2..4 (1-based) scrolled by many lines.
    model.write("status\x1b[2;4r\x1b[2;1H");
    for (int i = 0; i < 10; ++i)
        model.write("l" + QByteArray::number(i) + "\r\n");
    QCOMPARE(model.scrollbackLines(), 0);
    QCOMPARE(screenText(model), QStringLiteral("status|l8|l9|"));
    // Back to the full screen: lines now scroll into the scrollback.
    model.write("\x1b[r\x1b[4;1Hx\r\ny");
    QCOMPARE(model.scrollbackLines(), 1);
    QCOMPARE(screenText(model), QStringLiteral("status|l8|l9|x|y"));
}

void tst_TerminalModel::selectiveEraseKeepsProtectedCells()
{
    TerminalModel model(QSize(10, 2));
    model.write("\x1b[1\"qP\x1b[0\"qxyz\x1b[?2K");
    QCOMPARE(screenText(model), QStringLiteral("P|"));
    model.write("\x1b[2K"); // a plain erase takes everything
    QCOMPARE(screenText(model), QStringLiteral("|"));
}

void tst_TerminalModel::overwritingHalfAWideCharacterClearsTheOtherHalf()
{
    TerminalModel model(QSize(10, 2));
    model.write("\xe4\xb8\xad\xe6\x96\x87\r" // 中文, then back to column 0
                "a\x1b[3Gb");
    QCOMPARE(model.cellAt(0, 0).width, quint8(1));
    QCOMPARE(model.cellAt(0, 1).width, quint8(1));
    QCOMPARE(model.cellAt(0, 1).ch, char32_t(0));
    QCOMPARE(model.cellAt(0, 2).ch, char32_t('b'));
    QCOMPARE(model.cellAt(0, 3).width, quint8(1));
    QCOMPARE(model.lineText(0), QStringLiteral("a b"));
    // A wide character in the scrollback keeps its right half.
    model.write("\r\n\xe4\xb8\xad\r\n\r\n");
    QCOMPARE(model.scrollbackLines(), 2);
    QCOMPARE(model.scrollback().line(1).size(), size_t(2));
    QCOMPARE(model.lineText(1), QStringLiteral("中"));
}

void tst_TerminalModel::erasedCellsTakeThePenAndScrolledLinesKeepTheirColours()
{
    TerminalModel model(QSize(10, 2));
    model.write("\x1b[44mab\x1b[K\x1b[0m\r\n\x1b[4mu\x1b[0m\r\n");
    QCOMPARE(model.scrollbackLines(), 1);
    // The blue erase runs to the end of the line, so the line keeps its full width.
    QCOMPARE(model.scrollback().line(0).size(), size_t(10));
    const Cell tail = model.cellAt(0, 9);
    QCOMPARE(tail.background, model.colors().ansi[4]);
    QVERIFY(!tail.has(Cell::DefaultBackground));
    QVERIFY(model.cellAt(1, 0).has(Cell::Underline));
    QVERIFY(!model.cellAt(1, 1).has(Cell::Underline));
}

QTEST_GUILESS_MAIN(tst_TerminalModel)
#include "tst_terminalmodel.moc"
