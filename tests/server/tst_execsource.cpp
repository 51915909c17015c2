// ExecSource on real ptys: a program's output arrives, input reaches it, its exit is reported
// and reaped, it runs in its own session on its own terminal, and it ends with the source.

#include "execsource.h"
#include "testprocess.h"

#include <QDir>
#include <QFile>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include <sys/wait.h>

#include <cerrno>
#include <csignal>
#include <memory>

using namespace CloudConsole;
using namespace CloudConsole::Test;

class tst_ExecSource : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void theProgramsOutputArrivesViaDataRead();
    void inputWrittenReachesTheProgram();
    void anExitStatusIsReportedAsDown_data();
    void anExitStatusIsReportedAsDown();
    void theExitedChildIsReaped();
    void aResizeIsSeenByTheProgram();
    void aSizeSetBeforeStartIsTheInitialSize();
    void theChildHasItsOwnSessionAndControllingTerminal();
    void theDestructorEndsARunningChild();
    void theDestructorEndsTheWholeSession();
    void withoutARestartPolicyAnEndedCommandStaysDown();
    void onFailureRestartsAFailedCommandUntilItSucceeds();
    void alwaysRestartsWithAGrowingBackoff();
};

namespace {

// Collects a source's output and its up/down reports.
struct Recorder
{
    explicit Recorder(ExecSource &source)
    {
        QObject::connect(&source, &ConsoleSource::dataRead, &source,
                         [this](QByteArrayView data) { output.append(data); });
        QObject::connect(&source, &ConsoleSource::down, &source,
                         [this](const QString &reason) { downs.append(reason); });
        QObject::connect(&source, &ConsoleSource::up, &source,
                         [this](const QString &what) { ups.append(what); });
    }
    QByteArray output;
    QStringList downs;
    QStringList ups;
};

// A process that still runs: it exists and is not a zombie waiting for its parent.
bool isRunning(pid_t pid)
{
    const char state = processInfo(pid).state;
    return state != 0 && state != 'Z' && state != 'X';
}

// Live processes in the session sid.
QList<pid_t> sessionMembers(pid_t sid)
{
    return livingProcesses([sid](pid_t, const ProcessInfo &info) { return info.session == sid; });
}

QByteArray commandLine(pid_t pid)
{
    QFile file(QStringLiteral("/proc/%1/cmdline").arg(pid));
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
}

QString show(const QByteArray &output)
{
    return QString::fromLatin1(output)
        .toHtmlEscaped()
        .replace(QLatin1Char('\r'), "\\r")
        .replace(QLatin1Char('\n'), "\\n");
}

} // namespace

void tst_ExecSource::theProgramsOutputArrivesViaDataRead()
{
    ExecSource source(QStringLiteral("printf 'hello\\nworld %s' \"$TERM\""));
    Recorder recorder(source);
    source.start();
    QCOMPARE(recorder.ups.size(), 1);
    QVERIFY2(source.isUp(), qPrintable(source.stateReason()));
    QVERIFY2(source.pid() > 0, qPrintable(source.stateReason()));
    // The pty turns \n into \r\n, as a terminal would.
    QTRY_VERIFY2_WITH_TIMEOUT(recorder.output.contains("hello\r\nworld xterm-256color"),
                              qPrintable(show(recorder.output)), 10000);
    QTRY_VERIFY_WITH_TIMEOUT(!recorder.downs.isEmpty(), 10000);
    QCOMPARE(recorder.downs.last(), QStringLiteral("exited with status 0"));
    QVERIFY(!source.isUp());
}

void tst_ExecSource::inputWrittenReachesTheProgram()
{
    ExecSource source(QStringLiteral("read line; echo \"got:$line\"; head -c 5 | od -An -c"));
    Recorder recorder(source);
    source.start();
    QVERIFY(source.isUp());
    QCOMPARE(source.write("abc def\n"), 8);
    QTRY_VERIFY2_WITH_TIMEOUT(recorder.output.contains("got:abc def"),
                              qPrintable(show(recorder.output)), 10000);
    // Five more bytes with no newline: head returns once it has all five.
    QCOMPARE(source.write("wxyz"), 4);
    QTest::qWait(200);
    QVERIFY2(recorder.downs.isEmpty(), "the program ended before its input was complete");
    QCOMPARE(source.write("!\n"), 2);
    QTRY_VERIFY2_WITH_TIMEOUT(QString::fromLatin1(recorder.output)
                                  .contains(QRegularExpression(QStringLiteral("w +x +y +z +!"))),
                              qPrintable(show(recorder.output)), 10000);
    QTRY_VERIFY_WITH_TIMEOUT(!recorder.downs.isEmpty(), 10000);
    QCOMPARE(recorder.downs.last(), QStringLiteral("exited with status 0"));
    // Once down, input is refused rather than lost silently.
    QCOMPARE(source.write("late"), 0);
}

void tst_ExecSource::anExitStatusIsReportedAsDown_data()
{
    QTest::addColumn<QString>("command");
    QTest::addColumn<QString>("reason");
    QTest::newRow("exit 3") << "exit 3"
                            << "exited with status 3";
    QTest::newRow("exit 0 after output") << "echo bye"
                                         << "exited with status 0";
    QTest::newRow("command not found") << "/nonexistent/program"
                                       << "exited with status 127";
    QTest::newRow("kill -9 $$") << "kill -9 $$"
                                << "killed by signal 9";
    QTest::newRow("kill -TERM $$") << "kill -TERM $$"
                                   << "killed by signal 15";
}

void tst_ExecSource::anExitStatusIsReportedAsDown()
{
    QFETCH(QString, command);
    QFETCH(QString, reason);
    ExecSource source(command);
    Recorder recorder(source);
    source.start();
    QTRY_VERIFY_WITH_TIMEOUT(!recorder.downs.isEmpty(), 10000);
    QVERIFY2(recorder.downs.size() == 1, qPrintable(recorder.downs.join(QLatin1Char('|'))));
    QVERIFY2(recorder.downs.first().startsWith(reason),
             qPrintable(recorder.downs.first() + " does not start with " + reason));
    QCOMPARE(source.stateReason(), recorder.downs.first());
}

void tst_ExecSource::theExitedChildIsReaped()
{
    ExecSource source(QStringLiteral("exit 7"));
    Recorder recorder(source);
    source.start();
    const pid_t pid = source.pid();
    QVERIFY(pid > 0);
    QTRY_VERIFY_WITH_TIMEOUT(!recorder.downs.isEmpty(), 10000);
    QCOMPARE(recorder.downs.first(), QStringLiteral("exited with status 7"));
    // Reaped: no zombie left, and nothing left for us to wait for.
    QVERIFY2(processInfo(pid).state == 0,
             qPrintable(QStringLiteral("/proc/%1 is still there in state %2")
                            .arg(pid)
                            .arg(QLatin1Char(processInfo(pid).state))));
    errno = 0;
    QCOMPARE(::waitpid(pid, nullptr, WNOHANG), -1);
    QCOMPARE(errno, ECHILD);
}

void tst_ExecSource::aResizeIsSeenByTheProgram()
{
    ExecSource source(QStringLiteral("stty size; read x; stty size; read x"));
    Recorder recorder(source);
    source.start();
    QVERIFY(source.canResize());
    QTRY_VERIFY2_WITH_TIMEOUT(recorder.output.contains("24 80"), qPrintable(show(recorder.output)),
                              10000);
    source.resize(100, 40);
    source.write("\n");
    QTRY_VERIFY2_WITH_TIMEOUT(recorder.output.contains("40 100"), qPrintable(show(recorder.output)),
                              10000);
    source.write("\n");
    QTRY_VERIFY_WITH_TIMEOUT(!recorder.downs.isEmpty(), 10000);
}

void tst_ExecSource::aSizeSetBeforeStartIsTheInitialSize()
{
    ExecSource source(QStringLiteral("stty size"));
    Recorder recorder(source);
    source.resize(132, 50);
    source.start();
    QTRY_VERIFY_WITH_TIMEOUT(!recorder.downs.isEmpty(), 10000);
    QTRY_VERIFY2_WITH_TIMEOUT(recorder.output.contains("50 132"), qPrintable(show(recorder.output)),
                              10000);
}

void tst_ExecSource::theChildHasItsOwnSessionAndControllingTerminal()
{
    ExecSource source(QStringLiteral("echo \"sid:$(ps -o sid= -p $$ | tr -d ' ') pid:$$\"; "
                                     "echo \"tty:$(tty)\"; echo \"ctty:$(ps -o tty= -p $$)\""));
    Recorder recorder(source);
    source.start();
    const pid_t pid = source.pid();
    QTRY_VERIFY_WITH_TIMEOUT(!recorder.downs.isEmpty(), 10000);
    const QString output = QString::fromLatin1(recorder.output);
    QVERIFY2(output.contains(QStringLiteral("sid:%1 pid:%1").arg(pid)),
             qPrintable(show(recorder.output)));
    QVERIFY2(output.contains(QRegularExpression(QStringLiteral("tty:/dev/pts/[0-9]+"))),
             qPrintable(show(recorder.output)));
    // ps shows "?" for a process without a controlling terminal.
    QVERIFY2(output.contains(QRegularExpression(QStringLiteral("ctty: *pts/[0-9]+"))),
             qPrintable(show(recorder.output)));
    QVERIFY2(::getsid(0) != pid, "the test itself is in the child's session");
}

void tst_ExecSource::theDestructorEndsARunningChild()
{
    pid_t pid = -1;
    {
        auto source = std::make_unique<ExecSource>(QStringLiteral("exec sleep 300"));
        source->start();
        pid = source->pid();
        QVERIFY(pid > 0);
        // Wait for the exec, so it is sleep that must end, not just the shell.
        QTRY_VERIFY_WITH_TIMEOUT(commandLine(pid).startsWith("sleep"), 10000);
        QVERIFY(isRunning(pid));
    }
    // The destructor waits for the child, so it is gone, not a zombie.
    QVERIFY2(processInfo(pid).state == 0,
             qPrintable(QStringLiteral("pid %1 left in state %2")
                            .arg(pid)
                            .arg(QLatin1Char(processInfo(pid).state))));

    // A program that ignores the hangup is ended too.
    {
        auto source = std::make_unique<ExecSource>(QStringLiteral("trap '' HUP; echo ready; "
                                                                  "while :; do sleep 1; done"));
        Recorder recorder(*source);
        source->start();
        pid = source->pid();
        QTRY_VERIFY_WITH_TIMEOUT(recorder.output.contains("ready"), 10000);
    }
    QVERIFY2(processInfo(pid).state == 0,
             qPrintable(QStringLiteral("pid %1 (ignoring SIGHUP) left in state %2")
                            .arg(pid)
                            .arg(QLatin1Char(processInfo(pid).state))));
}

void tst_ExecSource::theDestructorEndsTheWholeSession()
{
    // "printf hello; sleep 30" is a shell with sleep as its child: ending only the shell would
    // leave sleep running, owned by nobody.
    pid_t pid = -1;
    QList<pid_t> members;
    {
        auto source = std::make_unique<ExecSource>(QStringLiteral("printf hello; sleep 300; true"));
        Recorder recorder(*source);
        source->start();
        pid = source->pid();
        QTRY_VERIFY_WITH_TIMEOUT(recorder.output.contains("hello"), 10000);
        QTRY_VERIFY_WITH_TIMEOUT((members = sessionMembers(pid)).size() == 2, 10000);
    }
    QTRY_VERIFY2_WITH_TIMEOUT(sessionMembers(pid).isEmpty(),
                              qPrintable(QStringLiteral("still running in session %1: %2")
                                             .arg(pid)
                                             .arg(QString::number(sessionMembers(pid).value(0)))),
                              5000);
    for (pid_t left : sessionMembers(pid))
        ::kill(left, SIGKILL);
}

void tst_ExecSource::withoutARestartPolicyAnEndedCommandStaysDown()
{
    ExecSource source(QStringLiteral("exit 3"));
    Recorder recorder(source);
    source.start();
    QTRY_COMPARE(recorder.downs.size(), 1);
    QTest::qWait(1000);
    QCOMPARE(recorder.ups.size(), 1);
    QVERIFY(!source.isUp());
}

void tst_ExecSource::onFailureRestartsAFailedCommandUntilItSucceeds()
{
    // The command counts its runs in a file: it fails twice, then succeeds.
    QTemporaryDir dir;
    const QString counter = dir.filePath(QStringLiteral("runs"));
    ExecSource source(QStringLiteral("n=$(cat '%1' 2>/dev/null || echo 0); echo $((n+1)) > '%1'; "
                                     "echo run $n; [ $n -ge 2 ] && exit 0; exit 3")
                          .arg(counter));
    source.setRestartPolicy(ExecSource::RestartPolicy::OnFailure);
    Recorder recorder(source);
    source.start();
    QTRY_COMPARE_WITH_TIMEOUT(recorder.ups.size(), 3, 10000);
    QTRY_COMPARE(recorder.downs.size(), 3);
    QCOMPARE(recorder.downs.at(0), QStringLiteral("exited with status 3"));
    QCOMPARE(recorder.downs.at(2), QStringLiteral("exited with status 0"));
    QTest::qWait(1500);
    QCOMPARE(recorder.ups.size(), 3);
    QVERIFY2(recorder.output.contains("run 0") && recorder.output.contains("run 2"),
             recorder.output.constData());
}

void tst_ExecSource::alwaysRestartsWithAGrowingBackoff()
{
    ExecSource source(QStringLiteral("exit 0"));
    source.setRestartPolicy(ExecSource::RestartPolicy::Always);
    Recorder recorder(source);
    source.start();
    // 100 + 200 + 400 + 800 ms of backoff: five runs take at least 1.5 s, and a command that
    // ends at once is not restarted in a tight loop.
    QElapsedTimer timer;
    timer.start();
    QTRY_VERIFY_WITH_TIMEOUT(recorder.ups.size() >= 5, 15000);
    QVERIFY2(timer.elapsed() >= 1400, qPrintable(QString::number(timer.elapsed())));
    QTest::qWait(2000);
    QVERIFY2(recorder.ups.size() <= 7, qPrintable(QString::number(recorder.ups.size())));
}

QTEST_GUILESS_MAIN(tst_ExecSource)
#include "tst_execsource.moc"
