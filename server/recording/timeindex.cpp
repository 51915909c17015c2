#include "timeindex.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QLoggingCategory>
#include <QtEndian>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

Q_LOGGING_CATEGORY(lcTimeIndex, "cloudconsole.recording")

namespace CloudConsole {

namespace TimeIndexFormat {

namespace {

constexpr quint32 Version = 1;

quint32 fnv1a(QByteArrayView bytes, quint32 hash = 2166136261u)
{
    for (const char c : bytes) {
        hash ^= uchar(c);
        hash *= 16777619u;
    }
    return hash;
}

// The check of a record's 32 bytes: of all but the check itself.
quint32 checkOf(QByteArrayView record)
{
    return fnv1a(record.sliced(8, 24), fnv1a(record.first(4)));
}

} // namespace

QByteArray header()
{
    QByteArray out(HeaderSize, '\0');
    memcpy(out.data(), Magic, 8);
    qToLittleEndian<quint32>(Version, out.data() + 8);
    qToLittleEndian<quint32>(quint32(RecordSize), out.data() + 12);
    return out;
}

QByteArray encode(const Record &record)
{
    QByteArray out(RecordSize, '\0');
    out[0] = char(record.kind);
    qToLittleEndian<qint64>(record.a, out.data() + 8);
    qToLittleEndian<qint64>(record.b, out.data() + 16);
    qToLittleEndian<qint64>(record.c, out.data() + 24);
    qToLittleEndian<quint32>(checkOf(out), out.data() + 4);
    return out;
}

QString pathFor(const QString &logPath)
{
    return logPath + QStringLiteral(".idx");
}

QString logPathOf(const QString &indexPath)
{
    const QLatin1String suffix(".idx");
    if (indexPath.size() <= suffix.size() || !indexPath.endsWith(suffix))
        return {};
    return indexPath.chopped(suffix.size());
}

QString trimPathFor(const QString &indexPath)
{
    const QFileInfo index(indexPath);
    return index.dir().filePath(QLatin1Char('.') + index.fileName() + QStringLiteral(".trim"));
}

qint64 epochNumber(const QString &epoch)
{
    bool ok = false;
    const quint64 value = epoch.toULongLong(&ok, 16);
    return ok ? qint64(value) : 0;
}

QString epochText(qint64 number)
{
    return QString::number(quint64(number), 16).rightJustified(16, QLatin1Char('0'));
}

} // namespace TimeIndexFormat

using namespace TimeIndexFormat;

namespace {

bool isCompressedOrOurs(const QString &name)
{
    for (const char *suffix : {".gz", ".xz", ".bz2", ".zst", ".lz4", ".Z", ".idx", ".cast"}) {
        if (name.endsWith(QLatin1String(suffix)))
            return true;
    }
    return false;
}

} // namespace

QStringList rotatedLogFiles(const QString &logPath)
{
    const QFileInfo log(logPath);
    const QString logName = log.fileName();
    QStringList files;
    const QFileInfoList entries = log.dir().entryInfoList(QDir::Files | QDir::NoDotAndDotDot);
    for (const QFileInfo &entry : entries) {
        const QString name = entry.fileName();
        if (name.size() <= logName.size() || !name.startsWith(logName) || isCompressedOrOurs(name))
            continue;
        const QChar next = name.at(logName.size());
        if (next == QLatin1Char('.') || next == QLatin1Char('-'))
            files.append(entry.absoluteFilePath());
    }
    return files;
}

// ---- reading ----

void TimeIndexDecoder::fail(const QString &why)
{
    if (m_error.isEmpty())
        m_error = why;
    m_pending.clear();
}

void TimeIndexDecoder::feed(QByteArrayView bytes)
{
    if (damaged())
        return;
    qsizetype at = 0;
    while (at < bytes.size() && !damaged()) {
        const qsizetype want = (m_headerRead ? RecordSize : HeaderSize) - m_pending.size();
        const qsizetype take = std::min(want, bytes.size() - at);
        // Whole units straight from the input; a unit cut by the piece's end waits.
        QByteArrayView unit;
        if (m_pending.isEmpty() && take == want) {
            unit = bytes.sliced(at, take);
        } else {
            m_pending.append(bytes.sliced(at, take));
            if (m_pending.size() < (m_headerRead ? RecordSize : HeaderSize)) {
                at += take;
                break;
            }
            unit = m_pending;
        }
        at += take;
        if (!m_headerRead) {
            if (memcmp(unit.data(), Magic, 8) != 0
                || qFromLittleEndian<quint32>(unit.data() + 8) != 1
                || qFromLittleEndian<quint32>(unit.data() + 12) != quint32(RecordSize)) {
                fail(QStringLiteral("not a time index of this version (bad header)"));
                break;
            }
            m_headerRead = true;
            m_valid = HeaderSize;
        } else {
            record(unit);
        }
        m_pending.clear();
    }
}

void TimeIndexDecoder::record(QByteArrayView bytes)
{
    const qint64 number = m_records + 1;
    const auto where = [number](const char *what) {
        return QStringLiteral("record %1: %2").arg(number).arg(QLatin1String(what));
    };
    if (bytes[1] != 0 || bytes[2] != 0 || bytes[3] != 0
        || qFromLittleEndian<quint32>(bytes.data() + 4) != TimeIndexFormat::checkOf(bytes)) {
        fail(where("its check does not match (damaged)"));
        return;
    }
    Record r;
    r.kind = Kind(quint8(bytes[0]));
    r.a = qFromLittleEndian<qint64>(bytes.data() + 8);
    r.b = qFromLittleEndian<qint64>(bytes.data() + 16);
    r.c = qFromLittleEndian<qint64>(bytes.data() + 24);
    switch (r.kind) {
    case Kind::Segment:
        if (m_wantIdentity)
            return fail(where("a segment without its identity"));
        if (r.b < 0 || r.c < 0)
            return fail(where("a segment at a negative position"));
        m_next = IndexSegment();
        m_next.timeMs = r.a;
        m_next.position = r.b;
        m_next.offset = r.c;
        m_wantIdentity = true;
        break;
    case Kind::Identity:
        if (!m_wantIdentity)
            return fail(where("an identity without a segment"));
        m_next.inode = quint64(r.a);
        m_next.device = quint64(r.b);
        m_next.epoch = epochText(r.c);
        m_segments.push_back(std::move(m_next));
        m_wantIdentity = false;
        m_valid = HeaderSize + (number)*RecordSize;
        break;
    case Kind::Mark: {
        if (m_wantIdentity || m_segments.empty())
            return fail(where("a mark outside a segment"));
        IndexSegment &segment = m_segments.back();
        const qint64 last
            = segment.marks.empty() ? segment.position : segment.marks.back().position;
        // Positions and offsets go on together within a segment, and never back.
        if (r.b < last || r.c < segment.offset || r.b - segment.position != r.c - segment.offset)
            return fail(where("a mark out of order"));
        segment.marks.push_back({r.a, r.b, r.c});
        m_valid = HeaderSize + number * RecordSize;
        break;
    }
    default:
        return fail(where("an unknown kind"));
    }
    m_records = number;
}

TimeIndex TimeIndex::load(const QString &indexPath)
{
    QFile file(indexPath);
    if (!file.open(QIODevice::ReadOnly))
        return {};
    TimeIndexDecoder decoder;
    while (!file.atEnd() && !decoder.damaged()) {
        const QByteArray chunk = file.read(1 << 20);
        if (chunk.isEmpty())
            break;
        decoder.feed(chunk);
    }
    return fromSegments(decoder.segments(), decoder.error());
}

TimeIndex TimeIndex::fromSegments(std::vector<IndexSegment> segments, QString error)
{
    TimeIndex index;
    index.m_error = std::move(error);
    for (IndexSegment &segment : segments) {
        // A file that starts again below where it was (truncated, copytruncate): what the index
        // said of it before no longer holds.
        const auto stale = [&segment](const IndexSegment &earlier) {
            if (earlier.inode != segment.inode || earlier.device != segment.device)
                return false;
            const qint64 reached
                = earlier.marks.empty() ? earlier.position : earlier.marks.back().position;
            return segment.position < reached;
        };
        index.m_segments.erase(
            std::remove_if(index.m_segments.begin(), index.m_segments.end(), stale),
            index.m_segments.end());
        index.m_segments.push_back(std::move(segment));
    }
    return index;
}

namespace {

// The times along one file: segment starts and marks, by position.
struct Point
{
    qint64 timeMs;
    qint64 position;
};

std::vector<Point> pointsOf(const std::vector<IndexSegment> &segments, quint64 inode,
                            quint64 device)
{
    std::vector<Point> points;
    for (const IndexSegment &segment : segments) {
        if (segment.inode != inode || segment.device != device)
            continue;
        points.push_back({segment.timeMs, segment.position});
        for (const IndexSegment::Mark &mark : segment.marks)
            points.push_back({mark.timeMs, mark.position});
    }
    return points;
}

} // namespace

std::optional<TimeIndex::Place> TimeIndex::at(quint64 inode, quint64 device, qint64 position) const
{
    const IndexSegment *found = nullptr;
    for (const IndexSegment &segment : m_segments) {
        if (segment.inode == inode && segment.device == device && segment.position <= position)
            found = &segment;
    }
    if (!found)
        return std::nullopt;
    Place place;
    place.epoch = found->epoch;
    place.offset = found->offset + (position - found->position);
    place.timeMs = found->timeMs;
    const auto mark
        = std::upper_bound(found->marks.begin(), found->marks.end(), position,
                           [](qint64 p, const IndexSegment::Mark &m) { return p < m.position; });
    if (mark != found->marks.begin())
        place.timeMs = std::prev(mark)->timeMs;
    return place;
}

std::optional<qint64> TimeIndex::firstAtOrAfter(quint64 inode, quint64 device, qint64 timeMs) const
{
    // Output between two points arrived within a second of the first of them (a mark is made
    // at the first read a second after the last one): a point less than a second before timeMs
    // may be followed by output of timeMs.
    const std::vector<Point> points = pointsOf(m_segments, inode, device);
    for (size_t i = 0; i < points.size(); ++i) {
        if (points[i].timeMs + 1000 > timeMs)
            return i == 0 ? 0 : points[i].position;
    }
    return std::nullopt;
}

std::optional<qint64> TimeIndex::endAfter(quint64 inode, quint64 device, qint64 timeMs) const
{
    for (const Point &point : pointsOf(m_segments, inode, device)) {
        if (point.timeMs > timeMs)
            return point.position;
    }
    return std::nullopt;
}

std::optional<qint64> TimeIndex::startOf(quint64 inode, quint64 device) const
{
    for (const IndexSegment &segment : m_segments) {
        if (segment.inode == inode && segment.device == device)
            return segment.timeMs;
    }
    return std::nullopt;
}

// ---- writing ----

namespace {
// Records waiting while the index cannot be written; past it they are dropped and the next
// write starts a segment again.
constexpr qsizetype MaxUnwritten = 1024 * 1024;

QString errnoText()
{
    return QString::fromLocal8Bit(std::strerror(errno));
}

// Feeds the whole file to decoder (from its start, leaving the file's offset where it was):
// the bytes read, or -1 (errno).
qint64 readIndex(int fd, TimeIndexDecoder &decoder)
{
    qint64 size = 0;
    char buffer[65536];
    for (;;) {
        const ssize_t n = ::pread(fd, buffer, sizeof buffer, off_t(size));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        if (n == 0)
            return size;
        size += n;
        decoder.feed(QByteArrayView(buffer, n));
    }
}

bool writeAll(int fd, QByteArrayView bytes)
{
    qsizetype done = 0;
    while (done < bytes.size()) {
        const ssize_t n = ::write(fd, bytes.data() + done, size_t(bytes.size() - done));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            if (n == 0)
                errno = EIO;
            return false;
        }
        done += n;
    }
    return true;
}

qint64 nowMs()
{
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}
} // namespace

LogIndex::LogIndex(const QString &indexPath, const QString &epoch)
    : m_path(indexPath), m_epoch(epochNumber(epoch))
{ }

void LogIndex::note(qint64 offset, qint64 timeMs)
{
    const std::lock_guard guard(m_lock);
    if (m_pending.size() >= MaxPending) {
        ++m_dropped;
        return;
    }
    m_pending.push_back({offset, timeMs});
}

void LogIndex::opened(int logFd, qint64 offset)
{
    // After logrotate's reopen (or an error) the rotation may have deleted old files; the first
    // call is at start, whose trim must not make the console's thread wait (see the header).
    if (m_started)
        m_trimDue = true;
    segment(logFd, offset);
    m_started = true;
}

void LogIndex::skipped(int logFd, qint64 offset)
{
    segment(logFd, offset);
}

void LogIndex::segment(int logFd, qint64 offset)
{
    struct stat st
    { };
    if (::fstat(logFd, &st) != 0) {
        m_position = -1;
        return;
    }
    m_inode = quint64(st.st_ino);
    m_device = quint64(st.st_dev);
    m_position = st.st_size;
    m_offset = offset;
    m_segmentPosition = m_position;
    m_segmentOffset = offset;
    m_lastMarkPosition = m_position;
    // When the output after it arrived: at the latest time noted before it (the log may be
    // catching up on output read long ago), else now.
    qint64 time = -1;
    {
        const std::lock_guard guard(m_lock);
        while (!m_pending.empty() && m_pending.front().offset <= offset) {
            time = m_pending.front().timeMs;
            m_pending.pop_front();
        }
    }
    if (time < 0)
        time = nowMs();
    m_segmentTime = time;
    appendSegment();
    flushRecords();
}

void LogIndex::wrote(qint64 offset, qint64 bytes)
{
    if (m_position < 0 || bytes <= 0)
        return;
    if (offset != m_offset) {
        // Not the output that follows: positions go on, offsets are taken as they come.
        m_offset = offset;
    }
    const qint64 end = offset + bytes;
    if (m_needSegment) {
        // Records were lost while the index could not be written: start this segment again.
        m_segmentPosition = m_position;
        m_segmentOffset = m_offset;
        m_lastMarkPosition = m_position;
        appendSegment();
    }
    std::vector<Pending> due;
    {
        const std::lock_guard guard(m_lock);
        while (!m_pending.empty() && m_pending.front().offset < end) {
            due.push_back(m_pending.front());
            m_pending.pop_front();
        }
    }
    for (const Pending &note : due) {
        qint64 position = m_position + (note.offset - m_offset);
        qint64 at = note.offset;
        if (position < m_segmentPosition) {
            // Output the log never got (it was missing before this segment): the segment's start.
            position = m_segmentPosition;
            at = m_segmentOffset;
        }
        if (position < m_lastMarkPosition)
            continue;
        m_lastMarkPosition = position;
        append({Kind::Mark, note.timeMs, position, at});
    }
    m_position += bytes;
    m_offset = end;
    if (!m_out.isEmpty() || (m_trimDue && m_started))
        flushRecords();
}

void LogIndex::append(const Record &record)
{
    m_out += encode(record);
}

void LogIndex::appendSegment()
{
    append({Kind::Segment, m_segmentTime, m_segmentPosition, m_segmentOffset});
    append({Kind::Identity, qint64(m_inode), qint64(m_device), m_epoch});
    m_needSegment = false;
}

bool LogIndex::ensureOpen()
{
    if (m_fd)
        return true;
    if (m_failing && std::chrono::steady_clock::now() < m_retryAt)
        return false;
    const QByteArray native = QFile::encodeName(m_path);
    UniqueFd fd(::open(native.constData(), O_RDWR | O_CREAT | O_CLOEXEC, 0640));
    if (!fd) {
        fail(QStringLiteral("cannot open: %1").arg(errnoText()));
        return false;
    }
    // Read what is there: a cut-off last record is cut away, and a damaged index is kept up to
    // the damage and written on from there.
    TimeIndexDecoder decoder;
    const qint64 size = readIndex(fd.get(), decoder);
    if (size < 0) {
        fail(QStringLiteral("cannot read: %1").arg(errnoText()));
        return false;
    }
    qint64 keep = decoder.validBytes();
    if (decoder.damaged())
        qCWarning(lcTimeIndex).noquote()
            << QStringLiteral("time index %1 is damaged (%2): keeping the %3 bytes before it and "
                              "writing on from there")
                   .arg(m_path, decoder.error())
                   .arg(keep);
    if (keep < size && ::ftruncate(fd.get(), keep) != 0) {
        fail(QStringLiteral("cannot cut back: %1").arg(errnoText()));
        return false;
    }
    if (::lseek(fd.get(), 0, SEEK_END) < 0) {
        fail(QStringLiteral("cannot seek: %1").arg(errnoText()));
        return false;
    }
    m_fd = std::move(fd);
    if (keep == 0) {
        // A new (or unreadable) file: a header, and the segment the waiting marks belong to.
        QByteArray start = header();
        if (m_position >= 0 && !m_needSegment
            && (m_out.isEmpty() || m_out.at(0) != char(Kind::Segment)))
            start += encode({Kind::Segment, m_segmentTime, m_segmentPosition, m_segmentOffset})
                + encode({Kind::Identity, qint64(m_inode), qint64(m_device), m_epoch});
        m_out.prepend(start);
    }
    if (!m_checked && m_failing)
        qCInfo(lcTimeIndex).noquote() << "writing the time index" << m_path << "again";
    m_checked = true;
    m_failing = false;
    return true;
}

void LogIndex::flushRecords()
{
    if (!ensureOpen()) {
        if (m_out.size() > MaxUnwritten) {
            m_dropped += m_out.size() / RecordSize;
            m_out.clear();
            m_needSegment = true;
        }
        return;
    }
    if (m_trimDue && m_started)
        trim();
    qsizetype done = 0;
    while (done < m_out.size()) {
        const ssize_t n
            = ::write(m_fd.get(), m_out.constData() + done, size_t(m_out.size() - done));
        if (n > 0) {
            done += n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        // What was cut off is cut away when the file is read again; the records go, and the
        // next write starts its segment again.
        m_dropped += (m_out.size() - done) / RecordSize;
        m_out.clear();
        m_needSegment = true;
        fail(n < 0 ? errnoText() : QStringLiteral("nothing written"));
        return;
    }
    m_written += m_out.size() / RecordSize;
    m_out.clear();
}

void LogIndex::trim()
{
    m_trimDue = false;
    const QString logPath = logPathOf(m_path);
    if (logPath.isEmpty() || m_position < 0)
        return; // which files are the log's is not known: keep everything
    // The files the log still has: the open one, and those moved aside that are still there.
    std::vector<std::pair<quint64, quint64>> files {{m_inode, m_device}};
    for (const QString &path : rotatedLogFiles(logPath)) {
        struct stat st
        { };
        if (::stat(QFile::encodeName(path).constData(), &st) == 0)
            files.push_back({quint64(st.st_ino), quint64(st.st_dev)});
    }
    TimeIndexDecoder decoder;
    const qint64 size = readIndex(m_fd.get(), decoder);
    if (size < 0)
        return trimFailed(QStringLiteral("cannot read it: %1").arg(errnoText()));
    // The file is read and cut back to its valid part when it is opened, and only whole records
    // go in while it stays open: anything else was written by someone else, and is left alone.
    if (decoder.damaged() || decoder.validBytes() != size)
        return trimFailed(QStringLiteral("it changed while it was open (%1 of %2 bytes valid)")
                              .arg(decoder.validBytes())
                              .arg(size));
    std::vector<const IndexSegment *> kept;
    qint64 dropped = 0;
    for (const IndexSegment &segment : decoder.segments()) {
        const bool there
            = std::find(files.begin(), files.end(), std::pair {segment.inode, segment.device})
            != files.end();
        if (there)
            kept.push_back(&segment);
        else
            dropped += 2 + qint64(segment.marks.size());
    }
    if (dropped == 0)
        return;
    QString error;
    if (!replaceWith(kept, &error))
        return trimFailed(error);
    m_trimFailing = false;
    qCInfo(lcTimeIndex).noquote()
        << QStringLiteral("time index %1: dropped %2 records of log files that are gone (%3 "
                          "bytes; %4 left)")
               .arg(m_path)
               .arg(dropped)
               .arg(dropped * RecordSize)
               .arg(size - dropped * RecordSize);
}

bool LogIndex::replaceWith(const std::vector<const IndexSegment *> &kept, QString *error)
{
    const QString tempPath = trimPathFor(m_path);
    const QByteArray native = QFile::encodeName(tempPath);
    // O_TRUNC: what a crash left here earlier was never renamed, and is nobody's.
    UniqueFd fd(::open(native.constData(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0640));
    if (!fd) {
        *error = QStringLiteral("cannot create %1: %2").arg(tempPath, errnoText());
        return false;
    }
    const auto abandon = [&](const char *what) {
        *error = QStringLiteral("cannot %1 %2: %3").arg(QLatin1String(what), tempPath, errnoText());
        ::unlink(native.constData());
        return false;
    };
    // The index keeps the mode an operator may have given it.
    struct stat st
    { };
    if (::fstat(m_fd.get(), &st) == 0 && ::fchmod(fd.get(), st.st_mode & 07777) != 0)
        return abandon("set the mode of");
    QByteArray out = header();
    for (const IndexSegment *segment : kept) {
        out += encode({Kind::Segment, segment->timeMs, segment->position, segment->offset});
        out += encode({Kind::Identity, qint64(segment->inode), qint64(segment->device),
                       epochNumber(segment->epoch)});
        for (const IndexSegment::Mark &mark : segment->marks)
            out += encode({Kind::Mark, mark.timeMs, mark.position, mark.offset});
        if (out.size() >= MaxUnwritten) {
            if (!writeAll(fd.get(), out))
                return abandon("write");
            out.clear();
        }
    }
    if (!writeAll(fd.get(), out))
        return abandon("write");
    // Synced before the rename: a crash leaves the old index or the whole new one, never a
    // renamed file whose records are still in the page cache only.
    if (::fsync(fd.get()) != 0)
        return abandon("sync");
    if (::rename(native.constData(), QFile::encodeName(m_path).constData()) != 0)
        return abandon("rename");
    // The rename lasts once the folder is synced. If that fails, a crash may bring back the old
    // index, which is whole: nothing is lost, so the new file is written on regardless.
    UniqueFd folder(::open(QFile::encodeName(QFileInfo(m_path).absolutePath()).constData(),
                           O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (folder)
        ::fsync(folder.get());
    m_fd = std::move(fd); // at its end: written on from there
    return true;
}

void LogIndex::trimFailed(const QString &why)
{
    ++m_errors;
    if (!m_trimFailing)
        qCWarning(lcTimeIndex).noquote()
            << QStringLiteral("cannot trim the time index %1: %2; keeping it whole and writing on")
                   .arg(m_path, why);
    m_trimFailing = true;
}

void LogIndex::fail(const QString &why)
{
    ++m_errors;
    if (!m_failing)
        qCWarning(lcTimeIndex).noquote()
            << QStringLiteral("cannot write the time index %1: %2; retrying every second")
                   .arg(m_path, why);
    m_failing = true;
    m_checked = false;
    m_fd.reset();
    m_retryAt = std::chrono::steady_clock::now() + RetryInterval;
}

} // namespace CloudConsole
