#pragma once

// StreamChecker reads one stream of console output (a client's, or the log's) a line at a time
// and accounts for every frame the feeder wrote: seen whole, missing behind an announcement,
// missing where the feeder itself could not hand it to the server (excused), or missing
// silently.
//
// Lines are frames (compared byte for byte with the FrameOracle), the server's lifecycle markers
// ("-- console down 12:03:14: ... --"), and announcements of missing bytes: the log's "-- cloud-
// console: N bytes missing from this log (...) --" and raw mode's "[cloud-console: N bytes
// skipped]". A v1 client announces a gap through announceBreak(). A piece of a frame is fine next
// to an announcement (where the cut fell), and is checked to be a true prefix or suffix of the
// frame it belongs to; anywhere else it is a corrupt line. When the next whole frame arrives
// after an announcement, the bytes of the frames in between are counted and compared with what
// was announced: more missing than said is an under-announced gap (a defect), fewer is normal
// (the server's markers lost with them).
//
// It owns nothing but its counters and a bounded partial line; it knows nothing about where the
// bytes come from.

#include "framecodec.h"

#include <QList>
#include <QString>
#include <QStringList>

#include <functional>
#include <optional>

namespace Soak {

struct StreamTotals
{
    qint64 bytes = 0; // fed
    qint64 frames = 0; // whole frames that matched the oracle
    qint64 frameBytes = 0;
    qint64 markers = 0; // "-- console up/down" lines
    qint64 breaks = 0; // announcements: gaps, log markers, raw skip lines
    qint64 inlineBreaks = 0; // ... of them written into the stream (log markers, raw skip lines)
    qint64 saidBytes = 0; // what they said was missing
    qint64 announcedFrames = 0; // frames missing, wholly or partly, behind announcements
    qint64 announcedBytes = 0; // bytes of frames missing behind announcements
    qint64 underAnnounced = 0; // announcements that said fewer bytes than went missing
    qint64 underAnnouncedBytes = 0; // by how much, summed
    qint64 excusedFrames = 0; // missing where the feeder could not hand them to the server
    qint64 silentFrames = 0; // missing without any announcement
    qint64 silentBytes = 0;
    qint64 corruptLines = 0; // neither a frame, a marker, nor a cut next to an announcement
    qint64 outOfOrder = 0; // a frame older than one already seen
    QStringList findings; // the first few problems, named
    QStringList announcedRanges; // the first few frame ranges missing behind announcements

    void add(const StreamTotals &other);
    void note(const QString &finding);
    bool clean() const
    {
        return silentFrames == 0 && corruptLines == 0 && outOfOrder == 0 && underAnnounced == 0;
    }
};

class StreamChecker
{
public:
    // Which of frames [from, to) may be missing because the feeder could not hand them over.
    struct Excused
    {
        qint64 frames = 0;
        qint64 bytes = 0;
    };
    using Excuse = std::function<Excused(quint64 from, quint64 to)>;
    using FrameHook = std::function<void(quint64 seq, QByteArrayView line)>;

    StreamChecker(const FrameOracle &oracle, QString name);

    void setExcuse(Excuse excuse) { m_excuse = std::move(excuse); }
    // Called for every whole frame, in stream order (the typist looks for its echoes).
    void setFrameHook(FrameHook hook) { m_hook = std::move(hook); }

    void feed(QByteArrayView bytes);
    // Bytes are missing here and the server said how many (a v1 gap).
    void announceBreak(qint64 saidBytes);
    // A new stream that owes nothing to the last one (a fresh connection).
    void restart();
    // Something the caller found wrong in the protocol around the stream.
    void noteFinding(const QString &finding);

    std::optional<quint64> lastSeq() const { return m_last; }
    const StreamTotals &totals() const { return m_totals; }
    QString name() const { return m_name; }

private:
    void onLine(QByteArrayView line);
    void onFrame(quint64 seq, QByteArrayView line);
    void onMarker();
    void openBreak(qint64 saidBytes, bool lineCut);
    // Lines before an announcement: the frame the cut fell in, or a marker cut short.
    void settleBeforeBreak(bool lineCut);
    void corrupt(QByteArrayView line, const char *why);

    const FrameOracle &m_oracle;
    QString m_name;
    Excuse m_excuse;
    FrameHook m_hook;
    StreamTotals m_totals;
    QByteArray m_partial; // the line being assembled
    QList<QByteArray> m_pending; // lines not judged yet: cuts are judged by what follows them
    std::optional<quint64> m_expected; // the next frame's number
    std::optional<quint64> m_last;
    bool m_fresh = true; // nothing seen since restart(): the first line may be a frame's tail
    bool m_breakOpen = false;
    qint64 m_breakSaid = 0;
    qint64 m_kept = 0; // bytes of the missing frames that did arrive (cut pieces)
};

} // namespace Soak
