// Consoles that follow a VM through its VMM's API: Cloud-Hypervisor's vm.info and QEMU's
// query-chardev, parsed from documented answers, asked of stand-in APIs on real unix sockets,
// and end to end: a WebSocket client keeps its session while a simulated reboot moves the
// console to a new pty.

#include "chapilocator.h"
#include "chapistandin.h"
#include "consoleregistry.h"
#include "httpfrontend.h"
#include "ptysource.h"
#include "qmplocator.h"
#include "testclient.h"
#include "testpty.h"

#include <QJsonDocument>
#include <QLocalServer>
#include <QLocalSocket>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include <sys/ioctl.h>

using namespace CloudConsole;
using namespace CloudConsole::Test;

class tst_VmmApiSource : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void vmInfoNamesThePtyOrSaysWhyNot_data();
    void vmInfoNamesThePtyOrSaysWhyNot();
    void queryChardevNamesThePtyOrSaysWhyNot_data();
    void queryChardevNamesThePtyOrSaysWhyNot();
    void qmpMessagesSplitAnywhereReadTheSame();
    void qmpReaderRefusesMalformedAndOversizedMessages();
    void theCloudHypervisorApiIsAskedForVmInfo();
    void cloudHypervisorApiFailuresAreReadable();
    void qmpIsAskedForTheChardevPastEvents();
    void qmpFailuresAreReadable();
    void aClientKeepsItsSessionAcrossAGuestReboot();
    void aVirtioConsoleTakesTheClientsSizeAndSysRq();
};

namespace {

// A QMP monitor as QEMU 7.2 speaks it: a greeting, then one answer per command, with
// asynchronous events in between.
class QmpStandIn : public QObject
{
public:
    explicit QmpStandIn(const QString &path)
    {
        QLocalServer::removeServer(path);
        listening = server.listen(path);
        connect(&server, &QLocalServer::newConnection, this, [this] {
            while (QLocalSocket *socket = server.nextPendingConnection()) {
                socket->write(R"({"QMP": {"version": {"qemu": {"micro": 0, "minor": 2, )"
                              R"("major": 7}, "package": ""}, "capabilities": ["oob"]}})"
                              "\r\n");
                connect(socket, &QLocalSocket::readyRead, this, [this, socket] {
                    while (socket->canReadLine()) {
                        const QByteArray line = socket->readLine().trimmed();
                        commands.append(line);
                        if (line.contains("qmp_capabilities"))
                            socket->write("{\"return\": {}}\r\n");
                        else if (line.contains("query-chardev"))
                            socket->write(R"({"timestamp": {"seconds": 1, "microseconds": 2}, )"
                                          R"("event": "NIC_RX_FILTER_CHANGED", "data": {}})"
                                          "\r\n"
                                          + answer + "\r\n");
                    }
                });
            }
        });
    }

    QLocalServer server;
    bool listening = false;
    QByteArray answer;
    QList<QByteArray> commands;
};

QByteArray chardevs(const QString &serialPty)
{
    return R"({"return": [{"frontend-open": true, "filename": "pty:)" + serialPty.toUtf8()
        + R"(", "label": "serial0"}, {"frontend-open": true, "filename": )"
          R"("unix:/run/vm1.qmp,server=on", "label": "compat_monitor0"}]})";
}

struct Answer
{
    explicit Answer(PtyLocator &locator)
    {
        QObject::connect(&locator, &PtyLocator::located, &locator,
                         [this](const QString &path) { located.append(path); });
        QObject::connect(&locator, &PtyLocator::failed, &locator,
                         [this](const QString &reason) { failed.append(reason); });
    }
    int count() const { return int(located.size() + failed.size()); }
    QStringList located;
    QStringList failed;
};

// One console, its source given, served on an ephemeral loopback port.
struct TestServer
{
    explicit TestServer(std::unique_ptr<ConsoleSource> source)
    {
        ConsoleSettings settings;
        settings.name = QStringLiteral("vm1");
        auto owned = std::make_unique<Console>(settings, std::move(source));
        console = owned.get();
        consoles.add(std::move(owned));
        frontend = std::make_unique<HttpFrontend>(consoles, FrontendSettings {});
        QString error;
        listening = frontend->listen(QHostAddress::LocalHost, 0, &error) && console->start(&error);
    }
    ~TestServer()
    {
        frontend.reset();
        consoles.clear();
    }
    QUrl url() const { return QUrl(QStringLiteral("ws://127.0.0.1:%1/ws").arg(frontend->port())); }

    ConsoleRegistry consoles;
    Console *console = nullptr;
    std::unique_ptr<HttpFrontend> frontend;
    bool listening = false;
};

} // namespace

void tst_VmmApiSource::vmInfoNamesThePtyOrSaysWhyNot_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<int>("device");
    QTest::addColumn<QString>("path");
    QTest::addColumn<QString>("error");
    const int serial = int(ChApiLocator::Device::Serial);
    const int console = int(ChApiLocator::Device::Console);

    QTest::newRow("serial pty") << vmInfo(QStringLiteral("Pty"), QStringLiteral("/dev/pts/7"))
                                << serial << QStringLiteral("/dev/pts/7") << QString();
    QTest::newRow("virtio-console pty") << vmInfo(
        QStringLiteral("Null"), QString(), QStringLiteral("Pty"), QStringLiteral("/dev/pts/9"))
                                        << console << QStringLiteral("/dev/pts/9") << QString();
    QTest::newRow("serial off, console asked for serial")
        << vmInfo(QStringLiteral("Off"), QString(), QStringLiteral("Pty"),
                  QStringLiteral("/dev/pts/9"))
        << serial << QString()
        << QStringLiteral("the VM's serial is in Off mode, which has no pty (start the VM with "
                          "--serial pty)");
    QTest::newRow("console on a tty")
        << vmInfo(QStringLiteral("Pty"), QStringLiteral("/dev/pts/7"), QStringLiteral("Tty"))
        << console << QString()
        << QStringLiteral("the VM's console is in Tty mode, which has no pty (start the VM with "
                          "--console pty)");
    QTest::newRow("socket mode names the source to use")
        << vmInfo(QStringLiteral("Socket"), QString()) << serial << QString()
        << QStringLiteral("the VM's serial is a unix socket, not a pty: serve it as "
                          "unix:/run/vm1/serial.sock");
    QTest::newRow("pty without a file yet")
        << vmInfo(QStringLiteral("Pty"), QString()) << serial << QString()
        << QStringLiteral("the VM's serial is in Pty mode but has no pty yet");
    QTest::newRow("no config") << QByteArray(R"({"state":"Created"})") << serial << QString()
                               << QStringLiteral("vm.info has no config.serial");
    QTest::newRow("no mode") << QByteArray(R"({"config":{"serial":{"file":"/dev/pts/1"}}})")
                             << serial << QString()
                             << QStringLiteral("the VM's serial has no mode");
    QTest::newRow("an array") << QByteArray("[1,2]") << serial << QString()
                              << QStringLiteral("vm.info is not a JSON object");
    QTest::newRow("cut short")
        << vmInfo(QStringLiteral("Pty"), QStringLiteral("/dev/pts/7")).chopped(1) << serial
        << QString() << QStringLiteral("vm.info is not valid JSON ("); // then Qt's words
}

void tst_VmmApiSource::vmInfoNamesThePtyOrSaysWhyNot()
{
    QFETCH(QByteArray, json);
    QFETCH(int, device);
    QFETCH(QString, path);
    QFETCH(QString, error);
    QString gotPath;
    QString gotError;
    const bool ok
        = ChApiLocator::ptyFromVmInfo(json, ChApiLocator::Device(device), &gotPath, &gotError);
    QCOMPARE(ok, error.isEmpty());
    QCOMPARE(gotPath, path);
    if (error.endsWith(u'('))
        QVERIFY2(gotError.startsWith(error), qPrintable(gotError));
    else
        QCOMPARE(gotError, error);
}

void tst_VmmApiSource::queryChardevNamesThePtyOrSaysWhyNot_data()
{
    QTest::addColumn<QByteArray>("answer");
    QTest::addColumn<QString>("chardev");
    QTest::addColumn<QString>("path");
    QTest::addColumn<QString>("error");

    QTest::newRow("serial0") << chardevs(QStringLiteral("/dev/pts/4")) << QStringLiteral("serial0")
                             << QStringLiteral("/dev/pts/4") << QString();
    QTest::newRow("a socket chardev")
        << chardevs(QStringLiteral("/dev/pts/4")) << QStringLiteral("compat_monitor0") << QString()
        << QStringLiteral("chardev \"compat_monitor0\" is \"unix:/run/vm1.qmp,server=on\", not a "
                          "pty");
    QTest::newRow("missing chardev")
        << chardevs(QStringLiteral("/dev/pts/4")) << QStringLiteral("con0") << QString()
        << QStringLiteral("QEMU has no chardev \"con0\" (it has: serial0, compat_monitor0)");
    QTest::newRow("no chardevs") << QByteArray(R"({"return": []})") << QStringLiteral("serial0")
                                 << QString()
                                 << QStringLiteral(
                                        "QEMU has no chardev \"serial0\" (it has: none)");
    QTest::newRow("pty: without a path")
        << QByteArray(R"({"return": [{"filename": "pty:", "label": "serial0"}]})")
        << QStringLiteral("serial0") << QString()
        << QStringLiteral("chardev \"serial0\" is \"pty:\", not a pty");
}

void tst_VmmApiSource::queryChardevNamesThePtyOrSaysWhyNot()
{
    QFETCH(QByteArray, answer);
    QFETCH(QString, chardev);
    QFETCH(QString, path);
    QFETCH(QString, error);
    const QJsonArray list
        = QJsonDocument::fromJson(answer).object().value(QStringLiteral("return")).toArray();
    QString gotPath;
    QString gotError;
    QCOMPARE(QmpLocator::ptyFromChardevs(list, chardev, &gotPath, &gotError), error.isEmpty());
    QCOMPARE(gotPath, path);
    QCOMPARE(gotError, error);
}

void tst_VmmApiSource::qmpMessagesSplitAnywhereReadTheSame()
{
    const QByteArray stream = R"({"QMP": {"version": {}, "capabilities": ["oob"]}})"
                              "\r\n{\"return\": {}}\r\n\r\n"
        + chardevs(QStringLiteral("/dev/pts/4")) + "\n{\"event\": \"STOP\"}\r\n{\"partial\"";
    const auto read = [](const QList<QByteArrayView> &pieces) {
        QmpReader reader;
        QList<QJsonObject> messages;
        QString error;
        for (QByteArrayView piece : pieces) {
            if (!reader.feed(piece, &messages, &error))
                qWarning() << error;
        }
        return messages;
    };
    const QList<QJsonObject> whole = read({stream});
    QCOMPARE(whole.size(), 4);
    QVERIFY(whole[0].contains(QStringLiteral("QMP")));
    QCOMPARE(whole[3].value(QStringLiteral("event")).toString(), QStringLiteral("STOP"));
    for (qsizetype cut = 0; cut <= stream.size(); ++cut) {
        const QByteArrayView view(stream);
        QCOMPARE(read({view.first(cut), view.sliced(cut)}), whole);
    }
    QList<QByteArrayView> bytes;
    for (qsizetype i = 0; i < stream.size(); ++i)
        bytes.append(QByteArrayView(stream).sliced(i, 1));
    QCOMPARE(read(bytes), whole);
}

void tst_VmmApiSource::qmpReaderRefusesMalformedAndOversizedMessages()
{
    {
        QmpReader reader;
        QList<QJsonObject> messages;
        QString error;
        QVERIFY(!reader.feed("{\"return\": {}}\r\nnot json\r\n", &messages, &error));
        QCOMPARE(messages.size(), 1);
        QCOMPARE(error, QStringLiteral("not a QMP message: \"not json\""));
    }
    {
        QmpReader reader;
        QList<QJsonObject> messages;
        QString error;
        const QByteArray chunk(64 * 1024, 'x');
        bool ok = true;
        for (int i = 0; i < 20 && ok; ++i)
            ok = reader.feed(chunk, &messages, &error);
        QVERIFY(!ok);
        QCOMPARE(error, QStringLiteral("a QMP message is larger than 1048576 bytes"));
    }
}

void tst_VmmApiSource::theCloudHypervisorApiIsAskedForVmInfo()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("api.sock"));
    ChApiStandIn api(path);
    QVERIFY(api.listening);
    api.body = vmInfo(QStringLiteral("Pty"), QStringLiteral("/dev/pts/7"), QStringLiteral("Pty"),
                      QStringLiteral("/dev/pts/8"));

    ChApiLocator serial(path, ChApiLocator::Device::Serial);
    Answer serialAnswer(serial);
    serial.locate();
    QTRY_COMPARE(serialAnswer.count(), 1);
    QCOMPARE(serialAnswer.located, QStringList {QStringLiteral("/dev/pts/7")});
    QCOMPARE(api.requests.size(), 1);
    QVERIFY2(api.requests[0].startsWith("GET /api/v1/vm.info HTTP/1.1\r\n"),
             api.requests[0].constData());

    ChApiLocator console(path, ChApiLocator::Device::Console);
    Answer consoleAnswer(console);
    console.locate();
    QTRY_COMPARE(consoleAnswer.count(), 1);
    QCOMPARE(consoleAnswer.located, QStringList {QStringLiteral("/dev/pts/8")});
    QCOMPARE(console.describe(), QStringLiteral("Cloud-Hypervisor API at ") + path);
}

void tst_VmmApiSource::cloudHypervisorApiFailuresAreReadable()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("api.sock"));
    const QString prefix = QStringLiteral("Cloud-Hypervisor API at %1: ").arg(path);
    {
        // No VMM yet.
        ChApiLocator locator(path, ChApiLocator::Device::Serial);
        Answer answer(locator);
        locator.locate();
        QTRY_COMPARE(answer.count(), 1);
        QCOMPARE(answer.failed.value(0),
                 prefix + QStringLiteral("no socket there (is the VMM running?)"));
    }
    ChApiStandIn api(path);
    QVERIFY(api.listening);
    {
        // A VMM without a VM: its API says so in the body.
        api.status = 404;
        api.reason = "Not Found";
        api.body = "VM is not created";
        ChApiLocator locator(path, ChApiLocator::Device::Serial);
        Answer answer(locator);
        locator.locate();
        QTRY_COMPARE(answer.count(), 1);
        QCOMPARE(answer.failed.value(0),
                 prefix + QStringLiteral("vm.info answered 404 Not Found: VM is not created"));
    }
    {
        // An API that never answers is given up on.
        api.silent = true;
        ChApiLocator locator(path, ChApiLocator::Device::Serial);
        Answer answer(locator);
        locator.locate();
        QTRY_COMPARE_WITH_TIMEOUT(answer.count(), 1, 10000);
        QCOMPARE(answer.failed.value(0), prefix + QStringLiteral("no answer within 5 s"));
    }
}

void tst_VmmApiSource::qmpIsAskedForTheChardevPastEvents()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("qmp.sock"));
    QmpStandIn qmp(path);
    QVERIFY(qmp.listening);
    qmp.answer = chardevs(QStringLiteral("/dev/pts/5"));
    QmpLocator locator(path, QStringLiteral("serial0"));
    Answer answer(locator);
    locator.locate();
    QTRY_COMPARE(answer.count(), 1);
    QCOMPARE(answer.located, QStringList {QStringLiteral("/dev/pts/5")});
    QCOMPARE(qmp.commands,
             (QList<QByteArray> {"{\"execute\":\"qmp_capabilities\"}",
                                 "{\"execute\":\"query-chardev\"}"}));
    // The connection is closed at once: QEMU serves one QMP client at a time.
    QTRY_VERIFY(qmp.server.findChildren<QLocalSocket *>().isEmpty()
                || qmp.server.findChildren<QLocalSocket *>().constFirst()->state()
                    == QLocalSocket::UnconnectedState);
}

void tst_VmmApiSource::qmpFailuresAreReadable()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("qmp.sock"));
    QmpStandIn qmp(path);
    QVERIFY(qmp.listening);
    qmp.answer = R"({"error": {"class": "CommandNotFound", "desc": "The command query-chardev )"
                 R"(has not been found"}})";
    QmpLocator locator(path, QStringLiteral("serial0"));
    Answer answer(locator);
    locator.locate();
    QTRY_COMPARE(answer.count(), 1);
    QCOMPARE(answer.failed.value(0),
             QStringLiteral("QEMU QMP at %1: QEMU refused: The command query-chardev has not been "
                            "found")
                 .arg(path));

    // Not a QMP socket at all: a Cloud-Hypervisor API, say.
    const QString other = dir.filePath(QStringLiteral("api.sock"));
    QLocalServer quiet;
    QVERIFY(quiet.listen(other));
    connect(&quiet, &QLocalServer::newConnection, this, [&quiet] {
        QLocalSocket *socket = quiet.nextPendingConnection();
        socket->write("HTTP/1.1 400 Bad Request\r\n\r\n");
    });
    QmpLocator wrong(other, QStringLiteral("serial0"));
    Answer wrongAnswer(wrong);
    wrong.locate();
    QTRY_COMPARE(wrongAnswer.count(), 1);
    QCOMPARE(wrongAnswer.failed.value(0),
             QStringLiteral("QEMU QMP at %1: not a QMP message: \"HTTP/1.1 400 Bad Request\"")
                 .arg(other));
}

void tst_VmmApiSource::aClientKeepsItsSessionAcrossAGuestReboot()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("api.sock"));
    ChApiStandIn api(path);
    QVERIFY(api.listening);
    auto first = std::make_unique<TestPty>();
    api.body = vmInfo(QStringLiteral("Pty"), first->path());

    TestServer server(std::make_unique<PtySource>(
        std::make_unique<ChApiLocator>(path, ChApiLocator::Device::Serial),
        PtySource::Device::Serial));
    QVERIFY(server.listening);
    QTRY_VERIFY(server.console->source().isUp());
    TestClient client(server.url());
    QTRY_VERIFY(client.hello.has_value());
    QCOMPARE(client.hello->sourceReason, first->path());
    QVERIFY(!client.hello->canBreak && !client.hello->canResize);
    QVERIFY(first->write("first boot\r\nlogin: "));
    QTRY_VERIFY(client.received.endsWith("first boot\r\nlogin: "));

    // The guest reboots: Cloud-Hypervisor closes the pty and makes a new one at a new path,
    // which only its API tells. For a moment the API still names the old one.
    auto second = std::make_unique<TestPty>();
    QVERIFY(second->path() != first->path());
    first->hangup();
    QTRY_COMPARE(client.sourceEvents.size(), size_t(1));
    QVERIFY(client.sourceEvents[0].state == Protocol::SourceState::Down);
    QTest::qWait(300);
    api.body = vmInfo(QStringLiteral("Pty"), second->path());
    QTRY_COMPARE_WITH_TIMEOUT(client.sourceEvents.size(), size_t(2), 10000);
    QVERIFY(client.sourceEvents[1].state == Protocol::SourceState::Up);
    QCOMPARE(client.sourceEvents[1].reason, second->path());
    QVERIFY(second->write("second boot\r\n"));
    QTRY_VERIFY2(client.received.endsWith("second boot\r\n"), client.received.constData());
    QVERIFY(client.received.contains("login: \r\n-- console down "));

    // The same session, no reconnect: one hello, never closed, and its input reaches the new pty.
    QVERIFY(!client.closed);
    QCOMPARE(std::count_if(client.messages.begin(), client.messages.end(),
                           [](const Protocol::ServerMessage &m) {
                               return std::holds_alternative<Protocol::Hello>(m);
                           }),
             1);
    client.socket.sendBinaryMessage("root\r");
    QByteArray input;
    QTRY_COMPARE((input += second->readAvailable()), QByteArray("root\r"));
    QVERIFY(api.requests.size() >= 2);
}

void tst_VmmApiSource::aVirtioConsoleTakesTheClientsSizeAndSysRq()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("api.sock"));
    ChApiStandIn api(path);
    QVERIFY(api.listening);
    TestPty pty;
    api.body = vmInfo(QStringLiteral("Null"), QString(), QStringLiteral("Pty"), pty.path());
    TestServer server(std::make_unique<PtySource>(
        std::make_unique<ChApiLocator>(path, ChApiLocator::Device::Console),
        PtySource::Device::VirtioConsole));
    QVERIFY(server.listening);
    QTRY_VERIFY(server.console->source().isUp());
    TestClient client(server.url());
    QTRY_VERIFY(client.hello.has_value());
    QVERIFY(client.hello->canBreak && client.hello->canResize);

    // The size reaches the pty, where the VMM reads it for the guest's hvc.
    client.send(Protocol::Resize {132, 43});
    winsize size {};
    QTRY_VERIFY((::ioctl(pty.master(), TIOCGWINSZ, &size) == 0 && size.ws_col == 132));
    QCOMPARE(int(size.ws_row), 43);

    // BREAK on a virtio console is hvc's SysRq prefix: Ctrl-O, then the SysRq key typed next.
    client.send(Protocol::Break {});
    client.socket.sendBinaryMessage("h");
    QByteArray input;
    QTRY_COMPARE((input += pty.readAvailable()), QByteArray("\x0fh"));
    QVERIFY(client.errors.empty());
}

QTEST_GUILESS_MAIN(tst_VmmApiSource)
#include "tst_vmmapisource.moc"
