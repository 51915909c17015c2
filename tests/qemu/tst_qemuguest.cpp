// A real Linux guest under QEMU, its serial console served by the real cloud-console binary: the
// kernel's boot log reaches a WebSocket client through the server, the guest's prompt makes the
// console ready, a command the client types is answered by the guest's shell, a client that comes
// later gets the boot log from history, and the guest's panic raises the critical alert, which a
// webhook on a real HTTPS endpoint of the test receives, signed.
//
// One guest boots once for the first test functions, which run in order. The last one boots two
// guests of its own, one after the other on one QMP socket, as a VM whose QEMU restarted, and
// checks that a console named by that QMP socket (qmp:) follows it. Skipped only when QEMU or a
// kernel is not installed (qemu-system-x86, linux-image-amd64: scripts/install-deps.sh --test).

#include "qemuguest.h"
#include "testclient.h"
#include "testhttpsendpoint.h"
#include "testprocess.h"

#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>

#include <fcntl.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <memory>
#include <vector>

using namespace CloudConsole::Test;

namespace {

const QString binary = QStringLiteral(CLOUD_CONSOLE_BIN);
constexpr char WebhookSecret[] = "qemu-test-webhook-secret";
// Boot takes about 5 s on an idle machine under TCG, several times that on a busy one.
constexpr int BootTimeoutMs = 120000;

// The real cloud-console, with its standard output and error kept (as in tst_cli).
class Server
{
public:
    explicit Server(const QStringList &arguments)
    {
        QObject::connect(&process, &QProcess::readyReadStandardOutput, &process,
                         [this] { out += process.readAllStandardOutput(); });
        QObject::connect(&process, &QProcess::readyReadStandardError, &process,
                         [this] { err += process.readAllStandardError(); });
        process.setChildProcessModifier([] { ::prctl(PR_SET_PDEATHSIG, SIGKILL); });
        process.start(binary, arguments);
    }
    ~Server() { stop(); }
    void stop()
    {
        if (process.state() != QProcess::NotRunning) {
            process.kill();
            process.waitForFinished();
        }
    }
    // The port from "serving console ... at http://ADDR:PORT/", or 0 while not printed.
    int port() const
    {
        static const QRegularExpression url(QStringLiteral("at http://[^ ]+:([0-9]+)/\n"));
        const auto match = url.match(QString::fromLocal8Bit(out));
        return match.hasMatch() ? match.captured(1).toInt() : 0;
    }
    QString describe() const
    {
        return QStringLiteral("server state %1, exit code %2, stdout \"%3\", stderr \"%4\"")
            .arg(int(process.state()))
            .arg(process.exitCode())
            .arg(QString::fromLocal8Bit(out), QString::fromLocal8Bit(err).right(4000));
    }

    QProcess process;
    QByteArray out;
    QByteArray err;
};

// The last bytes of a console, printable, for a failure message.
QString tail(const QByteArray &bytes, qsizetype n = 1500)
{
    QString text = QString::fromLatin1(bytes.right(n));
    for (QChar &c : text) {
        if (c != QLatin1Char('\n') && (c.unicode() < 0x20 || c.unicode() == 0x7f))
            c = QLatin1Char('.');
    }
    return text;
}

QByteArray readFile(const QString &path)
{
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
}

// A plain GET to the server, the answer's body.
QByteArray httpGet(int port, const QByteArray &path)
{
    QTcpSocket socket;
    socket.connectToHost(QHostAddress::LocalHost, quint16(port));
    if (!socket.waitForConnected(10000))
        return {};
    socket.write("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
    QByteArray answer;
    QElapsedTimer timer;
    timer.start();
    while (socket.state() != QAbstractSocket::UnconnectedState && timer.elapsed() < 10000) {
        socket.waitForReadyRead(100);
        answer += socket.readAll();
    }
    answer += socket.readAll();
    return answer.mid(answer.indexOf("\r\n\r\n") + 4);
}

// Holds a file open, for as long as it lives.
class HeldFile
{
public:
    explicit HeldFile(const QString &path)
        : m_fd(::open(QFile::encodeName(path).constData(), O_RDWR | O_NOCTTY | O_CLOEXEC))
        , m_errno(errno)
    { }
    ~HeldFile()
    {
        if (m_fd >= 0)
            ::close(m_fd);
    }
    HeldFile(const HeldFile &) = delete;
    HeldFile &operator=(const HeldFile &) = delete;

    bool isOpen() const { return m_fd >= 0; }
    QString error() const { return QString::fromLocal8Bit(std::strerror(m_errno)); }

private:
    int m_fd;
    int m_errno;
};

// The first lifecycle marker the server wrote into the stream at or after from, on a line of its
// own: "-- console up 12:03:19: /dev/pts/7 --". An empty detail matches any (captured(1)).
QRegularExpressionMatch findMarker(const QByteArray &bytes, const QString &event,
                                   const QString &detail, qsizetype from = 0)
{
    const QRegularExpression marker(
        QStringLiteral("(?:^|(?<=\n))-- console %1 [0-9]{2}:[0-9]{2}:[0-9]{2}: (%2) --\r\n")
            .arg(event,
                 detail.isEmpty() ? QStringLiteral("[^\r\n]*")
                                  : QRegularExpression::escape(detail)));
    // Latin-1 keeps one character per byte, so positions are byte offsets.
    return marker.match(QString::fromLatin1(bytes), from);
}

} // namespace

class tst_QemuGuest : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void theKernelBootLogArrivesThroughTheServer();
    void theGuestsPromptMakesTheConsoleReady();
    void aCommandTypedByAClientIsAnsweredByTheGuest();
    void aClientThatConnectsAfterBootGetsTheBootLogFromHistory();
    void aConsoleNamedByQmpFollowsQemuAcrossARestart();
    // Last: the shared guest panics, and QEMU (-no-reboot) ends.
    void aPanicOfTheGuestRaisesTheCriticalAlertAndItsWebhook();
    void cleanupTestCase();

private:
    QString describe() const;
    QUrl webSocketUrl() const;

    std::unique_ptr<QTemporaryDir> m_dir;
    std::unique_ptr<QemuGuest> m_guest;
    // Where the shared server's webhook sends the panic: a CA of the test's own trusts it.
    std::unique_ptr<TestCertificates> m_certificates;
    std::unique_ptr<TestHttpsEndpoint> m_endpoint;
    std::unique_ptr<Server> m_server;
    std::unique_ptr<TestClient> m_client; // connected before the guest's CPU starts
    QElapsedTimer m_sinceResume;
    // One past the ready marker's line in m_client->received, once it arrived.
    qsizetype m_bootLogEnd = -1;
};

QString tst_QemuGuest::describe() const
{
    QString text;
    if (m_client)
        text += QStringLiteral("client got %1 bytes, ending \"%2\"; ")
                    .arg(m_client->received.size())
                    .arg(tail(m_client->received));
    if (m_server)
        text += m_server->describe() + QStringLiteral("; ");
    if (m_guest)
        text += m_guest->describe();
    return text;
}

QUrl tst_QemuGuest::webSocketUrl() const
{
    return QUrl(QStringLiteral("ws://127.0.0.1:%1/ws").arg(m_server->port()));
}

void tst_QemuGuest::initTestCase()
{
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY2(m_dir->isValid(), qPrintable(m_dir->errorString()));
    // The last test panics this guest: QEMU (-no-reboot) then waits 5 s before it ends, so that
    // the panic's lines reach the pty even when the machine is too busy to read them at once
    // (the last panic= on the command line wins over QemuGuest's panic=-1).
    QemuGuest::Options options;
    options.extraKernelArguments = QStringList {QStringLiteral("panic=5")};
    m_guest = std::make_unique<QemuGuest>(m_dir->path(), options);
    if (!m_guest->skipReason().isEmpty())
        QSKIP(qPrintable(m_guest->skipReason()));

    QElapsedTimer timer;
    timer.start();
    QVERIFY2(m_guest->start(), qPrintable(m_guest->errorString()));
    qInfo("QEMU started paused in %lld ms with its console on %s", timer.elapsed(),
          qPrintable(m_guest->ptyPath()));

    m_certificates = std::make_unique<TestCertificates>(m_dir->path());
    QVERIFY2(m_certificates->make(), qPrintable(m_certificates->error()));
    m_endpoint = std::make_unique<TestHttpsEndpoint>(*m_certificates);
    QVERIFY(m_endpoint->isListening());

    // The guest has no getty: its shell's prompt is what says it is ready, declared as a rule as
    // for any image whose prompt the built-in rules do not know. The panic goes to a webhook.
    const QString config = m_dir->filePath(QStringLiteral("cloud-console.conf"));
    QFile file(config);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write(QStringLiteral("[server]\nlisten = 127.0.0.1:0\n"
                              "[console default]\nsource = pty:%1\nlog = %2\n"
                              "[alert guest-prompt]\npattern = ^guest# $\nseverity = info\n"
                              "state = ready\n"
                              "[webhook panic]\nurl = %3\nsecret = %4\nca = %5\n"
                              "rules = kernel-panic\n")
                   .arg(m_guest->ptyPath(), m_dir->filePath(QStringLiteral("console.log")),
                        m_endpoint->url(), QLatin1String(WebhookSecret), m_certificates->caPath())
                   .toUtf8());
    file.close();
    // Paused: QEMU drops serial output while nobody has the pty open, so the server attaches
    // first (before it prints its URL), then the CPU starts.
    m_server = std::make_unique<Server>(QStringList {QStringLiteral("--config"), config});
    QTRY_VERIFY2_WITH_TIMEOUT(m_server->port() > 0
                                  || m_server->process.state() == QProcess::NotRunning,
                              qPrintable(describe()), 30000);
    QVERIFY2(m_server->port() > 0, qPrintable(describe()));

    m_client = std::make_unique<TestClient>(webSocketUrl());
    QTRY_VERIFY2_WITH_TIMEOUT(m_client->hello.has_value() || m_client->closed,
                              qPrintable(describe()), 30000);
    QVERIFY2(m_client->hello && m_client->hello->source == CloudConsole::Protocol::SourceState::Up,
             qPrintable(describe()));

    QVERIFY2(m_guest->resume(), qPrintable(m_guest->errorString()));
    m_sinceResume.start();
}

void tst_QemuGuest::theKernelBootLogArrivesThroughTheServer()
{
    QTRY_VERIFY2_WITH_TIMEOUT(m_client->received.contains("Linux version") || !m_guest->isRunning(),
                              qPrintable(describe()), BootTimeoutMs);
    QVERIFY2(m_client->received.contains("Linux version"), qPrintable(describe()));
    const qint64 bannerMs = m_sinceResume.elapsed();

    QTRY_VERIFY2_WITH_TIMEOUT(m_client->received.contains(QemuGuest::ReadyMarker)
                                  || !m_guest->isRunning(),
                              qPrintable(describe()), BootTimeoutMs);
    const qsizetype marker = m_client->received.indexOf(QemuGuest::ReadyMarker);
    QVERIFY2(marker >= 0, qPrintable(describe()));
    QTRY_VERIFY2_WITH_TIMEOUT(m_client->received.indexOf('\n', marker) >= 0, qPrintable(describe()),
                              10000);
    m_bootLogEnd = m_client->received.indexOf('\n', marker) + 1;
    qInfo("guest booted: \"Linux version\" after %lld ms, ready after %lld ms, %lld bytes of boot "
          "log",
          bannerMs, m_sinceResume.elapsed(), qint64(m_bootLogEnd));

    // The banner comes before the marker, and the server's log has them too.
    QVERIFY2(m_client->received.indexOf("Linux version") < marker, qPrintable(describe()));
    QVERIFY2(m_client->errors.empty() && m_client->gaps.empty() && !m_client->closed,
             qPrintable(describe()));
    const QString log = m_dir->filePath(QStringLiteral("console.log"));
    const QByteArray bootLog = m_client->received.left(m_bootLogEnd);
    QTRY_VERIFY2_WITH_TIMEOUT(
        readFile(log).startsWith(bootLog),
        qPrintable(QStringLiteral("log \"%1\"; %2").arg(tail(readFile(log)), describe())), 10000);
}

void tst_QemuGuest::theGuestsPromptMakesTheConsoleReady()
{
    QVERIFY2(m_bootLogEnd > 0, "the guest did not boot");
    const auto state = [this] {
        const QJsonArray consoles
            = QJsonDocument::fromJson(httpGet(m_server->port(), "/consoles.json"))
                  .object()
                  .value(QLatin1String("consoles"))
                  .toArray();
        return consoles.first().toObject().value(QLatin1String("state")).toString();
    };
    // The shell prints its prompt and waits: a line without an end, matched once it is idle.
    QTRY_COMPARE_WITH_TIMEOUT(state(), QStringLiteral("ready"), 30000);
    const auto promptAlert = [this] {
        for (const CloudConsole::Protocol::ServerMessage &message : m_client->messages) {
            const auto *alert = std::get_if<CloudConsole::Protocol::AlertEvent>(&message);
            if (alert && alert->rule == QLatin1String("guest-prompt"))
                return true;
        }
        return false;
    };
    // The client is told on its WebSocket, which this process may read after the answer above.
    QTRY_VERIFY2_WITH_TIMEOUT(promptAlert(), qPrintable(describe()), 10000);
}

void tst_QemuGuest::aCommandTypedByAClientIsAnsweredByTheGuest()
{
    QVERIFY2(m_bootLogEnd > 0, "the guest did not boot");
    // The shell's prompt, after the marker: the shell reads its terminal from here on.
    QTRY_VERIFY2_WITH_TIMEOUT(m_client->received.indexOf(QemuGuest::Prompt, m_bootLogEnd) >= 0,
                              qPrintable(describe()), 30000);

    // Only the guest's evaluation prints "42-answer", on a line of its own; the echo of what is
    // typed does not.
    const qsizetype typedAt = m_client->received.size();
    m_client->socket.sendBinaryMessage(QByteArrayLiteral("echo $((6*7))-answer\r"));
    auto answered = [&] { return m_client->received.indexOf("\n42-answer\r\n", typedAt) >= 0; };
    QTRY_VERIFY2_WITH_TIMEOUT(answered() || !m_guest->isRunning(), qPrintable(describe()), 60000);
    QVERIFY2(answered(), qPrintable(describe()));
    QVERIFY2(m_client->errors.empty(), qPrintable(describe()));
}

void tst_QemuGuest::aClientThatConnectsAfterBootGetsTheBootLogFromHistory()
{
    QVERIFY2(m_bootLogEnd > 0, "the guest did not boot");
    TestClient late(webSocketUrl());
    QTRY_VERIFY2_WITH_TIMEOUT(late.received.size() >= m_bootLogEnd || late.closed,
                              qPrintable(QStringLiteral("late client got %1 bytes: \"%2\"; %3")
                                             .arg(late.received.size())
                                             .arg(tail(late.received), describe())),
                              30000);
    QVERIFY2(late.hello && late.hello->offset == 0 && late.hello->historyStart == 0,
             qPrintable(QStringLiteral("late client's hello: %1").arg(late.texts.value(0))));
    // Byte for byte what the first client saw while the guest booted.
    QVERIFY2(late.received.left(m_bootLogEnd) == m_client->received.left(m_bootLogEnd),
             qPrintable(QStringLiteral("late client got \"%1\"; %2")
                            .arg(tail(late.received.left(m_bootLogEnd)), describe())));
    QVERIFY(late.received.contains("Linux version"));
    QVERIFY(late.received.contains(QemuGuest::ReadyMarker));
    QVERIFY2(late.gaps.empty() && late.errors.empty(),
             qPrintable(late.texts.join(QLatin1Char(' '))));
}

void tst_QemuGuest::aConsoleNamedByQmpFollowsQemuAcrossARestart()
{
    using CloudConsole::Protocol::SourceState;
    QVERIFY(m_dir);
    // A VM of its own, named by its QMP socket; the shared guest idles meanwhile.
    QemuGuest::Options options;
    options.qmpSocketPath = m_dir->filePath(QStringLiteral("restarting-vm.qmp"));
    const QString logPath = m_dir->filePath(QStringLiteral("restarting-vm.log"));
    auto guestA = std::make_unique<QemuGuest>(m_dir->path(), options);
    std::unique_ptr<QemuGuest> guestB;
    QVERIFY2(guestA->start(), qPrintable(guestA->errorString()));
    const qint64 pidA = guestA->processId();
    const QString ptyA = guestA->ptyPath();

    Server server({QStringLiteral("qmp:") + options.qmpSocketPath, QStringLiteral("--listen"),
                   QStringLiteral("127.0.0.1:0"), QStringLiteral("--log"), logPath});
    // Where in client->received each of client->sourceEvents came, for failure messages.
    std::vector<qsizetype> eventAt;
    std::unique_ptr<TestClient> client;
    auto describe = [&] {
        QString text;
        if (client) {
            QStringList events;
            for (size_t i = 0; i < client->sourceEvents.size(); ++i)
                events.append(
                    QStringLiteral("%1 \"%2\" at %3")
                        .arg(CloudConsole::Protocol::toString(client->sourceEvents[i].state),
                             client->sourceEvents[i].reason)
                        .arg(i < eventAt.size() ? eventAt[i] : -1));
            text += QStringLiteral("client %1, hello \"%2\", events [%3], got %4 bytes, ending "
                                   "\"%5\"; ")
                        .arg(client->closed ? QStringLiteral("closed") : QStringLiteral("open"),
                             client->texts.value(0), events.join(QStringLiteral(", ")))
                        .arg(client->received.size())
                        .arg(tail(client->received));
        }
        text += server.describe() + QStringLiteral("; guest A: ") + guestA->describe();
        if (guestB)
            text += QStringLiteral("; guest B: ") + guestB->describe();
        return text;
    };
    QTRY_VERIFY2_WITH_TIMEOUT(server.port() > 0 || server.process.state() == QProcess::NotRunning,
                              qPrintable(describe()), 30000);
    QVERIFY2(server.port() > 0, qPrintable(describe()));

    client = std::make_unique<TestClient>(
        QUrl(QStringLiteral("ws://127.0.0.1:%1/ws").arg(server.port())));
    QObject::connect(&client->socket, &QWebSocket::textMessageReceived, client.get(), [&] {
        // Runs after the client's own handler has decoded the message.
        while (eventAt.size() < client->sourceEvents.size())
            eventAt.push_back(client->received.size());
    });
    // The index of the first "up" event at or after from that names pty, or -1.
    auto upEvent = [&](const QString &pty, size_t from) {
        for (size_t i = from; i < client->sourceEvents.size(); ++i) {
            if (client->sourceEvents[i].state == SourceState::Up
                && client->sourceEvents[i].reason == pty)
                return qsizetype(i);
        }
        return qsizetype(-1);
    };
    // The server asks QMP on its own after it started: the client may come before or after.
    auto toldUpOnA = [&] {
        return (client->hello && client->hello->source == SourceState::Up
                && client->hello->sourceReason == ptyA)
            || upEvent(ptyA, 0) >= 0;
    };
    QTRY_VERIFY2_WITH_TIMEOUT(toldUpOnA() || client->closed, qPrintable(describe()), 30000);
    QVERIFY2(toldUpOnA(), qPrintable(describe()));
    QVERIFY2(client->hello && client->hello->offset == 0, qPrintable(describe()));
    QTRY_VERIFY2_WITH_TIMEOUT(findMarker(client->received, QStringLiteral("up"), ptyA).hasMatch(),
                              qPrintable(describe()), 10000);

    // Attached: guest A's CPU may start. Its boot log and its shell come through.
    QVERIFY2(guestA->resume(), qPrintable(guestA->errorString()));
    QElapsedTimer sinceResume;
    sinceResume.start();
    const qsizetype bootA = findMarker(client->received, QStringLiteral("up"), ptyA).capturedEnd();
    auto answered = [&](const char *answer, qsizetype from) {
        return client->received.indexOf(answer, from) >= 0;
    };
    // The guest attached now boots (its output from position from on), and its shell answers
    // command with answer. A failure is reported as the test's (QTest::currentTestFailed()).
    auto bootAndAnswer = [&](QemuGuest &guest, qsizetype from, const QByteArray &command,
                             const char *answer) {
        QTRY_VERIFY2_WITH_TIMEOUT(answered("Linux version", from) || !guest.isRunning(),
                                  qPrintable(describe()), BootTimeoutMs);
        QVERIFY2(answered("Linux version", from), qPrintable(describe()));
        QTRY_VERIFY2_WITH_TIMEOUT(answered(QemuGuest::ReadyMarker, from) || !guest.isRunning(),
                                  qPrintable(describe()), BootTimeoutMs);
        const qsizetype ready = client->received.indexOf(QemuGuest::ReadyMarker, from);
        QVERIFY2(ready >= 0, qPrintable(describe()));
        QTRY_VERIFY2_WITH_TIMEOUT(answered(QemuGuest::Prompt, ready), qPrintable(describe()),
                                  30000);
        const qsizetype typedAt = client->received.size();
        client->socket.sendBinaryMessage(command + '\r');
        QTRY_VERIFY2_WITH_TIMEOUT(answered(answer, typedAt) || !guest.isRunning(),
                                  qPrintable(describe()), 60000);
        QVERIFY2(answered(answer, typedAt), qPrintable(describe()));
    };
    bootAndAnswer(*guestA, bootA, "echo $((6*7))-first", "\n42-first\r\n");
    if (QTest::currentTestFailed())
        return;
    qInfo("guest A (%s) booted and answered %lld ms after resume", qPrintable(ptyA),
          sinceResume.elapsed());

    // The VMM restarts: guest A's QEMU dies (its pty hangs up, its QMP socket stays behind,
    // refusing connections), and guest B's QEMU takes over the socket with a new pty. The kernel
    // gives a freed pty number to the next pty made, so guest B would usually get guest A's path
    // back, and the test could not tell a server that asks QMP from one that opens the old path
    // again: the test holds guest A's pty open (never reading it), which keeps its number taken.
    auto heldPtyA = std::make_unique<HeldFile>(ptyA);
    QVERIFY2(heldPtyA->isOpen(), qPrintable(ptyA + QStringLiteral(": ") + heldPtyA->error()));
    const size_t eventsBeforeRestart = client->sourceEvents.size();
    const qsizetype bytesBeforeRestart = client->received.size();
    const qsizetype serverErrBeforeRestart = server.err.size();
    QElapsedTimer restart;
    restart.start();
    guestA->stop();
    QVERIFY2(processInfo(pid_t(pidA)).state == 0, qPrintable(describe()));
    QTRY_VERIFY2_WITH_TIMEOUT(client->sourceEvents.size() > eventsBeforeRestart,
                              qPrintable(describe()), 30000);
    QVERIFY2(client->sourceEvents[eventsBeforeRestart].state == SourceState::Down,
             qPrintable(describe()));
    const qint64 downMs = restart.elapsed();
    // Guest B comes only once the server has asked the dead QEMU's socket (retried at 100 ms
    // after the hang-up): that is the way back it must take.
    QTRY_VERIFY2_WITH_TIMEOUT(
        server.err.indexOf("connection refused (the VMM is not listening)", serverErrBeforeRestart)
            >= 0,
        qPrintable(describe()), 30000);
    const qint64 refusedMs = restart.elapsed();

    guestB = std::make_unique<QemuGuest>(m_dir->path(), options);
    QVERIFY2(guestB->start(), qPrintable(guestB->errorString()));
    const qint64 startedBMs = restart.elapsed();
    heldPtyA.reset();
    const QString ptyB = guestB->ptyPath();
    QVERIFY2(ptyB != ptyA, qPrintable(describe()));
    QVERIFY2(guestB->qmpSocketPath() == options.qmpSocketPath, qPrintable(describe()));
    QTRY_VERIFY2_WITH_TIMEOUT(upEvent(ptyB, eventsBeforeRestart) >= 0 || client->closed,
                              qPrintable(describe()), 30000);
    QVERIFY2(upEvent(ptyB, eventsBeforeRestart) >= 0, qPrintable(describe()));
    const qint64 upMs = restart.elapsed();
    qInfo("restart: source down %lld ms after guest A was killed, QMP refused at %lld ms; guest B "
          "started at %lld ms on %s (guest A had %s); source up on it at %lld ms",
          downMs, refusedMs, startedBMs, qPrintable(ptyB), qPrintable(ptyA), upMs);

    // One down, then one up: the failed questions in between (no QMP there, then guest B's)
    // are no events of their own.
    QVERIFY2(client->sourceEvents.size() == eventsBeforeRestart + 2, qPrintable(describe()));
    const QString downReason = client->sourceEvents[eventsBeforeRestart].reason;
    QVERIFY2(!downReason.isEmpty(), qPrintable(describe()));
    // The markers, in the stream after guest A's answer: down (with the event's reason), then
    // up on guest B's pty.
    QRegularExpressionMatch down;
    QTRY_VERIFY2_WITH_TIMEOUT(
        (down = findMarker(client->received, QStringLiteral("down"), QString(), bytesBeforeRestart))
            .hasMatch(),
        qPrintable(describe()), 10000);
    QVERIFY2(down.captured(1) == downReason,
             qPrintable(QStringLiteral("down marker \"%1\", down event \"%2\"; %3")
                            .arg(down.captured(1), downReason, describe())));
    QRegularExpressionMatch upOnB;
    QTRY_VERIFY2_WITH_TIMEOUT(
        (upOnB = findMarker(client->received, QStringLiteral("up"), ptyB, down.capturedEnd()))
            .hasMatch(),
        qPrintable(describe()), 10000);
    qInfo("down reason: \"%s\"", qPrintable(downReason));

    // Attached to guest B's pty: its CPU may start, and its boot log and shell come through to
    // the same client.
    QVERIFY2(guestB->resume(), qPrintable(guestB->errorString()));
    sinceResume.start();
    bootAndAnswer(*guestB, upOnB.capturedEnd(), "echo $((7*6))-second", "\n42-second\r\n");
    if (QTest::currentTestFailed())
        return;
    qInfo("guest B (%s) booted and answered %lld ms after resume", qPrintable(ptyB),
          sinceResume.elapsed());

    // One connection all along: one hello, nothing missed, nothing refused.
    const auto hellos = std::count_if(
        client->messages.cbegin(), client->messages.cend(), [](const auto &message) {
            return std::holds_alternative<CloudConsole::Protocol::Hello>(message);
        });
    QVERIFY2(hellos == 1 && !client->closed && client->gaps.empty() && client->errors.empty()
                 && client->badTexts.empty(),
             qPrintable(describe()));
    // The first boot log after the restart is guest B's, after its up marker.
    QVERIFY2(client->received.indexOf("Linux version", bytesBeforeRestart) > upOnB.capturedStart(),
             qPrintable(describe()));

    // The log has every byte the client got, markers included.
    QTRY_VERIFY2_WITH_TIMEOUT(readFile(logPath) == client->received,
                              qPrintable(QStringLiteral("log has %1 bytes, ending \"%2\"; %3")
                                             .arg(readFile(logPath).size())
                                             .arg(tail(readFile(logPath)), describe())),
                              10000);

    // Nothing is left behind: the server and both QEMUs are gone, not zombies.
    const qint64 serverPid = server.process.processId();
    const qint64 pidB = guestB->processId();
    client.reset();
    // Asked to stop (SIGTERM), the server ends cleanly: a sanitized one checks itself for leaks
    // on the way out.
    server.process.terminate();
    QVERIFY2(server.process.waitForFinished(30000), qPrintable(describe()));
    QVERIFY2(server.process.exitStatus() == QProcess::NormalExit && server.process.exitCode() == 0,
             qPrintable(describe()));
    guestB->stop();
    for (const qint64 pid : {serverPid, pidA, pidB})
        QVERIFY2(pid <= 0 || processInfo(pid_t(pid)).state == 0,
                 qPrintable(QStringLiteral("pid %1 is still there").arg(pid)));
}

void tst_QemuGuest::aPanicOfTheGuestRaisesTheCriticalAlertAndItsWebhook()
{
    QVERIFY2(m_bootLogEnd > 0, "the guest did not boot");
    // SysRq c crashes the kernel at once; the built-in kernel-panic rule finds the line that
    // says so, among the escape sequences and CR LFs of the serial console.
    m_client->socket.sendBinaryMessage(QByteArrayLiteral("echo c > /proc/sysrq-trigger\r"));
    const auto panicAlert = [this]() -> std::optional<CloudConsole::Protocol::AlertEvent> {
        for (const CloudConsole::Protocol::ServerMessage &message : m_client->messages) {
            const auto *alert = std::get_if<CloudConsole::Protocol::AlertEvent>(&message);
            if (alert && alert->rule == QLatin1String("kernel-panic"))
                return *alert;
        }
        return std::nullopt;
    };
    QTRY_VERIFY2_WITH_TIMEOUT(panicAlert().has_value(), qPrintable(describe()), 60000);
    const CloudConsole::Protocol::AlertEvent alert = *panicAlert();
    qInfo("alert: %s", qPrintable(alert.line));
    QCOMPARE(alert.severity, QStringLiteral("critical"));
    QVERIFY2(alert.line.contains(QLatin1String("Kernel panic - not syncing")),
             qPrintable(alert.line));
    // The offset is where the line starts in the stream this client got from offset 0.
    const qsizetype at = m_client->received.indexOf("Kernel panic - not syncing", alert.offset);
    QVERIFY2(alert.offset >= m_bootLogEnd && at >= 0 && at - alert.offset < 80,
             qPrintable(QStringLiteral("offset %1, line found at %2").arg(alert.offset).arg(at)));

    // /metrics counts it.
    QTcpSocket socket;
    socket.connectToHost(QHostAddress::LocalHost, m_server->port());
    QVERIFY(socket.waitForConnected(10000));
    socket.write("GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
    QByteArray answer;
    QTRY_VERIFY_WITH_TIMEOUT(
        (answer += socket.readAll(), socket.state() == QAbstractSocket::UnconnectedState), 10000);
    answer += socket.readAll();
    QVERIFY2(
        answer.contains("\ncloud_console_alerts_total{console=\"default\",rule=\"kernel-panic\","
                        "severity=\"critical\"} 1\n"),
        answer.constData());
    QVERIFY(answer.contains("\ncloud_console_state{console=\"default\",state=\"failed\"} 1\n"));

    // The webhook got it over HTTPS, signed with its secret, with the same alert.
    QTRY_VERIFY2_WITH_TIMEOUT(!m_endpoint->requests.empty(), qPrintable(describe()), 30000);
    QCOMPARE(m_endpoint->requests.size(), size_t(1));
    const TestHttpsEndpoint::Request &request = m_endpoint->requests.front();
    QCOMPARE(request.method, QByteArray("POST"));
    QCOMPARE(request.header("content-type"), QByteArray("application/json"));
    QCOMPARE(request.header("x-cloud-console-signature"),
             hmacSignature(request.body, WebhookSecret));
    const QJsonObject body = QJsonDocument::fromJson(request.body).object();
    QCOMPARE(body.value(QLatin1String("console")).toString(), QStringLiteral("default"));
    QCOMPARE(body.value(QLatin1String("rule")).toString(), QStringLiteral("kernel-panic"));
    QCOMPARE(body.value(QLatin1String("severity")).toString(), QStringLiteral("critical"));
    QCOMPARE(body.value(QLatin1String("state")).toString(), QStringLiteral("failed"));
    QCOMPARE(body.value(QLatin1String("line")).toString(), alert.line);
    QCOMPARE(body.value(QLatin1String("offset")).toInteger(), alert.offset);
    QCOMPARE(body.value(QLatin1String("time")).toString(), alert.time);
    QCOMPARE(body.value(QLatin1String("link")).toString(),
             QStringLiteral("http://127.0.0.1:%1/c/default/#offset=%2")
                 .arg(m_server->port())
                 .arg(alert.offset));
    QTRY_VERIFY2_WITH_TIMEOUT(
        httpGet(m_server->port(), "/metrics")
            .contains("\ncloud_console_webhook_deliveries_total{webhook=\"panic\",result="
                      "\"delivered\"} 1\n"),
        qPrintable(describe()), 10000);
}

void tst_QemuGuest::cleanupTestCase()
{
    m_client.reset();
    if (m_server)
        m_server->stop();
    m_endpoint.reset();
    if (!m_guest)
        return;
    const qint64 pid = m_guest->processId();
    m_guest->stop();
    QVERIFY2(!m_guest->isRunning(), qPrintable(m_guest->describe()));
    // Reaped, not a zombie: nothing of QEMU is left behind.
    if (pid > 0)
        QVERIFY2(processInfo(pid_t(pid)).state == 0,
                 qPrintable(QStringLiteral("QEMU pid %1 is still there").arg(pid)));
}

QTEST_GUILESS_MAIN(tst_QemuGuest)
#include "tst_qemuguest.moc"
