#pragma once

// The time index of a console's log: a file beside it (LOG.idx) that says when each part of the
// log arrived, so that any byte's time is known to within a second and any time can be turned
// into a place in the log. The log stays byte-exact and remains the record; the index only points
// into it. The format (docs/recording.md):
//
//   header, 16 bytes:  "CCTIDX1\n", u32 version (1), u32 record size (32), little-endian
//   records, 32 bytes: u8 kind, 3 bytes zero, u32 check (FNV-1a of the other 28 bytes),
//                      i64 a, i64 b, i64 c
//     Segment  (kind 2): a = time (ms since the epoch), b = position in the log file,
//                        c = the console's output offset there. The log was opened (start,
//                        logrotate), or bytes are missing from it: offsets go on from here.
//     Identity (kind 3): follows every Segment: a = the log file's inode, b = its device,
//                        c = the console's epoch (the 16 hex digits, as a number).
//     Mark     (kind 1): a = time, b = position, c = output offset: the output at that offset
//                        arrived then. One at least every second while output flows, and one
//                        at every event of the console.
//
// A cut-off last record is ignored; a damaged record (wrong check, unknown kind, positions going
// back) ends what is read: what follows is dropped, reported, and written anew.
//
// The index names the log's files by inode, and only the log itself and the files logrotate moved
// aside that are still there (rotatedLogFiles()) can be read: the records of any other file are
// useless, and LogIndex trims them away whenever the log is opened again (and once after start).
//
// TimeIndexDecoder reads the format in pieces of any size (fuzzed). TimeIndex is an index read
// whole, with the lookups that search uses. LogIndex writes one: the console's thread notes the
// times (note(), never waiting), and the log writer's thread, which alone knows where in the file
// each byte went, writes the records (opened(), skipped(), wrote()) and trims them: it owns the
// index file and its temporary copy; it looks at the log's folder only for which files are still
// there; it knows nothing of the ring, the console or the log's queue.

#include "uniquefd.h"

#include <QByteArray>
#include <QByteArrayView>
#include <QString>
#include <QStringList>

#include <atomic>
#include <chrono>
#include <deque>
#include <mutex>
#include <optional>
#include <vector>

namespace CloudConsole {

namespace TimeIndexFormat {
inline constexpr char Magic[] = "CCTIDX1\n";
inline constexpr qsizetype HeaderSize = 16;
inline constexpr qsizetype RecordSize = 32;
enum class Kind : quint8 { Mark = 1, Segment = 2, Identity = 3 };

struct Record
{
    Kind kind = Kind::Mark;
    qint64 a = 0;
    qint64 b = 0;
    qint64 c = 0;
};

QByteArray header();
QByteArray encode(const Record &record);
// The index path of a log, and back (empty for a path that is not an index's).
QString pathFor(const QString &logPath);
QString logPathOf(const QString &indexPath);
// Where a trimmed index is written before it is renamed over the index: a hidden file beside it,
// never taken for a file logrotate moved aside.
QString trimPathFor(const QString &indexPath);
// "00c0ffee00c0ffee" and back.
qint64 epochNumber(const QString &epoch);
QString epochText(qint64 number);
} // namespace TimeIndexFormat

// The files logrotate moved aside from the log at logPath that can still be read, by name: in the
// log's folder, named after it and then '.' or '-', neither compressed (search reads files as
// they are) nor the log's own index or recordings. Whether one holds this log's output only the
// index says, by its inode. Search reads these; LogIndex keeps the records of these.
QStringList rotatedLogFiles(const QString &logPath);

// One stretch of a log file whose output offsets follow each other.
struct IndexSegment
{
    quint64 inode = 0;
    quint64 device = 0;
    QString epoch;
    qint64 timeMs = 0;
    qint64 position = 0; // in the log file
    qint64 offset = 0; // the console's output offset at position
    struct Mark
    {
        qint64 timeMs;
        qint64 position;
        qint64 offset;
    };
    std::vector<Mark> marks; // by position
};

class TimeIndexDecoder
{
public:
    // Bytes of an index file in order, in pieces of any size. Stops at the first damage.
    void feed(QByteArrayView bytes);

    const std::vector<IndexSegment> &segments() const { return m_segments; }
    // Header and whole valid records read: where a writer appends after a cut or damage.
    qint64 validBytes() const { return m_valid; }
    bool damaged() const { return !m_error.isEmpty(); }
    QString error() const { return m_error; } // what was wrong, and where
    qint64 records() const { return m_records; }

private:
    void record(QByteArrayView bytes);
    void fail(const QString &why);

    QByteArray m_pending; // an incomplete header or record
    bool m_headerRead = false;
    bool m_wantIdentity = false; // a Segment was read: an Identity must follow
    IndexSegment m_next; // the Segment waiting for its Identity
    std::vector<IndexSegment> m_segments;
    qint64 m_valid = 0;
    qint64 m_records = 0;
    QString m_error;
};

// An index read whole, for lookups.
class TimeIndex
{
public:
    // Reads the index of a log; a missing file is an empty index, a damaged one is read up to
    // the damage and says so in error().
    static TimeIndex load(const QString &indexPath);
    static TimeIndex fromSegments(std::vector<IndexSegment> segments, QString error = {});

    struct Place
    {
        qint64 timeMs = 0; // the output there arrived at or after this, within a second
        std::optional<qint64> offset; // the console's output offset, where known
        QString epoch;
    };
    // What the index knows of position in the file (inode, device); nothing when it names no
    // segment there.
    std::optional<Place> at(quint64 inode, quint64 device, qint64 position) const;
    // The first position in that file whose output arrived at or after timeMs (0 when all did,
    // nullopt when none did), and the position past the last output that arrived at or before
    // it (nullopt: to the end).
    std::optional<qint64> firstAtOrAfter(quint64 inode, quint64 device, qint64 timeMs) const;
    std::optional<qint64> endAfter(quint64 inode, quint64 device, qint64 timeMs) const;
    // Whether a segment names this file, and when its first one started (for ordering files).
    std::optional<qint64> startOf(quint64 inode, quint64 device) const;

    const std::vector<IndexSegment> &segments() const { return m_segments; }
    QString error() const { return m_error; }

private:
    std::vector<IndexSegment> m_segments; // of files whose later segments did not start anew
    QString m_error;
};

class LogIndex
{
public:
    // Times noted by the console's thread and not written yet; more are dropped and counted.
    static constexpr qsizetype MaxPending = 65536;
    static constexpr std::chrono::milliseconds RetryInterval {1000};

    LogIndex(const QString &indexPath, const QString &epoch);

    // The console's thread: the output at offset arrived at timeMs. Never waits for a file.
    void note(qint64 offset, qint64 timeMs);

    // The log writer's thread. The log file is open (at start, after logrotate's reopen, after
    // an error) and its output goes on at offset. Every call but the first trims the index (see
    // trim()); the first may come from the console's thread (before the writer thread starts),
    // so the trim at start waits for the writer thread's next call (wrote(), at the first output).
    void opened(int logFd, qint64 offset);
    // Lines that are not output (the log's own "bytes missing" marker) went into the file, and
    // the output goes on at offset.
    void skipped(int logFd, qint64 offset);
    // Output [offset, offset + bytes) went into the file, after whatever went before it.
    void wrote(qint64 offset, qint64 bytes);

    QString path() const { return m_path; }
    qint64 recordsWritten() const { return m_written; }
    qint64 marksDropped() const { return m_dropped; }
    qint64 errors() const { return m_errors; }

private:
    void segment(int logFd, qint64 offset);
    bool ensureOpen();
    void append(const TimeIndexFormat::Record &record);
    void appendSegment(); // the current segment and its identity
    void flushRecords();
    void fail(const QString &why);
    // Drops the records of segments whose file is neither the open log nor one rotatedLogFiles()
    // finds, if there are any: the rest goes to trimPathFor(), synced, renamed over the index, and
    // is written on. On an error the index stays as it was, and is written on.
    void trim();
    bool replaceWith(const std::vector<const IndexSegment *> &kept, QString *error);
    void trimFailed(const QString &why);

    const QString m_path;
    const qint64 m_epoch;

    std::mutex m_lock;
    struct Pending
    {
        qint64 offset;
        qint64 timeMs;
    };
    std::deque<Pending> m_pending; // under m_lock

    // The log writer's thread alone.
    UniqueFd m_fd;
    bool m_checked = false; // the file was read and cut back to its valid part
    bool m_failing = false;
    std::chrono::steady_clock::time_point m_retryAt;
    quint64 m_inode = 0;
    quint64 m_device = 0;
    qint64 m_position = -1; // in the log file, of m_offset; -1 while no file is open
    qint64 m_offset = 0; // the output offset the log file takes next
    qint64 m_segmentTime = 0;
    qint64 m_segmentPosition = 0;
    qint64 m_segmentOffset = 0;
    qint64 m_lastMarkPosition = -1;
    QByteArray m_out; // records to write; bounded while failing (then dropped, and counted)
    bool m_needSegment = false; // records were dropped: the next ones start a segment
    bool m_started = false; // opened() was called: later calls are the writer thread's
    bool m_trimDue = true; // at start and after each reopen, at the next flush on this thread
    bool m_trimFailing = false; // reported once, until a trim works again

    std::atomic<qint64> m_written {0};
    std::atomic<qint64> m_dropped {0};
    std::atomic<qint64> m_errors {0};
};

} // namespace CloudConsole
