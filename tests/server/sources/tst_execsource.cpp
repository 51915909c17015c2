// ExecSource on real ptys: a program's output arrives, input reaches it, its exit is reported
// and reaped as it happens (by pidfd, and by the polling fallback) even while a grandchild holds
// the terminal, its last output comes before the down, it runs in its own session on its own
// terminal, and it ends with the source.

#include "execsource.h"
#include "testprocess.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QRegularExpression>
#include <QScopeGuard>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <memory>

using namespace CloudConsole;
using namespace CloudConsole::Test;

Q_DECLARE_METATYPE(ExecSource::ExitWatch)

class tst_ExecSource : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void theProgramsOutputArrivesViaDataRead();
    void inputWrittenReachesTheProgram();
    void anExitStatusIsReportedAsDown_data();
    void anExitStatusIsReportedAsDown();
    void theExitedChildIsReaped();
    void aDaemonisedGrandchildDoesNotKeepTheConsoleUp_data();
    void aDaemonisedGrandchildDoesNotKeepTheConsoleUp();
    void aChildOutlivingItsTerminalIsReportedDownOnce_data();
    void aChildOutlivingItsTerminalIsReportedDownOnce();
    void everyByteAChildPrintsBeforeItsExitComesBeforeDown_data();
    void everyByteAChildPrintsBeforeItsExitComesBeforeDown();
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
        QObject::connect(&source, &ConsoleSource::down, &source, [this](const QString &reason) {
            downs.append(reason);
            outputAtDown.append(output.size());
        });
        QObject::connect(&source, &ConsoleSource::up, &source,
                         [this](const QString &what) { ups.append(what); });
    }
    QByteArray output;
    QStringList downs;
    QList<qsizetype> outputAtDown; // how much output had arrived when each down came
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

// The number on a whole line "tag NUMBER" in output, or -1. Only a whole line: a number split
// over two reads would otherwise name another process.
pid_t pidAfter(const QByteArray &output, const char *tag)
{
    const QRegularExpression number(QStringLiteral("%1 ([0-9]+)\\r?\\n").arg(QLatin1String(tag)));
    const QRegularExpressionMatch match = number.match(QString::fromLatin1(output));
    return match.hasMatch() ? pid_t(match.captured(1).toInt()) : -1;
}

// Where a process's descriptor points, as /proc shows it ("/dev/pts/3 (deleted)" once the pty
// is gone).
QByteArray descriptorTarget(pid_t pid, int fd)
{
    const QByteArray link = QStringLiteral("/proc/%1/fd/%2").arg(pid).arg(fd).toLocal8Bit();
    char target[256] = {};
    const ssize_t n = ::readlink(link.constData(), target, sizeof target - 1);
    return n > 0 ? QByteArray(target, n) : QByteArray();
}

// The ways of watching a child's exit, for rows that try each: the fallback too.
struct NamedExitWatch
{
    const char *name;
    ExecSource::ExitWatch watch;
};
constexpr NamedExitWatch exitWatches[]
    = {{"pidfd", ExecSource::ExitWatch::Pidfd}, {"polling", ExecSource::ExitWatch::Polling}};

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

void tst_ExecSource::aDaemonisedGrandchildDoesNotKeepTheConsoleUp_data()
{
    QTest::addColumn<ExecSource::ExitWatch>("watch");
    QTest::addColumn<QString>("command");
    // Each grandchild survives the shell's exit with the terminal still open, so the pty does
    // not hang up when the child ends. (A plain "sleep &" would not: when a session leader
    // exits, the kernel sends SIGHUP to its terminal's foreground process group.)
    for (const NamedExitWatch &watch : exitWatches) {
        QTest::addRow("ignoring SIGHUP, %s", watch.name)
            << watch.watch << "trap '' HUP; sleep 30 & echo started $!; exit 3";
        QTest::addRow("in a session of its own, %s", watch.name)
            << watch.watch
            << "setsid sleep 30 & until [ \"$(ps -o sid= -p $! | tr -d ' ')\" = $! ]; do "
               "sleep 0.01; done; echo started $!; exit 3";
        QTest::addRow("in a background job, %s", watch.name)
            << watch.watch << "set -m; sleep 30 & echo started $!; exit 3";
    }
}

void tst_ExecSource::aDaemonisedGrandchildDoesNotKeepTheConsoleUp()
{
    QFETCH(ExecSource::ExitWatch, watch);
    QFETCH(QString, command);
    ExecSource source(command);
    source.setExitWatch(watch);
    Recorder recorder(source);
    QElapsedTimer clock;
    clock.start();
    qint64 startedAt = -1;
    qint64 downAt = -1;
    QObject::connect(&source, &ConsoleSource::dataRead, &source, [&](QByteArrayView) {
        if (startedAt < 0 && pidAfter(recorder.output, "started") > 0)
            startedAt = clock.elapsed();
    });
    QObject::connect(&source, &ConsoleSource::down, &source, [&] { downAt = clock.elapsed(); });
    pid_t grandchild = -1;
    const auto cleanup = qScopeGuard([&] {
        if (grandchild > 0)
            ::kill(grandchild, SIGKILL);
    });
    source.start();
    const pid_t pid = source.pid();
    QVERIFY(pid > 0);
    QVERIFY(source.exitWatch() == watch);
    QTRY_VERIFY2_WITH_TIMEOUT((grandchild = pidAfter(recorder.output, "started")) > 0,
                              qPrintable(show(recorder.output)), 10000);
    QVERIFY(isRunning(grandchild));

    // The child printed "started" and exited at once: down follows within a second.
    QTRY_VERIFY2_WITH_TIMEOUT(!recorder.downs.isEmpty(),
                              qPrintable(QStringLiteral("still up %1 ms after the child's exit: %2")
                                             .arg(clock.elapsed() - startedAt)
                                             .arg(source.stateReason())),
                              5000);
    QVERIFY2(downAt - startedAt < 1000,
             qPrintable(
                 QStringLiteral("down came %1 ms after the child's exit").arg(downAt - startedAt)));
    QCOMPARE(recorder.downs.first(), QStringLiteral("exited with status 3"));
    QVERIFY2(recorder.output.first(recorder.outputAtDown.first()).contains("started"),
             qPrintable(show(recorder.output)));
    QVERIFY(!source.isUp());

    // Once only, and the child is reaped, not left a zombie.
    QTest::qWait(500);
    QVERIFY2(recorder.downs.size() == 1, qPrintable(recorder.downs.join(QLatin1Char('|'))));
    QCOMPARE(processInfo(pid).state, char(0));
    errno = 0;
    QCOMPARE(::waitpid(pid, nullptr, WNOHANG), -1);
    QCOMPARE(errno, ECHILD);

    // The grandchild lives on, but its terminal was hung up: the pty itself is gone.
    QVERIFY(isRunning(grandchild));
    QVERIFY2(descriptorTarget(grandchild, 1).endsWith(" (deleted)"),
             descriptorTarget(grandchild, 1).constData());
}

void tst_ExecSource::aChildOutlivingItsTerminalIsReportedDownOnce_data()
{
    QTest::addColumn<ExecSource::ExitWatch>("watch");
    QTest::addColumn<QString>("command");
    QTest::addColumn<QString>("reason");
    // Closing every descriptor of the terminal hangs up the pty while the child still runs.
    for (const NamedExitWatch &watch : exitWatches) {
        QTest::addRow("ending with it, %s", watch.name)
            << watch.watch << "exec 0<&- 1>&- 2>&-; exit 4"
            << "exited with status 4";
        QTest::addRow("living on, %s", watch.name)
            << watch.watch << "trap '' HUP; exec 0<&- 1>&- 2>&-; sleep 1; exit 4"
            << "terminal closed";
    }
}

void tst_ExecSource::aChildOutlivingItsTerminalIsReportedDownOnce()
{
    QFETCH(ExecSource::ExitWatch, watch);
    QFETCH(QString, command);
    QFETCH(QString, reason);
    ExecSource source(command);
    source.setExitWatch(watch);
    Recorder recorder(source);
    source.start();
    const pid_t pid = source.pid();
    QVERIFY(pid > 0);
    QTRY_VERIFY_WITH_TIMEOUT(!recorder.downs.isEmpty(), 5000);
    QVERIFY2(recorder.downs.first().startsWith(reason),
             qPrintable(recorder.downs.first() + " does not start with " + reason));
    QVERIFY(!source.isUp());
    // Reaped once it ends, without a second down.
    QTRY_COMPARE_WITH_TIMEOUT(processInfo(pid).state, char(0), 5000);
    QTest::qWait(200);
    QVERIFY2(recorder.downs.size() == 1, qPrintable(recorder.downs.join(QLatin1Char('|'))));
    errno = 0;
    QCOMPARE(::waitpid(pid, nullptr, WNOHANG), -1);
    QCOMPARE(errno, ECHILD);
}

void tst_ExecSource::everyByteAChildPrintsBeforeItsExitComesBeforeDown_data()
{
    QTest::addColumn<ExecSource::ExitWatch>("watch");
    QTest::addColumn<QString>("command");
    // 100 KiB without a newline (the pty would add a \r to each), then a last word. With a
    // grandchild holding the terminal, the pty never hangs up: the tail comes only from what
    // is read after the exit.
    const QString print
        = QStringLiteral("head -c 102400 /dev/zero | tr '\\0' x; printf END; exit 0");
    for (const NamedExitWatch &watch : exitWatches) {
        QTest::addRow("alone, %s", watch.name) << watch.watch << print;
        QTest::addRow("with a grandchild holding the terminal, %s", watch.name)
            << watch.watch << "trap '' HUP; sleep 30 & echo holder $!; " + print;
    }
}

void tst_ExecSource::everyByteAChildPrintsBeforeItsExitComesBeforeDown()
{
    QFETCH(ExecSource::ExitWatch, watch);
    QFETCH(QString, command);
    ExecSource source(command);
    source.setExitWatch(watch);
    Recorder recorder(source);
    source.start();
    const auto cleanup = qScopeGuard([&] {
        if (const pid_t holder = pidAfter(recorder.output, "holder"); holder > 0)
            ::kill(holder, SIGKILL);
    });
    QTRY_VERIFY2_WITH_TIMEOUT(!recorder.downs.isEmpty(), qPrintable(source.stateReason()), 10000);
    QCOMPARE(recorder.downs.first(), QStringLiteral("exited with status 0"));
    const QByteArray expected = QByteArray(102400, 'x') + "END";
    QVERIFY2(recorder.output.endsWith(expected) && recorder.output.count('x') == 102400,
             qPrintable(QStringLiteral("%1 bytes, %2 of them x, ending in %3")
                            .arg(recorder.output.size())
                            .arg(recorder.output.count('x'))
                            .arg(show(recorder.output.right(20)))));
    QCOMPARE(recorder.outputAtDown.first(), recorder.output.size());
    QTest::qWait(300);
    QVERIFY2(recorder.downs.size() == 1, qPrintable(recorder.downs.join(QLatin1Char('|'))));
    QCOMPARE(recorder.output.size(), recorder.outputAtDown.first());
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
