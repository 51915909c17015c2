// Viewer benchmark.
//
// 1. Throughput: typical console output (a kernel boot log, ls -lR, a colourful top screen)
//    through raw libvterm (the baseline: vterm_input_write with no callbacks), through the
//    TerminalModel, and through the model with a TerminalView painting it, in 64 KiB writes.
//    Variants alternate within each round; min/median/max over the rounds are reported, with
//    each variant's median as a ratio of the baseline's.
// 2. Responsiveness: a flood of console output over a loopback WebSocket (server in its own
//    thread) into a ConsoleSession with a visible TerminalView, while a 10 ms timer measures
//    how late the event loop runs it.
//
// Usage: bench_viewer [--size MB] [--rounds N] [--flood MB] [--only VARIANT] [--workload N]
// Run under xvfb-run for real painting; QT_QPA_PLATFORM=offscreen also works.
// --only baseline|model|view runs a single variant once per workload without timing output
// beyond its speed, for profilers (e.g. callgrind --toggle-collect='*runModel*'); --flood 0
// skips the flood.

#include "consolesession.h"
#include "protocol.h"
#include "terminalview.h"
#include "workloads.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QElapsedTimer>
#include <QThread>
#include <QTimer>
#include <QWebSocket>
#include <QWebSocketServer>

#include <vterm.h>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <memory>

using namespace CloudConsole;
using namespace CloudConsole::Viewer;

namespace {

constexpr qsizetype Chunk = 64 * 1024; // a full output frame

struct VTermDeleter
{
    void operator()(VTerm *vterm) const { vterm_free(vterm); }
};

double mbPerSecond(qsizetype bytes, qint64 nanoseconds)
{
    return double(bytes) / (1024.0 * 1024.0) / (double(nanoseconds) / 1e9);
}

// CPU time of this thread: on a shared machine the wall clock also counts the time other
// processes had the core, the thread's CPU time only the work done.
qint64 threadCpuNanoseconds()
{
    timespec now {};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
    return qint64(now.tv_sec) * 1'000'000'000 + now.tv_nsec;
}

// The CPU-time speed of the last run, beside the wall-clock speed each run returns.
double lastCpuSpeed = 0;

double runBaseline(const QByteArray &data)
{
    std::unique_ptr<VTerm, VTermDeleter> vterm(vterm_new(24, 80));
    vterm_set_utf8(vterm.get(), 1);
    VTermScreen *screen = vterm_obtain_screen(vterm.get());
    vterm_screen_enable_altscreen(screen, 1);
    vterm_screen_reset(screen, 1);
    const qint64 cpuStart = threadCpuNanoseconds();
    QElapsedTimer timer;
    timer.start();
    for (qsizetype at = 0; at < data.size(); at += Chunk)
        vterm_input_write(vterm.get(), data.constData() + at,
                          size_t(std::min(Chunk, data.size() - at)));
    const qint64 elapsed = timer.nsecsElapsed();
    lastCpuSpeed = mbPerSecond(data.size(), threadCpuNanoseconds() - cpuStart);
    return mbPerSecond(data.size(), elapsed);
}

double runModel(const QByteArray &data)
{
    TerminalModel model(QSize(80, 24));
    const qint64 cpuStart = threadCpuNanoseconds();
    QElapsedTimer timer;
    timer.start();
    for (qsizetype at = 0; at < data.size(); at += Chunk)
        model.write(QByteArrayView(data).sliced(at, std::min(Chunk, data.size() - at)));
    const qint64 elapsed = timer.nsecsElapsed();
    lastCpuSpeed = mbPerSecond(data.size(), threadCpuNanoseconds() - cpuStart);
    return mbPerSecond(data.size(), elapsed);
}

double runView(const QByteArray &data, qint64 *frames)
{
    TerminalModel model(QSize(80, 24));
    TerminalView view(&model);
    view.resize(view.sizeHint());
    view.show();
    QCoreApplication::processEvents();
    const qint64 framesBefore = view.framesPainted();
    const qint64 cpuStart = threadCpuNanoseconds();
    QElapsedTimer timer;
    timer.start();
    for (qsizetype at = 0; at < data.size(); at += Chunk) {
        model.write(QByteArrayView(data).sliced(at, std::min(Chunk, data.size() - at)));
        QCoreApplication::processEvents(); // paints when the frame timer says so
    }
    // The last frame is part of the work.
    QCoreApplication::processEvents(QEventLoop::AllEvents, 50);
    const double speed = mbPerSecond(data.size(), timer.nsecsElapsed());
    lastCpuSpeed = mbPerSecond(data.size(), threadCpuNanoseconds() - cpuStart);
    *frames = view.framesPainted() - framesBefore;
    return speed;
}

struct Stats
{
    double min = 0, median = 0, max = 0;
};

Stats stats(QList<double> values)
{
    std::sort(values.begin(), values.end());
    const qsizetype n = values.size();
    const double median = n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
    return {values.front(), median, values.back()};
}

// Sends a hello and then `total` bytes of output in 64 KiB frames as fast as the client reads,
// keeping at most 1 MiB queued in the socket.
class FloodServer : public QObject
{
public:
    FloodServer(QByteArray pattern, qint64 total)
        : m_pattern(std::move(pattern)), m_total(total) { }

    quint16 listen()
    {
        m_server = std::make_unique<QWebSocketServer>(QStringLiteral("flood"),
                                                      QWebSocketServer::NonSecureMode);
        m_server->setSupportedSubprotocols({QString::fromLatin1(Protocol::Subprotocol)});
        connect(m_server.get(), &QWebSocketServer::newConnection, this, &FloodServer::onConnection);
        m_server->listen(QHostAddress::LocalHost, 0);
        return m_server->serverPort();
    }
    void stop()
    {
        m_client.reset();
        m_server.reset();
    }

private:
    void onConnection()
    {
        m_client.reset(m_server->nextPendingConnection());
        Protocol::Hello hello;
        hello.console = QStringLiteral("flood");
        hello.epoch = QStringLiteral("bench");
        hello.source = Protocol::SourceState::Up;
        m_client->sendTextMessage(
            QString::fromUtf8(Protocol::encode(Protocol::ServerMessage(hello))));
        connect(m_client.get(), &QWebSocket::bytesWritten, this, &FloodServer::pump);
        pump();
    }
    void pump()
    {
        while (m_sent < m_total && m_client->bytesToWrite() < 1024 * 1024) {
            const qsizetype at = m_sent % m_pattern.size();
            const qsizetype size
                = std::min({Chunk, m_pattern.size() - at, qsizetype(m_total - m_sent)});
            m_client->sendBinaryMessage(m_pattern.mid(at, size));
            m_sent += size;
        }
    }

    QByteArray m_pattern;
    qint64 m_total;
    qint64 m_sent = 0;
    std::unique_ptr<QWebSocketServer> m_server;
    std::unique_ptr<QWebSocket> m_client;
};

void runFlood(const QByteArray &pattern, qint64 total)
{
    QThread thread;
    FloodServer server(pattern, total);
    server.moveToThread(&thread);
    thread.start();
    quint16 port = 0;
    QMetaObject::invokeMethod(
        &server, [&]() { port = server.listen(); }, Qt::BlockingQueuedConnection);

    ConsoleSession session;
    TerminalView view(session.model());
    QObject::connect(&view, &TerminalView::preferredSizeChanged, &session,
                     &ConsoleSession::requestSize);
    view.resize(view.sizeHint());
    view.show();

    QList<double> latencies;
    QElapsedTimer sinceTick;
    QTimer probe;
    probe.setTimerType(Qt::PreciseTimer);
    probe.setInterval(10);
    QObject::connect(&probe, &QTimer::timeout, [&]() {
        if (sinceTick.isValid())
            latencies << std::max(0.0, double(sinceTick.nsecsElapsed()) / 1e6 - 10.0);
        sinceTick.start();
    });

    QEventLoop loop;
    QElapsedTimer timer;
    QObject::connect(session.connection(), &ConsoleConnection::outputReceived, &loop, [&]() {
        if (session.connection()->bytesReceived() >= total)
            loop.quit();
    });
    QObject::connect(session.connection(), &ConsoleConnection::helloReceived, &loop, [&]() {
        timer.start();
        probe.start();
    });
    session.open(QUrl(QStringLiteral("ws://127.0.0.1:%1/ws").arg(port)));
    const qint64 framesBefore = view.framesPainted();
    loop.exec();
    const qint64 elapsed = timer.nsecsElapsed();
    probe.stop();
    const qint64 frames = view.framesPainted() - framesBefore;

    QMetaObject::invokeMethod(
        &server, [&]() { server.stop(); }, Qt::BlockingQueuedConnection);
    thread.quit();
    thread.wait();

    std::sort(latencies.begin(), latencies.end());
    const auto percentile = [&](double p) {
        return latencies.isEmpty()
            ? 0.0
            : latencies[std::min(latencies.size() - 1, qsizetype(p * latencies.size()))];
    };
    std::printf("\nflood: %.0f MB over loopback WebSocket into session + view\n",
                double(total) / (1024 * 1024));
    std::printf("  throughput %.1f MB/s in %.2f s, %lld frames (%.1f fps)\n",
                mbPerSecond(total, elapsed), double(elapsed) / 1e9, qlonglong(frames),
                double(frames) / (double(elapsed) / 1e9));
    std::printf("  event-loop latency over %lld probes of 10 ms: median %.1f ms, p99 %.1f ms, max "
                "%.1f ms\n",
                qlonglong(latencies.size()), percentile(0.5), percentile(0.99),
                latencies.isEmpty() ? 0.0 : latencies.back());
}

} // namespace

int main(int argc, char *argv[])
{
    QApplication app(argc, argv);
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("cloud-console-viewer benchmark"));
    parser.addHelpOption();
    const QCommandLineOption sizeOption(QStringLiteral("size"), QStringLiteral("MB per workload"),
                                        QStringLiteral("MB"), QStringLiteral("16"));
    const QCommandLineOption roundsOption(QStringLiteral("rounds"), QStringLiteral("rounds"),
                                          QStringLiteral("N"), QStringLiteral("5"));
    const QCommandLineOption floodOption(QStringLiteral("flood"), QStringLiteral("MB to flood"),
                                         QStringLiteral("MB"), QStringLiteral("100"));
    const QCommandLineOption onlyOption(QStringLiteral("only"),
                                        QStringLiteral("run one variant: baseline, model or view"),
                                        QStringLiteral("VARIANT"));
    const QCommandLineOption workloadOption(
        QStringLiteral("workload"), QStringLiteral("run one workload: 0 boot log, 1 ls, 2 top"),
        QStringLiteral("N"));
    parser.addOptions({sizeOption, roundsOption, floodOption, onlyOption, workloadOption});
    parser.process(app);
    const qsizetype size = parser.value(sizeOption).toLongLong() * 1024 * 1024;
    const int rounds = std::max(1, parser.value(roundsOption).toInt());
    const qint64 flood = parser.value(floodOption).toLongLong() * 1024 * 1024;

    struct Workload
    {
        const char *name;
        QByteArray data;
    };
    const Workload workloads[] = {{"kernel boot log", Workloads::kernelBootLog(size)},
                                  {"ls -lR", Workloads::lsRecursive(size)},
                                  {"top screen", Workloads::topScreen(size)}};
    const int onlyWorkload
        = parser.isSet(workloadOption) ? parser.value(workloadOption).toInt() : -1;

    if (parser.isSet(onlyOption)) {
        const QString variant = parser.value(onlyOption);
        for (int index = 0; index < 3; ++index) {
            if (onlyWorkload >= 0 && index != onlyWorkload)
                continue;
            const Workload &workload = workloads[index];
            qint64 frames = 0;
            const double speed = variant == QLatin1String("baseline") ? runBaseline(workload.data)
                : variant == QLatin1String("model")                   ? runModel(workload.data)
                                                    : runView(workload.data, &frames);
            std::printf("%-16s %-8s %8.1f MB/s\n", workload.name, qPrintable(variant), speed);
        }
        return 0;
    }

    std::printf("platform %s, %.0f MB per workload, %d rounds, 64 KiB writes, 80x24\n",
                qPrintable(QGuiApplication::platformName()), double(size) / (1024 * 1024), rounds);
    std::printf("%-16s %-22s %8s %8s %8s %10s %8s %10s %10s\n", "workload", "variant", "min",
                "median", "max", "x baseline", "fps", "cpu median", "x baseline");
    for (int index = 0; index < 3; ++index) {
        if (onlyWorkload >= 0 && index != onlyWorkload)
            continue;
        const Workload &workload = workloads[index];
        QList<double> baseline, model, view, baselineCpu, modelCpu, viewCpu;
        qint64 frames = 0;
        double viewSeconds = 0;
        for (int round = 0; round < rounds; ++round) {
            // Alternate the order so that warm-up and thermal drift do not favour one variant.
            const auto runViewOnce = [&]() {
                qint64 roundFrames = 0;
                const double speed = runView(workload.data, &roundFrames);
                view << speed;
                viewCpu << lastCpuSpeed;
                frames += roundFrames;
                viewSeconds += double(workload.data.size()) / (1024.0 * 1024.0) / speed;
            };
            const auto runBaselineOnce = [&]() {
                baseline << runBaseline(workload.data);
                baselineCpu << lastCpuSpeed;
            };
            const auto runModelOnce = [&]() {
                model << runModel(workload.data);
                modelCpu << lastCpuSpeed;
            };
            if (round % 2 == 0) {
                runBaselineOnce();
                runModelOnce();
                runViewOnce();
            } else {
                runViewOnce();
                runModelOnce();
                runBaselineOnce();
            }
        }
        const Stats b = stats(baseline), m = stats(model), v = stats(view);
        const double bc = stats(baselineCpu).median, mc = stats(modelCpu).median,
                     vc = stats(viewCpu).median;
        std::printf("%-16s %-22s %8.1f %8.1f %8.1f %10s %8s %10.1f %10s\n", workload.name,
                    "libvterm (baseline)", b.min, b.median, b.max, "1.00", "", bc, "1.00");
        std::printf("%-16s %-22s %8.1f %8.1f %8.1f %10.2f %8s %10.1f %10.2f\n", "", "model", m.min,
                    m.median, m.max, m.median / b.median, "", mc, mc / bc);
        std::printf("%-16s %-22s %8.1f %8.1f %8.1f %10.2f %8.1f %10.1f %10.2f\n", "",
                    "model + view", v.min, v.median, v.max, v.median / b.median,
                    double(frames) / viewSeconds, vc, vc / bc);
    }
    std::fflush(stdout);
    if (flood <= 0)
        return 0;

    QByteArray pattern;
    for (const Workload &workload : workloads)
        pattern += workload.data.left(8 * 1024 * 1024);
    runFlood(pattern, flood);
    return 0;
}
