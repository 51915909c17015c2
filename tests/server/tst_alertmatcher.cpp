// Alert rules on lines: the built-in set against the lines guests really print, debounce, clear,
// the console's rate limit under a flood, a prompt matched while it waits; and ConsoleAlerts,
// which runs them on a thread of its own beside a console without ever holding it back.

#include "consolealerts.h"

#include <QElapsedTimer>
#include <QSignalSpy>
#include <QTest>

using namespace CloudConsole;

Q_DECLARE_METATYPE(CloudConsole::Alert)

class tst_AlertMatcher : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { qRegisterMetaType<CloudConsole::Alert>(); }
    void builtInRulesKnowTheLinesGuestsPrint_data();
    void builtInRulesKnowTheLinesGuestsPrint();
    void aConfiguredRuleReplacesTheBuiltInOneOfItsName();
    void aRuleIsQuietForItsDebounce();
    void aRuleWithClearStaysRaisedUntilTheClearLine();
    void aFloodOfMatchingLinesIsRateLimited();
    void rulesThatReferToTheirGroupsMatchAsWritten();
    void aPromptAlertsWhileItWaitsAndNotAgainWhenFinished();
    void rulesApplyOnlyToTheConsolesTheyName();
    void theThreadFindsALineSplitAtEveryByteOnce();
    void theThreadMatchesAnIdlePromptAfterAWhile();
    void aPromptFollowedByOutputThatDrawsNothingIsIdleToo();
    void theThreadNeverHoldsBackTheConsoleUnderAFlood();
};

namespace {

LineReader::Line line(const QByteArray &text, qint64 offset = 0)
{
    return {text, offset, false};
}

AlertRule rule(const QString &name, const QString &pattern, std::chrono::seconds debounce,
               const QString &clear = {})
{
    AlertRule r;
    r.name = name;
    r.pattern = QRegularExpression(pattern);
    if (!clear.isEmpty())
        r.clear = QRegularExpression(clear);
    r.debounce = debounce;
    return r;
}

QStringList names(const std::vector<Alert> &alerts)
{
    QStringList out;
    for (const Alert &alert : alerts)
        out.append(alert.rule);
    return out;
}

} // namespace

void tst_AlertMatcher::builtInRulesKnowTheLinesGuestsPrint_data()
{
    QTest::addColumn<QByteArray>("text");
    QTest::addColumn<QString>("rule"); // empty: none
    QTest::addColumn<QString>("state");
    QTest::newRow("panic") << QByteArray("[    2.345678] Kernel panic - not syncing: VFS: Unable "
                                         "to mount root fs on unknown-block(0,0)")
                           << "kernel-panic"
                           << "failed";
    QTest::newRow("sysrq crash") << QByteArray("[   31.004503] Kernel panic - not syncing: sysrq "
                                               "triggered crash")
                                 << "kernel-panic"
                                 << "failed";
    QTest::newRow("oops") << QByteArray("[  120.1] Oops: 0002 [#1] PREEMPT SMP NOPTI")
                          << "kernel-oops"
                          << "";
    QTest::newRow("BUG") << QByteArray("[  120.0] BUG: kernel NULL pointer dereference, address: "
                                       "0000000000000000")
                         << "kernel-bug"
                         << "";
    QTest::newRow("soft lockup") << QByteArray(
        "[  52.1] watchdog: BUG: soft lockup - CPU#1 stuck for 22s! [stress:812]")
                                 << "soft-lockup"
                                 << "";
    QTest::newRow("hard lockup") << QByteArray(
        "[  60.2] watchdog: Watchdog detected hard LOCKUP on "
        "cpu 3") << "hard-lockup"
                                 << "";
    QTest::newRow("hung task") << QByteArray("[ 363.7] INFO: task kworker/u8:2:95 blocked for more "
                                             "than 120 seconds.")
                               << "hung-task"
                               << "";
    QTest::newRow("OOM kill") << QByteArray("[  88.8] Out of memory: Killed process 1234 (stress) "
                                            "total-vm:1048576kB")
                              << "oom-kill"
                              << "";
    QTest::newRow("cgroup OOM kill") << QByteArray("Memory cgroup out of memory: Killed process 77 "
                                                   "(java)")
                                     << "oom-kill"
                                     << "";
    QTest::newRow("init segfault") << QByteArray("[   3.3] init[1]: segfault at 0 ip 00007f sp "
                                                 "00007ffd error 4 in libc.so.6")
                                   << "init-segfault"
                                   << "";
    QTest::newRow("systemd segfault")
        << QByteArray("systemd[1]: segfault at 8 ip 0000 error 4") << "init-segfault"
        << "";
    QTest::newRow("another process's segfault")
        << QByteArray("bash[812]: segfault at 0 ip 0000 error 4") << ""
        << "";
    QTest::newRow("emergency mode")
        << QByteArray("You are in emergency mode. After logging in, type \"journalctl -xb\" to "
                      "view system logs")
        << "emergency-mode"
        << "failed";
    QTest::newRow("rescue mode") << QByteArray("You are in rescue mode. After logging in, type "
                                               "\"journalctl -xb\"")
                                 << "rescue-mode"
                                 << "rescue";
    QTest::newRow("login prompt") << QByteArray("vm1 login: ") << "login-prompt"
                                  << "ready";
    QTest::newRow("a typed login name") << QByteArray("vm1 login: root") << ""
                                        << "";
    QTest::newRow("last login") << QByteArray("Last login: Sat Dec  5 03:07:02 UTC 2026 on ttyS0")
                                << ""
                                << "";
    QTest::newRow("cloud-init") << QByteArray("[  42.0] cloud-init[612]: Cloud-init v. 22.4.2 "
                                              "finished at Sat, 05 Dec 2026 03:07:02 +0000. "
                                              "Datasource DataSourceNoCloud.  Up 41.99 seconds")
                                << "cloud-init-finished"
                                << "ready";
    QTest::newRow("boot") << QByteArray("[    0.000000] Linux version 6.1.0-13-amd64 "
                                        "(debian-kernel@lists.debian.org) (gcc-12 ...)")
                          << "linux-boot"
                          << "booting";
    QTest::newRow("ordinary output") << QByteArray("[  OK  ] Started ssh.service - OpenBSD Secure "
                                                   "Shell server.")
                                     << ""
                                     << "";
}

void tst_AlertMatcher::builtInRulesKnowTheLinesGuestsPrint()
{
    QFETCH(QByteArray, text);
    QFETCH(QString, rule);
    QFETCH(QString, state);
    AlertMatcher matcher(AlertSettings().effective());
    const std::vector<Alert> alerts = matcher.matchLine(line(text, 7), 0, 1000);
    if (rule.isEmpty()) {
        QVERIFY2(alerts.empty(), qPrintable(names(alerts).join(u',')));
        return;
    }
    QCOMPARE(names(alerts), QStringList {rule});
    QCOMPARE(alerts[0].state, state);
    QCOMPARE(alerts[0].line, QString::fromUtf8(text));
    QCOMPARE(alerts[0].offset, 7);
    QCOMPARE(alerts[0].timeMs, 1000);
}

void tst_AlertMatcher::aConfiguredRuleReplacesTheBuiltInOneOfItsName()
{
    AlertSettings settings;
    settings.rules.push_back(rule(QStringLiteral("login-prompt"), QStringLiteral("^Password:"),
                                  std::chrono::seconds(0)));
    settings.rules.push_back(
        rule(QStringLiteral("mine"), QStringLiteral("HELLO"), std::chrono::seconds(0)));
    const AlertRules rules = settings.effective();
    QCOMPARE(rules.size(), builtinAlertRules().size() + 1);
    AlertMatcher matcher(rules);
    QVERIFY(matcher.matchLine(line("vm1 login: "), 0, 0).empty());
    QCOMPARE(names(matcher.matchLine(line("Password: "), 0, 0)),
             QStringList {QStringLiteral("login-prompt")});
    settings.builtin = false;
    QCOMPARE(settings.effective().size(), size_t(2));
    QCOMPARE(settings.effective()[0].name, QStringLiteral("login-prompt"));
}

void tst_AlertMatcher::aRuleIsQuietForItsDebounce()
{
    AlertMatcher matcher(
        {rule(QStringLiteral("r"), QStringLiteral("x"), std::chrono::seconds(10))});
    QCOMPARE(matcher.matchLine(line("x", 0), 1000, 0).size(), size_t(1));
    QVERIFY(matcher.matchLine(line("x", 2), 1000 + 9999, 0).empty());
    QCOMPARE(matcher.debounced(), 1);
    QCOMPARE(matcher.matchLine(line("x", 4), 1000 + 10000, 0).size(), size_t(1));
}

void tst_AlertMatcher::aRuleWithClearStaysRaisedUntilTheClearLine()
{
    AlertMatcher matcher({rule(QStringLiteral("link"), QStringLiteral("link down"),
                               std::chrono::seconds(0), QStringLiteral("link up"))});
    QCOMPARE(matcher.matchLine(line("eth0: link down", 0), 0, 0).size(), size_t(1));
    // Raised: it keeps matching, minutes later too, and stays quiet.
    QVERIFY(matcher.matchLine(line("eth0: link down", 16), 600000, 0).empty());
    QVERIFY(matcher.matchLine(line("eth0: link flapping", 32), 600001, 0).empty());
    QVERIFY(matcher.matchLine(line("eth0: link up", 60), 600002, 0).empty());
    QCOMPARE(matcher.matchLine(line("eth0: link down", 80), 600003, 0).size(), size_t(1));
}

void tst_AlertMatcher::aFloodOfMatchingLinesIsRateLimited()
{
    // No debounce: only the console's bucket holds a flood back. 100,000 lines over 100 s.
    AlertRules rules = AlertSettings().effective();
    rules.push_back(
        rule(QStringLiteral("every"), QStringLiteral("panic"), std::chrono::seconds(0)));
    AlertMatcher matcher(rules);
    const QByteArray text("[  12.345678] Kernel panic - not syncing: flood");
    qint64 alerts = 0;
    for (int i = 0; i < 100000; ++i)
        alerts += qint64(matcher.matchLine(line(text, qint64(i) * 48), i, 0).size());
    // Burst, then one a second: at most 10 + 100.
    QVERIFY2(alerts <= qint64(AlertMatcher::Burst + 100 * AlertMatcher::RatePerSecond) + 1,
             qPrintable(QString::number(alerts)));
    QVERIFY(alerts >= 100);
    QCOMPARE(alerts + matcher.debounced() + matcher.rateLimited(), 200000); // two rules match
}

void tst_AlertMatcher::rulesThatReferToTheirGroupsMatchAsWritten()
{
    // Rules are tried together first (one pass for the lines that match none); a rule whose
    // groups are referred to by number or name must not be changed by that.
    AlertMatcher matcher(
        {rule(QStringLiteral("first"), QStringLiteral("(a)b"), std::chrono::seconds(0)),
         rule(QStringLiteral("twice"), QStringLiteral("\\b(\\w+) \\1\\b"), std::chrono::seconds(0)),
         rule(QStringLiteral("named"), QStringLiteral("^(?<w>x+)-\\k<w>;"),
              std::chrono::seconds(0))});
    QCOMPARE(names(matcher.matchLine(line("said the the word"), 0, 0)), QStringList {"twice"});
    QVERIFY(matcher.matchLine(line("said the word"), 0, 0).empty());
    QCOMPARE(names(matcher.matchLine(line("xx-xx;"), 0, 0)), QStringList {"named"});
    QVERIFY(matcher.matchLine(line("xx-x;"), 0, 0).empty());
    QCOMPARE(names(matcher.matchLine(line("cab"), 0, 0)), QStringList {"first"});
    // A line that matches only a clear pattern still clears.
    AlertMatcher cleared(
        {rule(QStringLiteral("link"), QStringLiteral("link down"), std::chrono::seconds(0),
              QStringLiteral("carrier back")),
         rule(QStringLiteral("other"), QStringLiteral("other"), std::chrono::seconds(0))});
    QCOMPARE(cleared.matchLine(line("link down"), 0, 0).size(), size_t(1));
    QVERIFY(cleared.matchLine(line("link down"), 1, 0).empty());
    QVERIFY(cleared.matchLine(line("carrier back"), 2, 0).empty());
    QCOMPARE(cleared.matchLine(line("link down"), 3, 0).size(), size_t(1));
}

void tst_AlertMatcher::aPromptAlertsWhileItWaitsAndNotAgainWhenFinished()
{
    AlertMatcher matcher(AlertSettings().effective());
    QCOMPARE(names(matcher.matchPartial(line("vm1 login: ", 100), 0, 0)),
             QStringList {QStringLiteral("login-prompt")});
    // Matched again while it waits (it changed and stayed): still the same line.
    QVERIFY(matcher.matchPartial(line("vm1 login: ", 100), 60000, 0).empty());
    QVERIFY(matcher.matchLine(line("vm1 login: root", 100), 60001, 0).empty());
    QCOMPARE(matcher.debounced(), 0);
    // The next prompt, after a logout, is another line.
    QCOMPARE(matcher.matchPartial(line("vm1 login: ", 900), 120000, 0).size(), size_t(1));
}

void tst_AlertMatcher::rulesApplyOnlyToTheConsolesTheyName()
{
    AlertRule r = rule(QStringLiteral("r"), QStringLiteral("x"), std::chrono::seconds(0));
    r.consoles = QStringList {QStringLiteral("vm1")};
    ConsoleAlerts vm1(QStringLiteral("vm1"));
    ConsoleAlerts vm2(QStringLiteral("vm2"));
    vm1.setRules({r});
    vm2.setRules({r});
    QCOMPARE(vm1.ruleCount(), 1);
    QCOMPARE(vm2.ruleCount(), 0);
}

void tst_AlertMatcher::theThreadFindsALineSplitAtEveryByteOnce()
{
    ConsoleAlerts alerts(QStringLiteral("vm1"));
    alerts.setRules(AlertSettings().effective());
    QSignalSpy spy(&alerts, &ConsoleAlerts::alerted);
    const QByteArray text("boot\r\n\x1b[31m[   31.004503] Kernel panic - not syncing: sysrq "
                          "triggered crash\x1b[0m\r\n");
    for (qsizetype i = 0; i < text.size(); ++i)
        alerts.feed(i, text.sliced(i, 1));
    QTRY_COMPARE(spy.size(), 1);
    const auto alert = spy[0][0].value<Alert>();
    QCOMPARE(alert.rule, QStringLiteral("kernel-panic"));
    QCOMPARE(alert.offset, 6);
    QCOMPARE(alert.line,
             QStringLiteral("[   31.004503] Kernel panic - not syncing: sysrq "
                            "triggered crash"));
    QTest::qWait(100);
    QCOMPARE(spy.size(), 1);
}

void tst_AlertMatcher::theThreadMatchesAnIdlePromptAfterAWhile()
{
    ConsoleAlerts alerts(QStringLiteral("vm1"));
    alerts.setRules(AlertSettings().effective());
    QSignalSpy spy(&alerts, &ConsoleAlerts::alerted);
    QElapsedTimer timer;
    timer.start();
    alerts.feed(0, "\r\nDebian GNU/Linux 12 vm1 ttyS0\r\n\r\nvm1 login: ");
    QTRY_COMPARE(spy.size(), 1);
    QVERIFY2(timer.elapsed() >= ConsoleAlerts::IdleLine.count() - 20,
             qPrintable(QString::number(timer.elapsed())));
    QCOMPARE(spy[0][0].value<Alert>().rule, QStringLiteral("login-prompt"));
    QCOMPARE(spy[0][0].value<Alert>().offset, 35);
    // Typed into and finished: no second alert.
    alerts.feed(46, "root\r\n");
    QTest::qWait(2 * ConsoleAlerts::IdleLine.count());
    QCOMPARE(spy.size(), 1);
}

void tst_AlertMatcher::aPromptFollowedByOutputThatDrawsNothingIsIdleToo()
{
    // A cursor shown again every 100 ms does not change the prompt's text.
    ConsoleAlerts alerts(QStringLiteral("vm1"));
    alerts.setRules(AlertSettings().effective());
    QSignalSpy spy(&alerts, &ConsoleAlerts::alerted);
    qint64 offset = 0;
    const auto feed = [&](const QByteArray &bytes) {
        alerts.feed(offset, bytes);
        offset += bytes.size();
    };
    feed("vm1 login: ");
    for (int i = 0; i < 10 && spy.isEmpty(); ++i) {
        QTest::qWait(100);
        feed("\x1b[?25h");
    }
    QTRY_COMPARE(spy.size(), 1);
    QCOMPARE(spy[0][0].value<Alert>().rule, QStringLiteral("login-prompt"));
}

void tst_AlertMatcher::theThreadNeverHoldsBackTheConsoleUnderAFlood()
{
    // 100,000 matching lines fed as a console reads them (4 KiB reads): feeding costs a copy, the
    // matcher's backlog stays bounded (it skips, and says so), and the alerts are rate-limited.
    ConsoleAlerts alerts(QStringLiteral("vm1"));
    AlertRules rules = AlertSettings().effective();
    rules.push_back(
        rule(QStringLiteral("every"), QStringLiteral("panic"), std::chrono::seconds(0)));
    alerts.setRules(rules);
    QSignalSpy spy(&alerts, &ConsoleAlerts::alerted);
    QByteArray flood;
    for (int i = 0; i < 100000; ++i)
        flood
            += "[  12.345678] Kernel panic - not syncing: flood " + QByteArray::number(i) + "\r\n";
    QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral("skipped \\d+ bytes")));
    QElapsedTimer timer;
    timer.start();
    qint64 slowest = 0;
    for (qsizetype at = 0; at < flood.size(); at += 4096) {
        QElapsedTimer one;
        one.start();
        alerts.feed(at,
                    QByteArrayView(flood).sliced(at, std::min<qsizetype>(4096, flood.size() - at)));
        slowest = std::max(slowest, one.nsecsElapsed());
    }
    const qint64 feedingMs = timer.elapsed();
    QTRY_VERIFY_WITH_TIMEOUT(alerts.debounced() + alerts.rateLimited() + spy.size() > 0, 10000);
    QTest::qWait(500);
    qInfo("fed %lld bytes (100000 matching lines) in %lld ms, slowest feed %lld us; matcher "
          "skipped %lld bytes; %lld alerts, %lld rate-limited, %lld debounced",
          qint64(flood.size()), feedingMs, slowest / 1000, alerts.skippedBytes(),
          qint64(spy.size()), alerts.rateLimited(), alerts.debounced());
    QVERIFY2(spy.size() <= AlertMatcher::Burst + 2 * (timer.elapsed() / 1000 + 1),
             qPrintable(QString::number(spy.size())));
    // A feed is a copy into the queue: far below a millisecond even on a loaded machine.
    QVERIFY2(slowest < 50 * 1000 * 1000, qPrintable(QString::number(slowest)));
}

QTEST_GUILESS_MAIN(tst_AlertMatcher)
#include "tst_alertmatcher.moc"
