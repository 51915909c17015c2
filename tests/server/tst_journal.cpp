// syslog = on through a real journald: the test runs in a mount namespace of its own, with a
// private /run and /var/log, and starts systemd-journald there, so the server's sd_journal_sendv
// reaches a journal that nothing else writes to and journalctl reads it back. A guest on a real
// pty prints plain lines, a panic, an OOM kill, garbage that is not UTF-8, escape sequences, an
// endless line and a login prompt; each must be in the journal once, sanitised and bounded, under
// the console's name, at the priority its alert rule says. Before journald runs, the console goes
// on and counts what the journal refused.

#include "consolejournal.h"
#include "testclient.h"
#include "testpty.h"
#include "testserver.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTest>

#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <syslog.h>

using namespace CloudConsole;
using namespace CloudConsole::Test;

namespace {

// Why the test cannot have a journal of its own, or empty when it has one.
QString g_isolation;

// Before any thread exists: a mount namespace with its own /run and /var/log.
QString isolate()
{
    if (::unshare(CLONE_NEWNS) != 0)
        return QStringLiteral("unshare(CLONE_NEWNS): %1 (the test needs root)")
            .arg(QString::fromLocal8Bit(strerror(errno)));
    if (::mount("none", "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0)
        return QStringLiteral("making / private: %1").arg(QString::fromLocal8Bit(strerror(errno)));
    for (const char *path : {"/run", "/var/log"}) {
        ::mkdir(path, 0755);
        if (::mount("tmpfs", path, "tmpfs", 0, "mode=0755") != 0)
            return QStringLiteral("mounting a tmpfs on %1: %2")
                .arg(QString::fromLatin1(path), QString::fromLocal8Bit(strerror(errno)));
    }
    ::mkdir("/run/systemd", 0755);
    ::mkdir("/run/systemd/journal", 0755);
    return QString();
}

struct Entry
{
    QString message;
    int priority = -1;
    qint64 offset = -1;
    QString rule;
};

// The journal's entries of one identifier, oldest first.
std::vector<Entry> entries(const QString &identifier)
{
    QProcess journalctl;
    journalctl.start(QStringLiteral("journalctl"),
                     {QStringLiteral("--directory=/run/log/journal"), QStringLiteral("--all"),
                      QStringLiteral("--no-pager"), QStringLiteral("--output=json"),
                      QStringLiteral("SYSLOG_IDENTIFIER=") + identifier});
    journalctl.waitForFinished(10000);
    std::vector<Entry> found;
    for (const QByteArray &line : journalctl.readAllStandardOutput().split('\n')) {
        const QJsonObject object = QJsonDocument::fromJson(line).object();
        if (object.isEmpty())
            continue;
        found.push_back(
            {object.value(QLatin1String("MESSAGE")).toString(),
             object.value(QLatin1String("PRIORITY")).toString().toInt(),
             object.value(QLatin1String("CLOUD_CONSOLE_OFFSET")).toString().toLongLong(),
             object.value(QLatin1String("CLOUD_CONSOLE_RULE")).toString()});
    }
    return found;
}

ConsoleSettings journalled(const QString &name, bool syslog)
{
    ConsoleSettings settings = plainConsoleSettings(name);
    settings.alertRules = AlertSettings().effective();
    settings.syslog = syslog;
    return settings;
}

} // namespace

class tst_Journal : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void aMessageIsSafeAndBounded();
    void withoutAJournalTheConsoleGoesOnAndCountsTheRefusals();
    void everyLineReachesTheJournalOnceAtItsSeverity();
    void syslogOffSendsNothingAndTurnsOnWhileRunning();

private:
    QProcess m_journald;
};

void tst_Journal::initTestCase()
{
    if (!g_isolation.isEmpty())
        QSKIP(qPrintable(g_isolation));
}

void tst_Journal::cleanupTestCase()
{
    if (m_journald.state() != QProcess::NotRunning) {
        m_journald.terminate();
        m_journald.waitForFinished(5000);
    }
}

void tst_Journal::aMessageIsSafeAndBounded()
{
    QCOMPARE(ConsoleJournal::message({"plain\ttext", 0, false}), QByteArray("plain text"));
    QCOMPARE(ConsoleJournal::message({"bad \xff\xfe bytes", 0, false}),
             QByteArray("bad \xef\xbf\xbd\xef\xbf\xbd bytes"));
    QCOMPARE(ConsoleJournal::message({"cut by the reader", 0, true}),
             QByteArray("cut by the reader [cut]"));
    // A two-byte character across the bound is not split.
    const QByteArray longLine = QByteArray(ConsoleJournal::MaxMessage - 1, 'x') + "\xc3\xa9yz";
    QCOMPARE(ConsoleJournal::message({longLine, 0, false}),
             QByteArray(ConsoleJournal::MaxMessage - 1, 'x') + " [cut]");
    QCOMPARE(ConsoleJournal::priority(std::nullopt), LOG_INFO);
    QCOMPARE(ConsoleJournal::priority(AlertSeverity::Info), LOG_NOTICE);
    QCOMPARE(ConsoleJournal::priority(AlertSeverity::Warning), LOG_WARNING);
    QCOMPARE(ConsoleJournal::priority(AlertSeverity::Critical), LOG_CRIT);
}

void tst_Journal::withoutAJournalTheConsoleGoesOnAndCountsTheRefusals()
{
    TestPty pty;
    TestServer server(pty.path(), journalled(QStringLiteral("early"), true));
    QTRY_VERIFY(server.console->source().isUp());
    TestClient client(server.consoleUrl());
    QTRY_VERIFY(client.hello.has_value());
    QTest::ignoreMessage(QtWarningMsg,
                         QRegularExpression(QStringLiteral("^early cannot send console lines to "
                                                           "the journal: ")));
    QVERIFY(pty.write("nobody keeps this line\r\nnor this one\r\n"));
    QTRY_COMPARE(server.console->alerts().journalFailed(), 2);
    QCOMPARE(server.console->alerts().journalWritten(), 0);
    QTRY_VERIFY(client.received.contains("nor this one\r\n"));
}

void tst_Journal::everyLineReachesTheJournalOnceAtItsSeverity()
{
    m_journald.setProcessChannelMode(QProcess::ForwardedChannels);
    m_journald.start(QStringLiteral("/lib/systemd/systemd-journald"), {});
    QVERIFY2(m_journald.waitForStarted(), qPrintable(m_journald.errorString()));
    QTRY_VERIFY(QFile::exists(QStringLiteral("/run/systemd/journal/socket")));

    TestPty pty;
    TestServer server(pty.path(), journalled(QStringLiteral("vm1"), true));
    QTRY_VERIFY(server.console->source().isUp());
    QTest::ignoreMessage(QtCriticalMsg, QRegularExpression(QStringLiteral("kernel-panic")));
    QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral("oom-kill")));
    QTest::ignoreMessage(QtInfoMsg, QRegularExpression(QStringLiteral("login-prompt")));
    const QByteArray endless(LineReader::MaxLine + 1000, 'e');
    const QByteArray output = "Starting kernel ...\r\n"
                              "\x1b[0;32m  OK  \x1b[0m] Reached target\tmulti-user\r\n"
                              "garbage \xff\xfe\x80 from firmware\r\n"
                              "[   31.004503] Kernel panic - not syncing: sysrq triggered crash\r\n"
                              "[   12.1] Out of memory: Killed process 123 (stress)\r\n"
        + endless + "\r\nafter the endless line\r\n\r\nvm1 login: ";
    QVERIFY(pty.write(output));
    QTRY_COMPARE_WITH_TIMEOUT(entries(QStringLiteral("vm1")).size(), size_t(8), 10000);
    const std::vector<Entry> got = entries(QStringLiteral("vm1"));
    QCOMPARE(got[0].message, QStringLiteral("Starting kernel ..."));
    QCOMPARE(got[0].priority, LOG_INFO);
    QCOMPARE(got[0].offset, 0);
    QVERIFY(got[0].rule.isEmpty());
    QCOMPARE(got[1].message, QStringLiteral("  OK  ] Reached target multi-user"));
    QCOMPARE(got[2].message, QStringLiteral("garbage \uFFFD\uFFFD\uFFFD from firmware"));
    QCOMPARE(got[3].message,
             QStringLiteral("[   31.004503] Kernel panic - not syncing: sysrq triggered crash"));
    QCOMPARE(got[3].priority, LOG_CRIT);
    QCOMPARE(got[3].rule, QStringLiteral("kernel-panic"));
    QCOMPARE(got[3].offset, output.indexOf("[   31.004503]"));
    QCOMPARE(got[4].priority, LOG_WARNING);
    QCOMPARE(got[4].rule, QStringLiteral("oom-kill"));
    // Cut where the reader cut it, and said so; the rest of it is not another entry.
    QCOMPARE(got[5].message.size(), ConsoleJournal::MaxMessage + qsizetype(strlen(" [cut]")));
    QVERIFY(got[5].message.endsWith(QLatin1String("eee [cut]")));
    QCOMPARE(got[6].message, QStringLiteral("after the endless line"));
    // The prompt, matched once it stayed unfinished, at the login rule's priority.
    QCOMPARE(got[7].message, QStringLiteral("vm1 login: "));
    QCOMPARE(got[7].priority, LOG_NOTICE);
    QCOMPARE(got[7].rule, QStringLiteral("login-prompt"));
    // The alerts reach the console's thread after their lines reached the journal.
    QTRY_COMPARE(server.console->state(), QStringLiteral("ready"));
    QCOMPARE(server.console->alerts().journalWritten(), 8);
    QCOMPARE(server.console->alerts().journalFailed(), 0);
    const QByteArray metrics = exchange(server.port(),
                                        "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                        "Connection: close\r\n\r\n");
    QVERIFY2(metrics.contains(
                 "\ncloud_console_journal_lines_total{console=\"vm1\",result=\"sent\"} 8\n"),
             metrics.constData());
}

void tst_Journal::syslogOffSendsNothingAndTurnsOnWhileRunning()
{
    QTRY_VERIFY(QFile::exists(QStringLiteral("/run/systemd/journal/socket")));
    TestPty pty;
    TestServer server(pty.path(), journalled(QStringLiteral("quiet"), false));
    QTRY_VERIFY(server.console->source().isUp());
    TestClient client(server.consoleUrl());
    QTRY_VERIFY(client.hello.has_value());
    QVERIFY(pty.write("not for the journal\r\n"));
    QTRY_VERIFY(client.received.contains("not for the journal\r\n"));
    server.console->setSyslog(true);
    QVERIFY(pty.write("for the journal\r\n"));
    QTRY_COMPARE_WITH_TIMEOUT(entries(QStringLiteral("quiet")).size(), size_t(1), 10000);
    QCOMPARE(entries(QStringLiteral("quiet"))[0].message, QStringLiteral("for the journal"));
    server.console->setSyslog(false);
    QVERIFY(pty.write("not again\r\nnor this\r\n"));
    QTRY_VERIFY(client.received.contains("nor this\r\n"));
    // Give the alerts' thread the time it would take to send them; none may come.
    QTest::qWait(500);
    QCOMPARE(entries(QStringLiteral("quiet")).size(), size_t(1));
}

int main(int argc, char **argv)
{
    g_isolation = isolate();
    QCoreApplication app(argc, argv);
    tst_Journal test;
    QTEST_SET_MAIN_SOURCE_PATH
    return QTest::qExec(&test, argc, argv);
}

#include "tst_journal.moc"
