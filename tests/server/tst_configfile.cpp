// The configuration file: a complete example read back, every mistake refused with its file and
// line, and how it combines with the command line.

#include "configfile.h"

#include <QTemporaryDir>
#include <QTest>

using namespace CloudConsole;

class tst_ConfigFile : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void aCompleteConfigurationReadsBack();
    void consolesTakeTheServersMarkersUnlessTheySayOtherwise();
    void mistakesAreRefusedWithTheirLine_data();
    void mistakesAreRefusedWithTheirLine();
    void theCommandLineAdjustsTheServerButNotTheConsoles();
    void anUnreadableOrBinaryFileIsRefused();
};

namespace {

const char *const Example = R"(# cloud-console.conf: every VM console of this host
[server]
listen = 0.0.0.0:7681
max-clients = 200
markers = on

[console vm1]
; a Cloud-Hypervisor VM, followed across reboots
source = ch:/run/vm1/api.sock
history-size = 4M
log = /var/log/cloud-console/vm1.log

[console vm2]
source = qmp:/run/vm2.qmp?chardev=serial0
markers = off
size = 132x43
scrollback = 5000

[console rescue-shell]
source   =   exec:bash -l # a '#' inside a value is kept
restart = always
)";

bool parse(const QString &text, ServerOptions *options, QString *error)
{
    return parseConfig(text, QStringLiteral("test.conf"), options, error);
}

} // namespace

void tst_ConfigFile::aCompleteConfigurationReadsBack()
{
    ServerOptions options;
    QString error;
    QVERIFY2(parse(QString::fromUtf8(Example), &options, &error), qPrintable(error));
    QCOMPARE(options.address, QHostAddress(QStringLiteral("0.0.0.0")));
    QCOMPARE(options.port, quint16(7681));
    QCOMPARE(options.maxClients, 200);
    QCOMPARE(options.consoles.size(), size_t(3));

    const ConsoleOptions &vm1 = options.consoles[0];
    QCOMPARE(vm1.name, QStringLiteral("vm1"));
    QVERIFY(vm1.source.kind == SourceSpec::Kind::ChApi);
    QCOMPARE(vm1.source.target, QStringLiteral("/run/vm1/api.sock"));
    QCOMPARE(qint64(vm1.historySize), qint64(4 * 1024 * 1024));
    QCOMPARE(vm1.logPath, QStringLiteral("/var/log/cloud-console/vm1.log"));
    QVERIFY(vm1.markers);

    const ConsoleOptions &vm2 = options.consoles[1];
    QVERIFY(vm2.source.kind == SourceSpec::Kind::Qmp);
    QCOMPARE(vm2.source.chardev, QStringLiteral("serial0"));
    QVERIFY(!vm2.markers);
    QCOMPARE(qint64(vm2.historySize), qint64(1024 * 1024));
    QVERIFY(vm2.logPath.isEmpty());
    QCOMPARE(vm2.size, QSize(132, 43));
    QCOMPARE(vm2.scrollbackLines, 5000);
    QCOMPARE(vm1.size, QSize(80, 24));
    QCOMPARE(vm1.scrollbackLines, 1000);

    const ConsoleOptions &shell = options.consoles[2];
    QCOMPARE(shell.name, QStringLiteral("rescue-shell"));
    QVERIFY(shell.source.kind == SourceSpec::Kind::Exec);
    QCOMPARE(shell.source.target, QStringLiteral("bash -l # a '#' inside a value is kept"));
    QVERIFY(shell.source.restart == ExecSource::RestartPolicy::Always);
}

void tst_ConfigFile::consolesTakeTheServersMarkersUnlessTheySayOtherwise()
{
    // [server] after the consoles still sets their default.
    ServerOptions options;
    QString error;
    QVERIFY2(parse(QStringLiteral("[console a]\nsource = /dev/pts/1\n"
                                  "[console b]\nsource = /dev/pts/2\nmarkers = yes\n"
                                  "[server]\nmarkers = off\n"),
                   &options, &error),
             qPrintable(error));
    QVERIFY(!options.consoles[0].markers);
    QVERIFY(options.consoles[1].markers);
}

void tst_ConfigFile::mistakesAreRefusedWithTheirLine_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("error");

    QTest::newRow("empty") << QString()
                           << "test.conf:1: no consoles: declare at least one [console NAME] with "
                              "a source";
    QTest::newRow("only comments") << QStringLiteral("# nothing\n; here\n")
                                   << "test.conf:3: no consoles: declare at least one [console "
                                      "NAME] with a source";
    QTest::newRow("key before a section")
        << QStringLiteral("listen = 1.2.3.4:80\n")
        << "test.conf:1: \"listen\" comes before any [server] or [console NAME] section";
    QTest::newRow("unknown section") << QStringLiteral("[consoles vm1]\n")
                                     << "test.conf:1: unknown section \"[consoles vm1]\" (expected "
                                        "[server], [console NAME], [user NAME] or [token NAME])";
    QTest::newRow("console without a name")
        << QStringLiteral("[console]\n")
        << "test.conf:1: [console NAME] needs a name of 1 to 64 of A-Z a-z 0-9 . _ -, not "
           "starting with a dot, got \"\"";
    QTest::newRow("console with a bad name")
        << QStringLiteral("[console ../etc]\n")
        << "test.conf:1: [console NAME] needs a name of 1 to 64 of A-Z a-z 0-9 . _ -, not "
           "starting with a dot, got \"../etc\"";
    QTest::newRow("a console twice")
        << QStringLiteral("[console a]\nsource = /dev/pts/1\n\n[console a]\n")
        << "test.conf:4: console \"a\" is already declared on line 1";
    QTest::newRow("server twice") << QStringLiteral("[server]\n[server]\n")
                                  << "test.conf:2: [server] appears twice";
    QTest::newRow("not an assignment")
        << QStringLiteral("[server]\nlisten 1.2.3.4:80\n")
        << "test.conf:2: expected \"key = value\", a [section] or a # comment, got \"listen "
           "1.2.3.4:80\"";
    QTest::newRow("unknown server key")
        << QStringLiteral("[server]\nport = 80\n")
        << "test.conf:2: unknown key \"port\" (known here: allowed-origins, idle-timeout, "
           "input-rate, insecure, listen, markers, max-clients, max-clients-per-console, "
           "ping-interval, "
           "session-lifetime, tls-cert, tls-key, web-root)";
    QTest::newRow("unknown console key") << QStringLiteral("[console a]\npath = /dev/pts/1\n")
                                         << "test.conf:2: unknown key \"path\" (known here: "
                                            "history-size, log, markers, max-clients, "
                                            "restart, screen, scrollback, size, source)";
    QTest::newRow("a key twice") << QStringLiteral("[console a]\nsource = /dev/pts/1\nsource = "
                                                   "/dev/pts/2\n")
                                 << "test.conf:3: \"source\" is set twice in this section";
    QTest::newRow("console without a source")
        << QStringLiteral("[console a]\nsource = /dev/pts/1\n[console b]\nlog = /tmp/b.log\n")
        << "test.conf:3: console \"b\" has no source";
    QTest::newRow("bad source") << QStringLiteral("[console a]\nsource = vnc:1.2.3.4:5900\n")
                                << "test.conf:2: source: unknown console source type \"vnc\" "
                                   "(known: pty, exec, unix, tcp, telnet, serial, ch, qmp; a path "
                                   "means pty)";
    QTest::newRow("bad history size")
        << QStringLiteral("[console a]\nsource = /dev/pts/1\nhistory-size = 2G\n")
        << "test.conf:3: history-size: \"2G\" is not a size from 4K to 1G";
    QTest::newRow("a size that is not COLSxROWS")
        << QStringLiteral("[console a]\nsource = /dev/pts/1\nsize = 80 by 24\n")
        << "test.conf:3: size: \"80 by 24\" is not COLSxROWS with each from 1 to 1000 (such as "
           "80x24)";
    QTest::newRow("bad listen") << QStringLiteral("[server]\nlisten = localhost\n")
                                << "test.conf:2: listen: expected ADDR:PORT (IPv6 as "
                                   "[ADDR]:PORT), got \"localhost\"";
    QTest::newRow("bad max-clients") << QStringLiteral("[server]\nmax-clients = lots\n")
                                     << "test.conf:2: max-clients: \"lots\" is not a number from "
                                        "1 to 100000";
    QTest::newRow("bad markers") << QStringLiteral("[server]\nmarkers = maybe\n")
                                 << "test.conf:2: markers: expected on or off, got \"maybe\"";
    QTest::newRow("empty log") << QStringLiteral("[console a]\nsource = /dev/pts/1\nlog =\n")
                               << "test.conf:3: log: needs a file name";
    QTest::newRow("restart on a pty")
        << QStringLiteral("[console a]\nrestart = always\nsource = /dev/pts/1\n")
        << "test.conf:1: console \"a\": restart: applies to a command's console (exec:), not to "
           "pty:/dev/pts/1";
    QTest::newRow("bad restart")
        << QStringLiteral("[console a]\nsource = exec:sh\nrestart = sometimes\n")
        << "test.conf:1: console \"a\": restart: \"sometimes\" is not never, on-failure or always";
}

void tst_ConfigFile::mistakesAreRefusedWithTheirLine()
{
    QFETCH(QString, text);
    QFETCH(QString, error);
    ServerOptions options;
    QString got;
    QVERIFY(!parse(text, &options, &got));
    QCOMPARE(got, error);
}

void tst_ConfigFile::theCommandLineAdjustsTheServerButNotTheConsoles()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("cc.conf"));
    QFile file(path);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write(Example);
    file.close();

    const ParsedOptions parsed
        = parseOptions({QStringLiteral("cloud-console"), QStringLiteral("--config"), path,
                        QStringLiteral("--listen"), QStringLiteral("127.0.0.1:0"),
                        QStringLiteral("--no-markers")});
    QVERIFY2(parsed.outcome == ParsedOptions::Outcome::Run, qPrintable(parsed.text));
    QCOMPARE(parsed.options.port, quint16(0));
    QCOMPARE(parsed.options.address, QHostAddress(QHostAddress::LocalHost));
    QCOMPARE(parsed.options.maxClients, 200);
    QCOMPARE(parsed.options.consoles.size(), size_t(3));
    for (const ConsoleOptions &console : parsed.options.consoles)
        QVERIFY(!console.markers);

    const auto refused = [&](const QStringList &extra, const QString &mentions) {
        const ParsedOptions p = parseOptions(
            QStringList {QStringLiteral("cloud-console"), QStringLiteral("--config"), path}
            + extra);
        return p.outcome == ParsedOptions::Outcome::Error && p.text.contains(mentions);
    };
    QVERIFY(refused({QStringLiteral("/dev/pts/1")}, QStringLiteral("not both")));
    QVERIFY(refused({QStringLiteral("--exec"), QStringLiteral("sh")},
                    QStringLiteral("--exec belongs in a [console NAME] section")));
    QVERIFY(
        refused({QStringLiteral("--name"), QStringLiteral("x")}, QStringLiteral("--name belongs")));
    QVERIFY(refused({QStringLiteral("--config"), path}, QStringLiteral("more than once")));
}

void tst_ConfigFile::anUnreadableOrBinaryFileIsRefused()
{
    QTemporaryDir dir;
    ServerOptions options;
    QString error;
    QVERIFY(!readConfigFile(dir.filePath(QStringLiteral("missing.conf")), &options, &error));
    QVERIFY2(error.startsWith(QStringLiteral("cannot read the configuration ")), qPrintable(error));

    const QString binary = dir.filePath(QStringLiteral("binary.conf"));
    QFile file(binary);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write(QByteArray("[server]\n\0\xff\xfe", 12));
    file.close();
    QVERIFY(!readConfigFile(binary, &options, &error));
    QCOMPARE(error, binary + QStringLiteral(": not a UTF-8 text file"));
}

QTEST_APPLESS_MAIN(tst_ConfigFile)
#include "tst_configfile.moc"
