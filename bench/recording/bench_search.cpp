// cloud-console-bench-search: makes a console log of SIZE MiB (boot-log-like lines, one in ten
// coloured, a console writing 64 KiB a second: a time mark each second), with its time index
// written the way the server writes it, then times a plain-text search of a rare word through
// LogSearch, and `grep -c` of the same word on the same file, in alternating rounds. Prints the
// medians, their ratio and the index's size as a share of the log.
//
// usage: cloud-console-bench-search [--size MIB] [--rounds N] [--dir DIR]

#include "logsearch.h"
#include "timeindex.h"

#include <QCoreApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QProcess>
#include <QRandomGenerator>
#include <QTemporaryDir>

#include <algorithm>
#include <cstdio>
#include <vector>

using namespace CloudConsole;

namespace {

double median(std::vector<double> values)
{
    std::sort(values.begin(), values.end());
    const size_t n = values.size();
    return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    const QStringList args = app.arguments();
    const auto option = [&args](const char *name, const QString &fallback) {
        const qsizetype at = args.indexOf(QLatin1String(name));
        return at >= 0 && at + 1 < args.size() ? args.at(at + 1) : fallback;
    };
    const qint64 mib = option("--size", QStringLiteral("100")).toLongLong();
    const int rounds = option("--rounds", QStringLiteral("7")).toInt();
    QTemporaryDir temporary;
    const QString dir = option("--dir", temporary.path());
    const QString logPath = QDir(dir).filePath(QStringLiteral("bench.log"));
    QFile::remove(logPath);
    QFile::remove(TimeIndexFormat::pathFor(logPath));

    // The log and its index, as the log writer's thread writes them.
    {
        QFile log(logPath);
        if (!log.open(QIODevice::WriteOnly | QIODevice::Append))
            return 1;
        LogIndex index(TimeIndexFormat::pathFor(logPath), QStringLiteral("00000000000000aa"));
        index.opened(log.handle(), 0);
        QRandomGenerator random(7);
        const qint64 target = mib * 1024 * 1024;
        qint64 offset = 0;
        qint64 nextMark = 0;
        qint64 timeMs = 1700000000000;
        QByteArray chunk;
        int line = 0;
        while (offset < target) {
            chunk.clear();
            while (chunk.size() < 64 * 1024) {
                const double at = line * 0.001;
                QByteArray text = QByteArray("[") + QByteArray::number(at, 'f', 6)
                    + "] systemd[1]: Started unit-" + QByteArray::number(random.bounded(100000))
                    + ".service - Some daemon doing work on device sda"
                    + QByteArray::number(random.bounded(16));
                if (line % 10 == 0)
                    text = "[  \x1b[0;32mOK\x1b[0m  ] " + text;
                chunk += text + "\r\n";
                ++line;
            }
            if (offset >= nextMark) {
                index.note(offset, timeMs);
                nextMark = offset + 64 * 1024;
                timeMs += 1000;
            }
            log.write(chunk);
            log.flush();
            index.wrote(offset, chunk.size());
            offset += chunk.size();
        }
        // The rare word, near the end: both read the whole file.
        const QByteArray needle = "Kernel panic - not syncing: VFS: Unable to mount root fs\r\n";
        log.write(needle);
        log.flush();
        index.wrote(offset, needle.size());
    }
    const qint64 logSize = QFileInfo(logPath).size();
    const qint64 indexSize = QFileInfo(TimeIndexFormat::pathFor(logPath)).size();

    QString why;
    const std::optional<SearchQuery> query
        = SearchQuery::parse(QStringLiteral("q=not%20syncing"), &why);
    std::vector<double> ours;
    std::vector<double> grep;
    int found = 0;
    for (int round = 0; round < rounds; ++round) {
        QElapsedTimer clock;
        clock.start();
        const SearchOutcome outcome = LogSearch::run(*query, logPath);
        ours.push_back(clock.nsecsElapsed() / 1e6);
        found = int(outcome.results.size());
        QProcess process;
        clock.start();
        process.start(QStringLiteral("grep"),
                      {QStringLiteral("-c"), QStringLiteral("not syncing"), logPath});
        process.waitForFinished(-1);
        grep.push_back(clock.nsecsElapsed() / 1e6);
    }
    std::printf(
        "log_mib=%.1f found=%d search_median_ms=%.1f search_min_ms=%.1f "
        "search_max_ms=%.1f grep_median_ms=%.1f ratio=%.2f index_bytes=%lld "
        "index_share=%.5f%%\n",
        logSize / 1048576.0, found, median(ours), *std::min_element(ours.begin(), ours.end()),
        *std::max_element(ours.begin(), ours.end()), median(grep), median(ours) / median(grep),
        static_cast<long long>(indexSize), 100.0 * double(indexSize) / double(logSize));
    return 0;
}
