// The cloud-console binary as a user runs it: help and version, one clear line and exit code 2
// for a bad command line, exit 1 for a console or port it cannot use, and a running server that
// logs every byte, reopens its log on SIGHUP, shuts down cleanly on SIGTERM and ends --exec.

#include "testclient.h"
#include "testprocess.h"
#include "testpty.h"

#include <QDir>
#include <QFile>
#include <QLocalServer>
#include <QLocalSocket>
#include <QProcess>
#include <QRandomGenerator>
#include <QRegularExpression>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>

using namespace CloudConsole::Test;

class tst_Cli : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void helpPrintsUsageAndExitsZero();
    void versionPrintsTheVersion();
    void aBadCommandLineExitsTwoWithOneLineAndAHint_data();
    void aBadCommandLineExitsTwoWithOneLineAndAHint();
    void aMissingPtyPathExitsOneWithOneLine();
    void aFileThatIsNotATerminalExitsOne();
    void aPortInUseExitsOneWithCannotListen();
    void portZeroPrintsAURLThatAnswers();
    void theOldPositionalFormLogsWhatTheGuestPrints();
    void sigtermExitsZeroWithEveryByteLogged();
    void sighupAfterARenameStartsANewLog();
    void anExecProgramIsServedAndEndedOnSigterm();
    void aUnixSocketSourceIsServedAndFollowedWhenItComesBack();
    void aConfigurationServesEveryConsoleUnderItsName();
    void aBadConfigurationExitsTwoNamingTheLine();
    void aNonLoopbackAddressNeedsAccessControlOrInsecure();
    void sighupReloadsTheConfigurationKeepingUnchangedConsoles();
    void aReloadCannotDropAccessControlFromAnOpenAddress();
    void clientsCannotFloodTheLog();
};

namespace {

const QString binary = QStringLiteral(CLOUD_CONSOLE_BIN);

struct Finished
{
    int exitCode = -1;
    QProcess::ExitStatus exitStatus = QProcess::CrashExit;
    QByteArray out;
    QByteArray err;
    bool finished = false;
};

Finished runToEnd(const QStringList &arguments, int timeoutMs = 20000)
{
    QProcess process;
    process.start(binary, arguments);
    Finished result;
    if (!process.waitForStarted(timeoutMs))
        return result;
    result.finished = process.waitForFinished(timeoutMs);
    if (!result.finished) {
        process.kill();
        process.waitForFinished();
    }
    result.exitCode = process.exitCode();
    result.exitStatus = process.exitStatus();
    result.out = process.readAllStandardOutput();
    result.err = process.readAllStandardError();
    return result;
}

QString describe(const Finished &f)
{
    return QStringLiteral("finished %1, exit code %2, status %3, stdout \"%4\", stderr \"%5\"")
        .arg(f.finished)
        .arg(f.exitCode)
        .arg(f.exitStatus == QProcess::NormalExit ? "normal" : "crash")
        .arg(QString::fromLocal8Bit(f.out), QString::fromLocal8Bit(f.err));
}

QByteArray readFile(const QString &path)
{
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
}

// The body of an HTTP response, without surrounding white space.
QByteArray bodyOf(const QByteArray &response)
{
    const qsizetype end = response.indexOf("\r\n\r\n");
    return end < 0 ? QByteArray() : response.sliced(end + 4).trimmed();
}

// A running server whose standard output the test reads.
class Server
{
public:
    // environment: the child's, when not this process's own.
    explicit Server(const QStringList &arguments,
                    const QProcessEnvironment &environment
                    = QProcessEnvironment::systemEnvironment())
    {
        process.setProcessEnvironment(environment);
        QObject::connect(&process, &QProcess::readyReadStandardOutput, &process,
                         [this] { out += process.readAllStandardOutput(); });
        QObject::connect(&process, &QProcess::readyReadStandardError, &process,
                         [this] { err += process.readAllStandardError(); });
        process.start(binary, arguments);
    }
    ~Server()
    {
        if (process.state() != QProcess::NotRunning) {
            process.kill();
            process.waitForFinished();
        }
    }
    // The port from "serving console ... at http://ADDR:PORT/", or 0 while not printed.
    int port() const
    {
        static const QRegularExpression url(QStringLiteral("at http://[^ ]+:([0-9]+)/\n"));
        const auto match = url.match(QString::fromLocal8Bit(out));
        return match.hasMatch() ? match.captured(1).toInt() : 0;
    }
    bool signal(int number) const { return ::kill(pid_t(process.processId()), number) == 0; }
    QString describe() const
    {
        return QStringLiteral("state %1, exit code %2, stdout \"%3\", stderr \"%4\"")
            .arg(int(process.state()))
            .arg(process.exitCode())
            .arg(QString::fromLocal8Bit(out), QString::fromLocal8Bit(err));
    }

    QProcess process;
    QByteArray out;
    QByteArray err;
};

// GET path on 127.0.0.1:port; the whole response, or empty.
QByteArray httpGet(int port, const QByteArray &path)
{
    QTcpSocket socket;
    socket.connectToHost(QHostAddress::LocalHost, quint16(port));
    if (!socket.waitForConnected(5000))
        return {};
    socket.write("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
    QByteArray response;
    QElapsedTimer timer;
    timer.start();
    while (socket.state() == QAbstractSocket::ConnectedState && timer.elapsed() < 10000) {
        socket.waitForReadyRead(200);
        response += socket.readAll();
        if (response.contains("\r\n\r\n") && response.trimmed().endsWith("ok"))
            break;
    }
    return response + socket.readAll();
}

QByteArray randomBytes(quint32 seed, qsizetype n)
{
    QRandomGenerator random(seed);
    QByteArray bytes(n, Qt::Uninitialized);
    for (char &c : bytes)
        c = char(random.bounded(256));
    return bytes;
}

} // namespace

void tst_Cli::helpPrintsUsageAndExitsZero()
{
    const Finished f = runToEnd({QStringLiteral("--help")});
    QVERIFY2(f.exitStatus == QProcess::NormalExit && f.exitCode == 0, qPrintable(describe(f)));
    QVERIFY2(f.out.startsWith("Usage: cloud-console"), qPrintable(describe(f)));
    QVERIFY2(f.out.contains("--listen") && f.out.contains("--exec"), qPrintable(describe(f)));
    QVERIFY2(f.err.isEmpty(), qPrintable(describe(f)));
}

void tst_Cli::versionPrintsTheVersion()
{
    const Finished f = runToEnd({QStringLiteral("--version")});
    QVERIFY2(f.exitStatus == QProcess::NormalExit && f.exitCode == 0, qPrintable(describe(f)));
    QCOMPARE(f.out, QByteArray("cloud-console " CLOUD_CONSOLE_VERSION "\n"));
    QVERIFY2(f.err.isEmpty(), qPrintable(describe(f)));
}

void tst_Cli::aBadCommandLineExitsTwoWithOneLineAndAHint_data()
{
    QTest::addColumn<QStringList>("arguments");
    QTest::newRow("no arguments") << QStringList {};
    QTest::newRow("two positionals") << QStringList {"/dev/pts/0", "127.0.0.1"};
    QTest::newRow("five positionals") << QStringList {"/dev/ptmx", "127.0.0.1", "1", "/tmp/l", "x"};
    QTest::newRow("port 65536") << QStringList {"/dev/ptmx", "127.0.0.1", "65536"};
    QTest::newRow("port x") << QStringList {"/dev/ptmx", "127.0.0.1", "x"};
    QTest::newRow("bad address") << QStringList {"/dev/ptmx", "1.2.3.4.5", "80"};
    QTest::newRow("listen without port") << QStringList {"--exec", "true", "--listen", "127.0.0.1"};
    QTest::newRow("exec and a pty") << QStringList {"/dev/ptmx", "--exec", "true"};
    QTest::newRow("history 1K") << QStringList {"--exec", "true", "--history-size", "1K"};
    QTest::newRow("bad name") << QStringList {"--exec", "true", "--name", "../x"};
    QTest::newRow("max clients 0") << QStringList {"--exec", "true", "--max-clients", "0"};
    QTest::newRow("unknown flag") << QStringList {"--exec", "true", "--frobnicate"};
    QTest::newRow("repeated flag") << QStringList {"--exec", "true", "--name", "a", "--name", "b"};
    QTest::newRow("value missing") << QStringList {"--exec"};
}

void tst_Cli::aBadCommandLineExitsTwoWithOneLineAndAHint()
{
    QFETCH(QStringList, arguments);
    const Finished f = runToEnd(arguments);
    QVERIFY2(f.finished && f.exitStatus == QProcess::NormalExit, qPrintable(describe(f)));
    QVERIFY2(f.exitCode == 2, qPrintable(describe(f)));
    QVERIFY2(f.out.isEmpty(), qPrintable(describe(f)));
    const QList<QByteArray> lines = f.err.split('\n');
    // Two lines, each ended by a newline: the error, then the hint.
    QVERIFY2(lines.size() == 3 && lines.last().isEmpty(), qPrintable(describe(f)));
    QVERIFY2(lines[0].startsWith("cloud-console: ") && lines[0].size() > 20,
             qPrintable(describe(f)));
    QCOMPARE(lines[1], QByteArray("Try 'cloud-console --help' for more information."));
}

void tst_Cli::aMissingPtyPathExitsOneWithOneLine()
{
    QTemporaryDir dir;
    const QString missing = dir.filePath(QStringLiteral("no-such-pty"));
    const Finished f = runToEnd({missing, QStringLiteral("127.0.0.1"), QStringLiteral("0")});
    QVERIFY2(f.finished && f.exitStatus == QProcess::NormalExit && f.exitCode == 1,
             qPrintable(describe(f)));
    QVERIFY2(f.out.isEmpty(), qPrintable(describe(f)));
    QVERIFY2(f.err.count('\n') == 1 && f.err.endsWith('\n'), qPrintable(describe(f)));
    QVERIFY2(f.err.startsWith("cloud-console: ") && f.err.contains(missing.toLocal8Bit()),
             qPrintable(describe(f)));
}

void tst_Cli::aFileThatIsNotATerminalExitsOne()
{
    const Finished f
        = runToEnd({QStringLiteral("/dev/null"), QStringLiteral("127.0.0.1"), QStringLiteral("0")});
    QVERIFY2(f.finished && f.exitStatus == QProcess::NormalExit && f.exitCode == 1,
             qPrintable(describe(f)));
    QVERIFY2(f.out.isEmpty(), qPrintable(describe(f)));
    QVERIFY2(f.err.count('\n') == 1 && f.err.contains("/dev/null")
                 && f.err.contains("not a terminal"),
             qPrintable(describe(f)));
}

void tst_Cli::aPortInUseExitsOneWithCannotListen()
{
    QTcpServer taken;
    QVERIFY(taken.listen(QHostAddress::LocalHost, 0));
    TestPty pty;
    QVERIFY(pty.isValid());
    const QString port = QString::number(taken.serverPort());
    const Finished f = runToEnd({pty.path(), QStringLiteral("127.0.0.1"), port});
    QVERIFY2(f.finished && f.exitStatus == QProcess::NormalExit && f.exitCode == 1,
             qPrintable(describe(f)));
    QVERIFY2(f.out.isEmpty(), qPrintable(describe(f)));
    QVERIFY2(f.err.count('\n') == 1 && f.err.startsWith("cloud-console: cannot listen")
                 && f.err.contains(port.toLatin1()),
             qPrintable(describe(f)));

    // The same with --listen, for a program that must then not be started.
    QTemporaryDir dir;
    const QString marker = dir.filePath(QStringLiteral("started"));
    const Finished g = runToEnd({QStringLiteral("--listen"), QStringLiteral("127.0.0.1:") + port,
                                 QStringLiteral("--exec"), QStringLiteral("touch ") + marker});
    QVERIFY2(g.exitCode == 1 && g.err.startsWith("cloud-console: cannot listen"),
             qPrintable(describe(g)));
    QTest::qWait(300);
    QVERIFY2(!QFile::exists(marker), "the --exec program ran although the port was in use");
}

void tst_Cli::portZeroPrintsAURLThatAnswers()
{
    TestPty pty;
    QVERIFY(pty.isValid());
    Server server({QStringLiteral("--no-markers"), pty.path(), QStringLiteral("127.0.0.1"),
                   QStringLiteral("0")});
    QTRY_VERIFY2_WITH_TIMEOUT(server.port() > 0, qPrintable(server.describe()), 20000);
    QVERIFY2(server.out.startsWith("cloud-console: serving console \"default\" at http://"
                                   "127.0.0.1:"),
             qPrintable(server.describe()));
    const QByteArray response = httpGet(server.port(), "/healthz");
    QVERIFY2(response.startsWith("HTTP/1.1 200") && bodyOf(response) == "ok", response.constData());
    QVERIFY(server.signal(SIGTERM));
    QVERIFY(server.process.waitForFinished(10000));
    QCOMPARE(server.process.exitStatus(), QProcess::NormalExit);
    QCOMPARE(server.process.exitCode(), 0);
}

void tst_Cli::theOldPositionalFormLogsWhatTheGuestPrints()
{
    TestPty pty;
    QVERIFY(pty.isValid());
    QTemporaryDir dir;
    const QString log = dir.filePath(QStringLiteral("console.log"));
    Server server({QStringLiteral("--no-markers"), pty.path(), QStringLiteral("127.0.0.1"),
                   QStringLiteral("0"), log});
    QTRY_VERIFY2_WITH_TIMEOUT(server.port() > 0, qPrintable(server.describe()), 20000);
    const QByteArray text = "Linux version 6.1.0 (guest)\r\nlogin: ";
    QVERIFY(pty.write(text));
    QTRY_VERIFY2_WITH_TIMEOUT(readFile(log) == text, qPrintable(QString::fromLatin1(readFile(log))),
                              10000);
    QVERIFY(server.signal(SIGTERM));
    QVERIFY(server.process.waitForFinished(10000));
    QCOMPARE(server.process.exitCode(), 0);
    QCOMPARE(readFile(log), text);
}

void tst_Cli::sigtermExitsZeroWithEveryByteLogged()
{
    TestPty pty;
    QVERIFY(pty.isValid());
    QTemporaryDir dir;
    const QString log = dir.filePath(QStringLiteral("console.log"));
    Server server({QStringLiteral("--no-markers"), pty.path(), QStringLiteral("127.0.0.1"),
                   QStringLiteral("0"), log});
    QTRY_VERIFY2_WITH_TIMEOUT(server.port() > 0, qPrintable(server.describe()), 20000);
    // Random bytes of every value, far more than a pty buffer holds, written right up to the
    // signal.
    const QByteArray bytes = randomBytes(7, 300 * 1024);
    for (qsizetype at = 0; at < bytes.size(); at += 1000)
        QVERIFY(pty.write(
            QByteArrayView(bytes).sliced(at, std::min<qsizetype>(1000, bytes.size() - at))));
    QVERIFY(server.signal(SIGTERM));
    QVERIFY2(server.process.waitForFinished(20000), qPrintable(server.describe()));
    QVERIFY2(server.process.exitStatus() == QProcess::NormalExit && server.process.exitCode() == 0,
             qPrintable(server.describe()));
    const QByteArray logged = readFile(log);
    QVERIFY2(logged == bytes,
             qPrintable(QStringLiteral("log has %1 bytes of %2, first %3 equal")
                            .arg(logged.size())
                            .arg(bytes.size())
                            .arg([&] {
                                qsizetype i = 0;
                                while (i < logged.size() && i < bytes.size()
                                       && logged[i] == bytes[i])
                                    ++i;
                                return i;
                            }())));
}

void tst_Cli::sighupAfterARenameStartsANewLog()
{
    TestPty pty;
    QVERIFY(pty.isValid());
    QTemporaryDir dir;
    const QString log = dir.filePath(QStringLiteral("console.log"));
    const QString rotated = log + QStringLiteral(".1");
    Server server({QStringLiteral("--no-markers"), pty.path(), QStringLiteral("127.0.0.1"),
                   QStringLiteral("0"), log});
    QTRY_VERIFY2_WITH_TIMEOUT(server.port() > 0, qPrintable(server.describe()), 20000);
    QVERIFY(pty.write("before rotation\r\n"));
    QTRY_COMPARE_WITH_TIMEOUT(readFile(log), QByteArray("before rotation\r\n"), 10000);

    QVERIFY(QFile::rename(log, rotated));
    QVERIFY(pty.write("still old\r\n"));
    QTRY_COMPARE_WITH_TIMEOUT(readFile(rotated), QByteArray("before rotation\r\nstill old\r\n"),
                              10000);
    QVERIFY(server.signal(SIGHUP));
    QTRY_VERIFY2_WITH_TIMEOUT(QFile::exists(log), "SIGHUP did not create a new log", 10000);
    QVERIFY(pty.write("after rotation\r\n"));
    QTRY_COMPARE_WITH_TIMEOUT(readFile(log), QByteArray("after rotation\r\n"), 10000);
    QCOMPARE(readFile(rotated), QByteArray("before rotation\r\nstill old\r\n"));
    QCOMPARE(server.process.state(), QProcess::Running);

    QVERIFY(server.signal(SIGTERM));
    QVERIFY(server.process.waitForFinished(10000));
    QCOMPARE(server.process.exitCode(), 0);
}

void tst_Cli::anExecProgramIsServedAndEndedOnSigterm()
{
    QTemporaryDir dir;
    const QString log = dir.filePath(QStringLiteral("exec.log"));
    Server server({QStringLiteral("--no-markers"), QStringLiteral("--listen"),
                   QStringLiteral("127.0.0.1:0"), QStringLiteral("--exec"),
                   QStringLiteral("printf hello; sleep 30"), QStringLiteral("--log"), log});
    QTRY_VERIFY2_WITH_TIMEOUT(server.port() > 0, qPrintable(server.describe()), 20000);
    const QByteArray response = httpGet(server.port(), "/healthz");
    QVERIFY2(response.startsWith("HTTP/1.1 200") && bodyOf(response) == "ok", response.constData());
    QTRY_COMPARE_WITH_TIMEOUT(readFile(log), QByteArray("hello"), 10000);

    // The program: the server's child, leading its own session, with sleep in it.
    const pid_t serverPid = pid_t(server.process.processId());
    QList<pid_t> children;
    QTRY_VERIFY_WITH_TIMEOUT((children = livingProcesses([&](pid_t, const ProcessInfo &i) {
                                  return i.ppid == serverPid;
                              })).size()
                                 == 1,
                             10000);
    const pid_t session = children.first();
    auto inSession = [&] {
        return livingProcesses([&](pid_t, const ProcessInfo &i) { return i.session == session; });
    };
    QTRY_VERIFY2_WITH_TIMEOUT(
        inSession().size() == 2,
        qPrintable(
            QStringLiteral("%1 processes in session %2").arg(inSession().size()).arg(session)),
        10000);

    QVERIFY(server.signal(SIGTERM));
    QVERIFY2(server.process.waitForFinished(10000), qPrintable(server.describe()));
    QVERIFY2(server.process.exitStatus() == QProcess::NormalExit && server.process.exitCode() == 0,
             qPrintable(server.describe()));
    QTRY_VERIFY2_WITH_TIMEOUT(
        inSession().isEmpty(),
        qPrintable(QStringLiteral("pid %1 of the program still runs").arg(inSession().value(0))),
        5000);
}

void tst_Cli::aUnixSocketSourceIsServedAndFollowedWhenItComesBack()
{
    // A VMM's console on a unix socket (Cloud-Hypervisor's --serial socket=PATH): the server
    // connects to it as a client.
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("vm1.serial"));
    const QString log = dir.filePath(QStringLiteral("console.log"));
    auto vmm = std::make_unique<QLocalServer>();
    QVERIFY(vmm->listen(path));
    Server server(
        {QStringLiteral("unix:") + path, QStringLiteral("127.0.0.1"), QStringLiteral("0"), log});
    QTRY_VERIFY2_WITH_TIMEOUT(server.port() > 0, qPrintable(server.describe()), 20000);
    QTRY_VERIFY_WITH_TIMEOUT(vmm->hasPendingConnections(), 10000);
    QLocalSocket *console = vmm->nextPendingConnection();
    console->write("boot over a unix socket\r\n");

    // Each coming and going of the source is marked on a line of its own, with the time and the
    // reason, in the stream and in the log alike.
    const QString up = QStringLiteral("-- console up \\d\\d:\\d\\d:\\d\\d: unix:%1 --\r\n")
                           .arg(QRegularExpression::escape(path));
    const QString down = QStringLiteral("-- console down \\d\\d:\\d\\d:\\d\\d: [^\r\n]+ --\r\n");
    const auto matches = [](const QByteArray &text, const QString &pattern) {
        return QRegularExpression(QStringLiteral("\\A") + pattern + QStringLiteral("\\z"))
            .match(QString::fromUtf8(text))
            .hasMatch();
    };
    TestClient client(QUrl(QStringLiteral("ws://127.0.0.1:%1/ws").arg(server.port())));
    const QString boot = up + QStringLiteral("boot over a unix socket\r\n");
    QTRY_VERIFY2_WITH_TIMEOUT(matches(client.received, boot), client.received.constData(), 10000);
    QVERIFY(client.hello && client.hello->sourceReason.contains(path));
    client.socket.sendBinaryMessage("ls\r");
    QByteArray input;
    QTRY_COMPARE((input += console->readAll()), QByteArray("ls\r"));

    // The VMM restarts: its socket goes away, and comes back at the same path.
    vmm.reset();
    QTRY_VERIFY_WITH_TIMEOUT(!client.sourceEvents.empty()
                                 && client.sourceEvents.back().state
                                     == CloudConsole::Protocol::SourceState::Down,
                             10000);
    vmm = std::make_unique<QLocalServer>();
    QVERIFY(vmm->listen(path));
    QTRY_VERIFY_WITH_TIMEOUT(vmm->hasPendingConnections(), 15000);
    console = vmm->nextPendingConnection();
    console->write("after the restart\r\n");
    const QString all = boot + down + up + QStringLiteral("after the restart\r\n");
    QTRY_VERIFY2_WITH_TIMEOUT(matches(client.received, all), client.received.constData(), 10000);
    QVERIFY(client.sourceEvents.back().state == CloudConsole::Protocol::SourceState::Up);
    QVERIFY(!client.closed);
    QTRY_COMPARE_WITH_TIMEOUT(readFile(log), client.received, 10000);
}

void tst_Cli::aConfigurationServesEveryConsoleUnderItsName()
{
    QTemporaryDir dir;
    const QString config = dir.filePath(QStringLiteral("cloud-console.conf"));
    QFile file(config);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write("[server]\nmarkers = off\n\n"
               "[console web]\nsource = exec:printf 'I am web\\n'; sleep 30\n\n"
               "[console db]\nsource = exec:printf 'I am db\\n'; sleep 30\n"
               "log = "
               + QFile::encodeName(dir.filePath(QStringLiteral("db.log"))) + "\n");
    file.close();
    Server server({QStringLiteral("--config"), config, QStringLiteral("--listen"),
                   QStringLiteral("127.0.0.1:0")});
    QTRY_VERIFY2_WITH_TIMEOUT(server.port() > 0, qPrintable(server.describe()), 20000);
    // One line per console, and one for the index of them at "/".
    QTRY_VERIFY2(server.out.contains(QStringLiteral("index of 2 consoles at http://127.0.0.1:%1/\n")
                                         .arg(server.port())
                                         .toUtf8()),
                 qPrintable(server.describe()));
    QVERIFY(
        server.out.contains(QStringLiteral("serving console \"db\" at http://127.0.0.1:%1/c/db/\n")
                                .arg(server.port())
                                .toUtf8()));
    QVERIFY(server.out.contains(
        QStringLiteral("serving console \"web\" at http://127.0.0.1:%1/c/web/\n")
            .arg(server.port())
            .toUtf8()));

    TestClient web(QUrl(QStringLiteral("ws://127.0.0.1:%1/c/web/ws").arg(server.port())));
    TestClient db(QUrl(QStringLiteral("ws://127.0.0.1:%1/c/db/ws").arg(server.port())));
    QTRY_COMPARE_WITH_TIMEOUT(web.received, QByteArray("I am web\r\n"), 10000);
    QTRY_COMPARE_WITH_TIMEOUT(db.received, QByteArray("I am db\r\n"), 10000);
    QCOMPARE(web.hello->console, QStringLiteral("web"));
    QTRY_COMPARE(readFile(dir.filePath(QStringLiteral("db.log"))), QByteArray("I am db\r\n"));
}

void tst_Cli::aBadConfigurationExitsTwoNamingTheLine()
{
    QTemporaryDir dir;
    const QString config = dir.filePath(QStringLiteral("bad.conf"));
    QFile file(config);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write("[console vm1]\nsource = ch:/run/vm1/api.sock\nhistory = 4M\n");
    file.close();
    const Finished f = runToEnd({QStringLiteral("--config"), config});
    QCOMPARE(f.exitCode, 2);
    QVERIFY2(
        f.err.startsWith(
            QStringLiteral("cloud-console: %1:3: unknown key \"history\"").arg(config).toUtf8()),
        f.err.constData());
}

void tst_Cli::aNonLoopbackAddressNeedsAccessControlOrInsecure()
{
    const Finished refused = runToEnd({QStringLiteral("--exec"), QStringLiteral("sleep 30"),
                                       QStringLiteral("--listen"), QStringLiteral("0.0.0.0:0")});
    QCOMPARE(refused.exitCode, 1);
    QVERIFY2(refused.err.startsWith("cloud-console: refusing to listen on 0.0.0.0 without access "
                                    "control"),
             refused.err.constData());

    Server insecure({QStringLiteral("--exec"), QStringLiteral("sleep 30"),
                     QStringLiteral("--listen"), QStringLiteral("0.0.0.0:0"),
                     QStringLiteral("--insecure")});
    QTRY_VERIFY2_WITH_TIMEOUT(insecure.port() > 0, qPrintable(insecure.describe()), 20000);
    QTRY_VERIFY(insecure.err.contains("anyone who can reach this address can use the consoles"));

    Server loopback({QStringLiteral("--exec"), QStringLiteral("sleep 30"),
                     QStringLiteral("--listen"), QStringLiteral("127.0.0.1:0")});
    QTRY_VERIFY2_WITH_TIMEOUT(loopback.port() > 0, qPrintable(loopback.describe()), 20000);
    QTRY_VERIFY(loopback.err.contains("no access control configured: listening on loopback only"));
}

void tst_Cli::sighupReloadsTheConfigurationKeepingUnchangedConsoles()
{
    QTemporaryDir dir;
    const QString config = dir.filePath(QStringLiteral("cloud-console.conf"));
    const auto write = [&config](const QByteArray &text) {
        QFile file(config);
        return file.open(QIODevice::WriteOnly | QIODevice::Truncate) && file.write(text) > 0;
    };
    QVERIFY(write("[server]\nmarkers = off\n"
                  "[console keep]\nsource = exec:cat\n"
                  "[console drop]\nsource = exec:sleep 60\n"));
    Server server({QStringLiteral("--config"), config, QStringLiteral("--listen"),
                   QStringLiteral("127.0.0.1:0")});
    QTRY_VERIFY2_WITH_TIMEOUT(server.port() > 0, qPrintable(server.describe()), 20000);
    const auto url = [&server](const char *name) {
        return QUrl(QStringLiteral("ws://127.0.0.1:%1/c/%2/ws").arg(server.port()).arg(name));
    };
    TestClient keep(url("keep"));
    TestClient drop(url("drop"));
    QTRY_VERIFY(keep.hello.has_value() && drop.hello.has_value());
    keep.socket.sendBinaryMessage("before\n");
    QTRY_VERIFY(keep.received.contains("before"));

    // keep stays as it is, drop goes, add comes.
    QVERIFY(write("[server]\nmarkers = off\n"
                  "[console keep]\nsource = exec:cat\n"
                  "[console add]\nsource = exec:printf 'I am new\\n'; sleep 60\n"));
    QVERIFY(server.signal(SIGHUP));
    QTRY_VERIFY_WITH_TIMEOUT(drop.closed, 10000);
    QCOMPARE(drop.closeCode, QWebSocketProtocol::CloseCodeGoingAway);
    QCOMPARE(drop.socket.closeReason(), QStringLiteral("console removed"));
    TestClient added(url("add"));
    QTRY_COMPARE_WITH_TIMEOUT(added.received, QByteArray("I am new\r\n"), 10000);
    QVERIFY(!keep.closed);
    keep.socket.sendBinaryMessage("after\n");
    QTRY_VERIFY(keep.received.contains("after"));
    // The epoch is the same: the console, its history and its program were kept.
    TestClient again(url("keep"));
    QTRY_VERIFY(again.hello.has_value());
    QCOMPARE(again.hello->epoch, keep.hello->epoch);
    QVERIFY(again.received.contains("before"));

    // A configuration with a mistake changes nothing.
    QVERIFY(write("[console keep]\nsource = vnc:nope\n"));
    QVERIFY(server.signal(SIGHUP));
    QTRY_VERIFY(server.err.contains("keeping the running configuration"));
    TestClient still(url("add"));
    QTRY_VERIFY(still.hello.has_value());
    QVERIFY(!keep.closed);
}

void tst_Cli::aReloadCannotDropAccessControlFromAnOpenAddress()
{
    const Finished token = runToEnd({QStringLiteral("--new-token")});
    const QByteArray hashLine = token.out.split('\n').value(1);
    QVERIFY2(hashLine.startsWith("token-hash = sha256$"), token.out.constData());
    QTemporaryDir dir;
    const QString config = dir.filePath(QStringLiteral("cloud-console.conf"));
    const auto write = [&config](const QByteArray &text) {
        QFile file(config);
        return file.open(QIODevice::WriteOnly | QIODevice::Truncate) && file.write(text) > 0;
    };
    QVERIFY(write("[server]\nlisten = 0.0.0.0:0\n[console vm1]\nsource = exec:sleep 60\n"
                  "[token ops]\n"
                  + hashLine + "\nrole = operator\n"));
    Server server({QStringLiteral("--config"), config});
    QTRY_VERIFY2_WITH_TIMEOUT(server.port() > 0, qPrintable(server.describe()), 20000);
    // The new file would be fine on loopback, but the socket stays on 0.0.0.0 until a restart.
    QVERIFY(write("[server]\nlisten = 127.0.0.1:0\n[console vm1]\nsource = exec:sleep 60\n"));
    QVERIFY(server.signal(SIGHUP));
    QTRY_VERIFY2(server.err.contains("keeping the running configuration: refusing to listen on "
                                     "0.0.0.0 without access control"),
                 qPrintable(server.describe()));
    const QByteArray refused = httpGet(server.port(), "/metrics");
    QVERIFY2(refused.startsWith("HTTP/1.1 401"), refused.constData());
}

QTEST_GUILESS_MAIN(tst_Cli)
void tst_Cli::clientsCannotFloodTheLog()
{
    TestPty pty;
    QVERIFY(pty.isValid());
    // The server's own defaults: no logging rules from the test's environment.
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    environment.remove(QStringLiteral("QT_LOGGING_RULES"));
    Server server({QStringLiteral("--no-markers"), pty.path(), QStringLiteral("127.0.0.1"),
                   QStringLiteral("0")},
                  environment);
    QTRY_VERIFY2_WITH_TIMEOUT(server.port() > 0, qPrintable(server.describe()), 20000);
    const QUrl url(QStringLiteral("ws://127.0.0.1:%1/ws").arg(server.port()));
    TestClient v1(url);
    TestClient raw(url, TestClient::Mode::Raw);
    QTRY_VERIFY(v1.hello.has_value() && raw.connected);
    const qsizetype linesBefore = server.err.count('\n');
    // Each of these is refused: bad JSON from one, more input than the input rate from the other.
    const QByteArray typing(1024, 'x');
    for (int i = 0; i < 20000; ++i) {
        v1.socket.sendTextMessage(QStringLiteral("{not json"));
        raw.socket.sendBinaryMessage(typing);
    }
    // Everything sent, then time for the server to refuse it all.
    QTRY_VERIFY_WITH_TIMEOUT(v1.socket.bytesToWrite() == 0 && raw.socket.bytesToWrite() == 0,
                             60000);
    QTest::qWait(2000);
    const qsizetype lines = server.err.count('\n') - linesBefore;
    QVERIFY2(lines <= 100,
             qPrintable(QStringLiteral("%1 lines; the last: %2")
                            .arg(lines)
                            .arg(QString::fromLocal8Bit(server.err.right(300)))));
    QVERIFY2(v1.errors.size() > 100, "the refusals did not happen: the test proves nothing");
    // Held back, but said so when the clients go.
    v1.socket.close();
    raw.socket.close();
    QTRY_VERIFY2(server.err.count("refusals of its messages were not logged") == 2,
                 server.err.right(2000).constData());
}

#include "tst_cli.moc"
