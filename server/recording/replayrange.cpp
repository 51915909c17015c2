#include "replayrange.h"

#include "castformat.h"
#include "castrecorder.h"
#include "linetext.h"
#include "logsearch.h"
#include "screenserializer.h"
#include "terminalmodel.h"
#include "timeindex.h"

#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTimeZone>
#include <QUrlQuery>

#include <sys/stat.h>

#include <algorithm>
#include <cmath>
#include <deque>

namespace CloudConsole {

namespace {

constexpr qint64 ReadPiece = 1024 * 1024;

// "COLSxROWS", as "r" events say it.
std::optional<QSize> sizeOf(const QString &text)
{
    const qsizetype x = text.indexOf(QLatin1Char('x'));
    bool okCols = false;
    bool okRows = false;
    const int cols = text.left(x).toInt(&okCols);
    const int rows = text.mid(x + 1).toInt(&okRows);
    if (x < 0 || !okCols || !okRows || cols < 1 || rows < 1 || cols > 1000 || rows > 1000)
        return std::nullopt;
    return QSize(cols, rows);
}

QString sizeText(QSize size)
{
    return QStringLiteral("%1x%2").arg(size.width()).arg(size.height());
}

QString isoTime(qint64 ms)
{
    return QDateTime::fromMSecsSinceEpoch(ms, Qt::UTC).toString(Qt::ISODateWithMs);
}

// The output before the range's start that draws its screen: at most Window bytes of it, and
// the size it was written at. Sizes are entries too, so that trimming keeps the size in force.
class StartWindow
{
public:
    struct Entry
    {
        char code; // 'o' or 'r'
        QString data;
        qint64 bytes = 0;
    };

    void add(Entry entry)
    {
        m_bytes += entry.bytes;
        m_entries.push_back(std::move(entry));
        trim();
    }
    // What came before this window (an older file's), kept as far as there is room.
    void prepend(const StartWindow &older)
    {
        for (auto it = older.m_entries.rbegin(); it != older.m_entries.rend(); ++it) {
            if (it->code == 'o' && m_bytes >= ReplayRange::Window)
                break;
            m_bytes += it->bytes;
            m_entries.push_front(*it);
        }
        if (m_entries.empty() || m_entries.front().code != 'r') {
            if (older.m_sizeBefore)
                m_entries.push_front({'r', sizeText(*older.m_sizeBefore), 0});
        }
        trim();
    }
    qint64 bytes() const { return m_bytes; }
    const std::deque<Entry> &entries() const { return m_entries; }

private:
    void trim()
    {
        while (!m_entries.empty() && m_bytes - m_entries.front().bytes >= ReplayRange::Window) {
            if (m_entries.front().code == 'r')
                m_sizeBefore = sizeOf(m_entries.front().data);
            m_bytes -= m_entries.front().bytes;
            m_entries.pop_front();
        }
        // The size in force where the window starts leads it.
        if (m_sizeBefore && (m_entries.empty() || m_entries.front().code != 'r'))
            m_entries.push_front({'r', sizeText(*m_sizeBefore), 0});
    }

    std::deque<Entry> m_entries;
    qint64 m_bytes = 0;
    std::optional<QSize> m_sizeBefore;
};

struct RecordingFile
{
    QFileInfo info;
    qint64 startMs = 0;
};

// Reads a recording's events in order: before(ms) says where the range starts, `sink` takes
// the rest; reading stops once `sink` returns false. The header's size is entered as a resize
// first, so a window starting in this file knows its size.
bool readRecording(const RecordingFile &file, qint64 fromMs, StartWindow &window,
                   const std::function<bool(ReplayEvent)> &sink, QString *warning)
{
    QFile in(file.info.filePath());
    if (!in.open(QIODevice::ReadOnly)) {
        *warning = QStringLiteral("cannot read %1").arg(file.info.fileName());
        return true;
    }
    CastReader reader;
    bool headerSeen = false;
    bool going = true;
    const auto take = [&](const CastReader::Event &event) {
        if (!going)
            return;
        if (!headerSeen && reader.header()) {
            headerSeen = true;
            // The size the file starts at, for a window that starts in it (later files' sizes
            // come as the "r" events before them).
            const QSize size(reader.header()->width, reader.header()->height);
            if (file.startMs <= fromMs && size.isValid() && !size.isEmpty())
                window.add({'r', sizeText(size), 0});
        }
        if (event.code.size() != 1)
            return;
        const qint64 ms = file.startMs + std::llround(std::max(0.0, event.time) * 1000);
        const char code = event.code.at(0).toLatin1();
        if (ms < fromMs) {
            if (code == 'o')
                window.add({'o', event.data, event.data.size()});
            else if (code == 'r' && sizeOf(event.data))
                window.add({'r', event.data, 0});
            return;
        }
        going = sink({ms, code, event.data});
    };
    while (going && !in.atEnd()) {
        const QByteArray piece = in.read(ReadPiece);
        if (piece.isEmpty())
            break;
        reader.feed(piece, take);
    }
    if (going)
        reader.finish();
    if (reader.malformed() > 0 && warning->isEmpty())
        *warning = QStringLiteral("%1: %2 damaged lines skipped (%3)")
                       .arg(file.info.fileName())
                       .arg(reader.malformed())
                       .arg(reader.firstError());
    return going;
}

// Takes events into the range, filtered for the caller, until it holds maxOutput bytes.
struct Collector
{
    ReplayRangeData &range;
    qint64 toMs;
    bool withInput;
    qint64 maxOutput;
    qint64 output = 0;

    bool take(ReplayEvent event)
    {
        if (event.ms > toMs)
            return false;
        if (!withInput
            && (event.code == 'i'
                || (event.code == 'm'
                    && event.data.startsWith(QLatin1String(Cast::InputMarkerPrefix)))))
            return true;
        if (event.code != 'o' && event.code != 'i' && event.code != 'r' && event.code != 'm')
            return true;
        if (event.code == 'o' || event.code == 'i') {
            if (output + event.data.size() > maxOutput) {
                range.truncated = true;
                return false;
            }
            output += event.data.size();
        }
        range.endMs = event.ms;
        range.events.push_back(std::move(event));
        return true;
    }
};

// From the recordings; source stays empty when none covers the range.
void fromRecordings(const ReplayRange::Sources &sources, qint64 fromMs, qint64 toMs,
                    Collector &collector, StartWindow &window)
{
    ReplayRangeData &range = collector.range;
    std::vector<RecordingFile> files;
    for (const QFileInfo &info : CastRecorder::files(sources.recordDir, sources.console)) {
        if (const auto start = ReplayRange::startOfFile(sources.console, info.fileName()))
            files.push_back({info, *start});
    }
    // File i holds [start i, start i+1).
    qsizetype first = -1;
    for (qsizetype i = 0; i < qsizetype(files.size()) && files[i].startMs <= fromMs; ++i)
        first = i;
    if (files.empty() || files.front().startMs > toMs)
        return; // nothing recorded by then: the log may say
    range.source = QStringLiteral("recording");
    const qsizetype start = std::max<qsizetype>(first, 0);
    const auto sink = [&collector](ReplayEvent event) { return collector.take(std::move(event)); };
    for (qsizetype i = start; i < qsizetype(files.size()) && files[i].startMs <= toMs; ++i) {
        range.files.append(files[i].info.fileName());
        if (!readRecording(files[i], fromMs, window, sink, &range.warning))
            break;
    }
    // The start screen wants more than the file of the start holds: the file before it too.
    if (first > 0 && window.bytes() < ReplayRange::Window) {
        StartWindow older;
        readRecording(
            files[first - 1], std::numeric_limits<qint64>::max(), older,
            [](ReplayEvent) { return true; }, &range.warning);
        window.prepend(older);
        range.files.prepend(files[first - 1].info.fileName());
    }
}

// From the log and its time index: output only (the log holds no sizes, markers or input), in
// pieces that start at the index's marks, each at its mark's time (so within a second).
void fromLog(const ReplayRange::Sources &sources, qint64 fromMs, qint64 toMs, Collector &collector,
             StartWindow &window)
{
    ReplayRangeData &range = collector.range;
    const QByteArray native = QFile::encodeName(sources.logPath);
    struct stat st
    { };
    if (::stat(native.constData(), &st) != 0)
        return;
    const TimeIndex index = TimeIndex::load(TimeIndexFormat::pathFor(sources.logPath));
    if (!index.error().isEmpty())
        range.warning = QStringLiteral("the time index is damaged: %1").arg(index.error());
    const auto inode = quint64(st.st_ino);
    const auto device = quint64(st.st_dev);
    if (!index.startOf(inode, device))
        return;
    range.source = QStringLiteral("log");
    range.files.append(QFileInfo(sources.logPath).fileName());
    struct Mark
    {
        qint64 position;
        qint64 timeMs;
    };
    std::vector<Mark> marks;
    for (const IndexSegment &segment : index.segments()) {
        if (segment.inode != inode || segment.device != device)
            continue;
        marks.push_back({segment.position, segment.timeMs});
        for (const IndexSegment::Mark &mark : segment.marks)
            marks.push_back({mark.position, mark.timeMs});
    }
    std::stable_sort(marks.begin(), marks.end(),
                     [](const Mark &a, const Mark &b) { return a.position < b.position; });
    const qint64 size = qint64(st.st_size);
    const qint64 begin = std::min(index.firstAtOrAfter(inode, device, fromMs).value_or(size), size);
    const qint64 end = std::clamp(index.endAfter(inode, device, toMs).value_or(size), begin, size);
    QFile log(sources.logPath);
    if (!log.open(QIODevice::ReadOnly))
        return;
    const qint64 windowStart = std::max<qint64>(0, begin - ReplayRange::Window);
    window.add({'r', sizeText(sources.size), 0});
    Utf8Text text;
    if (log.seek(windowStart)) {
        const QByteArray before = log.read(begin - windowStart);
        const QString decoded = QString::fromUtf8(text.decode(before));
        window.add({'o', decoded, before.size()});
    }
    text = {};
    qint64 position = begin;
    while (position < end) {
        // The piece up to the next mark, at the time of the mark at or before its start.
        auto next = std::upper_bound(marks.begin(), marks.end(), position,
                                     [](qint64 p, const Mark &m) { return p < m.position; });
        const qint64 timeMs = next == marks.begin() ? fromMs : std::prev(next)->timeMs;
        const qint64 pieceEnd
            = std::min({end, next == marks.end() ? end : next->position, position + ReadPiece});
        if (!log.seek(position))
            break;
        const QByteArray bytes = log.read(pieceEnd - position);
        if (bytes.isEmpty())
            break;
        position += bytes.size();
        if (!collector.take({std::max(timeMs, fromMs), 'o', QString::fromUtf8(text.decode(bytes))}))
            break;
    }
}

} // namespace

std::optional<ReplayQuery> ReplayQuery::parse(const QString &query, bool download, qint64 nowMs,
                                              QString *error)
{
    ReplayQuery parsed;
    std::optional<qint64> from;
    std::optional<qint64> to;
    bool formatSeen = false;
    for (const auto &[key, value] : QUrlQuery(query).queryItems(QUrl::FullyDecoded)) {
        if (key == QLatin1String("from") || key == QLatin1String("to")) {
            const std::optional<qint64> time = SearchQuery::parseTime(value);
            if (!time) {
                *error = QStringLiteral("%1 must be a time: ISO 8601 (2024-05-01T03:00:00Z) or "
                                        "seconds since the epoch")
                             .arg(key);
                return std::nullopt;
            }
            (key == QLatin1String("from") ? from : to) = time;
        } else if (download && key == QLatin1String("format")) {
            formatSeen = true;
            if (value == QLatin1String("cast")) {
                parsed.format = Format::Cast;
            } else if (value == QLatin1String("text")) {
                parsed.format = Format::Text;
            } else {
                *error = QStringLiteral("format must be cast or text");
                return std::nullopt;
            }
        } else {
            *error = QStringLiteral("unknown parameter \"%1\" (from, to%2)")
                         .arg(key.left(40), download ? QStringLiteral(", format") : QString());
            return std::nullopt;
        }
    }
    if (download && !formatSeen) {
        *error = QStringLiteral("format must be cast or text");
        return std::nullopt;
    }
    parsed.toMs = to.value_or(nowMs);
    parsed.fromMs = from.value_or(parsed.toMs - DefaultSpanMs);
    if (parsed.fromMs > parsed.toMs) {
        *error = QStringLiteral("from (%1) is after to (%2)")
                     .arg(isoTime(parsed.fromMs), isoTime(parsed.toMs));
        return std::nullopt;
    }
    if (parsed.toMs - parsed.fromMs > MaxSpanMs) {
        *error = QStringLiteral("the range spans %1 hours; at most %2 at once")
                     .arg((parsed.toMs - parsed.fromMs) / 3600000)
                     .arg(MaxSpanMs / 3600000);
        return std::nullopt;
    }
    return parsed;
}

namespace ReplayRange {

std::optional<qint64> startOfFile(const QString &console, const QString &fileName)
{
    if (!CastRecorder::isRecordingName(console, fileName))
        return std::nullopt;
    const QString stamp = fileName.sliced(console.size() + 1, 19);
    const QDateTime time(QDate::fromString(stamp.first(8), QStringLiteral("yyyyMMdd")),
                         QTime::fromString(stamp.sliced(9), QStringLiteral("HHmmss-zzz")),
                         QTimeZone::utc());
    if (!time.isValid())
        return std::nullopt;
    return time.toMSecsSinceEpoch();
}

ReplayRangeData read(const Sources &sources, qint64 fromMs, qint64 toMs, bool withInput,
                     qint64 maxOutput)
{
    ReplayRangeData range;
    range.endMs = toMs;
    Collector collector {range, toMs, withInput, maxOutput};
    StartWindow window;
    if (!sources.recordDir.isEmpty())
        fromRecordings(sources, fromMs, toMs, collector, window);
    if (range.source.isEmpty() && !sources.logPath.isEmpty()) {
        window = {};
        range.events.clear();
        range.files.clear();
        fromLog(sources, fromMs, toMs, collector, window);
    }
    if (!range.truncated)
        range.endMs = toMs;

    // The screens: the one at the start from the window, then one after every KeyframeEvery
    // bytes of output, each drawn by the same model as it takes the events.
    Terminal::TerminalModel model;
    model.setRepliesEnabled(false);
    model.setScrollbackCapacity(ScrollbackLines);
    for (const StartWindow::Entry &entry : window.entries()) {
        if (entry.code == 'r')
            model.resize(*sizeOf(entry.data));
        else
            model.write(entry.data.toUtf8());
    }
    range.windowBytes = window.bytes();
    range.startSize = model.gridSize();
    const auto snapshot = [&](qint64 ms, qsizetype event) {
        range.screens.push_back(
            {ms, event, model.gridSize(), Terminal::ScreenSerializer::serialize(model)});
    };
    snapshot(fromMs, 0);
    qint64 since = 0;
    for (qsizetype i = 0; i < qsizetype(range.events.size()); ++i) {
        const ReplayEvent &event = range.events[i];
        if (event.code == 'o') {
            const QByteArray bytes = event.data.toUtf8();
            model.write(bytes);
            since += bytes.size();
        } else if (event.code == 'r') {
            if (const auto size = sizeOf(event.data))
                model.resize(*size);
        }
        if (since >= KeyframeEvery && i + 1 < qsizetype(range.events.size())) {
            snapshot(event.ms, i + 1);
            since = 0;
        }
    }
    return range;
}

QByteArray json(const QString &console, const ReplayQuery &query, const ReplayRangeData &range,
                bool withInput)
{
    QJsonArray screens;
    for (const ReplayScreen &screen : range.screens)
        screens.append(QJsonObject {{QLatin1String("t"), screen.ms - query.fromMs},
                                    {QLatin1String("event"), screen.event},
                                    {QLatin1String("cols"), screen.size.width()},
                                    {QLatin1String("rows"), screen.size.height()},
                                    {QLatin1String("data"), QString::fromUtf8(screen.data)}});
    QJsonArray events;
    for (const ReplayEvent &event : range.events)
        events.append(
            QJsonArray {event.ms - query.fromMs, QString(QLatin1Char(event.code)), event.data});
    const QJsonObject document {
        {QLatin1String("console"), console},
        {QLatin1String("source"), range.source.isEmpty() ? QJsonValue() : range.source},
        {QLatin1String("from"), isoTime(query.fromMs)},
        {QLatin1String("to"), isoTime(query.toMs)},
        {QLatin1String("fromMs"), query.fromMs},
        {QLatin1String("toMs"), query.toMs},
        {QLatin1String("endMs"), range.endMs},
        {QLatin1String("truncated"), range.truncated},
        {QLatin1String("input"), withInput},
        {QLatin1String("cols"), range.startSize.width()},
        {QLatin1String("rows"), range.startSize.height()},
        {QLatin1String("windowBytes"), range.windowBytes},
        {QLatin1String("files"), QJsonArray::fromStringList(range.files)},
        {QLatin1String("warning"), range.warning.isEmpty() ? QJsonValue() : range.warning},
        {QLatin1String("screens"), screens},
        {QLatin1String("events"), events}};
    return QJsonDocument(document).toJson(QJsonDocument::Compact);
}

QByteArray cast(const QString &console, const ReplayQuery &query, const ReplayRangeData &range)
{
    QByteArray out = Cast::header(range.startSize.width(), range.startSize.height(),
                                  query.fromMs / 1000, console);
    // The header's timestamp is in whole seconds: times count from there.
    const qint64 zeroMs = (query.fromMs / 1000) * 1000;
    const double startSeconds = double(query.fromMs - zeroMs) / 1000;
    if (!range.screens.empty() && !range.screens.front().data.isEmpty())
        out += Cast::event(startSeconds, 'o',
                           QString::fromUtf8(range.screens.front().data).toUtf8());
    for (const ReplayEvent &event : range.events)
        out += Cast::event(double(event.ms - zeroMs) / 1000, event.code, event.data.toUtf8());
    return out;
}

QByteArray text(const ReplayRangeData &range)
{
    QByteArray out;
    QByteArray line;
    qint64 lineMs = -1;
    const auto emitLine = [&out](qint64 ms, QByteArrayView text) {
        out += isoTime(ms).toLatin1();
        out += "  ";
        out += text;
        out += '\n';
    };
    for (const ReplayEvent &event : range.events) {
        if (event.code == 'm') {
            emitLine(event.ms, "-- " + event.data.toUtf8() + " --");
            continue;
        }
        if (event.code == 'r') {
            emitLine(event.ms, "-- size " + event.data.toUtf8() + " --");
            continue;
        }
        if (event.code != 'o')
            continue;
        const QByteArray bytes = event.data.toUtf8();
        qsizetype from = 0;
        while (from < bytes.size()) {
            if (lineMs < 0)
                lineMs = event.ms;
            const qsizetype newline = bytes.indexOf('\n', from);
            const qsizetype end = newline < 0 ? bytes.size() : newline;
            line += QByteArrayView(bytes).sliced(from, end - from);
            if (line.size() > 64 * 1024)
                line.truncate(64 * 1024); // a line without end: its start is enough
            if (newline < 0)
                break;
            emitLine(lineMs, LineText::strip(line));
            line.clear();
            lineMs = -1;
            from = newline + 1;
        }
    }
    if (lineMs >= 0 && !line.isEmpty())
        emitLine(lineMs, LineText::strip(line));
    return out;
}

} // namespace ReplayRange

} // namespace CloudConsole
