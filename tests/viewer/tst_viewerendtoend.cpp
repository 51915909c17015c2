// End to end: the real cloud-console server on a real pty, and the viewer's session (model and
// connection) plus its view over a loopback WebSocket.
//
// The test holds the pty's master side, as a VMM would: what it writes there is console output,
// and what the server writes to the pty is what the user typed or the server's answers to the
// guest's terminal queries.

#include "alertindicator.h"
#include "consolesession.h"
#include "pasteprogress.h"
#include "presence.h"
#include "presenceindicator.h"
#include "terminaldiff.h"
#include "terminalview.h"
#include "uniquefd.h"
#include "viewerwindow.h"
#include "workloads.h"

#include <QElapsedTimer>
#include <QFile>
#include <QMenu>
#include <QProcess>
#include <QRegularExpression>
#include <QScrollBar>
#include <QSignalSpy>
#include <QStatusBar>
#include <QTemporaryDir>
#include <QTest>

#include <fcntl.h>
#include <pty.h>
#include <termios.h>
#include <unistd.h>

#include <memory>

using namespace CloudConsole;
using namespace CloudConsole::Viewer;

namespace {

// A pty pair in raw mode; the server opens the slave by path.
struct Pty
{
    UniqueFd master;
    UniqueFd slave;
    QString path;
};

std::optional<Pty> openRawPty()
{
    int master = -1;
    int slave = -1;
    if (::openpty(&master, &slave, nullptr, nullptr, nullptr) != 0)
        return std::nullopt;
    Pty pty {UniqueFd(master), UniqueFd(slave), QString::fromLocal8Bit(::ttyname(slave))};
    termios attributes {};
    ::tcgetattr(slave, &attributes);
    ::cfmakeraw(&attributes);
    ::tcsetattr(slave, TCSANOW, &attributes);
    ::fcntl(master, F_SETFL, ::fcntl(master, F_GETFL) | O_NONBLOCK);
    return pty;
}

bool writeAll(int fd, QByteArrayView bytes)
{
    while (!bytes.isEmpty()) {
        const ssize_t written = ::write(fd, bytes.data(), size_t(bytes.size()));
        if (written < 0 && errno == EINTR)
            continue;
        if (written < 0 && errno == EAGAIN) {
            QTest::qWait(5); // the server has not drained the pty yet
            continue;
        }
        if (written < 0)
            return false;
        bytes = bytes.sliced(written);
    }
    return true;
}

QByteArray readAvailable(int fd)
{
    QByteArray bytes;
    char buffer[4096];
    for (;;) {
        const ssize_t got = ::read(fd, buffer, sizeof buffer);
        if (got <= 0)
            return bytes;
        bytes.append(buffer, got);
    }
}

} // namespace

class tst_ViewerEndToEnd : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();
    void cleanup();
    void outputWrittenToThePtyAppearsInTheScreenModel();
    void typingInTheViewReachesThePty();
    void aReconnectResumesWithoutDuplicatesOrLosses();
    void aResizeBurstInTheViewResizesAnExecConsole();
    void aTokenOpensAConsoleWithAccessControl();
    void theGuestsQueriesAreAnsweredOnceByTheServerAlone();
    void aViewerAttachingAfterTheRingWrappedShowsTheFullScreenProgram_data();
    void aViewerAttachingAfterTheRingWrappedShowsTheFullScreenProgram();
    void theModelHasTheConsolesSizeNotTheWindows();
    void anotherOperatorsResizeIsFollowedAndNotUndone();
    void aRestartedServerIsFollowedFromItsFirstByte();
    void anIdleTimeoutCloseIsNotFollowedByAReconnect();
    void theGuestsPanicShowsInTheWindowsStatusBar();
    void twoViewersSeeEachOtherJoinAndLeave();
    void theKeyboardOfAnExclusiveConsoleChangesHands();
    void aPasteReachesThePtyWholeAtTheConsolesPace();
    void aPasteCanBeCancelled();

private:
    bool startServer(QStringList arguments);
    void stopServer();
    bool startServerWithConfig(const QString &text);
    // In place of init()'s server: the pty as an exclusive console, pastes fed at `pasteRate`
    // characters a second.
    bool startExclusiveServer(int pasteRate);
    // Reads the pty until `count` bytes came (or 30 s passed).
    QByteArray readPty(qsizetype count);

    std::optional<Pty> m_pty;
    std::unique_ptr<QProcess> m_server;
    QTemporaryDir m_configDir;
    QUrl m_url;
    quint16 m_port = 0;
};

bool tst_ViewerEndToEnd::startServer(QStringList arguments)
{
    m_server = std::make_unique<QProcess>();
    m_server->setProcessChannelMode(QProcess::ForwardedErrorChannel);
    // The tests compare the guest's bytes alone: no "-- console up --" lines.
    arguments.prepend(QStringLiteral("--no-markers"));
    m_server->start(QStringLiteral(CLOUD_CONSOLE_SERVER), arguments);
    if (!m_server->waitForStarted(10'000))
        return false;
    // The server prints its URL once it listens.
    static const QRegularExpression pattern(QStringLiteral("at http://127\\.0\\.0\\.1:(\\d+)/"));
    QByteArray output;
    while (m_server->state() == QProcess::Running && m_server->waitForReadyRead(10'000)) {
        output += m_server->readAllStandardOutput();
        const QRegularExpressionMatch match = pattern.match(QString::fromUtf8(output));
        if (match.hasMatch()) {
            m_port = quint16(match.captured(1).toUInt());
            m_url = QUrl(QStringLiteral("ws://127.0.0.1:%1/c/vm1/ws").arg(m_port));
            return true;
        }
    }
    qWarning() << "server said:" << output;
    return false;
}

void tst_ViewerEndToEnd::init()
{
    m_pty = openRawPty();
    QVERIFY2(m_pty, "openpty failed");
    QVERIFY2(startServer({QStringLiteral("--name"), QStringLiteral("vm1"), m_pty->path,
                          QStringLiteral("127.0.0.1"), QStringLiteral("0")}),
             "the server did not start");
}

bool tst_ViewerEndToEnd::startServerWithConfig(const QString &text)
{
    QFile config(m_configDir.filePath(QStringLiteral("cc.conf")));
    if (!config.open(QIODevice::WriteOnly))
        return false;
    config.write(text.toUtf8());
    config.close();
    return startServer({QStringLiteral("--config"), config.fileName(), QStringLiteral("--listen"),
                        QStringLiteral("127.0.0.1:0")});
}

void tst_ViewerEndToEnd::stopServer()
{
    if (m_server) {
        m_server->terminate();
        if (!m_server->waitForFinished(5000))
            m_server->kill();
        m_server->waitForFinished(5000);
    }
    m_server.reset();
}

void tst_ViewerEndToEnd::cleanup()
{
    stopServer();
    m_pty.reset();
}

void tst_ViewerEndToEnd::outputWrittenToThePtyAppearsInTheScreenModel()
{
    ConsoleSession session;
    session.open(m_url);
    QTRY_COMPARE(session.connection()->state(), ConsoleConnection::State::Connected);
    QCOMPARE(session.connection()->hello()->console, QStringLiteral("vm1"));

    QVERIFY(
        writeAll(m_pty->master.get(), "\x1b[1;32mhello from the guest\x1b[0m\r\n日本語 ok\r\n"));
    TerminalModel *model = session.model();
    QTRY_COMPARE(model->lineText(model->scrollbackLines() + 0),
                 QStringLiteral("hello from the guest"));
    QTRY_COMPARE(model->lineText(model->scrollbackLines() + 1), QStringLiteral("日本語 ok"));
    const Cell cell = model->cellAt(model->scrollbackLines(), 0);
    QVERIFY2(cell.has(Cell::Bold) && cell.foreground == model->colors().ansi[10],
             qPrintable(QStringLiteral("flags %1 colour #%2")
                            .arg(cell.flags, 0, 16)
                            .arg(cell.foreground, 0, 16)));
}

void tst_ViewerEndToEnd::typingInTheViewReachesThePty()
{
    ConsoleSession session;
    TerminalView view(session.model());
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    view.setFocus();
    session.open(m_url);
    QTRY_COMPARE(session.connection()->state(), ConsoleConnection::State::Connected);
    QVERIFY(session.connection()->isWritable());

    QTest::keyClicks(&view, QStringLiteral("root"));
    QTest::keyClick(&view, Qt::Key_Return);
    QTest::keyClick(&view, Qt::Key_C, Qt::ControlModifier);
    QTest::keyClick(&view, Qt::Key_Up);
    QByteArray received;
    const QByteArray expected("root\r\x03\x1b[A");
    QTRY_VERIFY2((received += readAvailable(m_pty->master.get())) == expected,
                 qPrintable(QString::fromLatin1(received.toPercentEncoding())));

    // Echo it back, as a shell would, and see it on the screen.
    QVERIFY(writeAll(m_pty->master.get(), "login: root\r\n"));
    QTRY_COMPARE(session.model()->lineText(session.model()->scrollbackLines()),
                 QStringLiteral("login: root"));
}

void tst_ViewerEndToEnd::aReconnectResumesWithoutDuplicatesOrLosses()
{
    ConsoleSession session; // 80x24: most lines go to the scrollback
    ConsoleConnection *connection = session.connection();
    connection->setRetryDelays(50, 500);
    QSignalSpy hellos(connection, &ConsoleConnection::helloReceived);
    session.open(m_url);
    QTRY_COMPARE(connection->state(), ConsoleConnection::State::Connected);

    QByteArray written;
    const auto writeLines = [&](int from, int to) {
        QByteArray bytes;
        for (int i = from; i < to; ++i)
            bytes += "line " + QByteArray::number(i) + "\r\n";
        written += bytes;
        return writeAll(m_pty->master.get(), bytes);
    };
    QVERIFY(writeLines(0, 50));
    QTRY_COMPARE(connection->bytesReceived(), written.size());

    // The connection drops; the console keeps writing meanwhile.
    connection->close();
    QVERIFY(writeLines(50, 100));
    QTest::qWait(200); // let the server read those lines into its history
    connection->reconnect();
    QTRY_COMPARE(connection->state(), ConsoleConnection::State::Connected);
    QVERIFY(writeLines(100, 150));
    QTRY_COMPARE(connection->bytesReceived(), written.size());

    QCOMPARE(hellos.count(), 2);
    QVERIFY2(hellos.at(1).at(1).toBool(), "the second hello resumes the first connection");
    QVERIFY2(connection->attemptUrl().query().contains(QLatin1String("offset=")),
             qPrintable(connection->attemptUrl().toString()));
    QCOMPARE(connection->bytesSkipped(), 0);
    const QString text = session.model()->allText();
    for (int i = 0; i < 150; ++i) {
        const QString line = QStringLiteral("line %1\n").arg(i);
        QVERIFY2(text.count(line) == 1,
                 qPrintable(
                     QStringLiteral("\"line %1\" appears %2 times").arg(i).arg(text.count(line))));
    }
}

void tst_ViewerEndToEnd::aResizeBurstInTheViewResizesAnExecConsole()
{
    // A pty given by path has no size the server may change; a console the server spawns has.
    cleanup();
    QVERIFY2(
        startServer({QStringLiteral("--name"), QStringLiteral("vm1"), QStringLiteral("--listen"),
                     QStringLiteral("127.0.0.1:0"), QStringLiteral("--exec"),
                     QStringLiteral("while read line; do stty size; done")}),
        "the server did not start");
    ConsoleSession session;
    TerminalView view(session.model());
    view.setResizeDelay(100);
    connect(&view, &TerminalView::preferredSizeChanged, &session, &ConsoleSession::requestSize);
    view.resize(500, 300);
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    view.setFocus();
    session.open(m_url);
    QTRY_COMPARE(session.connection()->state(), ConsoleConnection::State::Connected);
    QVERIFY(session.connection()->hello()->canResize);
    // The console takes the window's size once connected.
    QTRY_COMPARE(session.model()->gridSize(), view.preferredSize());

    // Another client sees each resize the viewer sends as one size event.
    ConsoleSession observer;
    observer.open(m_url);
    QTRY_COMPARE(observer.model()->gridSize(), view.preferredSize());
    QSignalSpy sizeEvents(observer.connection(), &ConsoleConnection::sizeChanged);
    QSignalSpy announced(&view, &TerminalView::preferredSizeChanged);
    for (int step = 1; step <= 20; ++step) {
        view.resize(500 + 17 * step, 300 + 9 * step);
        QCoreApplication::processEvents();
    }
    QTRY_COMPARE(announced.count(), 1);
    const QSize grid = view.preferredSize();
    QTRY_COMPARE(session.model()->gridSize(), grid);
    QTRY_COMPARE(sizeEvents.count(), 1);
    QTest::qWait(300);
    QCOMPARE(sizeEvents.count(), 1);
    QCOMPARE(observer.model()->gridSize(), grid);
    QTest::keyClick(&view, Qt::Key_Return);
    const QString expected = QStringLiteral("%1 %2").arg(grid.height()).arg(grid.width());
    QTRY_VERIFY2(
        session.model()->allText().contains(expected),
        qPrintable(
            QStringLiteral("expected \"%1\" in:\n%2").arg(expected, session.model()->allText())));
}

void tst_ViewerEndToEnd::aTokenOpensAConsoleWithAccessControl()
{
    // The server makes the token and its hash, as an operator would.
    QProcess newToken;
    newToken.start(QStringLiteral(CLOUD_CONSOLE_SERVER), {QStringLiteral("--new-token")});
    QVERIFY(newToken.waitForFinished(10'000));
    const QStringList lines = QString::fromUtf8(newToken.readAllStandardOutput()).split(u'\n');
    QVERIFY2(lines.size() >= 2 && lines[0].startsWith(QStringLiteral("token: ")),
             qPrintable(lines.join(u'|')));
    const QString token = lines[0].mid(7);
    // A server with access control in place of the one init() started.
    stopServer();
    QVERIFY2(startServerWithConfig(
                 QStringLiteral("[console vm1]\nsource = %1\n[token viewer]\n%2\nrole = operator\n")
                     .arg(m_pty->path, lines[1])),
             "the server did not start");

    // Without the token the upgrade is refused, and the connection says why.
    ConsoleSession stranger;
    stranger.open(m_url);
    QTRY_COMPARE(stranger.connection()->lastFailure(), ConsoleConnection::Failure::Unauthorized);
    stranger.connection()->close();

    ConsoleSession session;
    session.connection()->setBearerToken(token);
    session.open(m_url);
    QTRY_COMPARE(session.connection()->state(), ConsoleConnection::State::Connected);
    QVERIFY(session.connection()->hello()->writable);
    QVERIFY(writeAll(m_pty->master.get(), "with a token\r\n"));
    QTRY_COMPARE(session.model()->lineText(session.model()->scrollbackLines()),
                 QStringLiteral("with a token"));
}

void tst_ViewerEndToEnd::theGuestsQueriesAreAnsweredOnceByTheServerAlone()
{
    // Two viewers watch; the guest asks for the cursor position and the device attributes.
    ConsoleSession first;
    ConsoleSession second;
    first.open(m_url);
    second.open(m_url);
    QTRY_COMPARE(first.connection()->state(), ConsoleConnection::State::Connected);
    QTRY_COMPARE(second.connection()->state(), ConsoleConnection::State::Connected);
    QVERIFY(first.connection()->isWritable() && second.connection()->isWritable());

    QVERIFY(writeAll(m_pty->master.get(), "\x1b[6n\x1b[cqueries asked\r\n"));
    QTRY_COMPARE(first.model()->lineText(0), QStringLiteral("queries asked"));
    QTRY_COMPARE(second.model()->lineText(0), QStringLiteral("queries asked"));
    // An answer from a viewer would be on its way by now.
    QByteArray answers;
    QTest::qWait(500);
    answers += readAvailable(m_pty->master.get());
    QVERIFY2(answers == "\x1b[1;1R\x1b[?1;2c",
             qPrintable(QString::fromLatin1(answers.toPercentEncoding())));

    // What the user does still reaches the guest.
    first.model()->sendKey(VTERM_KEY_UP, VTERM_MOD_NONE);
    QByteArray typed;
    QTRY_VERIFY2((typed += readAvailable(m_pty->master.get())) == "\x1b[A",
                 qPrintable(QString::fromLatin1(typed.toPercentEncoding())));
}

void tst_ViewerEndToEnd::aViewerAttachingAfterTheRingWrappedShowsTheFullScreenProgram_data()
{
    QTest::addColumn<QByteArray>("output");
    QTest::addColumn<bool>("alternateScreen");
    // Four times the history: the bytes kept begin in the middle of the program's drawing.
    QTest::newRow("an editor") << Workloads::editorSession(256 * 1024) << true;
    QTest::newRow("an installer's dialog") << Workloads::installerDialog(256 * 1024) << false;
}

void tst_ViewerEndToEnd::aViewerAttachingAfterTheRingWrappedShowsTheFullScreenProgram()
{
    QFETCH(QByteArray, output);
    QFETCH(bool, alternateScreen);
    stopServer();
    QVERIFY2(startServer({QStringLiteral("--name"), QStringLiteral("vm1"),
                          QStringLiteral("--history-size"), QStringLiteral("64K"),
                          QStringLiteral("--listen"), QStringLiteral("127.0.0.1:0"), m_pty->path}),
             "the server did not start");
    // What a terminal that saw every byte shows; its scrollback is as long as the server's
    // (cloud-console --scrollback, 1000 lines by default).
    TerminalModel everyByte(QSize(80, 24));
    everyByte.setScrollbackCapacity(1000);
    everyByte.write(output);
    QVERIFY(!everyByte.title().isEmpty());
    QCOMPARE(everyByte.isAltScreen(), alternateScreen);

    QVERIFY(writeAll(m_pty->master.get(), output));
    // The server has read the pty dry once a late client's history ends where the output does.
    ConsoleSession probe;
    probe.open(m_url);
    QTRY_COMPARE(probe.connection()->cursor().position(), output.size());
    probe.connection()->close();

    ConsoleSession session;
    TerminalView view(session.model());
    view.resize(900, 600);
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    QSignalSpy screens(session.connection(), &ConsoleConnection::screenReceived);
    QSignalSpy replaced(&session, &ConsoleSession::screenReplaced);
    session.open(m_url);
    QTRY_COMPARE(session.connection()->cursor().position(), output.size());
    QVERIFY2(session.connection()->hello()->historyStart > 0, "the history did not wrap");

    const QString why = Test::difference(everyByte, *session.model());
    QVERIFY2(why.isEmpty(), qPrintable(why));
    QCOMPARE(session.model()->title(), everyByte.title());
    QCOMPARE(session.model()->isAltScreen(), alternateScreen);
    // It came from the server's screen, which the server had whole.
    QCOMPARE(screens.count(), 1);
    QCOMPARE(replaced.count(), 1);
    QVERIFY(screens.at(0).at(0).value<Protocol::Screen>().complete);
    QVERIFY(!session.isScreenIncomplete());
    // The view shows the screen, not a scrolled-back part of the scrollback.
    QVERIFY(view.isAtBottom());
    QCOMPARE(view.topLine(), session.model()->scrollbackLines());
}

void tst_ViewerEndToEnd::theModelHasTheConsolesSizeNotTheWindows()
{
    // A serial console of 100x30 (the guest's stty says so) in a smaller window.
    stopServer();
    QVERIFY2(startServer({QStringLiteral("--name"), QStringLiteral("vm1"), QStringLiteral("--size"),
                          QStringLiteral("100x30"), QStringLiteral("--listen"),
                          QStringLiteral("127.0.0.1:0"), m_pty->path}),
             "the server did not start");
    ConsoleSession session;
    TerminalView view(session.model());
    view.setResizeDelay(50);
    connect(&view, &TerminalView::preferredSizeChanged, &session, &ConsoleSession::requestSize);
    view.resize(500, 300);
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    session.open(m_url);
    QTRY_COMPARE(session.connection()->state(), ConsoleConnection::State::Connected);
    QCOMPARE(session.connection()->hello()->cols, 100);
    QVERIFY(!session.connection()->hello()->canResize);
    QCOMPARE(session.model()->gridSize(), QSize(100, 30));

    // The guest draws at its size; the window pans over it.
    QVERIFY(writeAll(m_pty->master.get(), "\x1b[30;95Hcorner"));
    QTRY_COMPARE(session.model()->lineText(29), QString(94, u' ') + QStringLiteral("corner"));
    QVERIFY(view.horizontalScrollBar()->isVisible());
    QCOMPARE(view.horizontalScrollBar()->maximum(), 100 - view.visibleColumns());
    for (int step = 1; step <= 10; ++step) {
        view.resize(500 + 60 * step, 300 + 30 * step);
        QCoreApplication::processEvents();
    }
    QTest::qWait(300);
    QCOMPARE(session.model()->gridSize(), QSize(100, 30));
    QTRY_VERIFY(!view.horizontalScrollBar()->isVisible());
    QVERIFY(view.gridRect().width() < view.viewport()->width());
}

void tst_ViewerEndToEnd::anotherOperatorsResizeIsFollowedAndNotUndone()
{
    stopServer();
    QVERIFY2(
        startServer({QStringLiteral("--name"), QStringLiteral("vm1"), QStringLiteral("--listen"),
                     QStringLiteral("127.0.0.1:0"), QStringLiteral("--exec"),
                     QStringLiteral("while read line; do stty size; done")}),
        "the server did not start");
    ConsoleSession mine;
    TerminalView view(mine.model());
    view.setResizeDelay(50);
    connect(&view, &TerminalView::preferredSizeChanged, &mine, &ConsoleSession::requestSize);
    view.resize(600, 400);
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    mine.open(m_url);
    QTRY_COMPARE(mine.model()->gridSize(), view.preferredSize());

    // Another operator, whose window is smaller, resizes the console.
    ConsoleSession theirs;
    theirs.open(m_url);
    QTRY_COMPARE(theirs.connection()->state(), ConsoleConnection::State::Connected);
    QSignalSpy sizeEvents(mine.connection(), &ConsoleConnection::sizeChanged);
    theirs.requestSize(QSize(70, 20));
    QTRY_COMPARE(mine.model()->gridSize(), QSize(70, 20));
    QTest::qWait(500); // ten of this window's resize delays
    QCOMPARE(sizeEvents.count(), 1);
    QCOMPARE(theirs.model()->gridSize(), QSize(70, 20));
    QVERIFY(view.preferredSize() != QSize(70, 20));
    theirs.model()->sendKey(VTERM_KEY_ENTER, VTERM_MOD_NONE);
    QTRY_VERIFY2(mine.model()->allText().contains(QLatin1String("20 70")),
                 qPrintable(mine.model()->allText()));
}

void tst_ViewerEndToEnd::aRestartedServerIsFollowedFromItsFirstByte()
{
    ConsoleSession session;
    ConsoleConnection *connection = session.connection();
    // The test reconnects by hand, once the new run has output of its own.
    connection->setRetryDelays(60'000, 60'000);
    QSignalSpy restarted(connection, &ConsoleConnection::consoleRestarted);
    session.open(m_url);
    QTRY_COMPARE(connection->state(), ConsoleConnection::State::Connected);
    QVERIFY(writeAll(m_pty->master.get(), "the first run\r\n"));
    QTRY_COMPARE(connection->bytesReceived(), 15);
    const QString firstEpoch = connection->cursor().epoch();

    const quint16 port = m_port;
    stopServer();
    QTRY_COMPARE(connection->state(), ConsoleConnection::State::WaitingToRetry);
    QVERIFY2(
        startServer({QStringLiteral("--name"), QStringLiteral("vm1"), QStringLiteral("--listen"),
                     QStringLiteral("127.0.0.1:%1").arg(port), m_pty->path}),
        "the server did not start again on its port");
    // The new run writes more than the viewer saw of the old one: offset 15 exists in it.
    QVERIFY(writeAll(m_pty->master.get(), "the second run begins here\r\n"));
    ConsoleSession probe;
    probe.open(m_url);
    QTRY_COMPARE(probe.connection()->cursor().position(), 28);
    probe.connection()->close();

    connection->reconnect();
    QTRY_COMPARE(restarted.count(), 1);
    QVERIFY(connection->cursor().epoch() != firstEpoch);
    QTRY_VERIFY2(session.model()->allText().contains(QLatin1String("the second run begins here")),
                 qPrintable(session.model()->allText()));
    QCOMPARE(connection->bytesSkipped(), 0);
    QCOMPARE(connection->cursor().position(), 28);
    QVERIFY2(connection->attemptUrl().query().contains(QLatin1String("epoch=")),
             qPrintable(connection->attemptUrl().toString()));
}

void tst_ViewerEndToEnd::anIdleTimeoutCloseIsNotFollowedByAReconnect()
{
    stopServer();
    QVERIFY2(startServerWithConfig(QStringLiteral("[server]\nidle-timeout = 1s\n"
                                                  "[console vm1]\nsource = %1\n")
                                       .arg(m_pty->path)),
             "the server did not start");
    ConsoleSession session;
    ConsoleConnection *connection = session.connection();
    connection->setRetryDelays(50, 50);
    QSignalSpy hellos(connection, &ConsoleConnection::helloReceived);
    QSignalSpy failed(connection, &ConsoleConnection::attemptFailed);
    session.open(m_url);
    QTRY_COMPARE(connection->state(), ConsoleConnection::State::Connected);
    // The viewer sends nothing; the server closes it with 1008 after a second or two.
    QTRY_COMPARE_WITH_TIMEOUT(failed.count(), 1, 10'000);
    QCOMPARE(failed.at(0).at(0).value<ConsoleConnection::Failure>(),
             ConsoleConnection::Failure::PolicyClosed);
    QVERIFY2(failed.at(0).at(1).toString().startsWith(QLatin1String("idle")),
             qPrintable(failed.at(0).at(1).toString()));
    QCOMPARE(failed.at(0).at(2).toBool(), false);
    QTest::qWait(1000); // twenty retry delays
    QCOMPARE(hellos.count(), 1);
    QCOMPARE(connection->state(), ConsoleConnection::State::Idle);
}

void tst_ViewerEndToEnd::theGuestsPanicShowsInTheWindowsStatusBar()
{
    ViewerWindow window;
    AlertIndicator *alerts = window.alertIndicator();
    QSignalSpy received(window.session()->connection(), &ConsoleConnection::alertReceived);
    window.openConsole(m_url);
    QTRY_COMPARE(window.session()->connection()->state(), ConsoleConnection::State::Connected);
    QVERIFY2(alerts->isHidden(), "nothing to show before an alert");

    // The server's built-in rules: a panic (critical), then the login prompt (info).
    QVERIFY(writeAll(m_pty->master.get(),
                     "[    1.000000] Run /sbin/init as init process\r\n"
                     "[   31.004503] Kernel panic - not syncing: sysrq triggered crash\r\n"));
    QTRY_COMPARE_WITH_TIMEOUT(received.count(), 1, 10'000);
    const auto panic = received.at(0).at(0).value<Protocol::AlertEvent>();
    QCOMPARE(panic.rule, QStringLiteral("kernel-panic"));
    QVERIFY(!alerts->isHidden());
    const QString expected
        = QStringLiteral("1 new \u00b7 kernel-panic (critical) at %1: [ 31.004503] "
                         "Kernel panic - not syncing: sysrq triggered crash")
              .arg(AlertIndicator::timeOf(panic.time));
    QCOMPARE(alerts->fullText(), expected);
    QVERIFY2(QRegularExpression(QStringLiteral("^\\d\\d:\\d\\d:\\d\\d$"))
                 .match(AlertIndicator::timeOf(panic.time))
                 .hasMatch(),
             qPrintable(panic.time));
    QCOMPARE(alerts->property("severity").toString(), QStringLiteral("critical"));
    QVERIFY2(alerts->styleSheet().contains(QLatin1String("#b3261e")), "critical stands out");
    QVERIFY(alerts->toolTip().contains(QLatin1String("sysrq triggered crash")));

    QVERIFY(writeAll(m_pty->master.get(), "\r\nvm1 login: "));
    QTRY_COMPARE_WITH_TIMEOUT(received.count(), 2, 10'000);
    QCOMPARE(alerts->count(), 2);
    QCOMPARE(alerts->unseen(), 2);
    QVERIFY2(alerts->fullText().startsWith(QStringLiteral("2 new \u00b7 login-prompt (info) at ")),
             qPrintable(alerts->fullText()));
    QCOMPARE(alerts->property("severity").toString(), QStringLiteral("critical"));

    // Seen (the menu was opened): shown plainly, still there.
    alerts->markSeen();
    QCOMPARE(alerts->unseen(), 0);
    QVERIFY(alerts->fullText().startsWith(QLatin1String("login-prompt (info) at ")));
    QCOMPARE(alerts->property("severity").toString(), QString());
    QVERIFY(alerts->styleSheet().isEmpty());
}

bool tst_ViewerEndToEnd::startExclusiveServer(int pasteRate)
{
    stopServer();
    return startServerWithConfig(QStringLiteral("[console vm1]\nsource = %1\ninput = exclusive\n"
                                                "paste-rate = %2\n")
                                     .arg(m_pty->path)
                                     .arg(pasteRate));
}

// With CLOUD_CONSOLE_SCREENSHOTS set to a folder, what the widget shows goes there as `name`.
void saveScreenshot(QWidget *widget, const QString &name)
{
    const QString folder = qEnvironmentVariable("CLOUD_CONSOLE_SCREENSHOTS");
    if (!folder.isEmpty())
        widget->grab().save(folder + QLatin1Char('/') + name);
}

QByteArray tst_ViewerEndToEnd::readPty(qsizetype count)
{
    QByteArray received;
    QElapsedTimer timer;
    timer.start();
    while (received.size() < count && timer.elapsed() < 30'000) {
        received += readAvailable(m_pty->master.get());
        QTest::qWait(10);
    }
    return received;
}

void tst_ViewerEndToEnd::twoViewersSeeEachOtherJoinAndLeave()
{
    ViewerWindow window;
    PresenceIndicator *indicator = window.presenceIndicator();
    Presence *presence = window.session()->presence();
    window.openConsole(m_url);
    QTRY_COMPARE(presence->count(), 1);
    QVERIFY(!indicator->isHidden());
    QCOMPARE(indicator->text(), QStringLiteral("1 here"));
    QCOMPARE(presence->state()->input, QStringLiteral("shared"));

    auto other = std::make_unique<ConsoleSession>();
    other->open(m_url);
    QTRY_COMPARE(presence->count(), 2);
    QTRY_COMPARE(other->presence()->count(), 2);
    QCOMPARE(indicator->text(), QStringLiteral("2 here"));
    const QStringList lines = indicator->clientLines();
    QCOMPARE(lines.size(), 2);
    // Without access control everyone is "anonymous": told apart by id. The viewer names its
    // kind in the WebSocket URL; the server shows it.
    QVERIFY2(lines.at(0).contains(
                 QStringLiteral(" (you) \u2014 operator \u00b7 viewer \u00b7 127.0.0.1:")),
             qPrintable(lines.at(0)));
    QVERIFY2(lines.at(0).endsWith(QLatin1String("never typed")), qPrintable(lines.at(0)));
    QVERIFY2(lines.at(1).startsWith(QLatin1String("anonymous #")), qPrintable(lines.at(1)));
    QVERIFY(!lines.at(1).contains(QLatin1String("(you)")));

    other.reset();
    QTRY_COMPARE(presence->count(), 1);
    QCOMPARE(indicator->text(), QStringLiteral("1 here"));
}

void tst_ViewerEndToEnd::theKeyboardOfAnExclusiveConsoleChangesHands()
{
    QVERIFY2(startExclusiveServer(0), "the server did not start");
    ViewerWindow window;
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    Presence *presence = window.session()->presence();
    PresenceIndicator *indicator = window.presenceIndicator();
    QStringList asked;
    window.setTakeConfirmation([&asked](const QString &holder) {
        asked << holder;
        return true;
    });
    window.openConsole(m_url);
    ConsoleSession other;
    QSignalSpy otherRefused(&other, &ConsoleSession::inputRefused);
    QSignalSpy otherNotices(other.presence(), &Presence::controlChanged);
    other.open(m_url);
    QTRY_COMPARE(presence->count(), 2);
    QTRY_COMPARE(other.presence()->count(), 2);
    QVERIFY(presence->isExclusive());
    QCOMPARE(indicator->text(), QStringLiteral("2 here \u00b7 Nobody has the keyboard"));
    QVERIFY(indicator->takeAction()->isVisible());

    // The first operator to type takes it.
    window.view()->setFocus();
    QTest::keyClicks(window.view(), QStringLiteral("w"));
    QCOMPARE(readPty(1), QByteArray("w"));
    QTRY_VERIFY(presence->holdsKeyboard());
    QTRY_COMPARE(indicator->text(), QStringLiteral("2 here \u00b7 You have the keyboard"));
    QCOMPARE(indicator->property("keyboard").toString(), QStringLiteral("you"));
    QVERIFY(indicator->releaseAction()->isEnabled());
    QTRY_VERIFY(other.presence()->otherHolder());

    // The other one's keys are not sent, and it is said why.
    other.model()->sendChar(U'o', VTERM_MOD_NONE);
    QCOMPARE(otherRefused.count(), 1);
    QTest::qWait(300);
    QCOMPARE(readAvailable(m_pty->master.get()), QByteArray());

    // It takes the keyboard: this window is told, loses it, and asks before taking it back.
    const int before = otherNotices.count();
    QVERIFY(other.takeKeyboard());
    QTRY_VERIFY(other.presence()->holdsKeyboard());
    QTRY_VERIFY(presence->otherHolder());
    QCOMPARE(indicator->property("keyboard").toString(), QStringLiteral("other"));
    QVERIFY2(indicator->text().endsWith(QLatin1String(" has the keyboard")),
             qPrintable(indicator->text()));
    QTRY_VERIFY(window.statusBar()->currentMessage().contains(
        QLatin1String("took the keyboard: this viewer is read-only")));
    QTRY_VERIFY(otherNotices.count() > before);
    other.model()->sendChar(U'o', VTERM_MOD_NONE);
    QCOMPARE(readPty(1), QByteArray("o"));

    window.takeKeyboard();
    QCOMPARE(asked.size(), 1);
    QTRY_VERIFY(presence->holdsKeyboard());

    // Give it back from the menu; release it.
    QSignalSpy gave(indicator, &PresenceIndicator::giveRequested);
    indicator->giveMenu()->popup(QPoint(0, 0)); // fills it
    QList<QAction *> gives = indicator->giveMenu()->actions();
    QCOMPARE(gives.size(), 1);
    gives.first()->trigger();
    indicator->giveMenu()->hide();
    QCOMPARE(gave.count(), 1);
    QTRY_VERIFY(other.presence()->holdsKeyboard());
    QVERIFY(other.releaseKeyboard());
    QTRY_COMPARE(presence->keyboardText(), QStringLiteral("Nobody has the keyboard"));
}

void tst_ViewerEndToEnd::aPasteReachesThePtyWholeAtTheConsolesPace()
{
    QVERIFY2(startExclusiveServer(5000), "the server did not start");
    ViewerWindow window;
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    PasteProgress *progress = window.pasteProgress();
    window.openConsole(m_url);
    ConsoleSession other;
    other.open(m_url);
    QTRY_COMPARE(window.session()->presence()->count(), 2);
    QTRY_COMPARE(other.presence()->count(), 2);

    window.resize(900, 540);
    QVERIFY(writeAll(m_pty->master.get(),
                     "Debian GNU/Linux 12 vm1 ttyS0\r\n\r\nvm1 login: root\r\nPassword: \r\n"
                     "root@vm1:~# cat > /etc/motd\r\n"));
    QString text;
    for (int i = 0; text.size() < 15'000; ++i)
        text
            += QStringLiteral("line %1 of the paste, h\u00e9llo\n").arg(i, 5, 10, QLatin1Char('0'));
    QByteArray expected = text.toUtf8();
    expected.replace('\n', '\r');
    QVERIFY(progress->isHidden());
    window.paste(text);
    QVERIFY(!progress->isHidden());
    QVERIFY2(progress->text().startsWith(QLatin1String("Pasting ")), qPrintable(progress->text()));
    QVERIFY2(progress->toolTip().contains(QLatin1String(" of 15 KiB)")),
             qPrintable(progress->toolTip()));
    QVERIFY(window.cancelPasteAction()->isEnabled());
    // Others see who pastes.
    QTRY_VERIFY(other.pastes()->statusText().startsWith(QLatin1String("anonymous #")));
    QVERIFY2(other.pastes()->statusText().contains(QLatin1String(" is pasting ")),
             qPrintable(other.pastes()->statusText()));
    QTRY_VERIFY(progress->percent() > 0);
    saveScreenshot(&window, QStringLiteral("viewer-paste.png"));
    QMenu *list = window.presenceIndicator()->menu();
    list->popup(window.presenceIndicator()->mapToGlobal(QPoint(0, 0)));
    QTRY_VERIFY(list->isVisible());
    saveScreenshot(list, QStringLiteral("viewer-presence-menu.png"));
    list->hide();

    QElapsedTimer timer;
    timer.start();
    const QByteArray received = readPty(expected.size());
    QCOMPARE(received.size(), expected.size());
    QCOMPARE(received, expected);
    QVERIFY2(timer.elapsed() > 1500, "paced at 5,000 characters a second");
    QTRY_VERIFY(progress->isHidden());
    QTRY_VERIFY(window.statusBar()->currentMessage().startsWith(QLatin1String("Pasted ")));
    QVERIFY(!window.cancelPasteAction()->isEnabled());
    QTRY_VERIFY(!other.pastes()->shown());
}

void tst_ViewerEndToEnd::aPasteCanBeCancelled()
{
    QVERIFY2(startExclusiveServer(2000), "the server did not start");
    ViewerWindow window;
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    window.openConsole(m_url);
    QTRY_COMPARE(window.session()->presence()->count(), 1);
    // Bracketed paste on: the paste is wrapped.
    QVERIFY(writeAll(m_pty->master.get(), "\x1b[?2004h"));
    QTRY_VERIFY(window.session()->model()->modes().bracketedPaste);
    const QString text(20'000, QLatin1Char('p'));
    window.paste(text);
    QTRY_VERIFY(window.pasteProgress()->percent() > 0);
    window.pasteProgress()->cancelButton()->click();
    QTRY_VERIFY(window.pasteProgress()->isHidden());
    QTRY_VERIFY(
        window.statusBar()->currentMessage().startsWith(QLatin1String("Paste cancelled after ")));
    QTest::qWait(500);
    const QByteArray received = readAvailable(m_pty->master.get());
    QVERIFY2(received.startsWith("\x1b[200~ppp"), received.left(20).constData());
    QVERIFY2(received.size() < 20'000, qPrintable(QString::number(received.size())));
    // Typing goes on.
    window.view()->setFocus();
    QTest::keyClicks(window.view(), QStringLiteral("k"));
    QCOMPARE(readPty(1), QByteArray("k"));
}

QTEST_MAIN(tst_ViewerEndToEnd)
#include "tst_viewerendtoend.moc"
