// Alerts through the whole server: a guest on a real pty prints a panic, and a real v1 client
// gets the alert event, /consoles.json and the index show the console's state, /metrics counts
// it; a login prompt sets the console ready; a SIGHUP reload adds and removes rules while the
// console keeps running.

#include "configfile.h"
#include "options.h"
#include "server.h"
#include "testclient.h"
#include "testpty.h"
#include "testserver.h"

#include <QDateTime>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

using namespace CloudConsole;
using namespace CloudConsole::Test;

class tst_Alerts : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void aPanicReachesTheClientsTheStateAndTheMetrics();
    void aLoginPromptSetsTheConsoleReady();
    void aReloadAddsAndRemovesRulesOfARunningConsole();
};

namespace {

ConsoleSettings alertingSettings(const QString &name)
{
    ConsoleSettings settings = plainConsoleSettings(name);
    settings.alertRules = AlertSettings().effective();
    return settings;
}

QByteArray body(quint16 port, const QByteArray &path)
{
    const QByteArray answer = exchange(
        port, "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
    return answer.mid(answer.indexOf("\r\n\r\n") + 4);
}

QJsonObject consoleJson(quint16 port, const QString &name)
{
    const QJsonArray list = QJsonDocument::fromJson(body(port, "/consoles.json"))
                                .object()
                                .value(QLatin1String("consoles"))
                                .toArray();
    for (const QJsonValue &value : list) {
        if (value.toObject().value(QLatin1String("name")).toString() == name)
            return value.toObject();
    }
    return {};
}

QString stateOf(quint16 port, const QString &name)
{
    return consoleJson(port, name).value(QLatin1String("state")).toString();
}

std::vector<Protocol::AlertEvent> alertsOf(const TestClient &client)
{
    std::vector<Protocol::AlertEvent> alerts;
    for (const Protocol::ServerMessage &message : client.messages) {
        if (const auto *alert = std::get_if<Protocol::AlertEvent>(&message))
            alerts.push_back(*alert);
    }
    return alerts;
}

qint64 tally(const Console *console, const QString &rule)
{
    qint64 count = 0;
    for (const auto &[key, value] : console->alertTallies())
        count += key.first == rule ? value.count : 0;
    return count;
}

} // namespace

void tst_Alerts::aPanicReachesTheClientsTheStateAndTheMetrics()
{
    TestPty pty;
    QVERIFY(pty.isValid());
    QTemporaryDir dir;
    // Two consoles, so that "/" is the index.
    TestServer server(
        {{alertingSettings(QStringLiteral("vm1")), pty.path()},
         {alertingSettings(QStringLiteral("vm2")), dir.filePath(QStringLiteral("none"))}});
    QVERIFY(server.listening);
    QTRY_VERIFY(server.console->source().isUp());
    TestClient client(server.consoleUrl());
    QTRY_VERIFY(client.hello.has_value());
    QCOMPARE(stateOf(server.port(), QStringLiteral("vm1")), QStringLiteral("booting"));

    const qint64 before = QDateTime::currentMSecsSinceEpoch();
    QTest::ignoreMessage(
        QtCriticalMsg,
        QRegularExpression(
            QStringLiteral("^vm1 alert kernel-panic \\(critical\\) at offset 6: \\[   31.004503\\] "
                           "Kernel panic - not syncing: sysrq triggered crash$")));
    QVERIFY(
        pty.write("boot\r\n\x1b[0m[   31.004503] Kernel panic - not syncing: sysrq triggered "
                  "crash\r\n---[ end Kernel panic - not syncing: sysrq triggered crash ]---\r\n"));
    QTRY_COMPARE(alertsOf(client).size(), size_t(1));
    const Protocol::AlertEvent alert = alertsOf(client)[0];
    QCOMPARE(alert.rule, QStringLiteral("kernel-panic"));
    QCOMPARE(alert.severity, QStringLiteral("critical"));
    QCOMPARE(alert.offset, 6);
    QCOMPARE(alert.line,
             QStringLiteral("[   31.004503] Kernel panic - not syncing: sysrq triggered crash"));
    const QDateTime time = QDateTime::fromString(alert.time, Qt::ISODateWithMs);
    QVERIFY2(time.isValid() && time.timeSpec() == Qt::UTC, qPrintable(alert.time));
    QVERIFY2(time.toMSecsSinceEpoch() >= before - 1000
                 && time.toMSecsSinceEpoch() <= QDateTime::currentMSecsSinceEpoch(),
             qPrintable(alert.time));

    QCOMPARE(stateOf(server.port(), QStringLiteral("vm1")), QStringLiteral("failed"));
    const QByteArray index = body(server.port(), "/");
    QVERIFY2(index.contains("<span class=\"guest failed\">failed</span>"), index.constData());

    const QByteArray metrics = body(server.port(), "/metrics");
    QVERIFY2(metrics.contains("\ncloud_console_alerts_total{console=\"vm1\",rule=\"kernel-panic\","
                              "severity=\"critical\"} 1\n"),
             metrics.constData());
    QVERIFY(metrics.contains("\ncloud_console_last_alert_timestamp_seconds{console=\"vm1\","
                             "rule=\"kernel-panic\"} "
                             + QByteArray::number(double(time.toMSecsSinceEpoch()) / 1000.0, 'f', 3)
                             + '\n'));
    QVERIFY(metrics.contains("\ncloud_console_state{console=\"vm1\",state=\"failed\"} 1\n"));
    // The closing line matched too, within the rule's debounce.
    QVERIFY(metrics.contains(
        "\ncloud_console_alerts_suppressed_total{console=\"vm1\",reason=\"debounce\"} 1\n"));

    // A client that connects later is not told again: the state and the history say it.
    TestClient late(server.consoleUrl());
    QTRY_VERIFY(late.hello.has_value());
    QTest::qWait(100);
    QVERIFY(alertsOf(late).empty());
    QCOMPARE(alertsOf(client).size(), size_t(1));
}

void tst_Alerts::aLoginPromptSetsTheConsoleReady()
{
    TestPty pty;
    TestServer server(pty.path(), alertingSettings(QStringLiteral("vm1")));
    QTRY_VERIFY(server.console->source().isUp());
    TestClient client(server.consoleUrl());
    QTRY_VERIFY(client.hello.has_value());
    QVERIFY(pty.write("\r\nDebian GNU/Linux 12 vm1 ttyS0\r\n\r\nvm1 login: "));
    QTRY_COMPARE(alertsOf(client).size(), size_t(1));
    QCOMPARE(alertsOf(client)[0].rule, QStringLiteral("login-prompt"));
    QCOMPARE(alertsOf(client)[0].severity, QStringLiteral("info"));
    QCOMPARE(server.console->state(), QStringLiteral("ready"));
    QCOMPARE(stateOf(server.port(), QStringLiteral("vm1")), QStringLiteral("ready"));
}

void tst_Alerts::aReloadAddsAndRemovesRulesOfARunningConsole()
{
    TestPty pty;
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("cc.conf"));
    const auto write = [&path, &pty](const QString &alerts) {
        QFile file(path);
        return file.open(QIODevice::WriteOnly | QIODevice::Truncate)
            && file.write(QStringLiteral("[server]\nlisten = 127.0.0.1:0\nbuiltin-alerts = off\n"
                                         "[console a]\nsource = pty:%1\nmarkers = off\n%2")
                              .arg(pty.path(), alerts)
                              .toUtf8())
            > 0;
    };
    QVERIFY(write(QStringLiteral("[alert first]\npattern = ^FIRST\nseverity = info\n")));
    const QStringList arguments {QStringLiteral("cloud-console"), QStringLiteral("--config"), path};
    const ParsedOptions parsed = parseOptions(arguments);
    QVERIFY2(parsed.outcome == ParsedOptions::Outcome::Run, qPrintable(parsed.text));
    Server server(parsed.options, arguments);
    QString error;
    QVERIFY2(server.start(&error), qPrintable(error));
    Console *a = server.consoles().find(QStringLiteral("a"));
    QTRY_VERIFY(a->source().isUp());
    QCOMPARE(a->alerts().ruleCount(), 1);

    QVERIFY(pty.write("FIRST\r\n"));
    QTRY_COMPARE(tally(a, QStringLiteral("first")), 1);

    // The rule goes and another comes: the console stays (same object, same history).
    QVERIFY(write(QStringLiteral("[alert second]\npattern = ^SECOND\nseverity = info\n"
                                 "state = second-seen\n")));
    QVERIFY(server.reload());
    QCOMPARE(server.consoles().find(QStringLiteral("a")), a);
    QCOMPARE(a->alerts().ruleCount(), 1);
    QVERIFY(pty.write("FIRST again\r\nSECOND\r\n"));
    QTRY_COMPARE(tally(a, QStringLiteral("second")), 1);
    QCOMPARE(tally(a, QStringLiteral("first")), 1);
    QCOMPARE(a->state(), QStringLiteral("second-seen"));

    // The built-in set comes back with builtin-alerts on (the default).
    QFile file(path);
    QVERIFY(file.open(QIODevice::WriteOnly | QIODevice::Truncate));
    file.write(QStringLiteral("[server]\nlisten = 127.0.0.1:0\n[console a]\nsource = pty:%1\n"
                              "markers = off\n")
                   .arg(pty.path())
                   .toUtf8());
    file.close();
    QVERIFY(server.reload());
    QCOMPARE(a->alerts().ruleCount(), int(builtinAlertRules().size()));

    // A mistake in a rule keeps the running rules.
    QVERIFY(write(QStringLiteral("[alert broken]\npattern = (\n")));
    QTest::ignoreMessage(QtWarningMsg,
                         QRegularExpression(QStringLiteral(
                             "^keeping the running configuration: .*cc.conf:8: pattern: not a "
                             "valid regular expression")));
    QVERIFY(!server.reload());
    QCOMPARE(a->alerts().ruleCount(), int(builtinAlertRules().size()));
}

QTEST_MAIN(tst_Alerts)
#include "tst_alerts.moc"
