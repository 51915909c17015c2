// What recording costs in CPU: a CastRecorder (its thread and the console thread's side) fed
// boot-log-like lines in 4 KiB reads, as the console's thread hands them over, flushed, in
// rounds; prints the process's CPU time per MB of output (both threads), which the load of other
// processes changes far less than the wall clock, and what the recorder dropped.

#include "castrecorder.h"

#include <QCoreApplication>
#include <QTemporaryDir>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <thread>
#include <vector>

using namespace CloudConsole;

namespace {

double processCpuMs()
{
    timespec now {};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
    return double(now.tv_sec) * 1e3 + double(now.tv_nsec) / 1e6;
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    int rounds = 7;
    qsizetype megabytes = 64;
    const QStringList args = app.arguments();
    for (qsizetype i = 1; i + 1 < args.size(); i += 2) {
        if (args[i] == QLatin1String("--rounds"))
            rounds = args[i + 1].toInt();
        else if (args[i] == QLatin1String("--size"))
            megabytes = args[i + 1].toLongLong();
    }
    // 80-byte lines, one in ten with colour codes, in reads of 4 KiB.
    QByteArray text;
    for (int i = 0; text.size() < 4 * 1024 * 1024; ++i) {
        QByteArray line = "[" + QByteArray::number(i * 0.013, 'f', 6) + "] kernel: probe of ";
        if (i % 10 == 0)
            line += "\x1b[1;31mdevice\x1b[0m ";
        line += QByteArray(78 - std::min<qsizetype>(line.size(), 70), 'x') + "\r\n";
        text += line;
    }
    std::vector<double> perMb;
    qint64 dropped = 0;
    for (int round = 0; round < rounds; ++round) {
        QTemporaryDir dir;
        RecordingSettings settings;
        settings.enabled = true;
        settings.dir = dir.path();
        const double before = processCpuMs();
        {
            CastRecorder recorder(QStringLiteral("bench"), settings, QSize(80, 24));
            qsizetype fed = 0;
            while (fed < megabytes * 1024 * 1024) {
                for (qsizetype at = 0; at + 4096 <= text.size(); at += 4096) {
                    recorder.output(QByteArrayView(text).sliced(at, 4096));
                    fed += 4096;
                }
                // The console's pace: a pty hands out about 100 MB/s.
                std::this_thread::sleep_for(std::chrono::milliseconds(40));
            }
            recorder.flush(std::chrono::seconds(60));
            dropped += recorder.bytesDropped();
        }
        perMb.push_back((processCpuMs() - before) / double(megabytes));
    }
    std::sort(perMb.begin(), perMb.end());
    std::printf("cast cpu_ms_per_mb median=%.3f min=%.3f max=%.3f rounds=%d size_mb=%lld "
                "dropped=%lld\n",
                perMb[perMb.size() / 2], perMb.front(), perMb.back(), rounds,
                static_cast<long long>(megabytes), static_cast<long long>(dropped));
    return 0;
}
