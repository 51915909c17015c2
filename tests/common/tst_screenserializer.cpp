// The screen snapshot, headless: a model that is fed a snapshot of another draws the same
// terminal, and a snapshot followed by the rest of the stream ends where the stream does, on
// recorded workloads cut at many points; the modes libvterm keeps to itself are tracked whatever
// the split of their bytes; and the model answers the guest's queries.

#include "modetracker.h"
#include "screenserializer.h"
#include "terminaldiff.h"
#include "terminalmodel.h"
#include "workloads.h"

#include <QSignalSpy>
#include <QTest>

using namespace CloudConsole::Terminal;
using CloudConsole::Test::difference;

namespace {

QByteArray workload(const QByteArray &name, qsizetype size)
{
    if (name == "boot log")
        return Workloads::kernelBootLog(size);
    if (name == "ls -lR")
        return Workloads::lsRecursive(size);
    if (name == "top")
        return Workloads::topScreen(size);
    if (name == "editor")
        return Workloads::editorSession(size);
    return Workloads::installerDialog(size);
}

} // namespace

class tst_ScreenSerializer : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void aSnapshotDrawsTheSameTerminal_data();
    void aSnapshotDrawsTheSameTerminal();
    void aSnapshotFollowedByTheRestOfTheStreamEndsWhereTheStreamDoes_data();
    void aSnapshotFollowedByTheRestOfTheStreamEndsWhereTheStreamDoes();
    void aSnapshotKeepsOriginModeAndTheScrollRegion();
    void snapshotsOfWhatFuzzingFoundDrawTheSameAgain_data();
    void snapshotsOfWhatFuzzingFoundDrawTheSameAgain();
    void theModesAreTrackedWhereverTheBytesAreSplit_data();
    void theModesAreTrackedWhereverTheBytesAreSplit();
    void malformedSequencesLeaveTheModesAlone();
    void theModelAnswersTheGuestsQueries_data();
    void theModelAnswersTheGuestsQueries();
    void aResetModelIsANewTerminal();
};

void tst_ScreenSerializer::aSnapshotDrawsTheSameTerminal_data()
{
    QTest::addColumn<QByteArray>("name");
    QTest::addColumn<QSize>("size");
    for (const char *name : {"boot log", "ls -lR", "top", "editor", "installer"}) {
        QTest::addRow("%s 80x24", name) << QByteArray(name) << QSize(80, 24);
        QTest::addRow("%s 200x60", name) << QByteArray(name) << QSize(200, 60);
    }
}

void tst_ScreenSerializer::aSnapshotDrawsTheSameTerminal()
{
    QFETCH(QByteArray, name);
    QFETCH(QSize, size);
    TerminalModel original(size);
    original.setScrollbackCapacity(1000);
    original.write(workload(name, 300 * 1024));

    TerminalModel copy(size);
    copy.setScrollbackCapacity(1000);
    const QByteArray snapshot = ScreenSerializer::serialize(original);
    copy.write(snapshot);
    const QString why = difference(original, copy);
    QVERIFY2(why.isEmpty(), qPrintable(why));
    // Serialising the copy gives the same bytes: nothing is lost or added on the way.
    QCOMPARE(ScreenSerializer::serialize(copy), snapshot);
}

void tst_ScreenSerializer::aSnapshotFollowedByTheRestOfTheStreamEndsWhereTheStreamDoes_data()
{
    QTest::addColumn<QByteArray>("name");
    for (const char *name : {"boot log", "ls -lR", "top", "editor", "installer"})
        QTest::newRow(name) << QByteArray(name);
}

void tst_ScreenSerializer::aSnapshotFollowedByTheRestOfTheStreamEndsWhereTheStreamDoes()
{
    QFETCH(QByteArray, name);
    const QByteArray stream = workload(name, 96 * 1024);
    // Cuts anywhere, in the middle of escape sequences and UTF-8 characters too.
    for (qsizetype cut = 1; cut < stream.size(); cut += 4093) {
        TerminalModel whole({80, 24});
        whole.setScrollbackCapacity(1000);
        whole.write(stream.first(cut));
        TerminalModel late({80, 24});
        late.setScrollbackCapacity(1000);
        late.write(ScreenSerializer::serialize(whole));
        whole.write(stream.sliced(cut));
        late.write(stream.sliced(cut));
        const QString why = difference(whole, late);
        QVERIFY2(why.isEmpty(), qPrintable(QStringLiteral("cut at %1: %2").arg(cut).arg(why)));
    }
}

void tst_ScreenSerializer::aSnapshotKeepsOriginModeAndTheScrollRegion()
{
    TerminalModel original({40, 10});
    original.write("\x1b[3;8r\x1b[?6h\x1b[2;5Hin the region\x1b[?7l\x1b[?25l\x1b[4 q");
    QCOMPARE(original.modes().scrollTop, 3);
    QVERIFY(original.modes().originMode);
    QVERIFY(!original.modes().autowrap);
    TerminalModel copy({40, 10});
    copy.write(ScreenSerializer::serialize(original));
    QString why = difference(original, copy);
    QVERIFY2(why.isEmpty(), qPrintable(why));
    // Both go on the same way: a line feed at the region's bottom scrolls the region only.
    const QByteArray more = "\x1b[5;1Hbottom\n\n\nscrolled\x1b[Hhome";
    original.write(more);
    copy.write(more);
    why = difference(original, copy);
    QVERIFY2(why.isEmpty(), qPrintable(why));
}

void tst_ScreenSerializer::snapshotsOfWhatFuzzingFoundDrawTheSameAgain_data()
{
    // Inputs fuzz_terminal found (fuzz/regressions/terminal/), on its 20x5 screen.
    QTest::addColumn<QByteArray>("input");
    QTest::newRow("a line feed inside an unfinished CSI")
        << QByteArray("hello\r\nworld\x1b[1;31\n");
    QTest::newRow("a scroll region below the screen")
        << QByteArray("\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e e\xcc\x81 \x1b[38;5;196m256\x1b"
                      "b48;2;1;2;3mtrue\x1b[m\x1b[6r\x1b[c");
}

void tst_ScreenSerializer::snapshotsOfWhatFuzzingFoundDrawTheSameAgain()
{
    QFETCH(QByteArray, input);
    TerminalModel original({20, 5});
    original.setScrollbackCapacity(10);
    original.write(input);
    const QByteArray snapshot = ScreenSerializer::serialize(original);
    TerminalModel copy({20, 5});
    copy.setScrollbackCapacity(10);
    copy.write(snapshot);
    QCOMPARE(ScreenSerializer::serialize(copy), snapshot);
}

void tst_ScreenSerializer::theModesAreTrackedWhereverTheBytesAreSplit_data()
{
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<QByteArray>("expected"); // a field list, see below
    QTest::newRow("cursor keys and keypad") << QByteArray("\x1b[?1h\x1b=") << QByteArray("ck kp");
    QTest::newRow("keypad off again") << QByteArray("\x1b=\x1b>\x1b[?1h") << QByteArray("ck");
    QTest::newRow("several modes in one")
        << QByteArray("\x1b[?1;2004;1004h") << QByteArray("ck bp fr");
    QTest::newRow("mouse and its encoding")
        << QByteArray("\x1b[?1000h\x1b[?1002h\x1b[?1006h") << QByteArray("drag sgr");
    QTest::newRow("mouse off") << QByteArray("\x1b[?1003h\x1b[?1003l\x1b[?1006h\x1b[?1006l")
                               << QByteArray("");
    // An escape inside a string ends the string and starts a sequence of its own, as in xterm.
    QTest::newRow("an escape ends a title")
        << QByteArray("\x1b]0;a \x1b[?1h title\x07\x1b[?2004h") << QByteArray("ck bp");
    QTest::newRow("a title before the mode")
        << QByteArray("\x1b]0;a [?1h title\x07\x1b[?2004h") << QByteArray("bp");
    QTest::newRow("a string ended by ST")
        << QByteArray("\x1bP1$r\x1b\\\x1b[?2004h") << QByteArray("bp");
    QTest::newRow("scroll region and origin")
        << QByteArray("\x1b[2;20r\x1b[?6h") << QByteArray("om r2-20");
    QTest::newRow("autowrap off") << QByteArray("\x1b[?7l") << QByteArray("nowrap");
    QTest::newRow("soft reset") << QByteArray("\x1b[?1h\x1b=\x1b[?7l\x1b[2;9r\x1b[?2004h\x1b[!p")
                                << QByteArray("bp");
    QTest::newRow("hard reset") << QByteArray("\x1b[?1h\x1b[?2004h\x1b[?1000h\x1b"
                                              "c")
                                << QByteArray("");
    QTest::newRow("charset designation is not a mode")
        << QByteArray("\x1b(B\x1b=") << QByteArray("kp");
    QTest::newRow("DA2 is not a mode") << QByteArray("\x1b[>1h\x1b[?66h") << QByteArray("kp");
}

void tst_ScreenSerializer::theModesAreTrackedWhereverTheBytesAreSplit()
{
    QFETCH(QByteArray, bytes);
    QFETCH(QByteArray, expected);
    const auto describe = [](const TerminalModes &m) {
        QByteArrayList fields;
        if (m.applicationCursorKeys)
            fields << "ck";
        if (m.applicationKeypad)
            fields << "kp";
        if (m.bracketedPaste)
            fields << "bp";
        if (m.focusReports)
            fields << "fr";
        if (m.mouse == TerminalModes::Mouse::Click)
            fields << "click";
        if (m.mouse == TerminalModes::Mouse::Drag)
            fields << "drag";
        if (m.mouse == TerminalModes::Mouse::Any)
            fields << "any";
        if (m.mouseEncoding == TerminalModes::MouseEncoding::Sgr)
            fields << "sgr";
        if (m.originMode)
            fields << "om";
        if (!m.autowrap)
            fields << "nowrap";
        if (m.scrollTop || m.scrollBottom)
            fields << "r" + QByteArray::number(m.scrollTop) + '-'
                    + QByteArray::number(m.scrollBottom);
        return fields.join(' ');
    };
    for (qsizetype split = 0; split <= bytes.size(); ++split) {
        ModeTracker tracker;
        tracker.feed(QByteArrayView(bytes).first(split));
        tracker.feed(QByteArrayView(bytes).sliced(split));
        QVERIFY2(describe(tracker.modes()) == expected,
                 qPrintable(QStringLiteral("split at %1: \"%2\"")
                                .arg(split)
                                .arg(QString::fromLatin1(describe(tracker.modes())))));
    }
    // Byte by byte, as a slow serial line delivers them.
    ModeTracker tracker;
    for (const char c : bytes)
        tracker.feed(QByteArrayView(&c, 1));
    QCOMPARE(describe(tracker.modes()), expected);
}

void tst_ScreenSerializer::malformedSequencesLeaveTheModesAlone()
{
    ModeTracker tracker;
    // A cancelled sequence, an aborted one, hundreds of parameters, huge numbers, a string that
    // never ends, then one real mode after each.
    tracker.feed("\x1b[?2004\x18h");
    QVERIFY(!tracker.modes().bracketedPaste);
    tracker.feed("\x1b[?1\x1b[?7l");
    QVERIFY(!tracker.modes().applicationCursorKeys);
    QVERIFY(!tracker.modes().autowrap);
    QByteArray many = "\x1b[?";
    for (int i = 0; i < 500; ++i)
        many += "9999999999;";
    tracker.feed(many + "2004h");
    QVERIFY(!tracker.modes().bracketedPaste); // the 501st parameter is not kept
    tracker.feed("\x1b]0;" + QByteArray(100'000, 'x'));
    tracker.feed("\x1b[?1h"); // ends the string (ESC), then is a sequence of its own
    QVERIFY(tracker.modes().applicationCursorKeys);
}

void tst_ScreenSerializer::theModelAnswersTheGuestsQueries_data()
{
    QTest::addColumn<QByteArray>("query");
    QTest::addColumn<QByteArray>("answer");
    QTest::newRow("DA1") << QByteArray("\x1b[c") << QByteArray("\x1b[?1;2c");
    QTest::newRow("DA2") << QByteArray("\x1b[>c") << QByteArray("\x1b[>0;100;0c");
    QTest::newRow("DSR 5") << QByteArray("\x1b[5n") << QByteArray("\x1b[0n");
    QTest::newRow("DSR 6") << QByteArray("\x1b[3;7H\x1b[6n") << QByteArray("\x1b[3;7R");
    QTest::newRow("size in characters") << QByteArray("\x1b[18t") << QByteArray("\x1b[8;30;100t");
    QTest::newRow("DECRQM bracketed paste")
        << QByteArray("\x1b[?2004h\x1b[?2004$p") << QByteArray("\x1b[?2004;1$y");
    QTest::newRow("no query, no answer") << QByteArray("plain text\x1b[1m") << QByteArray();
}

void tst_ScreenSerializer::theModelAnswersTheGuestsQueries()
{
    QFETCH(QByteArray, query);
    QFETCH(QByteArray, answer);
    TerminalModel model({100, 30});
    QByteArray replies;
    connect(&model, &TerminalModel::inputReady, &model,
            [&replies](const QByteArray &bytes) { replies += bytes; });
    model.write(query);
    QCOMPARE(replies, answer);
}

void tst_ScreenSerializer::aResetModelIsANewTerminal()
{
    TerminalModel used({80, 24});
    used.write(Workloads::editorSession(50'000));
    used.write(Workloads::kernelBootLog(50'000));
    used.reset();
    const TerminalModel fresh({80, 24});
    const QString why = difference(fresh, used);
    QVERIFY2(why.isEmpty(), qPrintable(why));
}

QTEST_GUILESS_MAIN(tst_ScreenSerializer)
#include "tst_screenserializer.moc"
