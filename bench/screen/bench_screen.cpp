// cloud-console-bench-screen: what the server's screen of a console costs (issue "The server
// understands the terminal", figures 5).
//
//   model       CPU of the shared terminal model in MB/s on recorded workloads, against
//               libvterm with its own screen layer (VTermScreen) in the same run
//   snapshot    size and time of a screen snapshot, 80x24 and 200x60, with a full scrollback
//   memory      resident memory per console screen with the default 1,000-line scrollback
//   attach      a new v1 client of a real server whose 1 MiB history wrapped: time from
//               connecting to having the console's latest byte, with the screen (a snapshot)
//               and with --no-screen (byte replay), alternating in one run
//
// Every figure is printed as a Markdown row on stdout; rounds alternate the compared cases so
// that the shared machine's noise falls on both.

#include "screenserializer.h"
#include "terminalmodel.h"
#include "workloads.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QProcess>
#include <QRegularExpression>
#include <QTest>
#include <QWebSocket>
#include <QWebSocketHandshakeOptions>

#include <vterm.h>

#include <fcntl.h>
#include <pty.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <functional>
#include <memory>
#include <vector>

using namespace CloudConsole::Terminal;

namespace {

double threadSeconds()
{
    timespec now {};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
    return double(now.tv_sec) + double(now.tv_nsec) / 1e9;
}

double median(std::vector<double> values)
{
    std::sort(values.begin(), values.end());
    return values.empty() ? 0 : values[values.size() / 2];
}

// CPU seconds to push `bytes` through `write` in 16 KiB pieces, as the server does.
double cpuToWrite(const QByteArray &bytes, const std::function<void(QByteArrayView)> &write)
{
    const double start = threadSeconds();
    for (qsizetype at = 0; at < bytes.size(); at += 16 * 1024)
        write(QByteArrayView(bytes).sliced(at, std::min<qsizetype>(16 * 1024, bytes.size() - at)));
    return threadSeconds() - start;
}

void modelFigures(int rounds)
{
    std::printf(
        "\n| workload | model MB/s | libvterm screen MB/s | model / libvterm (median, min-max) |\n"
        "| --- | ---: | ---: | --- |\n");
    const qsizetype size = 16 * 1024 * 1024;
    const std::pair<const char *, QByteArray> workloads[] = {
        {"kernel boot log", Workloads::kernelBootLog(size)},
        {"ls -lR", Workloads::lsRecursive(size)},
        {"colourful top", Workloads::topScreen(size)},
        {"editor (alternate screen)", Workloads::editorSession(size)},
    };
    for (const auto &[name, bytes] : workloads) {
        std::vector<double> model;
        std::vector<double> raw;
        std::vector<double> ratio;
        for (int round = 0; round < rounds; ++round) {
            TerminalModel terminal(QSize(80, 24));
            terminal.setScrollbackCapacity(1000);
            const double m
                = cpuToWrite(bytes, [&terminal](QByteArrayView piece) { terminal.write(piece); });
            std::unique_ptr<VTerm, void (*)(VTerm *)> vt(vterm_new(24, 80), vterm_free);
            vterm_set_utf8(vt.get(), 1);
            VTermScreen *screen = vterm_obtain_screen(vt.get());
            vterm_screen_enable_altscreen(screen, 1);
            vterm_screen_reset(screen, 1);
            const double r = cpuToWrite(bytes, [&vt](QByteArrayView piece) {
                vterm_input_write(vt.get(), piece.data(), size_t(piece.size()));
            });
            model.push_back(double(bytes.size()) / 1e6 / m);
            raw.push_back(double(bytes.size()) / 1e6 / r);
            ratio.push_back(model.back() / raw.back());
        }
        std::printf("| %s | %.1f | %.1f | %.2fx (%.2f-%.2f) |\n", name, median(model), median(raw),
                    median(ratio), *std::min_element(ratio.begin(), ratio.end()),
                    *std::max_element(ratio.begin(), ratio.end()));
        std::fflush(stdout);
    }
}

void snapshotFigures(int rounds)
{
    std::printf("\n| screen | content | snapshot bytes | serialise ms (median) | apply in a new "
                "model ms | replaying the 1 MiB history instead, ms |\n"
                "| --- | --- | ---: | ---: | ---: | ---: |\n");
    for (const QSize size : {QSize(80, 24), QSize(200, 60)}) {
        const std::pair<const char *, QByteArray> contents[] = {
            {"boot log, full scrollback", Workloads::kernelBootLog(4 * 1024 * 1024)},
            {"colourful top", Workloads::topScreen(4 * 1024 * 1024)},
            {"editor (alternate screen)", Workloads::editorSession(4 * 1024 * 1024)},
        };
        for (const auto &[name, bytes] : contents) {
            TerminalModel model(size);
            model.setScrollbackCapacity(1000);
            model.write(bytes);
            std::vector<double> serialise;
            std::vector<double> apply;
            std::vector<double> replay;
            QByteArray snapshot;
            const QByteArray history = bytes.right(1024 * 1024);
            for (int round = 0; round < rounds; ++round) {
                double start = threadSeconds();
                snapshot = ScreenSerializer::serialize(model);
                serialise.push_back((threadSeconds() - start) * 1000);
                TerminalModel fresh(size);
                fresh.setScrollbackCapacity(1000);
                start = threadSeconds();
                fresh.write(snapshot);
                apply.push_back((threadSeconds() - start) * 1000);
                TerminalModel replayed(size);
                replayed.setScrollbackCapacity(1000);
                start = threadSeconds();
                replayed.write(history);
                replay.push_back((threadSeconds() - start) * 1000);
            }
            std::printf("| %dx%d | %s | %lld | %.2f | %.2f | %.2f |\n", size.width(), size.height(),
                        name, qlonglong(snapshot.size()), median(serialise), median(apply),
                        median(replay));
            std::fflush(stdout);
        }
    }
}

long residentKiB()
{
    QFile status(QStringLiteral("/proc/self/status"));
    if (!status.open(QIODevice::ReadOnly))
        return 0;
    static const QRegularExpression rss(QStringLiteral("VmRSS:\\s+(\\d+) kB"));
    return rss.match(QString::fromLatin1(status.readAll())).captured(1).toLong();
}

void memoryFigures()
{
    std::printf("\n| screen | consoles | RSS per console (KiB) |\n| --- | ---: | ---: |\n");
    const QByteArray bootLog = Workloads::kernelBootLog(2 * 1024 * 1024);
    // Every model stays until the end: memory freed by one batch would be reused by the next,
    // and its growth would not show.
    std::vector<std::unique_ptr<TerminalModel>> models;
    for (const QSize size : {QSize(80, 24), QSize(200, 60)}) {
        const int count = 50;
        const long before = residentKiB();
        for (int i = 0; i < count; ++i) {
            models.push_back(std::make_unique<TerminalModel>(size));
            models.back()->setScrollbackCapacity(1000);
            models.back()->write(bootLog); // fills the scrollback: the worst case
        }
        const long after = residentKiB();
        std::printf("| %dx%d, 1,000 lines of boot log kept | %d | %.0f |\n", size.width(),
                    size.height(), count, double(after - before) / count);
        std::fflush(stdout);
    }
}

// A server on a pty of our own, with its history full of `bytes`.
struct Server
{
    QProcess process;
    int master = -1;
    quint16 port = 0;

    bool start(const QString &binary, const QStringList &extra, const QByteArray &bytes)
    {
        int slave = -1;
        char name[256] = {};
        if (::openpty(&master, &slave, name, nullptr, nullptr) != 0)
            return false;
        ::close(slave);
        ::fcntl(master, F_SETFL, O_NONBLOCK);
        process.setProcessChannelMode(QProcess::ForwardedErrorChannel);
        process.start(binary,
                      QStringList {QString::fromLatin1(name), QStringLiteral("--listen"),
                                   QStringLiteral("127.0.0.1:0"), QStringLiteral("--no-markers")}
                          + extra);
        if (!process.waitForStarted(5000))
            return false;
        // It prints its URL once it listens.
        QElapsedTimer timer;
        timer.start();
        QByteArray out;
        static const QRegularExpression url(QStringLiteral("127\\.0\\.0\\.1:(\\d+)"));
        while (port == 0 && timer.elapsed() < 10000) {
            process.waitForReadyRead(100);
            out += process.readAllStandardOutput();
            const auto match = url.match(QString::fromLatin1(out));
            if (match.hasMatch())
                port = quint16(match.captured(1).toUInt());
        }
        qsizetype done = 0;
        while (done < bytes.size() && timer.elapsed() < 60000) {
            const ssize_t n = ::write(master, bytes.constData() + done,
                                      size_t(std::min<qsizetype>(4096, bytes.size() - done)));
            if (n > 0)
                done += n;
            else
                QTest::qWait(1);
        }
        return port != 0 && done == bytes.size();
    }
    ~Server()
    {
        process.terminate();
        process.waitForFinished(5000);
        if (master >= 0)
            ::close(master);
    }
};

// Milliseconds from opening a v1 WebSocket to holding everything up to `end`; the bytes the
// client received (snapshot text and output).
std::pair<double, qint64> attach(quint16 port, qint64 end)
{
    QWebSocket socket;
    qint64 position = -1;
    qint64 received = 0;
    QObject::connect(&socket, &QWebSocket::textMessageReceived, &socket, [&](const QString &text) {
        received += text.size();
        static const QRegularExpression offset(QStringLiteral("\"offset\":(\\d+)"));
        const auto match = offset.match(text);
        if (match.hasMatch()
            && (text.contains(QLatin1String("\"hello\""))
                || text.contains(QLatin1String("\"screen\""))))
            position = match.captured(1).toLongLong();
    });
    QObject::connect(&socket, &QWebSocket::binaryMessageReceived, &socket,
                     [&](const QByteArray &bytes) {
                         received += bytes.size();
                         position += bytes.size();
                     });
    QWebSocketHandshakeOptions options;
    options.setSubprotocols({QStringLiteral("cloud-console.v1")});
    QElapsedTimer timer;
    timer.start();
    socket.open(QUrl(QStringLiteral("ws://127.0.0.1:%1/ws").arg(port)), options);
    while (position < end && timer.elapsed() < 10000)
        QCoreApplication::processEvents(QEventLoop::WaitForMoreEvents, 5);
    return {double(timer.nsecsElapsed()) / 1e6, received};
}

void attachFigures(const QString &binary, int rounds)
{
    std::printf("\n| attach to a wrapped 1 MiB history (editor session) | ms (median) | min-max | "
                "bytes received | screen / replay (median) |\n| --- | ---: | --- | ---: | --- |\n");
    const QByteArray bytes = Workloads::editorSession(3 * 1024 * 1024);
    std::vector<double> withScreen;
    std::vector<double> replay;
    qint64 screenBytes = 0;
    qint64 replayBytes = 0;
    for (int round = 0; round < rounds; ++round) {
        for (const bool screen : {true, false}) {
            Server server;
            if (!server.start(binary,
                              screen ? QStringList() : QStringList {QStringLiteral("--no-screen")},
                              bytes)) {
                std::fprintf(stderr, "bench-screen: the server did not start\n");
                return;
            }
            // Let the server take everything and its screen catch up before a client comes.
            QTest::qWait(1500);
            const auto [ms, received] = attach(server.port, bytes.size());
            (screen ? withScreen : replay).push_back(ms);
            (screen ? screenBytes : replayBytes) = received;
        }
    }
    std::vector<double> ratio;
    for (size_t i = 0; i < withScreen.size(); ++i)
        ratio.push_back(withScreen[i] / replay[i]);
    const auto row = [](const char *name, const std::vector<double> &v, qint64 bytes,
                        const QString &ratioText) {
        std::printf("| %s | %.2f | %.2f-%.2f | %lld | %s |\n", name, median(v),
                    *std::min_element(v.begin(), v.end()), *std::max_element(v.begin(), v.end()),
                    qlonglong(bytes), qPrintable(ratioText));
    };
    row("screen (snapshot, then the live bytes)", withScreen, screenBytes,
        QStringLiteral("%1x").arg(median(ratio), 0, 'f', 2));
    row("--no-screen (byte replay)", replay, replayBytes, QStringLiteral("1"));
    std::fflush(stdout);
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    const QStringList args = app.arguments();
    const int at = int(args.indexOf(QStringLiteral("--server")));
    const QString server = at >= 0 && at + 1 < args.size() ? args.at(at + 1) : QString();
    const int roundsAt = int(args.indexOf(QStringLiteral("--rounds")));
    const int rounds
        = roundsAt >= 0 && roundsAt + 1 < args.size() ? args.at(roundsAt + 1).toInt() : 5;
    std::printf("Machine: %d cores online, load average at the start %s",
                int(sysconf(_SC_NPROCESSORS_ONLN)), qPrintable(QString::fromLatin1([] {
                    QFile f(QStringLiteral("/proc/loadavg"));
                    return f.open(QIODevice::ReadOnly) ? f.readAll().left(14) : QByteArray();
                }())));
    std::printf("\n");
    modelFigures(rounds);
    snapshotFigures(rounds);
    memoryFigures();
    if (!server.isEmpty())
        attachFigures(server, rounds);
    else
        std::printf("\n(attach figures need --server PATH to the cloud-console binary)\n");
    return 0;
}
