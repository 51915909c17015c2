// parseOptions and parseSize: the old positional form and the flags give the right settings, and
// every bad command line is an error with one clear line, never a silent default.

#include "options.h"

#include <QProcess>
#include <QTest>

using namespace CloudConsole;

using Outcome = ParsedOptions::Outcome;

class tst_Options : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void theConsoleSizeAndScrollbackReachTheConsole();
    void aGoodCommandLineGivesTheseSettings_data();
    void aGoodCommandLineGivesTheseSettings();
    void aRestartPolicyAppliesToCommands();
    void aSourceSpecSaysWhereTheConsoleIs_data();
    void aSourceSpecSaysWhereTheConsoleIs();
    void aBadCommandLineIsAnErrorWithOneLine_data();
    void aBadCommandLineIsAnErrorWithOneLine();
    void helpAndVersionAreTextToShow_data();
    void helpAndVersionAreTextToShow();
    void parseSizeReadsByteCounts_data();
    void parseSizeReadsByteCounts();
    void aSizeTooLargeToCountIsRefused_data();
    void aSizeTooLargeToCountIsRefused();
};

namespace {

QStringList commandLine(const QString &arguments)
{
    QStringList list = QProcess::splitCommand(arguments);
    list.prepend(QStringLiteral("cloud-console"));
    return list;
}

} // namespace

void tst_Options::theConsoleSizeAndScrollbackReachTheConsole()
{
    ParsedOptions parsed = parseOptions(commandLine("/dev/pts/1"));
    QCOMPARE(parsed.options.consoles.at(0).size, QSize(80, 24));
    QCOMPARE(parsed.options.consoles.at(0).scrollbackLines, 1000);
    parsed = parseOptions(commandLine("--exec sh --size 132X43 --scrollback 0"));
    QVERIFY2(parsed.outcome == Outcome::Run, qPrintable(parsed.text));
    QCOMPARE(parsed.options.consoles.at(0).size, QSize(132, 43));
    QCOMPARE(parsed.options.consoles.at(0).scrollbackLines, 0);
}

void tst_Options::aGoodCommandLineGivesTheseSettings_data()
{
    QTest::addColumn<QStringList>("arguments");
    QTest::addColumn<QString>("source");
    QTest::addColumn<QString>("execCommand");
    QTest::addColumn<QString>("address");
    QTest::addColumn<int>("port");
    QTest::addColumn<QString>("logPath");
    QTest::addColumn<qint64>("historySize");
    QTest::addColumn<QString>("name");
    QTest::addColumn<int>("maxClients");

    const qint64 mib = 1024 * 1024;
    QTest::newRow("old form with log")
        << commandLine("/dev/pts/3 0.0.0.0 9000 /var/log/vm.log") << "/dev/pts/3"
        << ""
        << "0.0.0.0" << 9000 << "/var/log/vm.log" << mib << "default" << 1024;
    QTest::newRow("old form without log")
        << commandLine("/run/vm1.pty 192.168.1.5 8080") << "/run/vm1.pty"
        << ""
        << "192.168.1.5" << 8080 << "" << mib << "default" << 1024;
    QTest::newRow("old form, IPv6 address, port 0")
        << commandLine("/dev/pts/3 ::1 0") << "/dev/pts/3"
        << ""
        << "::1" << 0 << "" << mib << "default" << 1024;
    QTest::newRow("pty alone") << commandLine("/dev/pts/7") << "/dev/pts/7"
                               << ""
                               << "127.0.0.1" << 8080 << "" << mib << "default" << 1024;
    QTest::newRow("exec") << commandLine("--exec \"bash -l\"") << ""
                          << "bash -l"
                          << "127.0.0.1" << 8080 << "" << mib << "default" << 1024;
    QTest::newRow("exec with = and other flags")
        << commandLine("--exec=top --name demo-1.x --max-clients 5 --log /tmp/demo.log") << ""
        << "top"
        << "127.0.0.1" << 8080 << "/tmp/demo.log" << mib << "demo-1.x" << 5;
    QTest::newRow("listen IPv4") << commandLine("--listen 10.0.0.2:7681 /dev/pts/1") << "/dev/pts/1"
                                 << ""
                                 << "10.0.0.2" << 7681 << "" << mib << "default" << 1024;
    QTest::newRow("listen IPv6 in brackets")
        << commandLine("--listen [fe80::1:2]:443 /dev/pts/1") << "/dev/pts/1"
        << ""
        << "fe80::1:2" << 443 << "" << mib << "default" << 1024;
    QTest::newRow("listen [::1]:0") << commandLine("/dev/pts/1 --listen [::1]:0") << "/dev/pts/1"
                                    << ""
                                    << "::1" << 0 << "" << mib << "default" << 1024;
    QTest::newRow("listen localhost") << commandLine("--listen localhost:65535 --exec sh") << ""
                                      << "sh"
                                      << "127.0.0.1" << 65535 << "" << mib << "default" << 1024;
    QTest::newRow("history 4K") << commandLine("/dev/pts/1 --history-size 4K") << "/dev/pts/1"
                                << ""
                                << "127.0.0.1" << 8080 << "" << qint64(4096) << "default" << 1024;
    QTest::newRow("history 1M") << commandLine("/dev/pts/1 --history-size 1M") << "/dev/pts/1"
                                << ""
                                << "127.0.0.1" << 8080 << "" << mib << "default" << 1024;
    QTest::newRow("history 80000 like the old tool")
        << commandLine("/dev/pts/1 --history-size 80000") << "/dev/pts/1"
        << ""
        << "127.0.0.1" << 8080 << "" << qint64(80000) << "default" << 1024;
    QTest::newRow("history 64KiB")
        << commandLine("/dev/pts/1 --history-size 64KiB") << "/dev/pts/1"
        << ""
        << "127.0.0.1" << 8080 << "" << qint64(65536) << "default" << 1024;
    QTest::newRow("history 1G") << commandLine("/dev/pts/1 --history-size 1G") << "/dev/pts/1"
                                << ""
                                << "127.0.0.1" << 8080 << "" << 1024 * mib << "default" << 1024;
    QTest::newRow("log flag with old address form")
        << commandLine("/dev/pts/2 127.0.0.1 81 --log /tmp/a.log") << "/dev/pts/2"
        << ""
        << "127.0.0.1" << 81 << "/tmp/a.log" << mib << "default" << 1024;
    QTest::newRow("name of 64 characters")
        << commandLine("/dev/pts/2 --name " + QString(64, QLatin1Char('n'))) << "/dev/pts/2"
        << ""
        << "127.0.0.1" << 8080 << "" << mib << QString(64, QLatin1Char('n')) << 1024;
}

void tst_Options::aGoodCommandLineGivesTheseSettings()
{
    QFETCH(QStringList, arguments);
    QFETCH(QString, source);
    QFETCH(QString, execCommand);
    QFETCH(QString, address);
    QFETCH(int, port);
    QFETCH(QString, logPath);
    QFETCH(qint64, historySize);
    QFETCH(QString, name);
    QFETCH(int, maxClients);

    const ParsedOptions parsed = parseOptions(arguments);
    QVERIFY2(
        parsed.outcome == Outcome::Run,
        qPrintable(QStringLiteral("outcome %1: %2").arg(int(parsed.outcome)).arg(parsed.text)));
    const ServerOptions &o = parsed.options;
    QCOMPARE(o.source, source);
    QCOMPARE(o.execCommand, execCommand);
    QCOMPARE(o.address, QHostAddress(address));
    QCOMPARE(int(o.port), port);
    QCOMPARE(o.logPath, logPath);
    QCOMPARE(qint64(o.historySize), historySize);
    QCOMPARE(o.name, name);
    QCOMPARE(o.maxClients, maxClients);
}

void tst_Options::aSourceSpecSaysWhereTheConsoleIs_data()
{
    QTest::addColumn<QString>("spec");
    QTest::addColumn<QString>("canonical");
    QTest::newRow("a bare pty path") << "/dev/pts/3"
                                     << "pty:/dev/pts/3";
    QTest::newRow("a relative path") << "./vm1.pty"
                                     << "pty:./vm1.pty";
    QTest::newRow("a relative name") << "vm1.pty"
                                     << "pty:vm1.pty";
    QTest::newRow("pty:") << "pty:/run/vm1/console"
                          << "pty:/run/vm1/console";
    QTest::newRow("exec:") << "exec:bash -l"
                           << "exec:bash -l";
    QTest::newRow("unix:") << "unix:/run/vm1.serial"
                           << "unix:/run/vm1.serial";
    QTest::newRow("tcp:") << "tcp:127.0.0.1:4555"
                          << "tcp:127.0.0.1:4555";
    QTest::newRow("telnet: with IPv6") << "telnet:[::1]:4556"
                                       << "telnet:[::1]:4556";
    // A bare path stands for itself, '?' and line breaks included (found by fuzzing: their
    // canonical forms did not parse back to them).
    QTest::newRow("a bare path with a question mark") << "/dev/pts/3?device=console"
                                                      << "/dev/pts/3?device=console";
    QTest::newRow("a typed spec with a line break") << "pty:/run/a\nb"
                                                    << "pty:/run/a\nb";
    QTest::newRow("a virtio-console pty") << "pty:/dev/pts/4?device=console"
                                          << "pty:/dev/pts/4?device=console";
    QTest::newRow("device=serial is the default") << "pty:/dev/pts/4?device=serial"
                                                  << "pty:/dev/pts/4";
    QTest::newRow("ch:") << "ch:/run/vm1/api.sock"
                         << "ch:/run/vm1/api.sock";
    QTest::newRow("ch: virtio-console") << "ch:/run/vm1/api.sock?device=console"
                                        << "ch:/run/vm1/api.sock?device=console";
    QTest::newRow("qmp:") << "qmp:/run/vm1.qmp"
                          << "qmp:/run/vm1.qmp";
    QTest::newRow("qmp: chardev serial0 is the default") << "qmp:/run/vm1.qmp?chardev=serial0"
                                                         << "qmp:/run/vm1.qmp";
    QTest::newRow("qmp: a virtio-console chardev")
        << "qmp:/run/vm1.qmp?device=console&chardev=con0"
        << "qmp:/run/vm1.qmp?chardev=con0&device=console";
}

void tst_Options::aRestartPolicyAppliesToCommands()
{
    const ParsedOptions parsed = parseOptions(
        {QStringLiteral("cloud-console"), QStringLiteral("--exec"), QStringLiteral("bash -l"),
         QStringLiteral("--restart"), QStringLiteral("on-failure")});
    QVERIFY2(parsed.outcome == Outcome::Run, qPrintable(parsed.text));
    QVERIFY(parsed.options.sourceSpec.restart == ExecSource::RestartPolicy::OnFailure);
    const ParsedOptions spec
        = parseOptions({QStringLiteral("cloud-console"), QStringLiteral("exec:top"),
                        QStringLiteral("--restart"), QStringLiteral("always")});
    QVERIFY2(spec.outcome == Outcome::Run, qPrintable(spec.text));
    QVERIFY(spec.options.sourceSpec.restart == ExecSource::RestartPolicy::Always);
    const ParsedOptions none = parseOptions(
        {QStringLiteral("cloud-console"), QStringLiteral("--exec"), QStringLiteral("top")});
    QVERIFY(none.options.sourceSpec.restart == ExecSource::RestartPolicy::Never);
}

void tst_Options::aSourceSpecSaysWhereTheConsoleIs()
{
    QFETCH(QString, spec);
    QFETCH(QString, canonical);
    const ParsedOptions parsed = parseOptions({QStringLiteral("cloud-console"), spec});
    QVERIFY2(parsed.outcome == Outcome::Run, qPrintable(parsed.text));
    QCOMPARE(parsed.options.source, spec);
    QCOMPARE(parsed.options.sourceSpec.toString(), canonical);
    // The canonical form is the same console again.
    QString error;
    const std::optional<SourceSpec> again = parseSourceSpec(canonical, &error);
    QVERIFY2(again, qPrintable(error));
    QCOMPARE(again->toString(), canonical);
}

void tst_Options::aBadCommandLineIsAnErrorWithOneLine_data()
{
    QTest::addColumn<QStringList>("arguments");
    QTest::addColumn<QString>("mentions"); // a word the error must contain

    QTest::newRow("nothing") << commandLine("") << "pty";
    QTest::newRow("a blank source")
        << (QStringList {QStringLiteral("cloud-console"), QStringLiteral("  ")}) << "empty";
    QTest::newRow("size without rows") << commandLine("/dev/pts/1 --size 80") << "COLSxROWS";
    QTest::newRow("size of zero columns") << commandLine("/dev/pts/1 --size 0x24") << "0x24";
    QTest::newRow("size over 1000") << commandLine("/dev/pts/1 --size 80x1001") << "1000";
    QTest::newRow("scrollback negative") << commandLine("/dev/pts/1 --scrollback -1") << "-1";
    QTest::newRow("scrollback not a number")
        << commandLine("/dev/pts/1 --scrollback lots") << "lots";
    QTest::newRow("two positionals") << commandLine("/dev/pts/1 127.0.0.1") << "2 arguments";
    QTest::newRow("restart without a command")
        << commandLine("/dev/pts/1 --restart always") << "--restart";
    QTest::newRow("unknown restart policy")
        << commandLine("--exec sh --restart sometimes") << "sometimes";
    QTest::newRow("unknown source type")
        << commandLine("vnc:127.0.0.1:5900") << "unknown console source type";
    QTest::newRow("tcp source without port") << commandLine("tcp:localhost") << "tcp:localhost";
    QTest::newRow("pty source without path") << commandLine("pty:") << "path";
    QTest::newRow("exec source without command") << commandLine("exec:") << "command";
    QTest::newRow("ch: without a path") << commandLine("ch:?device=console") << "needs a path";
    QTest::newRow("ch: unknown key")
        << commandLine("ch:/run/api.sock?chardev=x") << "unknown key \"chardev\" (known: device)";
    QTest::newRow("ch: bad device")
        << commandLine("ch:/run/api.sock?device=hvc0") << "\"hvc0\" is not serial or console";
    QTest::newRow("qmp: empty chardev")
        << commandLine("qmp:/run/vm1.qmp?chardev=") << "chardev needs a value";
    QTest::newRow("qmp: repeated key")
        << commandLine("qmp:/run/vm1.qmp?chardev=a&chardev=b") << "chardev given twice";
    QTest::newRow("pty: unknown key") << commandLine("pty:/dev/pts/1?baud=9600") << "baud";
    QTest::newRow("five positionals")
        << commandLine("/dev/pts/1 127.0.0.1 80 /tmp/log extra") << "5 arguments";
    QTest::newRow("port 65536") << commandLine("/dev/pts/1 127.0.0.1 65536") << "65536";
    QTest::newRow("port x") << commandLine("/dev/pts/1 127.0.0.1 x") << "port";
    QTest::newRow("negative port") << commandLine("/dev/pts/1 127.0.0.1 -- -1") << "-1";
    QTest::newRow("port with sign") << commandLine("/dev/pts/1 127.0.0.1 +80") << "+80";
    QTest::newRow("bad IPv4") << commandLine("/dev/pts/1 300.1.2.3 80") << "300.1.2.3";
    QTest::newRow("host name") << commandLine("/dev/pts/1 example.com 80") << "example.com";
    QTest::newRow("listen without port")
        << commandLine("/dev/pts/1 --listen 127.0.0.1") << "--listen";
    QTest::newRow("listen without address") << commandLine("/dev/pts/1 --listen :80") << "--listen";
    QTest::newRow("listen IPv6 without brackets")
        << commandLine("/dev/pts/1 --listen ::1:80") << "--listen";
    QTest::newRow("listen port 65536")
        << commandLine("/dev/pts/1 --listen 127.0.0.1:65536") << "65536";
    QTest::newRow("listen bad address")
        << commandLine("/dev/pts/1 --listen 1.2.3.999:80") << "1.2.3.999";
    QTest::newRow("listen value missing") << commandLine("/dev/pts/1 --listen") << "listen";
    QTest::newRow("exec with a pty") << commandLine("/dev/pts/1 --exec top") << "--exec";
    QTest::newRow("exec empty") << (QStringList {"cloud-console", "--exec", ""}) << "--exec";
    QTest::newRow("listen plus positional address")
        << commandLine("/dev/pts/1 127.0.0.1 80 --listen 127.0.0.1:81") << "--listen";
    QTest::newRow("log plus positional log")
        << commandLine("/dev/pts/1 127.0.0.1 80 /tmp/a --log /tmp/b") << "--log";
    QTest::newRow("history 1K") << commandLine("/dev/pts/1 --history-size 1K") << "1K";
    QTest::newRow("history 2G") << commandLine("/dev/pts/1 --history-size 2G") << "2G";
    QTest::newRow("history 4095") << commandLine("/dev/pts/1 --history-size 4095") << "4095";
    QTest::newRow("history not a size") << commandLine("/dev/pts/1 --history-size lots") << "lots";
    QTest::newRow("name ../x") << commandLine("/dev/pts/1 --name ../x") << "../x";
    QTest::newRow("name of 65 characters")
        << commandLine("/dev/pts/1 --name " + QString(65, QLatin1Char('n'))) << "name";
    QTest::newRow("name starting with a dot")
        << commandLine("/dev/pts/1 --name .hidden") << ".hidden";
    QTest::newRow("empty name") << (QStringList {"cloud-console", "/dev/pts/1", "--name", ""})
                                << "name";
    QTest::newRow("max clients 0") << commandLine("/dev/pts/1 --max-clients 0") << "max-clients";
    QTest::newRow("max clients x") << commandLine("/dev/pts/1 --max-clients x") << "max-clients";
    QTest::newRow("unknown flag") << commandLine("/dev/pts/1 --bogus") << "bogus";
    QTest::newRow("unknown short flag") << commandLine("/dev/pts/1 -z") << "z";
    QTest::newRow("repeated listen")
        << commandLine("/dev/pts/1 --listen 127.0.0.1:1 --listen 127.0.0.1:2") << "listen";
    QTest::newRow("repeated log") << commandLine("/dev/pts/1 --log /tmp/a --log /tmp/a") << "log";
    QTest::newRow("repeated name") << commandLine("/dev/pts/1 --name a --name b") << "name";
    QTest::newRow("empty log") << (QStringList {"cloud-console", "/dev/pts/1", "--log", ""})
                               << "--log";
    QTest::newRow("empty pty path")
        << (QStringList {"cloud-console", "", "127.0.0.1", "80"}) << "pty";
}

void tst_Options::aBadCommandLineIsAnErrorWithOneLine()
{
    QFETCH(QStringList, arguments);
    QFETCH(QString, mentions);
    const ParsedOptions parsed = parseOptions(arguments);
    QVERIFY2(parsed.outcome == Outcome::Error,
             qPrintable(QStringLiteral("outcome %1 for %2")
                            .arg(int(parsed.outcome))
                            .arg(arguments.join(QLatin1Char(' ')))));
    const QString text = parsed.text.trimmed();
    QVERIFY2(!text.isEmpty(), "an error without text");
    QVERIFY2(!text.contains(QLatin1Char('\n')), qPrintable("more than one line: " + text));
    QVERIFY2(text.contains(mentions, Qt::CaseInsensitive),
             qPrintable(QStringLiteral("\"%1\" does not mention \"%2\"").arg(text, mentions)));
}

void tst_Options::helpAndVersionAreTextToShow_data()
{
    QTest::addColumn<QStringList>("arguments");
    QTest::addColumn<QString>("mentions");
    QTest::newRow("--help") << commandLine("--help") << "Usage: cloud-console";
    QTest::newRow("-h") << commandLine("-h") << "--listen ADDR:PORT";
    QTest::newRow("--help with a good pty") << commandLine("/dev/pts/1 --help") << "--exec";
    QTest::newRow("--help with bad arguments") << commandLine("a b --help") << "Usage:";
    QTest::newRow("--version") << commandLine("--version")
                               << QStringLiteral("cloud-console " CLOUD_CONSOLE_VERSION);
    QTest::newRow("-V") << commandLine("-V") << QStringLiteral(CLOUD_CONSOLE_VERSION);
}

void tst_Options::helpAndVersionAreTextToShow()
{
    QFETCH(QStringList, arguments);
    QFETCH(QString, mentions);
    const ParsedOptions parsed = parseOptions(arguments);
    QVERIFY2(
        parsed.outcome == Outcome::ShowText,
        qPrintable(QStringLiteral("outcome %1: %2").arg(int(parsed.outcome)).arg(parsed.text)));
    QVERIFY2(parsed.text.contains(mentions), qPrintable(parsed.text));
    QVERIFY(parsed.text.endsWith(QLatin1Char('\n')));
}

void tst_Options::parseSizeReadsByteCounts_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<qint64>("bytes");
    QTest::newRow("plain") << "80000" << qint64(80000);
    QTest::newRow("zero") << "0" << qint64(0);
    QTest::newRow("4K") << "4K" << qint64(4096);
    QTest::newRow("4k") << "4k" << qint64(4096);
    QTest::newRow("64KiB") << "64KiB" << qint64(65536);
    QTest::newRow("64KB") << "64KB" << qint64(65536);
    QTest::newRow("1M") << "1M" << qint64(1 << 20);
    QTest::newRow("3MiB") << "3MiB" << qint64(3 << 20);
    QTest::newRow("1G") << "1G" << (qint64(1) << 30);
    QTest::newRow("2GiB") << "2GiB" << (qint64(2) << 30);
    QTest::newRow("space before unit") << "16 M" << qint64(16) * 1024 * 1024;
    QTest::newRow("surrounding spaces") << " 5K " << qint64(5 * 1024);
    QTest::newRow("empty") << "" << qint64(-1);
    QTest::newRow("unit alone") << "K" << qint64(-1);
    QTest::newRow("negative") << "-1" << qint64(-1);
    QTest::newRow("fraction") << "1.5M" << qint64(-1);
    QTest::newRow("terabytes") << "1T" << qint64(-1);
    QTest::newRow("bits") << "1Mb" << qint64(-1);
    QTest::newRow("trailing garbage") << "1Mx" << qint64(-1);
    QTest::newRow("hex") << "0x100" << qint64(-1);
    QTest::newRow("13 digits") << "1000000000000" << qint64(-1);
}

void tst_Options::parseSizeReadsByteCounts()
{
    QFETCH(QString, text);
    QFETCH(qint64, bytes);
    QCOMPARE(parseSize(text), bytes);
}

void tst_Options::aSizeTooLargeToCountIsRefused_data()
{
    // 12 digits times a unit can exceed what a qint64 holds; such a size must not wrap around
    // into a small, valid-looking one. 17179869185 is 2^34 + 1: times 2^30 it wraps to 2^30.
    QTest::addColumn<QString>("text");
    QTest::newRow("wraps to exactly 1G") << "17179869185G";
    QTest::newRow("largest 12 digits in G") << "999999999999G";
    QTest::newRow("just over the qint64 range in G") << "8589934592G";
}

void tst_Options::aSizeTooLargeToCountIsRefused()
{
    QFETCH(QString, text);
    const qint64 size = parseSize(text);
    QVERIFY2(size == -1, qPrintable(QStringLiteral("parseSize(%1) = %2").arg(text).arg(size)));

    const ParsedOptions parsed
        = parseOptions({QStringLiteral("cloud-console"), QStringLiteral("/dev/pts/1"),
                        QStringLiteral("--history-size"), text});
    QVERIFY2(parsed.outcome == Outcome::Error,
             qPrintable(QStringLiteral("--history-size %1 accepted as %2 bytes")
                            .arg(text)
                            .arg(parsed.options.historySize)));
}

QTEST_APPLESS_MAIN(tst_Options)
#include "tst_options.moc"
