// A real Linux guest under QEMU, its serial console served by the real cloud-console binary: the
// kernel's boot log reaches a WebSocket client through the server, a command the client types is
// answered by the guest's shell, and a client that comes later gets the boot log from history.
//
// One guest boots once for all the test functions, which run in order. Skipped only when QEMU or
// a kernel is not installed (qemu-system-x86, linux-image-amd64: scripts/install-deps.sh --test).

#include "qemuguest.h"
#include "testclient.h"
#include "testprocess.h"

#include <QElapsedTimer>
#include <QFile>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

#include <sys/prctl.h>

#include <csignal>
#include <memory>

using namespace CloudConsole::Test;

namespace {

const QString binary = QStringLiteral(CLOUD_CONSOLE_BIN);
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

} // namespace

class tst_QemuGuest : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void theKernelBootLogArrivesThroughTheServer();
    void aCommandTypedByAClientIsAnsweredByTheGuest();
    void aClientThatConnectsAfterBootGetsTheBootLogFromHistory();
    void cleanupTestCase();

private:
    QString describe() const;
    QUrl webSocketUrl() const;

    std::unique_ptr<QTemporaryDir> m_dir;
    std::unique_ptr<QemuGuest> m_guest;
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
    m_guest = std::make_unique<QemuGuest>(m_dir->path());
    if (!m_guest->skipReason().isEmpty())
        QSKIP(qPrintable(m_guest->skipReason()));

    QElapsedTimer timer;
    timer.start();
    QVERIFY2(m_guest->start(), qPrintable(m_guest->errorString()));
    qInfo("QEMU started paused in %lld ms with its console on %s", timer.elapsed(),
          qPrintable(m_guest->ptyPath()));

    // Paused: QEMU drops serial output while nobody has the pty open, so the server attaches
    // first (before it prints its URL), then the CPU starts.
    m_server = std::make_unique<Server>(
        QStringList {m_guest->ptyPath(), QStringLiteral("--listen"), QStringLiteral("127.0.0.1:0"),
                     QStringLiteral("--log"), m_dir->filePath(QStringLiteral("console.log"))});
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

void tst_QemuGuest::cleanupTestCase()
{
    m_client.reset();
    if (m_server)
        m_server->stop();
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
