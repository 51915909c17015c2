// Tests of ConsoleSession against the loopback stand-in server: the console's size, the server's
// screen in place of the model's, and queries in the stream left to the server.

#include "consolesession.h"
#include "testconsoleserver.h"

#include <QSignalSpy>
#include <QTest>

using namespace CloudConsole;
using namespace CloudConsole::Viewer;

class tst_ConsoleSession : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void theModelTakesTheHellosSize();
    void aSizeEventResizesTheModel();
    void queriesInTheStreamAreNotAnsweredButKeysAndPastesAreSent();
    void aScreenReplacesWhatTheModelShowed();
    void anIncompleteScreenIsFlaggedUntilTheConsoleRedrawsIt();
    void aSizeAskedForWhileDisconnectedIsSentOnceConnected();
};

void tst_ConsoleSession::theModelTakesTheHellosSize()
{
    TestConsoleServer server;
    server.size = QSize(132, 43);
    QVERIFY(server.listen());
    ConsoleSession session;
    QSignalSpy resized(session.model(), &TerminalModel::gridSizeChanged);
    session.open(server.url());
    QTRY_COMPARE(session.connection()->state(), ConsoleConnection::State::Connected);
    QCOMPARE(session.model()->gridSize(), QSize(132, 43));
    QCOMPARE(session.consoleSize(), QSize(132, 43));
    QCOMPARE(resized.count(), 1);
}

void tst_ConsoleSession::aSizeEventResizesTheModel()
{
    TestConsoleServer server;
    QVERIFY(server.listen());
    ConsoleSession session;
    session.open(server.url());
    QTRY_COMPARE(session.connection()->state(), ConsoleConnection::State::Connected);
    server.setSize(QSize(100, 40));
    QTRY_COMPARE(session.model()->gridSize(), QSize(100, 40));
    QCOMPARE(session.connection()->hello()->cols, 100);
    QTest::qWait(100);
    QCOMPARE(server.resizeCount(), 0);
}

void tst_ConsoleSession::queriesInTheStreamAreNotAnsweredButKeysAndPastesAreSent()
{
    TestConsoleServer server;
    QVERIFY(server.listen());
    ConsoleSession session;
    session.open(server.url());
    QTRY_COMPARE(session.connection()->state(), ConsoleConnection::State::Connected);
    // DSR 6, DA1, DA2, DSR 5, XTWINOPS 18, DECRQM: libvterm or the model would answer each.
    server.output("\x1b[6n\x1b[c\x1b[>c\x1b[5n\x1b[18t\x1b[?1$p\x1b[2$pafter the queries");
    QTRY_COMPARE(session.model()->lineText(0), QStringLiteral("after the queries"));
    session.model()->sendKey(VTERM_KEY_UP, VTERM_MOD_NONE);
    session.model()->sendChar(U'x', VTERM_MOD_NONE);
    session.model()->paste(QStringLiteral("pasted"));
    QTRY_COMPARE(server.input, QByteArray("\x1b[Axpasted"));
    QTest::qWait(100);
    QCOMPARE(server.input, QByteArray("\x1b[Axpasted"));
}

void tst_ConsoleSession::aScreenReplacesWhatTheModelShowed()
{
    TestConsoleServer server;
    QVERIFY(server.listen());
    ConsoleSession session;
    QSignalSpy replaced(&session, &ConsoleSession::screenReplaced);
    session.open(server.url());
    QTRY_COMPARE(session.connection()->state(), ConsoleConnection::State::Connected);
    QByteArray lines;
    for (int i = 0; i < 40; ++i)
        lines += "old line " + QByteArray::number(i) + "\r\n";
    server.output(lines + "\x1b[?1h"); // a mode the screen does not have
    QTRY_VERIFY(session.model()->scrollbackLines() > 0);
    QVERIFY(session.model()->modes().applicationCursorKeys);

    Protocol::Screen screen;
    screen.offset = 100'000; // ahead: the bytes between were lost
    screen.cols = 60;
    screen.rows = 10;
    // \033c: RIS, as every screen starts (\x1bc would read as one hex escape).
    screen.data = "\033c\x1b]0;the title\x07scrolled\r\n" + QByteArray(9, '\n') + "\x1b[Hon screen";
    server.sendScreen(screen);
    QTRY_COMPARE(replaced.count(), 1);
    TerminalModel *model = session.model();
    QCOMPARE(model->gridSize(), QSize(60, 10));
    QCOMPARE(model->scrollbackLines(), 1);
    QCOMPARE(model->lineText(0), QStringLiteral("scrolled"));
    QCOMPARE(model->lineText(1), QStringLiteral("on screen"));
    QCOMPARE(model->title(), QStringLiteral("the title"));
    QVERIFY(!model->modes().applicationCursorKeys);
    QVERIFY(!session.isScreenIncomplete());
    QCOMPARE(session.connection()->cursor().position(), 100'000);
}

void tst_ConsoleSession::anIncompleteScreenIsFlaggedUntilTheConsoleRedrawsIt()
{
    TestConsoleServer server;
    QVERIFY(server.listen());
    ConsoleSession session;
    QSignalSpy flagged(&session, &ConsoleSession::screenIncompleteChanged);
    session.open(server.url());
    QTRY_COMPARE(session.connection()->state(), ConsoleConnection::State::Connected);
    Protocol::Screen screen;
    screen.complete = false;
    screen.data = "\033cpart of a screen";
    server.sendScreen(screen);
    QTRY_COMPARE(flagged.count(), 1);
    QVERIFY(session.isScreenIncomplete());
    server.output(", still on the same screen\r\n");
    QTRY_COMPARE(session.model()->lineText(0),
                 QStringLiteral("part of a screen, still on the same screen"));
    QVERIFY(session.isScreenIncomplete());
    server.output("\x1b[H\x1b[2Jredrawn");
    QTRY_COMPARE(flagged.count(), 2);
    QVERIFY(!session.isScreenIncomplete());
}

void tst_ConsoleSession::aSizeAskedForWhileDisconnectedIsSentOnceConnected()
{
    TestConsoleServer server;
    QVERIFY(server.listen());
    ConsoleSession session;
    session.connection()->setRetryDelays(300, 300);
    session.requestSize(QSize(90, 30)); // the window, before any console
    session.open(server.url());
    QTRY_COMPARE(server.resizeCount(), 1);
    QTRY_COMPARE(session.model()->gridSize(), QSize(90, 30));

    // Away: the console keeps its size; the window changes; the console hears of it once back.
    server.disconnectClients();
    QTRY_COMPARE(session.connection()->state(), ConsoleConnection::State::WaitingToRetry);
    session.requestSize(QSize(70, 20));
    QTRY_COMPARE(session.connection()->state(), ConsoleConnection::State::Connected);
    QTRY_COMPARE(server.resizeCount(), 2);
    QTRY_COMPARE(session.model()->gridSize(), QSize(70, 20));
    // A plain reconnect asks for nothing: another operator may have resized meanwhile.
    server.disconnectClients();
    server.setSize(QSize(50, 15));
    QTRY_COMPARE(session.connection()->state(), ConsoleConnection::State::WaitingToRetry);
    QTRY_COMPARE(session.connection()->state(), ConsoleConnection::State::Connected);
    QTRY_COMPARE(session.model()->gridSize(), QSize(50, 15));
    QTest::qWait(100);
    QCOMPARE(server.resizeCount(), 2);
}

QTEST_GUILESS_MAIN(tst_ConsoleSession)
#include "tst_consolesession.moc"
