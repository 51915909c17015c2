#include "streamchecker.h"

#include <algorithm>

namespace Soak {

namespace {

// A partial line longer than any frame or marker is garbage; cut it off there.
constexpr qsizetype MaxLine = 4096;
// Lines waiting for judgement; more means garbage.
constexpr qsizetype MaxPending = 8;
constexpr qsizetype MaxFindings = 12;

constexpr QByteArrayView ConsoleMarker = "-- console ";
constexpr QByteArrayView LogMissing = "-- cloud-console: ";
constexpr QByteArrayView LogMissingWords = " bytes missing from this log";
constexpr QByteArrayView RawSkip = "[cloud-console: ";
constexpr QByteArrayView RawSkipWords = " bytes skipped]";

QByteArrayView withoutLineEnd(QByteArrayView line)
{
    if (line.endsWith("\r\n"))
        return line.chopped(2);
    if (line.endsWith('\n'))
        return line.chopped(1);
    return line;
}

// The number after a prefix, as in "-- cloud-console: 1234 bytes ...".
qint64 numberAfter(QByteArrayView line, QByteArrayView prefix)
{
    qint64 value = 0;
    for (qsizetype i = prefix.size(); i < line.size() && line[i] >= '0' && line[i] <= '9'; ++i)
        value = value * 10 + (line[i] - '0');
    return value;
}

QString printable(QByteArrayView bytes)
{
    QString out;
    for (const char c : bytes.first(std::min<qsizetype>(bytes.size(), 60)))
        out += (c >= 0x20 && c < 0x7f) ? QChar::fromLatin1(c) : QChar(u'.');
    return out;
}

} // namespace

void StreamTotals::add(const StreamTotals &o)
{
    bytes += o.bytes;
    frames += o.frames;
    frameBytes += o.frameBytes;
    markers += o.markers;
    breaks += o.breaks;
    inlineBreaks += o.inlineBreaks;
    saidBytes += o.saidBytes;
    announcedFrames += o.announcedFrames;
    announcedBytes += o.announcedBytes;
    underAnnounced += o.underAnnounced;
    underAnnouncedBytes += o.underAnnouncedBytes;
    excusedFrames += o.excusedFrames;
    silentFrames += o.silentFrames;
    silentBytes += o.silentBytes;
    corruptLines += o.corruptLines;
    outOfOrder += o.outOfOrder;
    for (const QString &f : o.findings)
        note(f);
    for (const QString &r : o.announcedRanges) {
        if (announcedRanges.size() < MaxFindings)
            announcedRanges.append(r);
    }
}

void StreamTotals::note(const QString &finding)
{
    if (findings.size() < MaxFindings)
        findings.append(finding);
}

StreamChecker::StreamChecker(const FrameOracle &oracle, QString name)
    : m_oracle(oracle), m_name(std::move(name))
{ }

void StreamChecker::restart()
{
    m_partial.clear();
    m_pending.clear();
    m_expected.reset();
    m_fresh = true;
    m_breakOpen = false;
    m_breakSaid = 0;
    m_kept = 0;
}

void StreamChecker::noteFinding(const QString &finding)
{
    m_totals.note(m_name + QStringLiteral(": ") + finding);
}

void StreamChecker::feed(QByteArrayView bytes)
{
    m_totals.bytes += bytes.size();
    while (!bytes.isEmpty()) {
        const qsizetype end = bytes.indexOf('\n');
        if (end < 0) {
            m_partial += bytes;
            if (m_partial.size() > MaxLine) {
                corrupt(m_partial, "a line without an end");
                m_partial.clear();
            }
            return;
        }
        const QByteArrayView piece = bytes.first(end + 1);
        bytes = bytes.sliced(end + 1);
        if (m_partial.isEmpty()) {
            onLine(piece);
        } else {
            m_partial += piece;
            const QByteArray line = std::exchange(m_partial, {});
            onLine(line);
        }
    }
}

void StreamChecker::onLine(QByteArrayView line)
{
    // The blank line an announcement or a marker leaves after a whole frame. After a cut, the
    // same bytes may be the end of a frame, and are judged as a piece.
    if ((line == "\r\n" || line == "\n") && !m_breakOpen && !m_fresh)
        return;
    if (const std::optional<quint64> seq = FrameOracle::sequenceOf(line)) {
        if (line.size() == FrameOracle::frameLength(*seq) && m_oracle.frame(*seq) == line) {
            onFrame(*seq, line);
            return;
        }
    }
    if (line.startsWith(ConsoleMarker) && line.endsWith(" --\r\n")) {
        onMarker();
        return;
    }
    if (line.startsWith(LogMissing) && line.indexOf(LogMissingWords) > 0) {
        openBreak(numberAfter(line, LogMissing), true);
        return;
    }
    if (line.startsWith(RawSkip) && line.indexOf(RawSkipWords) > 0) {
        openBreak(numberAfter(line, RawSkip), true);
        return;
    }
    if (m_pending.size() >= MaxPending)
        corrupt(m_pending.takeFirst(), "an unexplained line");
    m_pending.append(line.toByteArray());
}

void StreamChecker::onFrame(quint64 seq, QByteArrayView line)
{
    // The lines before this frame: after a cut (an announcement, or the start of the stream)
    // one piece may be the tail of the frame before this one, or of a marker.
    qint64 keptTail = 0;
    const bool afterCut = m_breakOpen || m_fresh;
    for (qsizetype i = 0; i < m_pending.size(); ++i) {
        const QByteArray &piece = m_pending[i];
        const bool last = i == m_pending.size() - 1;
        if (afterCut && last && seq > 0 && m_oracle.frame(seq - 1).endsWith(piece)
            && (!m_expected || seq - 1 >= *m_expected)) {
            keptTail = piece.size();
        } else if (afterCut && (piece.endsWith(" --\r\n") || piece == "\r\n")) {
            // The tail of a marker line whose start was cut off, or the blank line a marker
            // leaves.
        } else {
            corrupt(piece, afterCut ? "a piece that is no frame's tail" : "an unexplained line");
        }
    }
    m_pending.clear();

    if (m_expected && seq < *m_expected) {
        ++m_totals.outOfOrder;
        noteFinding(QStringLiteral("frame #%1 after #%2: out of order or repeated")
                        .arg(seq)
                        .arg(*m_expected - 1));
    } else if (m_expected && seq > *m_expected) {
        const quint64 from = *m_expected;
        // Frames that never reached the server are missing from every stream, announced or not.
        const Excused excused = m_excuse ? m_excuse(from, seq) : Excused();
        m_totals.excusedFrames += excused.frames;
        const qint64 frames = qint64(seq - from) - excused.frames;
        const qint64 bytes
            = FrameOracle::bytesBetween(from, seq) - excused.bytes - m_kept - keptTail;
        if (frames == 0) {
            // Nothing missing but what the server never had.
        } else if (m_breakOpen) {
            m_totals.announcedFrames += frames;
            m_totals.announcedBytes += bytes;
            if (m_totals.announcedRanges.size() < MaxFindings)
                m_totals.announcedRanges.append(QStringLiteral("#%1..#%2 (%3 bytes; said %4)")
                                                    .arg(from)
                                                    .arg(seq - 1)
                                                    .arg(bytes)
                                                    .arg(m_breakSaid));
            if (bytes > m_breakSaid) {
                ++m_totals.underAnnounced;
                m_totals.underAnnouncedBytes += bytes - m_breakSaid;
                noteFinding(QStringLiteral("frames #%1..#%2 (%3 bytes) missing behind an "
                                           "announcement of only %4 bytes (pieces of them that "
                                           "arrived: %5 before, %6 after)")
                                .arg(from)
                                .arg(seq - 1)
                                .arg(bytes)
                                .arg(m_breakSaid)
                                .arg(m_kept)
                                .arg(keptTail));
            }
        } else {
            m_totals.silentFrames += frames;
            m_totals.silentBytes += bytes;
            noteFinding(QStringLiteral("frames #%1..#%2 (%3 bytes) missing without a gap")
                            .arg(from)
                            .arg(seq - 1)
                            .arg(bytes));
        }
    }
    if (!m_expected || seq >= *m_expected) {
        m_expected = seq + 1;
        m_last = seq;
    }
    m_fresh = false;
    m_breakOpen = false;
    m_breakSaid = 0;
    m_kept = 0;
    ++m_totals.frames;
    m_totals.frameBytes += line.size();
    if (m_hook)
        m_hook(seq, line);
}

void StreamChecker::onMarker()
{
    ++m_totals.markers;
    // A frame cut short by a marker was cut where the pty hung up: the frame is then missing and
    // judged (excused or not) when the next one arrives. After a cut (an announcement, the start
    // of the stream) a piece is part of a frame already counted as missing. Anything else is
    // garbage.
    bool first = true;
    for (const QByteArray &piece : std::exchange(m_pending, {})) {
        const QByteArrayView text = withoutLineEnd(piece);
        if (m_breakOpen) {
            m_kept += piece.size();
        } else if (m_fresh && first) {
            // The stream began inside this line.
        } else if (m_expected && m_oracle.frame(*m_expected).startsWith(text)) {
            m_kept += text.size();
        } else {
            corrupt(piece, "an unexplained line before a marker");
        }
        first = false;
    }
}

void StreamChecker::announceBreak(qint64 saidBytes)
{
    openBreak(saidBytes, false);
}

void StreamChecker::openBreak(qint64 saidBytes, bool lineCut)
{
    settleBeforeBreak(lineCut);
    ++m_totals.breaks;
    if (lineCut)
        ++m_totals.inlineBreaks;
    m_totals.saidBytes += saidBytes;
    m_breakOpen = true;
    m_breakSaid += saidBytes;
}

void StreamChecker::settleBeforeBreak(bool lineCut)
{
    // A v1 gap arrives between binary frames: the line in progress is the cut frame's head. An
    // announcement written into the stream (the log's, raw mode's) starts with "\r\n", which
    // ended that head as a line of its own; a marker cut short by a full disk ends likewise.
    QList<QByteArray> pieces = std::exchange(m_pending, {});
    if (!m_partial.isEmpty())
        pieces.append(std::exchange(m_partial, {}));
    bool first = true;
    for (const QByteArray &piece : pieces) {
        const QByteArrayView text = lineCut ? withoutLineEnd(piece) : QByteArrayView(piece);
        if (first && m_expected && !m_breakOpen && m_oracle.frame(*m_expected).startsWith(text)) {
            m_kept += text.size(); // the head of the first missing frame
        } else if (LogMissing.startsWith(text) || RawSkip.startsWith(text)) {
            // An announcement cut short, written again whole next.
        } else if (m_breakOpen || m_fresh) {
            // A piece between two announcements, or before the first frame: part of a frame
            // that is counted as missing anyway.
            if (m_breakOpen)
                m_kept += text.size();
        } else {
            corrupt(piece, "a line before an announcement that is no frame's head");
        }
        first = false;
    }
}

void StreamChecker::corrupt(QByteArrayView line, const char *why)
{
    ++m_totals.corruptLines;
    noteFinding(QStringLiteral("%1 (after frame #%2): \"%3\"")
                    .arg(QString::fromLatin1(why),
                         m_last ? QString::number(*m_last) : QStringLiteral("none"),
                         printable(line)));
}

} // namespace Soak
