// Tests of ConsoleSession against the loopback stand-in server: the console's size, the server's
// screen in place of the model's, queries in the stream left to the server, who is here and has
// the keyboard, and pastes as paste messages with their progress.

#include "consolesession.h"
#include "presence.h"
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
    void presenceFollowsClientsAndControlEvents();
    void keysAreNotSentWhileAnotherOperatorHasTheKeyboard();
    void aPasteGoesAsPasteMessagesBracketedWhenTheGuestAskedForIt();
    void pasteProgressIsShownForThisViewerAndForOthers();
    void aRefusedPasteEndsAndTheNextOneGoes();
};

namespace {

Protocol::ClientInfo client(qint64 id, const QString &name, const QString &role,
                            const QString &typed = {})
{
    Protocol::ClientInfo info;
    info.id = id;
    info.name = name;
    info.role = role;
    info.kind = id == 2 ? QStringLiteral("viewer") : QStringLiteral("page");
    info.address = QStringLiteral("127.0.0.1:%1").arg(40000 + id);
    info.joined = QStringLiteral("2026-12-05T03:07:02.123Z");
    info.typed = typed;
    return info;
}

// alice (1, a page) and this viewer (2), both operators, on an exclusive console.
Protocol::ClientsEvent aliceAndMe(std::optional<qint64> holder)
{
    Protocol::ClientsEvent event;
    event.you = 2;
    event.input = QStringLiteral("exclusive");
    event.holder = holder;
    event.clients = {client(1, QStringLiteral("alice"), QStringLiteral("operator")),
                     client(2, QStringLiteral("bob"), QStringLiteral("operator"))};
    return event;
}

Protocol::PasteEvent pasteEvent(qint64 id, qint64 by, const QString &state, qint64 sent,
                                qint64 total, const QString &message = {})
{
    return Protocol::PasteEvent {id, by, state, sent, total, message};
}

} // namespace

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

void tst_ConsoleSession::presenceFollowsClientsAndControlEvents()
{
    TestConsoleServer server;
    QVERIFY(server.listen());
    ConsoleSession session;
    Presence *presence = session.presence();
    QSignalSpy notices(presence, &Presence::controlChanged);
    session.open(server.url());
    QTRY_COMPARE(session.connection()->state(), ConsoleConnection::State::Connected);
    QVERIFY(!presence->isKnown());
    server.sendEvent(aliceAndMe(1));
    QTRY_VERIFY(presence->isKnown());
    QCOMPARE(presence->count(), 2);
    QVERIFY(presence->isExclusive());
    QCOMPARE(presence->otherHolder(), QStringLiteral("alice"));
    QCOMPARE(presence->keyboardText(), QStringLiteral("alice has the keyboard"));
    QVERIFY(presence->isOperator());

    server.sendEvent(Protocol::ControlEvent {2, 2, QStringLiteral("taken")});
    QTRY_COMPARE(notices.count(), 1);
    QCOMPARE(notices.at(0).at(0).toString(), QStringLiteral("You have the keyboard."));
    QVERIFY(presence->holdsKeyboard());
    QCOMPARE(presence->keyboardText(), QStringLiteral("You have the keyboard"));
    QVERIFY(!presence->otherHolder());

    server.sendEvent(Protocol::ControlEvent {1, 1, QStringLiteral("taken")});
    QTRY_COMPARE(notices.count(), 2);
    QCOMPARE(notices.at(1).at(0).toString(),
             QStringLiteral(
                 "alice took the keyboard: this viewer is read-only until you take it back."));
    QCOMPARE(notices.at(1).at(1).toBool(), true);

    server.sendEvent(Protocol::ControlEvent {std::nullopt, std::nullopt, QStringLiteral("left")});
    QTRY_COMPARE(notices.count(), 3);
    QCOMPARE(notices.at(2).at(0).toString(),
             QStringLiteral("alice left: the keyboard is free again."));

    // Names that repeat (every client is "anonymous" without access control) get their ids.
    Protocol::ClientsEvent anonymous = aliceAndMe(std::nullopt);
    anonymous.clients[0].name = anonymous.clients[1].name = QStringLiteral("anonymous");
    server.sendEvent(anonymous);
    QTRY_COMPARE(presence->nameOf(1), QStringLiteral("anonymous #1"));
    QCOMPARE(presence->keyboardText(), QStringLiteral("Nobody has the keyboard"));

    const QDateTime now
        = QDateTime::fromString(QStringLiteral("2026-12-05T03:10:00.000Z"), Qt::ISODateWithMs);
    QCOMPARE(Presence::typedText(QString(), now), QStringLiteral("never typed"));
    QCOMPARE(Presence::typedText(QStringLiteral("2026-12-05T03:09:58.000Z"), now),
             QStringLiteral("typing"));
    QCOMPARE(Presence::typedText(QStringLiteral("2026-12-05T03:09:48.000Z"), now),
             QStringLiteral("typed 12 s ago"));
    QCOMPARE(Presence::typedText(QStringLiteral("2026-12-05T03:06:00.000Z"), now),
             QStringLiteral("typed 4 min ago"));

    // Gone with the connection.
    session.connection()->close();
    QVERIFY(!presence->isKnown());
}

void tst_ConsoleSession::keysAreNotSentWhileAnotherOperatorHasTheKeyboard()
{
    TestConsoleServer server;
    QVERIFY(server.listen());
    ConsoleSession session;
    QSignalSpy refused(&session, &ConsoleSession::inputRefused);
    session.open(server.url());
    QTRY_COMPARE(session.connection()->state(), ConsoleConnection::State::Connected);
    server.sendEvent(aliceAndMe(1));
    QTRY_VERIFY(session.presence()->otherHolder());
    session.model()->sendChar(U'x', VTERM_MOD_NONE);
    QCOMPARE(refused.count(), 1);
    QVERIFY(refused.at(0).at(0).toString().startsWith(QLatin1String("alice has the keyboard")));
    QCOMPARE(session.inputDropped(), 1);
    QCOMPARE(session.paste(QStringLiteral("ls")), PasteSender::Result::KeyboardHeld);

    // Nobody holds it: the first to type takes it, so keys go.
    server.sendEvent(Protocol::ControlEvent {std::nullopt, 1, QStringLiteral("released")});
    QTRY_VERIFY(!session.presence()->otherHolder());
    session.model()->sendChar(U'y', VTERM_MOD_NONE);
    QTRY_COMPARE(server.input, QByteArray("y"));

    QVERIFY(session.takeKeyboard());
    QVERIFY(session.giveKeyboard(1));
    QVERIFY(session.releaseKeyboard());
    QTRY_COMPARE(server.messagesOf<Protocol::Control>().size(), 3);
}

void tst_ConsoleSession::aPasteGoesAsPasteMessagesBracketedWhenTheGuestAskedForIt()
{
    TestConsoleServer server;
    QVERIFY(server.listen());
    ConsoleSession session;
    QCOMPARE(session.paste(QStringLiteral("early")), PasteSender::Result::NotConnected);
    session.open(server.url());
    QTRY_COMPARE(session.connection()->state(), ConsoleConnection::State::Connected);
    server.sendEvent(aliceAndMe(std::nullopt));
    QTRY_VERIFY(session.presence()->isKnown());

    QCOMPARE(session.paste(QStringLiteral("echo one\ntwo\r\n")), PasteSender::Result::Sent);
    QTRY_COMPARE(server.messagesOf<Protocol::Paste>().size(), 1);
    QCOMPARE(server.messagesOf<Protocol::Paste>().at(0).data, QByteArray("echo one\rtwo\r"));
    QCOMPARE(server.messagesOf<Protocol::Paste>().at(0).id, 1);
    QCOMPARE(session.paste(QStringLiteral("again")), PasteSender::Result::Busy);
    server.sendEvent(pasteEvent(1, 2, QStringLiteral("done"), 14, 14));
    QTRY_VERIFY(!session.pastes()->isRunning());

    // The guest turns bracketed paste on; a pasted end marker is dropped.
    server.output("\x1b[?2004h");
    QTRY_VERIFY(session.model()->modes().bracketedPaste);
    QCOMPARE(session.paste(QStringLiteral("x\x1b[201~y\n")), PasteSender::Result::Sent);
    QTRY_COMPARE(server.messagesOf<Protocol::Paste>().size(), 2);
    const Protocol::Paste second = server.messagesOf<Protocol::Paste>().at(1);
    QCOMPARE(second.data, QByteArray("\x1b[200~xy\r\x1b[201~"));
    QCOMPARE(second.id, 2);
    QCOMPARE(second.total, second.data.size());
    QVERIFY2(server.input.isEmpty(), "pastes are never keystrokes");
}

void tst_ConsoleSession::pasteProgressIsShownForThisViewerAndForOthers()
{
    TestConsoleServer server;
    QVERIFY(server.listen());
    ConsoleSession session;
    PasteSender *pastes = session.pastes();
    QSignalSpy finished(pastes, &PasteSender::finished);
    session.open(server.url());
    QTRY_COMPARE(session.connection()->state(), ConsoleConnection::State::Connected);
    server.sendEvent(aliceAndMe(std::nullopt));
    QTRY_VERIFY(session.presence()->isKnown());

    // Someone else's paste.
    server.sendEvent(pasteEvent(9, 1, QStringLiteral("running"), 8192, 20480));
    QTRY_COMPARE(pastes->statusText(), QStringLiteral("alice is pasting 40%"));
    QVERIFY(!pastes->shown()->mine);

    // This viewer's own comes first while it runs.
    const QString text(20480, QLatin1Char('a'));
    QCOMPARE(session.paste(text), PasteSender::Result::Sent);
    QCOMPARE(pastes->statusText(), QStringLiteral("Pasting 0% (0 bytes of 20 KiB)"));
    server.sendEvent(pasteEvent(1, 2, QStringLiteral("running"), 4096, 20480));
    QTRY_COMPARE(pastes->statusText(), QStringLiteral("Pasting 20% (4.0 KiB of 20 KiB)"));
    QVERIFY(pastes->cancel());
    QTRY_COMPARE(server.messagesOf<Protocol::PasteCancel>().size(), 1);
    QVERIFY(pastes->shown()->cancelling);
    server.sendEvent(pasteEvent(1, 2, QStringLiteral("cancelled"), 6144, 20480,
                                QStringLiteral("cancelled by bob")));
    QTRY_COMPARE(finished.count(), 1);
    QCOMPARE(finished.at(0).at(0).toString(),
             QStringLiteral("Paste cancelled after 6.0 KiB of 20 KiB: cancelled by bob."));
    QCOMPARE(pastes->statusText(), QStringLiteral("alice is pasting 40%"));

    // alice leaves: her paste is over.
    Protocol::ClientsEvent alone = aliceAndMe(std::nullopt);
    alone.clients.erase(alone.clients.begin());
    server.sendEvent(alone);
    QTRY_VERIFY(!pastes->shown());
}

void tst_ConsoleSession::aRefusedPasteEndsAndTheNextOneGoes()
{
    TestConsoleServer server;
    QVERIFY(server.listen());
    ConsoleSession session;
    QSignalSpy finished(session.pastes(), &PasteSender::finished);
    session.open(server.url());
    QTRY_COMPARE(session.connection()->state(), ConsoleConnection::State::Connected);
    QCOMPARE(session.paste(QStringLiteral("big")), PasteSender::Result::Sent);
    server.sendEvent(
        Protocol::Error {QString::fromLatin1(Protocol::ErrorCode::PasteRefused),
                         QStringLiteral("larger than this console's paste-max (1 MiB)")});
    QTRY_COMPARE(finished.count(), 1);
    QCOMPARE(finished.at(0).at(0).toString(),
             QStringLiteral("Paste refused: larger than this console's paste-max (1 MiB)"));
    QVERIFY(!session.pastes()->isRunning());
    QCOMPARE(session.paste(QStringLiteral("small")), PasteSender::Result::Sent);
    QTRY_COMPARE(server.messagesOf<Protocol::Paste>().size(), 2);
    QCOMPARE(server.messagesOf<Protocol::Paste>().at(1).id, 2);
}

QTEST_GUILESS_MAIN(tst_ConsoleSession)
#include "tst_consolesession.moc"
