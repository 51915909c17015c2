// cloud-console-bench-alerts: the CPU that watching a console's lines costs, per MB of output, on
// the thread that does it (thread CPU time, so the shared machine's other load adds little):
//
//   reader    LineReader alone: escape sequences and controls dropped, lines cut
//   builtin   the reader and the matcher with the built-in rules
//   panics    the same, on output where one line in 50 matches a rule (debounce and rate limit
//             then hold most of them back, as under a flood of matching lines)
//
// on the kernel boot log and `ls -lR` workloads. Rounds alternate the cases; each row gives the
// median of the rounds, and the ratio of builtin to reader.
//
//   cloud-console-bench-alerts [--rounds N] [--megabytes M]

#include "alertmatcher.h"
#include "alertrule.h"
#include "linereader.h"
#include "workloads.h"

#include <QByteArray>
#include <QCoreApplication>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <vector>

using namespace CloudConsole;

namespace {

double threadCpuMs()
{
    timespec ts {};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return double(ts.tv_sec) * 1e3 + double(ts.tv_nsec) / 1e6;
}

double median(std::vector<double> v)
{
    std::sort(v.begin(), v.end());
    return v.empty() ? 0 : v[v.size() / 2];
}

// The CPU ms per MB of feeding output through a reader, and the matcher when it has rules; as the
// server reads, in pieces of at most 4 KiB.
double measure(const QByteArray &output, const AlertRules &rules, qint64 *alerts)
{
    LineReader reader;
    AlertMatcher matcher(rules);
    qint64 count = 0;
    qint64 nowMs = 0;
    const double start = threadCpuMs();
    for (qsizetype at = 0; at < output.size(); at += 4096) {
        const QByteArrayView piece = QByteArrayView(output).sliced(at).first(
            std::min<qsizetype>(4096, output.size() - at));
        ++nowMs; // a read a millisecond: the rate limit refills as it would
        reader.feed(at, piece, [&](const LineReader::Line &line) {
            if (!matcher.isEmpty())
                count += qint64(matcher.matchLine(line, nowMs, nowMs).size());
        });
    }
    const double ms = threadCpuMs() - start;
    *alerts = count;
    return ms / (double(output.size()) / 1e6);
}

QByteArray withPanics(const QByteArray &output)
{
    QByteArray result;
    result.reserve(output.size() + output.size() / 40);
    int line = 0;
    for (const QByteArray &text : output.split('\n')) {
        result += text;
        result += '\n';
        if (++line % 50 == 0)
            result += "[   31.004503] Kernel panic - not syncing: Attempted to kill init!\r\n";
    }
    return result;
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    int rounds = 7;
    qsizetype megabytes = 32;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (std::strcmp(argv[i], "--rounds") == 0)
            rounds = std::max(1, std::atoi(argv[i + 1]));
        else if (std::strcmp(argv[i], "--megabytes") == 0)
            megabytes = std::max(1, std::atoi(argv[i + 1]));
    }
    const AlertRules builtin = AlertSettings().effective();
    std::printf("| workload | reader ms/MB | builtin ms/MB | panics ms/MB | builtin / reader | "
                "alerts in panics |\n| --- | --- | --- | --- | --- | --- |\n");
    const struct
    {
        const char *name;
        QByteArray output;
    } workloads[] = {
        {"kernel boot log", Workloads::kernelBootLog(megabytes << 20)},
        {"ls -lR", Workloads::lsRecursive(megabytes << 20)},
    };
    for (const auto &workload : workloads) {
        const QByteArray panics = withPanics(workload.output);
        std::vector<double> reader, matched, flood;
        qint64 alerts = 0, ignored = 0;
        for (int round = 0; round < rounds; ++round) {
            reader.push_back(measure(workload.output, {}, &ignored));
            matched.push_back(measure(workload.output, builtin, &ignored));
            flood.push_back(measure(panics, builtin, &alerts));
        }
        std::printf("| %s | %.2f | %.2f | %.2f | %.2f | %lld |\n", workload.name, median(reader),
                    median(matched), median(flood), median(matched) / median(reader),
                    (long long)alerts);
    }
    return 0;
}
