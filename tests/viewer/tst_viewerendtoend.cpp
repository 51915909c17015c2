// End to end: the real cloud-console server on a real pty, and the viewer's session (model and
// connection) plus its view over a loopback WebSocket.
//
// The test holds the pty's master side, as a VMM would: what it writes there is console output,
// and what the server writes to the pty is what the user typed.

#include "consolesession.h"
#include "terminalview.h"
#include "uniquefd.h"

#include <QFile>
#include <QProcess>
#include <QRegularExpression>
#include <QSignalSpy>
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

private:
    bool startServer(QStringList arguments);

    std::optional<Pty> m_pty;
    std::unique_ptr<QProcess> m_server;
    QUrl m_url;
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
            m_url = QUrl(QStringLiteral("ws://127.0.0.1:%1/c/vm1/ws").arg(match.captured(1)));
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

void tst_ViewerEndToEnd::cleanup()
{
    if (m_server) {
        m_server->terminate();
        if (!m_server->waitForFinished(5000))
            m_server->kill();
        m_server->waitForFinished(5000);
    }
    m_server.reset();
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
    ConsoleSession session;
    session.model()->resize(QSize(80, 10)); // most lines go to the scrollback
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
    connect(&view, &TerminalView::terminalSizeChanged, &session, &ConsoleSession::setTerminalSize);
    view.resize(500, 300);
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    view.setFocus();
    session.open(m_url);
    QTRY_COMPARE(session.connection()->state(), ConsoleConnection::State::Connected);
    QVERIFY(session.connection()->hello()->canResize);

    QTest::qWait(300); // the initial size has been announced
    QSignalSpy announced(&view, &TerminalView::terminalSizeChanged);
    for (int step = 1; step <= 20; ++step) {
        view.resize(500 + 17 * step, 300 + 9 * step);
        QCoreApplication::processEvents();
    }
    QTRY_COMPARE(announced.count(), 1);
    const QSize grid = session.model()->gridSize();
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
    cleanup();
    m_pty = openRawPty();
    QVERIFY(m_pty);
    QTemporaryDir dir;
    QFile config(dir.filePath(QStringLiteral("cc.conf")));
    QVERIFY(config.open(QIODevice::WriteOnly));
    config.write(QStringLiteral("[console vm1]\nsource = %1\n[token viewer]\n%2\nrole = operator\n")
                     .arg(m_pty->path, lines[1])
                     .toUtf8());
    config.close();
    QVERIFY2(startServer({QStringLiteral("--config"), config.fileName(), QStringLiteral("--listen"),
                          QStringLiteral("127.0.0.1:0")}),
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

QTEST_MAIN(tst_ViewerEndToEnd)
#include "tst_viewerendtoend.moc"
