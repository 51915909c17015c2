// LineReader, the decoder of every byte a guest prints into the lines alert rules match: escape
// sequences and controls removed, CR LF, LF and CR each ending a line, long lines cut, and the
// same lines whatever the pieces the bytes come in, malformed input included.

#include "linereader.h"

#include <QRandomGenerator>
#include <QTest>

using namespace CloudConsole;

class tst_LineReader : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void linesComeOutWithoutEscapesAndControls_data();
    void linesComeOutWithoutEscapesAndControls();
    void everySplitGivesTheSameLines_data();
    void everySplitGivesTheSameLines();
    void aLongLineIsCutAndTheRestDropped();
    void theLineBeingReadIsPendingUntilItEnds();
    void skippedOutputDropsTheLineItInterrupted();
    void randomBytesGiveBoundedCleanLinesWhateverThePieces();
};

namespace {

// "OFFSET:TEXT" per line, "+" after a cut one, then "pending OFFSET:TEXT" if any.
QStringList read(const QList<QByteArray> &pieces, qint64 start = 0)
{
    LineReader reader;
    QStringList out;
    qint64 offset = start;
    for (const QByteArray &piece : pieces) {
        reader.feed(offset, piece, [&out](const LineReader::Line &line) {
            out.append(QStringLiteral("%1:%2%3")
                           .arg(line.offset)
                           .arg(QString::fromUtf8(line.text))
                           .arg(line.truncated ? QStringLiteral("+") : QString()));
        });
        offset += piece.size();
    }
    const LineReader::Line pending = reader.pending();
    if (!pending.text.isEmpty())
        out.append(QStringLiteral("pending %1:%2")
                       .arg(pending.offset)
                       .arg(QString::fromUtf8(pending.text)));
    return out;
}

QStringList read(const QByteArray &bytes)
{
    return read(QList<QByteArray> {bytes});
}

void addCases()
{
    QTest::addColumn<QByteArray>("input");
    QTest::addColumn<QStringList>("lines");
    QTest::newRow("LF") << QByteArray("one\ntwo\n") << QStringList {"0:one", "4:two"};
    QTest::newRow("CR LF") << QByteArray("one\r\ntwo\r\n") << QStringList {"0:one", "5:two"};
    QTest::newRow("bare CR") << QByteArray("one\rtwo\r") << QStringList {"0:one", "4:two"};
    QTest::newRow("CR CR LF: one line end, then an empty line")
        << QByteArray("one\r\r\ntwo\n") << QStringList {"0:one", "6:two"};
    QTest::newRow("LF CR: two line ends") << QByteArray("a\n\rb\n") << QStringList {"0:a", "3:b"};
    QTest::newRow("empty lines are not reported")
        << QByteArray("\n\r\n\r\rx\n") << QStringList {"5:x"};
    QTest::newRow("a prompt without a line end is pending")
        << QByteArray("\r\n\nvm1 login: ") << QStringList {"pending 3:vm1 login: "};
    QTest::newRow("colours") << QByteArray("\x1b[0;1;31mKernel panic\x1b[0m - not syncing\r\n")
                             << QStringList {"0:Kernel panic - not syncing"};
    QTest::newRow("private CSI with intermediates")
        << QByteArray("a\x1b[?25l\x1b[1 qb\x1b[>0;1cc\n") << QStringList {"0:abc"};
    QTest::newRow("OSC ended by BEL")
        << QByteArray("\x1b]0;title\x07text\n") << QStringList {"0:text"};
    QTest::newRow("OSC ended by ST")
        << QByteArray("\x1b]2;title\x1b\\text\n") << QStringList {"0:text"};
    QTest::newRow("DCS, SOS, PM and APC strings")
        << QByteArray("a\x1bP1$r0m\x1b\\b\x1bXsos\x1b\\c\x1b^pm\x1b\\d\x1b_apc\x07"
                      "e\n")
        << QStringList {"0:abcde"};
    QTest::newRow("charset and other ESC sequences") << QByteArray("\x1b(Ba\x1b)0b\x1b"
                                                                   "7c\x1b"
                                                                   "8d\x1b=e\x1b>f\x1b"
                                                                   "cg\n")
                                                     << QStringList {"0:abcdefg"};
    QTest::newRow("C0 controls dropped, tab kept") << QByteArray("a\x07"
                                                                 "b\x08"
                                                                 "c\x00"
                                                                 "d\te\x7f"
                                                                 "f\x0e"
                                                                 "g\x0f\n",
                                                                 16)
                                                   << QStringList {"0:abcd\tefg"};
    QTest::newRow("UTF-8 kept") << QByteArray("héllo ✓\n") << QStringList {"0:héllo ✓"};
    QTest::newRow("a line end inside a CSI ends both")
        << QByteArray("a\x1b[1\r\n2mb\n") << QStringList {"0:a", "6:2mb"};
    QTest::newRow("other controls inside a CSI are dropped")
        << QByteArray("a\x1b[1\x07;2mb\n") << QStringList {"0:ab"};
    // Malformed sequences.
    QTest::newRow("an unterminated OSC ends at the line end")
        << QByteArray("\x1b]0;no end\nKernel panic\n") << QStringList {"11:Kernel panic"};
    QTest::newRow("ESC inside an OSC starts a new sequence")
        << QByteArray("\x1b]0;t\x1b[1mx\n") << QStringList {"0:x"};
    QTest::newRow("CAN aborts a CSI") << QByteArray("\x1b[12\x18x\n") << QStringList {"0:x"};
    QTest::newRow("SUB aborts an OSC") << QByteArray("\x1b]0;t\x1ax\n") << QStringList {"0:x"};
    QTest::newRow("ESC ESC") << QByteArray("\x1b\x1b[1mx\n") << QStringList {"0:x"};
    QTest::newRow("a high byte in a CSI ends it")
        << QByteArray("\x1b[1\xc3\xa9x\n") << QStringList {QStringLiteral("0:\uFFFDx")};
    QTest::newRow("ESC at the very end") << QByteArray("x\x1b") << QStringList {"pending 0:x"};
    QTest::newRow("ESC then a line end") << QByteArray("x\x1b\ny\n") << QStringList {"0:x", "3:y"};
    QTest::newRow("an unterminated CSI ends at the line end")
        << QByteArray("\x1b[1;2;3\r\nKernel panic\n") << QStringList {"9:Kernel panic"};
    QTest::newRow("a lone CSI introducer") << QByteArray("\x1b[") << QStringList {};
}

} // namespace

void tst_LineReader::linesComeOutWithoutEscapesAndControls_data()
{
    addCases();
}

void tst_LineReader::linesComeOutWithoutEscapesAndControls()
{
    QFETCH(QByteArray, input);
    QFETCH(QStringList, lines);
    QCOMPARE(read(input), lines);
}

void tst_LineReader::everySplitGivesTheSameLines_data()
{
    addCases();
}

void tst_LineReader::everySplitGivesTheSameLines()
{
    QFETCH(QByteArray, input);
    QFETCH(QStringList, lines);
    for (qsizetype cut = 0; cut <= input.size(); ++cut) {
        QVERIFY2(read({input.first(cut), input.sliced(cut)}) == lines,
                 qPrintable(QStringLiteral("cut at %1: %2")
                                .arg(cut)
                                .arg(read({input.first(cut), input.sliced(cut)}).join(u'|'))));
    }
    QList<QByteArray> bytes;
    for (const char c : input)
        bytes.append(QByteArray(1, c));
    QCOMPARE(read(bytes), lines);
}

void tst_LineReader::aLongLineIsCutAndTheRestDropped()
{
    const QByteArray longLine(10000, 'a');
    const QStringList lines = read(longLine + "\nnext\n");
    QCOMPARE(lines.size(), 2);
    QCOMPARE(lines[0], QStringLiteral("0:") + QString(LineReader::MaxLine, u'a') + u'+');
    QCOMPARE(lines[1], QStringLiteral("10001:next"));
    // The cut does not depend on the pieces either.
    QCOMPARE(read({longLine.first(4095), longLine.sliced(4095) + "\nnext\n"}), lines);
    // A line that never ends costs MaxLine bytes, not more.
    LineReader reader;
    int count = 0;
    for (int i = 0; i < 1000; ++i)
        reader.feed(i * 1000, QByteArray(1000, 'b'), [&count](const auto &) { ++count; });
    QCOMPARE(count, 1);
    QVERIFY(reader.pending().text.isEmpty());
}

void tst_LineReader::theLineBeingReadIsPendingUntilItEnds()
{
    LineReader reader;
    QStringList lines;
    const auto sink
        = [&lines](const LineReader::Line &l) { lines.append(QString::fromUtf8(l.text)); };
    reader.feed(0, "vm1 login: ", sink);
    const quint64 revision = reader.pendingRevision();
    QCOMPARE(reader.pending().text, QByteArray("vm1 login: "));
    reader.feed(11, "\x1b[?25h", sink); // no text: the pending line is unchanged
    QCOMPARE(reader.pendingRevision(), revision);
    reader.feed(17, "root\r\n", sink);
    QVERIFY(reader.pendingRevision() != revision);
    QCOMPARE(lines, QStringList {QStringLiteral("vm1 login: root")});
    QVERIFY(reader.pending().text.isEmpty());
    QCOMPARE(reader.pending().offset, 23);
}

void tst_LineReader::skippedOutputDropsTheLineItInterrupted()
{
    LineReader reader;
    QStringList lines;
    const auto sink = [&lines](const LineReader::Line &l) {
        lines.append(QStringLiteral("%1:%2").arg(l.offset).arg(QString::fromUtf8(l.text)));
    };
    reader.feed(100, "Kernel pa\x1b]0;", sink);
    reader.feed(5000, "tail\nnext\n", sink); // 4887 bytes skipped
    QCOMPARE(lines, (QStringList {QStringLiteral("5000:tail"), QStringLiteral("5005:next")}));
}

void tst_LineReader::randomBytesGiveBoundedCleanLinesWhateverThePieces()
{
    // A fixed seed: bytes weighted towards ESC, controls and sequence bytes.
    QRandomGenerator random(13);
    static const char alphabet[]
        = "\x1b\x1b[]P\\\x07\r\n\r\x18\x1a;0123?mhaZ \t\x9c\xc3\xa9\x00\x7f";
    for (int round = 0; round < 200; ++round) {
        QByteArray input;
        const int size = int(random.bounded(1, 600));
        for (int i = 0; i < size; ++i)
            input.append(random.bounded(4) == 0
                             ? char(random.bounded(256))
                             : alphabet[random.bounded(int(sizeof alphabet) - 1)]);
        if (round % 10 == 0)
            input.append(QByteArray(5000, 'x')); // past the line limit
        const QStringList whole = read(input);
        // Three pieces at cuts from the round's own random numbers.
        qsizetype a = random.bounded(int(input.size()) + 1);
        qsizetype b = random.bounded(int(input.size()) + 1);
        if (b < a)
            std::swap(a, b);
        QCOMPARE(read({input.first(a), input.sliced(a, b - a), input.sliced(b)}), whole);

        LineReader reader;
        qint64 lastOffset = -1;
        reader.feed(0, input, [&](const LineReader::Line &line) {
            QVERIFY(!line.text.isEmpty() && line.text.size() <= LineReader::MaxLine);
            QVERIFY(line.offset > lastOffset && line.offset < input.size());
            lastOffset = line.offset;
            for (const char c : line.text)
                QVERIFY2(uchar(c) >= 0x20 ? c != 0x7f : c == '\t',
                         qPrintable(QStringLiteral("control %1 in a line").arg(int(uchar(c)))));
        });
    }
}

QTEST_GUILESS_MAIN(tst_LineReader)
#include "tst_linereader.moc"
