// Discovery of Cloud-Hypervisor VMs by their API sockets, on real parts: a whole Server started
// from a configuration file with [discover ch], stand-ins of Cloud-Hypervisor's API on real unix
// sockets that appear and disappear, real ptys as the VMs' serial ports, and real WebSocket
// clients. Also the glob's names and directories on a real directory tree.

#include "chapistandin.h"
#include "configfile.h"
#include "discoverymanager.h"
#include "options.h"
#include "pathglob.h"
#include "server.h"
#include "testclient.h"
#include "testpty.h"
#include "testserver.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

using namespace CloudConsole;
using namespace CloudConsole::Test;

class tst_ChDiscovery : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();
    void cleanup();
    void aGlobNamesWhatItsWildcardsMatch();
    void aGlobWatchesTheNearestDirectoryThatExists();
    void aSocketThatAppearsBecomesAConsoleWithItsOutputAndLog();
    void aVmThatGoesKeepsItsConsoleUntilKeepAfterGone();
    void aVmThatComesBackKeepsItsConsoleAndItsClientsSession();
    void keepAfterGoneZeroRemovesTheConsoleAtOnce();
    void aSocketsDirectoryThatDoesNotExistYetIsWaitedFor();
    void aConsoleSectionWithoutSourceOverridesOneVm();
    void aReloadKeepsDiscoveredConsolesAndTheirHistory();
    void aDeclaredConsoleWinsOverADiscoveredOneOfTheSameName();

private:
    bool startServer(const QString &config);
    QString path(const QString &name) const { return m_dir->filePath(name); }
    QJsonObject consoleJson(const QString &name) const;
    QByteArray get(const QByteArray &target) const;

    std::unique_ptr<QTemporaryDir> m_dir;
    QString m_configPath;
    std::unique_ptr<Server> m_server;
};

namespace {

QString discoverCh(const QString &sockets, const QString &keep, const QString &extra = {})
{
    return QStringLiteral("[server]\nlisten = 127.0.0.1:0\n"
                          "[discover ch]\nsockets = %1\nkeep-after-gone = %2\n"
                          "history-size = 64K\n%3")
        .arg(sockets, keep, extra);
}

// A Cloud-Hypervisor VM as discovery sees it: its API socket, and the pty its vm.info names.
struct StandInVm
{
    explicit StandInVm(const QString &socketPath) : api(socketPath)
    {
        api.body = vmInfo(QStringLiteral("Pty"), pty.path());
    }
    TestPty pty;
    ChApiStandIn api;
};

} // namespace

void tst_ChDiscovery::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY(m_dir->isValid());
    QVERIFY(QDir(m_dir->path()).mkpath(QStringLiteral("ch")));
    m_configPath = path(QStringLiteral("cc.conf"));
}

void tst_ChDiscovery::cleanup()
{
    m_server.reset();
    m_dir.reset();
}

bool tst_ChDiscovery::startServer(const QString &config)
{
    QFile file(m_configPath);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate)
        || file.write(config.toUtf8()) != config.toUtf8().size())
        return false;
    file.close();
    const QStringList arguments {QStringLiteral("cloud-console"), QStringLiteral("--config"),
                                 m_configPath};
    const ParsedOptions parsed = parseOptions(arguments);
    if (parsed.outcome != ParsedOptions::Outcome::Run) {
        qWarning().noquote() << parsed.text;
        return false;
    }
    m_server = std::make_unique<Server>(parsed.options, arguments);
    QString error;
    if (!m_server->start(&error)) {
        qWarning().noquote() << error;
        return false;
    }
    return true;
}

QByteArray tst_ChDiscovery::get(const QByteArray &target) const
{
    const QByteArray answer
        = exchange(m_server->port(), "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    return answer.mid(answer.indexOf("\r\n\r\n") + 4);
}

QJsonObject tst_ChDiscovery::consoleJson(const QString &name) const
{
    const QJsonArray consoles
        = QJsonDocument::fromJson(get("/consoles.json")).object().value("consoles").toArray();
    for (const QJsonValue &console : consoles) {
        if (console.toObject().value("name").toString() == name)
            return console.toObject();
    }
    return {};
}

void tst_ChDiscovery::aGlobNamesWhatItsWildcardsMatch()
{
    QTemporaryDir dir;
    const QDir root(dir.path());
    for (const char *sub : {"ch/vm1", "ch/vm2", "ch/.hidden", "ch/other"})
        QVERIFY(root.mkpath(QLatin1String(sub)));
    for (const char *file : {"ch/vm1/api.sock", "ch/vm2/api.sock", "ch/.hidden/api.sock",
                             "ch/web-01.sock", "ch/web-02.sock", "ch/notes.txt"}) {
        QFile f(root.filePath(QLatin1String(file)));
        QVERIFY(f.open(QIODevice::WriteOnly));
    }
    const auto names = [](const PathGlob &glob) {
        QStringList out;
        for (const PathGlob::Match &match : glob.expand())
            out.append(match.name);
        return out;
    };
    QCOMPARE(names(PathGlob(root.filePath(QStringLiteral("ch/*.sock")))),
             QStringList({QStringLiteral("web-01"), QStringLiteral("web-02")}));
    QCOMPARE(names(PathGlob(root.filePath(QStringLiteral("ch/*/api.sock")))),
             QStringList({QStringLiteral("vm1"), QStringLiteral("vm2")}));
    QCOMPARE(names(PathGlob(root.filePath(QStringLiteral("ch/web-0?.sock")))),
             QStringList({QStringLiteral("web-01"), QStringLiteral("web-02")}));
    QCOMPARE(names(PathGlob(root.filePath(QStringLiteral("ch/vm[2-9]/api.sock")))),
             QStringList({QStringLiteral("vm2")}));
    QVERIFY(PathGlob(root.filePath(QStringLiteral("ch/*.nothing"))).expand().empty());
}

void tst_ChDiscovery::aGlobWatchesTheNearestDirectoryThatExists()
{
    QTemporaryDir dir;
    const PathGlob glob(dir.filePath(QStringLiteral("run/ch/*/api.sock")));
    QCOMPARE(glob.fixedDirectory(), dir.filePath(QStringLiteral("run/ch")));
    QVERIFY(!glob.fixedDirectoryExists());
    QCOMPARE(glob.directories(), QStringList({dir.path()}));
    QVERIFY(QDir(dir.path()).mkpath(QStringLiteral("run/ch/vm1")));
    QCOMPARE(glob.directories(),
             QStringList({dir.filePath(QStringLiteral("run/ch")),
                          dir.filePath(QStringLiteral("run/ch/vm1"))}));
}

void tst_ChDiscovery::aSocketThatAppearsBecomesAConsoleWithItsOutputAndLog()
{
    QVERIFY(startServer(
        discoverCh(path(QStringLiteral("ch/*.sock")), QStringLiteral("1h"),
                   QStringLiteral("log = %1\n").arg(path(QStringLiteral("{name}.log"))))));
    // A glob that matches nothing yet: no console, the discoverer up and watching.
    QCOMPARE(m_server->consoles().consoles().size(), size_t(0));
    QTRY_VERIFY(m_server->consoles().discoverers().count(QStringLiteral("ch")));
    QVERIFY(m_server->consoles().discoverers().at(QStringLiteral("ch")).up);

    StandInVm vm(path(QStringLiteral("ch/vm1.sock")));
    QVERIFY(vm.api.listening);
    QTRY_VERIFY(m_server->consoles().find(QStringLiteral("vm1")));
    Console *console = m_server->consoles().find(QStringLiteral("vm1"));
    QTRY_VERIFY(console->source().isUp());
    QCOMPARE(console->source().stateReason(), vm.pty.path());
    QCOMPARE(console->settings().historySize, 64 * 1024);

    TestClient client(QUrl(m_server->baseUrl().replace("http", "ws") + "c/vm1/ws"));
    QTRY_VERIFY(client.hello.has_value());
    QVERIFY(vm.pty.write("vm1 login: "));
    QTRY_VERIFY(client.shown.contains("vm1 login: "));
    // The log of that VM, by its name.
    console->flushLog();
    QFile log(path(QStringLiteral("vm1.log")));
    QVERIFY(log.open(QIODevice::ReadOnly));
    QVERIFY(log.readAll().contains("vm1 login: "));

    const QJsonObject json = consoleJson(QStringLiteral("vm1"));
    QCOMPARE(json.value("discovered").toString(), QStringLiteral("ch"));
    QCOMPARE(json.value("gone").toBool(true), false);
    const QByteArray index = get("/");
    QVERIFY2(index.contains("<span class=\"found\">ch</span>"), index.constData());
    const QByteArray metrics = get("/metrics");
    QVERIFY2(metrics.contains("cloud_console_discovered_consoles{source=\"ch\"} 1\n"),
             metrics.constData());
    QVERIFY(metrics.contains("cloud_console_discovery_up{source=\"ch\"} 1\n"));
}

void tst_ChDiscovery::aVmThatGoesKeepsItsConsoleUntilKeepAfterGone()
{
    QVERIFY(startServer(discoverCh(path(QStringLiteral("ch/*.sock")), QStringLiteral("2s"))));
    auto vm = std::make_unique<StandInVm>(path(QStringLiteral("ch/vm1.sock")));
    QTRY_VERIFY(m_server->consoles().find(QStringLiteral("vm1")));
    Console *console = m_server->consoles().find(QStringLiteral("vm1"));
    QTRY_VERIFY(console->source().isUp());
    TestClient client(QUrl(m_server->baseUrl().replace("http", "ws") + "c/vm1/ws"));
    QTRY_VERIFY(client.hello.has_value());
    QVERIFY(vm->pty.write("last words of vm1\r\n"));
    QTRY_VERIFY(client.shown.contains("last words of vm1"));

    // The VMM exits: its pty hangs up and its socket goes.
    QElapsedTimer since;
    since.start();
    vm.reset();
    QTRY_VERIFY(consoleJson(QStringLiteral("vm1")).value("gone").toBool());
    QVERIFY(!client.closed);
    QTRY_VERIFY(!client.sourceEvents.empty()
                && client.sourceEvents.back().state == Protocol::SourceState::Down);
    // Kept: its history can still be read, the client stays.
    QCOMPARE(m_server->consoles().find(QStringLiteral("vm1")), console);
    QVERIFY(console->history()
                .copy(console->history().startOffset(), 1 << 16)
                .contains("last words of vm1"));
    const QJsonObject json = consoleJson(QStringLiteral("vm1"));
    QVERIFY(json.value("removeInSeconds").toDouble() > 0);
    QVERIFY(json.value("removeInSeconds").toDouble() <= 2);
    QVERIFY(get("/metrics").contains("cloud_console_discovered_gone_consoles{source=\"ch\"} 1\n"));
    QVERIFY(get("/").contains("VM gone, kept"));

    // Until keep-after-gone: then the console goes, and its client is told why.
    QTRY_VERIFY_WITH_TIMEOUT(client.closed, 10000);
    QVERIFY2(since.elapsed() >= 1900, qPrintable(QString::number(since.elapsed())));
    QCOMPARE(client.closeCode, QWebSocketProtocol::CloseCodeGoingAway);
    QVERIFY(client.socket.closeReason().contains(QLatin1String("VM is gone")));
    QVERIFY(!m_server->consoles().find(QStringLiteral("vm1")));
    QVERIFY(consoleJson(QStringLiteral("vm1")).isEmpty());
}

void tst_ChDiscovery::aVmThatComesBackKeepsItsConsoleAndItsClientsSession()
{
    QVERIFY(startServer(discoverCh(path(QStringLiteral("ch/*.sock")), QStringLiteral("1h"))));
    auto vm = std::make_unique<StandInVm>(path(QStringLiteral("ch/vm1.sock")));
    QTRY_VERIFY(m_server->consoles().find(QStringLiteral("vm1")));
    Console *console = m_server->consoles().find(QStringLiteral("vm1"));
    QTRY_VERIFY(console->source().isUp());
    TestClient client(QUrl(m_server->baseUrl().replace("http", "ws") + "c/vm1/ws"));
    QTRY_VERIFY(client.hello.has_value());
    QVERIFY(vm->pty.write("first boot\r\n"));
    QTRY_VERIFY(client.shown.contains("first boot"));

    vm.reset();
    QTRY_VERIFY(consoleJson(QStringLiteral("vm1")).value("gone").toBool());
    vm = std::make_unique<StandInVm>(path(QStringLiteral("ch/vm1.sock")));
    QTRY_VERIFY(!consoleJson(QStringLiteral("vm1")).value("gone").toBool(true));
    // The same console, attached to the new VM's pty (within the source's retry, at most 5 s).
    QCOMPARE(m_server->consoles().find(QStringLiteral("vm1")), console);
    QTRY_VERIFY_WITH_TIMEOUT(console->source().isUp(), 10000);
    QCOMPARE(console->source().stateReason(), vm->pty.path());
    QVERIFY(vm->pty.write("second boot\r\n"));
    QTRY_VERIFY(client.shown.contains("second boot"));
    QVERIFY(!client.closed);
    QVERIFY(client.shown.indexOf("first boot") < client.shown.indexOf("second boot"));
}

void tst_ChDiscovery::keepAfterGoneZeroRemovesTheConsoleAtOnce()
{
    QVERIFY(startServer(discoverCh(path(QStringLiteral("ch/*.sock")), QStringLiteral("0"))));
    auto vm = std::make_unique<StandInVm>(path(QStringLiteral("ch/vm1.sock")));
    QTRY_VERIFY(m_server->consoles().find(QStringLiteral("vm1")));
    vm.reset();
    QTRY_VERIFY_WITH_TIMEOUT(!m_server->consoles().find(QStringLiteral("vm1")), 2000);
}

void tst_ChDiscovery::aSocketsDirectoryThatDoesNotExistYetIsWaitedFor()
{
    const QString dir = path(QStringLiteral("later/ch"));
    QVERIFY(startServer(discoverCh(dir + QStringLiteral("/*/api.sock"), QStringLiteral("1h"))));
    QTRY_VERIFY(m_server->consoles().discoverers().count(QStringLiteral("ch")));
    const DiscovererStatus waiting = m_server->consoles().discoverers().at(QStringLiteral("ch"));
    QVERIFY(!waiting.up);
    QVERIFY2(waiting.reason.contains(QStringLiteral("waiting for %1 to exist").arg(dir)),
             qPrintable(waiting.reason));
    QVERIFY(get("/metrics").contains("cloud_console_discovery_up{source=\"ch\"} 0\n"));

    // Made a level at a time, as a VM manager would.
    QVERIFY(QDir(m_dir->path()).mkpath(QStringLiteral("later/ch/vm7")));
    StandInVm vm(dir + QStringLiteral("/vm7/api.sock"));
    QVERIFY(vm.api.listening);
    QTRY_VERIFY(m_server->consoles().find(QStringLiteral("vm7")));
    QTRY_VERIFY(m_server->consoles().discoverers().at(QStringLiteral("ch")).up);
    QTRY_VERIFY(m_server->consoles().find(QStringLiteral("vm7"))->source().isUp());
}

void tst_ChDiscovery::aConsoleSectionWithoutSourceOverridesOneVm()
{
    QVERIFY(startServer(discoverCh(path(QStringLiteral("ch/*.sock")), QStringLiteral("1h"),
                                   QStringLiteral("name-prefix = ch-\n"
                                                  "[console ch-big]\nhistory-size = 256K\n"))));
    StandInVm small(path(QStringLiteral("ch/small.sock")));
    StandInVm big(path(QStringLiteral("ch/big.sock")));
    QTRY_VERIFY(m_server->consoles().find(QStringLiteral("ch-small")));
    QTRY_VERIFY(m_server->consoles().find(QStringLiteral("ch-big")));
    QCOMPARE(m_server->consoles().find(QStringLiteral("ch-small"))->settings().historySize,
             64 * 1024);
    QCOMPARE(m_server->consoles().find(QStringLiteral("ch-big"))->settings().historySize,
             256 * 1024);
}

void tst_ChDiscovery::aReloadKeepsDiscoveredConsolesAndTheirHistory()
{
    const QString config = discoverCh(path(QStringLiteral("ch/*.sock")), QStringLiteral("1h"));
    QVERIFY(startServer(config));
    StandInVm vm(path(QStringLiteral("ch/vm1.sock")));
    QTRY_VERIFY(m_server->consoles().find(QStringLiteral("vm1")));
    Console *console = m_server->consoles().find(QStringLiteral("vm1"));
    QTRY_VERIFY(console->source().isUp());
    QVERIFY(vm.pty.write("before the reload\r\n"));
    QTRY_VERIFY(console->history()
                    .copy(console->history().startOffset(), 4096)
                    .contains("before the reload"));

    // The same file: nothing changes.
    QVERIFY(m_server->reload());
    QCOMPARE(m_server->consoles().find(QStringLiteral("vm1")), console);
    // A setting that applies to running consoles: still the same console.
    QFile file(m_configPath);
    QVERIFY(file.open(QIODevice::Append));
    file.write("input = exclusive\n");
    file.close();
    QVERIFY(m_server->reload());
    QCOMPARE(m_server->consoles().find(QStringLiteral("vm1")), console);
    QCOMPARE(console->settings().sharing.input, SharingSettings::Input::Exclusive);
    // One that makes another console: a new console for the same VM.
    QVERIFY(file.open(QIODevice::WriteOnly | QIODevice::Truncate));
    file.write(config.toUtf8().replace("history-size = 64K", "history-size = 128K"));
    file.close();
    QVERIFY(m_server->reload());
    Console *replaced = m_server->consoles().find(QStringLiteral("vm1"));
    QVERIFY(replaced);
    QCOMPARE(replaced->settings().historySize, 128 * 1024);
    // The discovery section gone: its consoles go.
    QVERIFY(file.open(QIODevice::WriteOnly | QIODevice::Truncate));
    file.write("[server]\nlisten = 127.0.0.1:0\n[console a]\nsource = unix:/nonexistent/a.sock\n");
    file.close();
    QVERIFY(m_server->reload());
    QVERIFY(!m_server->consoles().find(QStringLiteral("vm1")));
    QVERIFY(m_server->consoles().discoverers().empty());
}

void tst_ChDiscovery::aDeclaredConsoleWinsOverADiscoveredOneOfTheSameName()
{
    QVERIFY(startServer(discoverCh(path(QStringLiteral("ch/*.sock")), QStringLiteral("1h"),
                                   QStringLiteral("[console vm1]\nsource = unix:%1\n")
                                       .arg(path(QStringLiteral("elsewhere.sock"))))));
    StandInVm vm1(path(QStringLiteral("ch/vm1.sock")));
    StandInVm vm2(path(QStringLiteral("ch/vm2.sock")));
    QTRY_VERIFY(m_server->consoles().find(QStringLiteral("vm2")));
    QVERIFY(!m_server->consoles().discoveryMark(QStringLiteral("vm1")));
    QVERIFY(m_server->consoles()
                .find(QStringLiteral("vm1"))
                ->settings()
                .sourceSpec.startsWith(QStringLiteral("unix:")));
}

QTEST_MAIN(tst_ChDiscovery)
#include "tst_chdiscovery.moc"
