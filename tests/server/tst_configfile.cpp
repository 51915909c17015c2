// The configuration file: a complete example read back, every mistake refused with its file and
// line, and how it combines with the command line.

#include "configfile.h"
#include "fleet.h"
#include "values.h"

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
    void alertSectionsAreReadIntoRules();
    void webhookSectionsAreReadWithTheirDefaults();
    void discoverSectionsAreReadWithTheirDefaultsAndOverrides();
    void theCommandLineAdjustsTheServerButNotTheConsoles();
    void aFleetIsReadWithItsPrefixes();
    void aCredentialsConsolesMayBePatterns();
    void usersOfATrustedProxyNeedNoPassword();
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
                              "a source, or a [discover libvirt] or [discover ch] section";
    QTest::newRow("only comments") << QStringLiteral("# nothing\n; here\n")
                                   << "test.conf:3: no consoles: declare at least one [console "
                                      "NAME] with a source, or a [discover libvirt] or [discover "
                                      "ch] section";
    QTest::newRow("key before a section")
        << QStringLiteral("listen = 1.2.3.4:80\n")
        << "test.conf:1: \"listen\" comes before any [server] or [console NAME] section";
    QTest::newRow("unknown section") << QStringLiteral("[consoles vm1]\n")
                                     << "test.conf:1: unknown section \"[consoles vm1]\" (expected "
                                        "[server], [console NAME], [user NAME], [token NAME], "
                                        "[alert NAME], [webhook NAME] or [discover libvirt|ch])";
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
        << "test.conf:2: unknown key \"port\" (known here: allowed-origins, builtin-alerts, "
           "fleet, fleet-name, idle-timeout, input-rate, insecure, listen, markers, max-clients, "
           "max-clients-per-console, ping-interval, public-url, session-lifetime, state-dir, "
           "tls-cert, tls-key, trusted-proxy, user-header, web-root)";
    QTest::newRow("unknown console key")
        << QStringLiteral("[console a]\npath = /dev/pts/1\n")
        << "test.conf:2: unknown key \"path\" (known here: "
           "control-idle, history-size, input, log, markers, "
           "max-clients, paste-line-delay, paste-max, "
           "paste-mode, paste-rate, record, record-dir, "
           "record-input, record-input-viewers, record-keep-age, record-keep-size, "
           "record-rotate-age, record-rotate-size, restart, "
           "screen, scrollback, size, source, syslog)";
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

    // [alert NAME]
    const QString console = QStringLiteral("[console a]\nsource = /dev/pts/1\n");
    QTest::newRow("alert with a bad regex")
        << console + QStringLiteral("[alert x]\npattern = Kernel (panic\n")
        << QStringLiteral("test.conf:4: pattern: not a valid regular expression: %1 at character "
                          "%2")
               .arg(QRegularExpression(QStringLiteral("Kernel (panic")).errorString())
               .arg(QRegularExpression(QStringLiteral("Kernel (panic")).patternErrorOffset());
    QTest::newRow("alert with a bad clear")
        << console + QStringLiteral("[alert x]\npattern = down\nclear = up[\n")
        << QStringLiteral("test.conf:5: clear: not a valid regular expression: %1 at character %2")
               .arg(QRegularExpression(QStringLiteral("up[")).errorString())
               .arg(QRegularExpression(QStringLiteral("up[")).patternErrorOffset());
    QTest::newRow("alert declared twice")
        << console + QStringLiteral("[alert x]\npattern = a\n[alert x]\npattern = b\n")
        << "test.conf:5: alert \"x\" is already declared on line 3";
    QTest::newRow("alert with an unknown key")
        << console + QStringLiteral("[alert x]\npatern = a\n")
        << "test.conf:4: unknown key \"patern\" (known here: clear, consoles, debounce, pattern, "
           "severity, state)";
    QTest::newRow("alert key set twice")
        << console + QStringLiteral("[alert x]\npattern = a\npattern = b\n")
        << "test.conf:5: \"pattern\" is set twice in this section";
    QTest::newRow("alert without a pattern")
        << console + QStringLiteral("[alert x]\nseverity = info\n")
        << "test.conf:3: alert \"x\" has no pattern";
    QTest::newRow("alert with an empty pattern")
        << console + QStringLiteral("[alert x]\npattern =\n")
        << "test.conf:4: pattern: needs a regular expression";
    QTest::newRow("alert with a bad severity")
        << console + QStringLiteral("[alert x]\npattern = a\nseverity = fatal\n")
        << "test.conf:5: severity: \"fatal\" is not info, warning or critical";
    QTest::newRow("alert with a bad state")
        << console + QStringLiteral("[alert x]\npattern = a\nstate = Ready!\n")
        << "test.conf:5: state: \"Ready!\" is not a state: 1 to 32 of a-z 0-9 -, starting with a "
           "letter";
    QTest::newRow("alert with a bad debounce")
        << console + QStringLiteral("[alert x]\npattern = a\ndebounce = soon\n")
        << "test.conf:5: debounce: " + [] {
               std::chrono::seconds unused;
               return parseDuration(QStringLiteral("soon"), &unused);
           }();
    QTest::newRow("alert naming an undeclared console")
        << console + QStringLiteral("[alert x]\npattern = a\nconsoles = a, b\n")
        << "test.conf:3: alert \"x\" names console \"b\", which is not declared";
    QTest::newRow("alert with a bad name")
        << console + QStringLiteral("[alert ../x]\npattern = a\n")
        << "test.conf:3: [alert NAME] needs a name of 1 to 64 of A-Z a-z 0-9 . _ -, not starting "
           "with a dot, got \"../x\"";
    // [webhook NAME]
    const QString hook = console + QStringLiteral("[webhook w]\n");
    const QString url = QStringLiteral("url = https://hooks.example.com/cc\n");
    QTest::newRow("webhook without a url")
        << hook + QStringLiteral("secret = s\n") << "test.conf:3: webhook \"w\" has no url";
    QTest::newRow("webhook without a secret")
        << hook + url << "test.conf:3: webhook \"w\" has no secret (secret or secret-file)";
    QTest::newRow("webhook with both secrets")
        << hook + url + QStringLiteral("secret = s\nsecret-file = /etc/cc/w.secret\n")
        << "test.conf:3: webhook \"w\" has both secret and secret-file: keep one";
    QTest::newRow("webhook with an empty secret")
        << hook + url + QStringLiteral("secret =\n")
        << "test.conf:5: secret: needs the key the signatures are made with";
    QTest::newRow("webhook with an ftp url")
        << hook + QStringLiteral("url = ftp://hooks.example.com/\n")
        << "test.conf:4: url: \"ftp://hooks.example.com/\" is not a webhook URL: an http:// or "
           "https:// URL with a host";
    QTest::newRow("webhook with a relative url")
        << hook + QStringLiteral("url = /hooks\n")
        << "test.conf:4: url: \"/hooks\" is not a webhook URL: an http:// or https:// URL with a "
           "host";
    QTest::newRow("webhook with a url without a host")
        << hook + QStringLiteral("url = https:///hooks\n")
        << "test.conf:4: url: \"https:///hooks\" is not a webhook URL: an http:// or https:// URL "
           "with a host";
    QTest::newRow("webhook with a password in its url")
        << hook + QStringLiteral("url = https://me:pw@hooks.example.com/\n")
        << "test.conf:4: url: \"https://hooks.example.com/\": a user name or password in the URL "
           "is refused";
    QTest::newRow("webhook naming an undeclared console")
        << hook + url + QStringLiteral("secret = s\nconsoles = a, b\n")
        << "test.conf:3: webhook \"w\" names console \"b\", which is not declared";
    QTest::newRow("webhook naming an unknown rule")
        << hook + url + QStringLiteral("secret = s\nrules = kernel-panic, kernel-panik\n")
        << "test.conf:3: webhook \"w\" names rule \"kernel-panik\", which is neither an [alert "
           "NAME] nor a built-in rule in effect";
    QTest::newRow("webhook naming a built-in rule that is off")
        << QStringLiteral("[server]\nbuiltin-alerts = off\n") + hook + url
            + QStringLiteral("secret = s\nrules = kernel-panic\n")
        << "test.conf:5: webhook \"w\" names rule \"kernel-panic\", which is neither an [alert "
           "NAME] nor a built-in rule in effect";
    QTest::newRow("webhook with an empty rule list")
        << hook + url + QStringLiteral("secret = s\nrules = ,\n")
        << "test.conf:6: rules: name the rules, or * for every one";
    QTest::newRow("webhook declared twice")
        << hook + url + QStringLiteral("secret = s\n[webhook w]\n")
        << "test.conf:6: webhook \"w\" is already declared on line 3";
    QTest::newRow("webhook with an unknown key")
        << hook + QStringLiteral("uri = https://x/\n")
        << "test.conf:4: unknown key \"uri\" (known here: ca, consoles, retry-for, rules, secret, "
           "secret-file, timeout, url)";
    QTest::newRow("webhook key set twice")
        << hook + url + url << "test.conf:5: \"url\" is set twice in this section";
    QTest::newRow("webhook with a bad name")
        << console + QStringLiteral("[webhook a/b]\n")
        << "test.conf:3: [webhook NAME] needs a name of 1 to 64 of A-Z a-z 0-9 . _ -, not "
           "starting with a dot, got \"a/b\"";
    QTest::newRow("webhook with a ca for http")
        << hook + QStringLiteral("url = http://hooks.example.com/\nsecret = s\nca = /etc/ca.pem\n")
        << "test.conf:3: webhook \"w\" has a ca, which needs an https:// url";
    QTest::newRow("webhook with a zero timeout") << hook
            + QStringLiteral("timeout = 0\n") << "test.conf:4: timeout: \"0\" is not from 1s to 5m";
    QTest::newRow("webhook with a bad retry-for")
        << hook + QStringLiteral("retry-for = 2d\n")
        << "test.conf:4: retry-for: \"2d\" is more than 1d";
    QTest::newRow("bad public-url")
        << QStringLiteral("[server]\npublic-url = console.example.com\n") + console
        << "test.conf:2: public-url: \"console.example.com\" is not the server's public URL: an "
           "http:// or https:// URL with a host";
    QTest::newRow("fleet item without a prefix")
        << QStringLiteral("[server]\nfleet = host2\n") + console
        << "test.conf:2: fleet: \"host2\" is not NAME=/PATH/ (a host's name and its prefix on the "
           "proxy, such as host2=/h/host2/)";
    QTest::newRow("fleet on another origin")
        << QStringLiteral("[server]\nfleet = b=https://b.example/\n") + console
        << "test.conf:2: fleet: prefix \"https://b.example/\" of b must be an absolute path on "
           "this origin, such as /h/b/ (no scheme, host, \"..\" or \"//\")";
    QTest::newRow("fleet going up")
        << QStringLiteral("[server]\nfleet = b=/h/../admin/\n") + console
        << "test.conf:2: fleet: prefix \"/h/../admin/\" of b must be an "
           "absolute path on this origin, such as /h/b/ (no scheme, "
           "host, \"..\" or \"//\")";
    QTest::newRow("fleet host twice") << QStringLiteral("[server]\nfleet = b=/h/b/, b=/h/c/\n")
            + console << "test.conf:2: fleet: host b is named twice";
    QTest::newRow("bad fleet-name")
        << QStringLiteral("[server]\nfleet-name = .hidden\n") + console
        << "test.conf:2: fleet-name: must be 1 to 64 of A-Z a-z 0-9 . _ -, not starting with a dot";
    // Discovery.
    const QString ch = QStringLiteral("[discover ch]\nsockets = /run/ch/*.sock\n");
    QTest::newRow("discover of an unknown kind")
        << QStringLiteral("[discover xen]\n")
        << "test.conf:1: [discover KIND] is [discover libvirt] or [discover ch], got "
           "\"[discover xen]\"";
    QTest::newRow("discover twice") << ch + QStringLiteral("[discover ch]\n")
                                    << "test.conf:3: [discover ch] appears twice (first on line 1)";
    QTest::newRow("ch without sockets")
        << QStringLiteral("[discover ch]\nhistory-size = 4M\n")
        << "test.conf:1: [discover ch] has no sockets (a glob of Cloud-Hypervisor API sockets, "
           "such as /run/cloud-hypervisor/*.sock)";
    QTest::newRow("ch sockets relative")
        << QStringLiteral("[discover ch]\nsockets = ch/*.sock\n")
        << "test.conf:2: sockets: \"ch/*.sock\" is not an absolute "
           "path or glob, such as /run/cloud-hypervisor/*.sock";
    QTest::newRow("ch sockets a directory")
        << QStringLiteral("[discover ch]\nsockets = /run/ch/\n")
        << "test.conf:2: sockets: \"/run/ch/\" names a directory: add the sockets' names, such "
           "as /run/ch/*.sock";
    QTest::newRow("libvirt with sockets")
        << QStringLiteral("[discover libvirt]\nsockets = /run/ch/*.sock\n")
        << "test.conf:2: unknown key \"sockets\" (known here: "
           "attach, control-idle, device, history-size, input, keep-after-gone, log, markers, "
           "max-clients, name-prefix, paste-line-delay, paste-max, paste-mode, paste-rate, "
           "record, record-dir, record-input, record-input-viewers, record-keep-age, "
           "record-keep-size, "
           "record-rotate-age, record-rotate-size, screen, scrollback, size, syslog, uri)";
    QTest::newRow("discover with a source")
        << ch + QStringLiteral("source = /dev/pts/1\n")
        << "test.conf:3: unknown key \"source\" (known here: "
           "control-idle, device, history-size, input, "
           "keep-after-gone, log, markers, max-clients, "
           "name-prefix, paste-line-delay, paste-max, "
           "paste-mode, paste-rate, record, record-dir, "
           "record-input, record-input-viewers, record-keep-age, record-keep-size, "
           "record-rotate-age, record-rotate-size, screen, "
           "scrollback, size, sockets, syslog)";
    QTest::newRow("discover log without {name}")
        << ch + QStringLiteral("log = /var/log/vms.log\n")
        << "test.conf:3: log: needs {name} in it, so that each VM has a file of its own (as "
           "/var/log/cloud-console/{name}.log)";
    QTest::newRow("bad keep-after-gone")
        << ch + QStringLiteral("keep-after-gone = soon\n")
        << "test.conf:3: keep-after-gone: \"soon\" is not a duration (like 90s, 30m, 8h, 2d)";
    QTest::newRow("bad device") << ch + QStringLiteral("device = virtio\n")
                                << "test.conf:3: device: \"virtio\" is not serial or console";
    QTest::newRow("bad name-prefix") << ch + QStringLiteral("name-prefix = a/b\n")
                                     << "test.conf:3: name-prefix: \"a/b\" is not the start of a "
                                        "console name: 1 to 63 of A-Z a-z 0-9 . _ -, not starting "
                                        "with a dot";
    QTest::newRow("bad attach") << QStringLiteral("[discover libvirt]\nattach = console\n")
                                << "test.conf:2: attach: \"console\" is not auto, pty or stream";
    QTest::newRow("bad libvirt uri") << QStringLiteral("[discover libvirt]\nuri = localhost\n")
                                     << "test.conf:2: uri: \"localhost\" is not a libvirt URI such "
                                        "as qemu:///system";
    QTest::newRow("bad discover history-size")
        << ch + QStringLiteral("history-size = 1\n") << "test.conf:3: history-size: " + [] {
               qsizetype unused = 0;
               return parseHistorySize(QStringLiteral("1"), &unused);
           }();
    QTest::newRow("an override with restart")
        << ch + QStringLiteral("[console vm1]\nrestart = always\n")
        << "test.conf:3: console \"vm1\" has no source, so it is a discovered console's "
           "settings: restart is only for exec: sources";
    QTest::newRow("a token of a console no discovery can make")
        << ch + QStringLiteral("name-prefix = ch-\n[token t]\ntoken-hash = sha256$")
            + QString(64, u'a') + QStringLiteral("\nrole = viewer\nconsoles = vm1\n")
        << "test.conf:4: token \"t\" names console \"vm1\", which is not declared";
    QTest::newRow("a token with a pattern that is not one")
        << console + QStringLiteral("[token t]\ntoken-hash = sha256$") + QString(64, u'a')
            + QStringLiteral("\nrole = viewer\nconsoles = kvm/*\n")
        << "test.conf:3: token \"t\" names console \"kvm/*\", which is not declared";
    QTest::newRow("bad builtin-alerts") << QStringLiteral("[server]\nbuiltin-alerts = some\n")
            + console << "test.conf:2: builtin-alerts: " + [] {
        bool unused = false;
        return parseBool(QStringLiteral("some"), &unused);
    }();
}

void tst_ConfigFile::alertSectionsAreReadIntoRules()
{
    ServerOptions options;
    QString error;
    QVERIFY2(parse(QStringLiteral("[server]\nbuiltin-alerts = off\n"
                                  "[console a]\nsource = /dev/pts/1\n"
                                  "[console b]\nsource = /dev/pts/2\n"
                                  "[alert link]\npattern = link (is )?down\nclear = link up\n"
                                  "consoles = b\nseverity = critical\ndebounce = 1m\n"
                                  "state = degraded\n"
                                  "[alert login-prompt]\npattern = ^Password:\n"),
                   &options, &error),
             qPrintable(error));
    QVERIFY(!options.alerts.builtin);
    QCOMPARE(options.alerts.rules.size(), size_t(2));
    const AlertRule &link = options.alerts.rules[0];
    QCOMPARE(link.name, QStringLiteral("link"));
    QVERIFY(link.pattern.match(QStringLiteral("eth0: link is down")).hasMatch());
    QVERIFY(link.clear.match(QStringLiteral("eth0: link up")).hasMatch());
    QCOMPARE(link.consoles, QStringList {QStringLiteral("b")});
    QVERIFY(link.appliesTo(QStringLiteral("b")) && !link.appliesTo(QStringLiteral("a")));
    QVERIFY(link.severity == AlertSeverity::Critical);
    QCOMPARE(link.debounce, std::chrono::seconds(60));
    QCOMPARE(link.state, QStringLiteral("degraded"));
    // Defaults: every console, a warning, 10 s, no state; with the built-in set off it stands
    // alone, and on, it replaces the built-in rule of its name.
    const AlertRule &login = options.alerts.rules[1];
    QVERIFY(login.consoles.isEmpty() && login.severity == AlertSeverity::Warning
            && login.debounce == std::chrono::seconds(10) && login.state.isEmpty());
    QCOMPARE(options.alerts.effective().size(), size_t(2));
    options.alerts.builtin = true;
    QCOMPARE(options.alerts.effective().size(), builtinAlertRules().size() + 1);
}

void tst_ConfigFile::webhookSectionsAreReadWithTheirDefaults()
{
    ServerOptions options;
    QString error;
    QVERIFY2(parse(QStringLiteral("[console a]\nsource = /dev/pts/1\n"
                                  "[console b]\nsource = /dev/pts/2\n"
                                  "[alert link]\npattern = link down\n"
                                  "[webhook ops]\nurl = https://hooks.example.com:8443/cc?x=1\n"
                                  "secret-file = /etc/cloud-console/ops.secret\n"
                                  "rules = link, kernel-panic\nconsoles = b\n"
                                  "ca = /etc/cloud-console/internal-ca.pem\ntimeout = 30s\n"
                                  "retry-for = 1h\n"
                                  "[webhook all]\nurl = http://127.0.0.1:9000/\nsecret = s3cret\n"
                                  "[server]\npublic-url = https://console.example.com/h/host1\n"),
                   &options, &error),
             qPrintable(error));
    QCOMPARE(options.publicUrl, QUrl(QStringLiteral("https://console.example.com/h/host1/")));
    QCOMPARE(options.webhooks.size(), size_t(2));
    const WebhookSettings &ops = options.webhooks[0];
    QCOMPARE(ops.name, QStringLiteral("ops"));
    QCOMPARE(ops.url, QUrl(QStringLiteral("https://hooks.example.com:8443/cc?x=1")));
    QCOMPARE(ops.secretFile, QStringLiteral("/etc/cloud-console/ops.secret"));
    QVERIFY(ops.secret.isEmpty());
    QCOMPARE(ops.rules, (QStringList {QStringLiteral("link"), QStringLiteral("kernel-panic")}));
    QCOMPARE(ops.consoles, QStringList {QStringLiteral("b")});
    QCOMPARE(ops.caFile, QStringLiteral("/etc/cloud-console/internal-ca.pem"));
    QCOMPARE(ops.timeout, std::chrono::seconds(30));
    QCOMPARE(ops.retryFor, std::chrono::seconds(3600));
    QVERIFY(ops.appliesTo(QStringLiteral("b"), QStringLiteral("link")));
    QVERIFY(!ops.appliesTo(QStringLiteral("a"), QStringLiteral("link")));
    QVERIFY(!ops.appliesTo(QStringLiteral("b"), QStringLiteral("login-prompt")));
    // Defaults: every rule and console, 10 s per attempt, retried for 5 minutes.
    WebhookSettings &all = options.webhooks[1];
    QCOMPARE(all.secret, QStringLiteral("s3cret"));
    QVERIFY(all.rules.isEmpty() && all.consoles.isEmpty() && all.caFile.isEmpty());
    QCOMPARE(all.timeout, std::chrono::seconds(10));
    QCOMPARE(all.retryFor, std::chrono::seconds(300));
    QVERIFY(all.appliesTo(QStringLiteral("a"), QStringLiteral("anything")));
    // The files are read when the server starts or reloads, not by the parser.
    QVERIFY(all.key.isEmpty());
    QVERIFY(all.load(&error));
    QCOMPARE(all.key, QByteArray("s3cret"));
}

void tst_ConfigFile::discoverSectionsAreReadWithTheirDefaultsAndOverrides()
{
    ServerOptions options;
    QString error;
    QVERIFY2(parse(QStringLiteral("[server]\nmarkers = off\n"
                                  "[discover libvirt]\n"
                                  "[discover ch]\nsockets = /run/ch/*/api.sock\n"
                                  "name-prefix = ch-\nkeep-after-gone = 10m\ndevice = console\n"
                                  "history-size = 2M\nlog = /var/log/cc/{name}.log\n"
                                  "[console ch-db]\nhistory-size = 8M\n"
                                  "[token t]\ntoken-hash = sha256$")
                       + QString(64, u'a')
                       + QStringLiteral("\nrole = viewer\nconsoles = ch-web, ch-db\n"
                                        "[alert db-down]\npattern = db down\nconsoles = ch-db\n"),
                   &options, &error),
             qPrintable(error));
    // No [console NAME] with a source: the discovered ones are all there are.
    QVERIFY(options.consoles.empty());
    QCOMPARE(options.discovery.sections.size(), size_t(2));
    const DiscoverySettings *libvirt = options.discovery.section(DiscoverySettings::Kind::Libvirt);
    QVERIFY(libvirt);
    QCOMPARE(libvirt->uri, QStringLiteral("qemu:///system"));
    QCOMPARE(libvirt->keepAfterGone, std::chrono::seconds(3600));
    QCOMPARE(libvirt->device, PtySource::Device::Serial);
    QVERIFY(!libvirt->usesStream()); // a local URI: the pty
    DiscoverySettings remote = *libvirt;
    remote.uri = QStringLiteral("qemu+ssh://root@kvm7/system");
    QVERIFY(remote.usesStream());
    remote.attach = DiscoverySettings::Attach::Pty;
    QVERIFY(!remote.usesStream());
    const DiscoverySettings *ch = options.discovery.section(DiscoverySettings::Kind::Ch);
    QVERIFY(ch);
    QCOMPARE(ch->sockets, QStringLiteral("/run/ch/*/api.sock"));
    QCOMPARE(ch->namePrefix, QStringLiteral("ch-"));
    QCOMPARE(ch->keepAfterGone, std::chrono::seconds(600));
    QCOMPARE(ch->device, PtySource::Device::VirtioConsole);

    // A VM's console: the section's keys with {name}, the [server] markers it follows, and the
    // override of its name.
    const ConsoleOptions web = options.discovery.consoleFor(options, *ch, QStringLiteral("ch-web"));
    QCOMPARE(web.name, QStringLiteral("ch-web"));
    QCOMPARE(web.historySize, 2 * 1024 * 1024);
    QCOMPARE(web.logPath, QStringLiteral("/var/log/cc/ch-web.log"));
    QVERIFY(!web.markers);
    const ConsoleOptions db = options.discovery.consoleFor(options, *ch, QStringLiteral("ch-db"));
    QCOMPARE(db.historySize, 8 * 1024 * 1024);
    QCOMPARE(db.logPath, QStringLiteral("/var/log/cc/ch-db.log"));
    QVERIFY(options.discovery.mayDiscover(QStringLiteral("ch-anything")));
    QVERIFY(options.discovery.mayDiscover(QStringLiteral("vm1"))); // libvirt has no prefix

    QCOMPARE(consoleNameFor(QStringLiteral("kvm-"), QStringLiteral("web server #2")),
             QStringLiteral("kvm-web_server__2"));
    QCOMPARE(consoleNameFor(QString(), QStringLiteral(".hidden")), QStringLiteral("_hidden"));
    QCOMPARE(consoleNameFor(QString(), QString(70, u'x')).size(), 64);
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

void tst_ConfigFile::aFleetIsReadWithItsPrefixes()
{
    ServerOptions options;
    QString error;
    QVERIFY2(parse(QStringLiteral("[server]\nfleet-name = host1\nfleet = host2=/h/host2/, "
                                  "host3 = /h/host3\n[console a]\nsource = /dev/pts/1\n"),
                   &options, &error),
             qPrintable(error));
    QCOMPARE(options.fleet.self, QStringLiteral("host1"));
    QCOMPARE(options.fleet.hosts.size(), size_t(2));
    QCOMPARE(options.fleet.hosts[0].name, QStringLiteral("host2"));
    QCOMPARE(options.fleet.hosts[0].prefix, QStringLiteral("/h/host2/"));
    QCOMPARE(options.fleet.hosts[1].name, QStringLiteral("host3"));
    QCOMPARE(options.fleet.hosts[1].prefix, QStringLiteral("/h/host3/")); // its slash added
    QCOMPARE(renderFleetJson(options.fleet),
             QByteArray(R"({"hosts":[{"name":"host2","prefix":"/h/host2/"},)"
                        R"({"name":"host3","prefix":"/h/host3/"}],"self":"host1"})"));
}

void tst_ConfigFile::aCredentialsConsolesMayBePatterns()
{
    // A pattern names consoles discovery may find: none need be declared.
    ServerOptions options;
    QString error;
    QVERIFY2(parse(QStringLiteral("[console a]\nsource = /dev/pts/1\n[token t]\ntoken-hash = "
                                  "sha256$")
                       + QString(64, u'a')
                       + QStringLiteral("\nrole = viewer\nconsoles = a, kvm-*\n"
                                        "[alert down]\npattern = link down\nconsoles = kvm-*\n"
                                        "[webhook ops]\nurl = http://127.0.0.1:9000/\n"
                                        "secret = s\nconsoles = a, db.*\n"),
                   &options, &error),
             qPrintable(error));
    QVERIFY(options.access.credentials[0].allows(QStringLiteral("kvm-web")));
    QVERIFY(!options.access.credentials[0].allows(QStringLiteral("db.lab")));
    // Alert rules and webhooks take patterns too.
    const AlertRule &rule = options.alerts.rules.at(0);
    QVERIFY(rule.appliesTo(QStringLiteral("kvm-web")));
    QVERIFY(!rule.appliesTo(QStringLiteral("a")));
    const WebhookSettings &webhook = options.webhooks.at(0);
    QVERIFY(webhook.appliesTo(QStringLiteral("db.lab"), QStringLiteral("down")));
    QVERIFY(webhook.appliesTo(QStringLiteral("a"), QStringLiteral("down")));
    QVERIFY(!webhook.appliesTo(QStringLiteral("kvm-web"), QStringLiteral("down")));
    // A plain name must still be declared.
    QVERIFY(!parse(QStringLiteral("[console a]\nsource = /dev/pts/1\n[alert down]\n"
                                  "pattern = x\nconsoles = kvm-web\n"),
                   &options, &error));
    QVERIFY2(error.contains(QLatin1String("names console \"kvm-web\", which is not declared")),
             qPrintable(error));
}

void tst_ConfigFile::usersOfATrustedProxyNeedNoPassword()
{
    const QString rest = QStringLiteral("[console a]\nsource = /dev/pts/1\n[user alice]\nrole = "
                                        "operator\n");
    ServerOptions options;
    QString error;
    QVERIFY(!parse(rest, &options, &error));
    QVERIFY2(error.contains(QLatin1String("user \"alice\" has no password-hash")),
             qPrintable(error));
    QVERIFY2(parse(QStringLiteral("[server]\ntrusted-proxy = 10.0.0.5, fd00::/8\nuser-header = "
                                  "X-Remote-User\n")
                       + rest,
                   &options, &error),
             qPrintable(error));
    QCOMPARE(options.access.proxyTrust.networks.size(), size_t(2));
    QCOMPARE(options.access.proxyTrust.userHeader, QByteArray("X-Remote-User"));
    QCOMPARE(options.access.credentials.size(), size_t(1));
    QVERIFY(options.access.credentials[0].hash.isEmpty());
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
