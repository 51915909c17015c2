#include "logsearch.h"

#include "linetext.h"
#include "timeindex.h"
#include "uniquefd.h"

#include <QDateTime>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTimeZone>
#include <QUrlQuery>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstring>

namespace CloudConsole {

namespace {

// Bytes looked at around a hit for its line: a "line" longer than this (output without line
// ends) is cut to this much on each side.
constexpr qsizetype MaxLineReach = 16 * 1024;
constexpr int TimeCheckEvery = 256;

// A file mapped read-only, as large as it was when the search began.
struct MappedFile
{
    explicit MappedFile(const QString &path)
    {
        const QByteArray native = QFile::encodeName(path);
        UniqueFd fd(::open(native.constData(), O_RDONLY | O_CLOEXEC));
        struct stat st
        { };
        if (!fd || ::fstat(fd.get(), &st) != 0)
            return;
        inode = quint64(st.st_ino);
        device = quint64(st.st_dev);
        size = st.st_size;
        if (size == 0) {
            ok = true;
            return;
        }
        void *mapped = ::mmap(nullptr, size_t(size), PROT_READ, MAP_PRIVATE, fd.get(), 0);
        if (mapped == MAP_FAILED)
            return;
        ::madvise(mapped, size_t(size), MADV_SEQUENTIAL);
        data = static_cast<const char *>(mapped);
        ok = true;
    }
    ~MappedFile()
    {
        if (data)
            ::munmap(const_cast<char *>(data), size_t(size));
    }
    MappedFile(const MappedFile &) = delete;
    MappedFile &operator=(const MappedFile &) = delete;

    const char *data = nullptr;
    qint64 size = 0;
    quint64 inode = 0;
    quint64 device = 0;
    bool ok = false;
};

struct Scanner
{
    const SearchQuery &query;
    const TimeIndex &index;
    SearchOutcome &outcome;
    QElapsedTimer clock;
    std::chrono::milliseconds timeLimit;
    int sinceCheck = 0;

    bool outOfTime()
    {
        if (++sinceCheck < TimeCheckEvery)
            return false;
        sinceCheck = 0;
        if (clock.elapsed() < timeLimit.count())
            return false;
        outcome.stoppedBy = QStringLiteral("time");
        return true;
    }
    bool full() const { return qsizetype(outcome.results.size()) >= query.limit; }

    // The line holding p: [start, end), end at its LF (or the range's end).
    static std::pair<const char *, const char *> lineAround(const char *floor, const char *p,
                                                            const char *ceiling)
    {
        const char *low = std::max(floor, p - MaxLineReach);
        const char *start = p;
        while (start > low && start[-1] != '\n')
            --start;
        const char *high = std::min(ceiling, p + MaxLineReach);
        const void *lf = memchr(p, '\n', size_t(high - p));
        return {start, lf ? static_cast<const char *>(lf) : high};
    }

    static QByteArray textOf(const char *start, const char *end)
    {
        const QByteArrayView raw(start, end - start);
        return LineText::needsStripping(raw) ? LineText::strip(raw) : raw.toByteArray();
    }

    bool matches(const QByteArray &text, const QByteArray &needle) const
    {
        if (query.regex)
            return query.pattern.match(QString::fromUtf8(text)).hasMatch();
        return QByteArrayView(text).indexOf(needle) >= 0;
    }

    void addResult(const MappedFile &file, const QString &name, const char *start, const char *end,
                   QByteArray text)
    {
        const char *base = file.data;
        SearchResult result;
        result.file = name;
        result.position = start - base;
        if (const auto place = index.at(file.inode, file.device, result.position)) {
            result.offset = place->offset;
            result.epoch = place->epoch;
            result.timeMs = place->timeMs;
        }
        result.line = std::move(text);
        const char *fileEnd = base + file.size;
        // The lines before, nearest last.
        const char *at = start;
        for (int i = 0; i < query.context && at > base; ++i) {
            const auto [s, e] = lineAround(base, at - 1, at);
            result.before.insert(result.before.begin(), textOf(s, e));
            at = s;
        }
        at = end;
        for (int i = 0; i < query.context && at + 1 < fileEnd; ++i) {
            const auto [s, e] = lineAround(at + 1, at + 1, fileEnd);
            result.after.push_back(textOf(s, e));
            at = e;
        }
        outcome.results.push_back(std::move(result));
    }

    // Returns false when it stopped (limit or time).
    bool scan(const MappedFile &file, const QString &name, qint64 from, qint64 to)
    {
        if (!file.data || from >= to)
            return true;
        const char *base = file.data;
        const char *p = base + from;
        const char *const e = base + to;
        outcome.bytesScanned += to - from;
        if (query.regex) {
            while (p < e) {
                if (full() || outOfTime())
                    return false;
                const void *lf = memchr(p, '\n', size_t(e - p));
                const char *end = lf ? static_cast<const char *>(lf) : e;
                const char *lineEnd = std::min(end, p + 2 * MaxLineReach);
                QByteArray text = textOf(p, lineEnd);
                if (matches(text, {}))
                    addResult(file, name, p, lineEnd, std::move(text));
                p = end + 1;
            }
            return !full();
        }
        const QByteArray needle = query.text.toUtf8();
        const char *hit = nullptr; // the next raw hit at or after p, or e
        const char *esc = nullptr; // the next ESC at or after p, or e
        while (p < e) {
            if (full() || outOfTime())
                return false;
            if (!hit || hit < p) {
                const void *found
                    = memmem(p, size_t(e - p), needle.constData(), size_t(needle.size()));
                hit = found ? static_cast<const char *>(found) : e;
            }
            if (!esc || esc < p) {
                const void *found = memchr(p, '\x1b', size_t(e - p));
                esc = found ? static_cast<const char *>(found) : e;
            }
            const char *candidate = std::min(hit, esc);
            if (candidate >= e)
                break;
            const auto [start, end] = lineAround(base, candidate, e);
            QByteArray text = textOf(start, end);
            if (matches(text, needle))
                addResult(file, name, start, end, std::move(text));
            p = end + 1;
        }
        return !full();
    }
};

} // namespace

std::optional<qint64> SearchQuery::parseTime(const QString &text)
{
    bool ok = false;
    const double seconds = text.toDouble(&ok);
    if (ok && seconds >= 0 && seconds < 1e11)
        return qint64(seconds * 1000);
    QDateTime time = QDateTime::fromString(text, Qt::ISODateWithMs);
    if (!time.isValid())
        return std::nullopt;
    static const QRegularExpression zone(QStringLiteral("(Z|[+-]\\d\\d(:?\\d\\d)?)$"));
    if (!zone.match(text).hasMatch())
        time.setTimeZone(QTimeZone::utc());
    return time.toMSecsSinceEpoch();
}

std::optional<SearchQuery> SearchQuery::parse(const QString &query, QString *error)
{
    SearchQuery parsed;
    bool haveText = false;
    const QUrlQuery items(query);
    for (const auto &[key, value] : items.queryItems(QUrl::FullyDecoded)) {
        bool ok = false;
        if (key == QLatin1String("q")) {
            parsed.text = value;
            haveText = true;
        } else if (key == QLatin1String("regex")) {
            if (value != QLatin1String("0") && value != QLatin1String("1")) {
                *error = QStringLiteral("regex must be 0 or 1");
                return std::nullopt;
            }
            parsed.regex = value == QLatin1String("1");
        } else if (key == QLatin1String("from") || key == QLatin1String("to")) {
            const std::optional<qint64> time = parseTime(value);
            if (!time) {
                *error = QStringLiteral("%1 must be a time: ISO 8601 (2024-05-01T03:00:00Z) or "
                                        "seconds since the epoch")
                             .arg(key);
                return std::nullopt;
            }
            (key == QLatin1String("from") ? parsed.fromMs : parsed.toMs) = time;
        } else if (key == QLatin1String("limit")) {
            parsed.limit = value.toInt(&ok);
            if (!ok || parsed.limit < 1 || parsed.limit > MaxLimit) {
                *error = QStringLiteral("limit must be a number from 1 to %1").arg(MaxLimit);
                return std::nullopt;
            }
        } else if (key == QLatin1String("context")) {
            parsed.context = value.toInt(&ok);
            if (!ok || parsed.context < 0 || parsed.context > MaxContext) {
                *error = QStringLiteral("context must be a number from 0 to %1").arg(MaxContext);
                return std::nullopt;
            }
        } else {
            *error = QStringLiteral("unknown parameter \"%1\" (q, regex, from, to, limit and "
                                    "context are known)")
                         .arg(key.left(40));
            return std::nullopt;
        }
    }
    if (!haveText || parsed.text.isEmpty()) {
        *error = QStringLiteral("q must say what to search for");
        return std::nullopt;
    }
    if (parsed.text.size() > MaxText) {
        *error = QStringLiteral("q is longer than %1 characters").arg(MaxText);
        return std::nullopt;
    }
    if (parsed.fromMs && parsed.toMs && *parsed.fromMs > *parsed.toMs) {
        *error = QStringLiteral("from is after to");
        return std::nullopt;
    }
    if (parsed.regex) {
        // PCRE2 bounds the work of one match (its match limit); the scan's time limit bounds
        // the rest.
        parsed.pattern = QRegularExpression(parsed.text);
        if (!parsed.pattern.isValid()) {
            *error = QStringLiteral("the regular expression is not valid: %1 at %2")
                         .arg(parsed.pattern.errorString())
                         .arg(parsed.pattern.patternErrorOffset());
            return std::nullopt;
        }
        parsed.pattern.optimize();
    }
    return parsed;
}

namespace LogSearch {

QStringList filesOf(const QString &logPath)
{
    const QFileInfo log(logPath);
    const TimeIndex index = TimeIndex::load(TimeIndexFormat::pathFor(logPath));
    // Files logrotate moved aside keep their inode: those the index names are this log's.
    std::vector<std::pair<qint64, QString>> rotated;
    for (const QString &path : rotatedLogFiles(logPath)) {
        struct stat st
        { };
        if (::stat(QFile::encodeName(path).constData(), &st) != 0)
            continue;
        if (const auto start = index.startOf(quint64(st.st_ino), quint64(st.st_dev)))
            rotated.push_back({*start, path});
    }
    std::sort(rotated.begin(), rotated.end());
    QStringList files;
    for (const auto &[start, path] : rotated)
        files.append(path);
    files.append(log.absoluteFilePath());
    return files;
}

SearchOutcome run(const SearchQuery &query, const QString &logPath,
                  std::chrono::milliseconds timeLimit)
{
    SearchOutcome outcome;
    QElapsedTimer clock;
    clock.start();
    const TimeIndex index = TimeIndex::load(TimeIndexFormat::pathFor(logPath));
    outcome.indexError = index.error();
    Scanner scanner {query, index, outcome, clock, timeLimit};
    for (const QString &path : filesOf(logPath)) {
        const MappedFile file(path);
        if (!file.ok)
            continue;
        const QString name = QFileInfo(path).fileName();
        outcome.files.append(name);
        qint64 from = 0;
        qint64 to = file.size;
        const bool indexed = index.startOf(file.inode, file.device).has_value();
        if (indexed && query.fromMs) {
            const std::optional<qint64> first
                = index.firstAtOrAfter(file.inode, file.device, *query.fromMs);
            if (!first)
                continue; // all of it arrived before
            from = *first;
        }
        if (indexed && query.toMs) {
            if (const std::optional<qint64> end
                = index.endAfter(file.inode, file.device, *query.toMs))
                to = std::min(to, *end);
        }
        if (!scanner.scan(file, name, from, to))
            break;
    }
    if (outcome.stoppedBy.isEmpty() && qsizetype(outcome.results.size()) >= query.limit)
        outcome.stoppedBy = QStringLiteral("limit");
    outcome.elapsedMs = clock.elapsed();
    return outcome;
}

QByteArray json(const QString &console, const SearchQuery &query, const SearchOutcome &outcome)
{
    const auto text = [](const QByteArray &bytes) { return QString::fromUtf8(bytes); };
    QJsonArray results;
    for (const SearchResult &r : outcome.results) {
        QJsonObject object {{QLatin1String("file"), r.file},
                            {QLatin1String("position"), r.position},
                            {QLatin1String("line"), text(r.line)}};
        if (r.offset) {
            object.insert(QLatin1String("offset"), *r.offset);
            object.insert(QLatin1String("epoch"), r.epoch);
        }
        object.insert(
            QLatin1String("time"),
            r.timeMs ? QJsonValue(
                QDateTime::fromMSecsSinceEpoch(*r.timeMs, Qt::UTC).toString(Qt::ISODateWithMs))
                     : QJsonValue());
        QJsonArray before;
        for (const QByteArray &line : r.before)
            before.append(text(line));
        QJsonArray after;
        for (const QByteArray &line : r.after)
            after.append(text(line));
        object.insert(QLatin1String("before"), before);
        object.insert(QLatin1String("after"), after);
        results.append(object);
    }
    QJsonObject document {
        {QLatin1String("console"), console},
        {QLatin1String("query"), query.text},
        {QLatin1String("regex"), query.regex},
        {QLatin1String("results"), results},
        {QLatin1String("truncated"), !outcome.stoppedBy.isEmpty()},
        {QLatin1String("stoppedBy"),
         outcome.stoppedBy.isEmpty() ? QJsonValue() : QJsonValue(outcome.stoppedBy)},
        {QLatin1String("files"), QJsonArray::fromStringList(outcome.files)},
        {QLatin1String("scannedBytes"), outcome.bytesScanned},
        {QLatin1String("elapsedMs"), outcome.elapsedMs}};
    if (!outcome.indexError.isEmpty())
        document.insert(QLatin1String("indexError"), outcome.indexError);
    return QJsonDocument(document).toJson(QJsonDocument::Compact);
}

} // namespace LogSearch

} // namespace CloudConsole
