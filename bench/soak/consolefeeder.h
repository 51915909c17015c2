#pragma once

// ConsoleFeeder is the console's "guest": it owns a pty pair and a symlink that the server's
// `source = pty:LINK` follows, and on a thread of its own writes frames into the pty at a
// steady rate, reads what clients typed (keystroke records) and answers each with an echo frame.
//
// hangUp() is the VMM going away: the thread finishes the frame it is writing, waits (bounded)
// until the server has read everything (its own count of bytes read, from /metrics), points the
// link at nothing and closes the pty, so the server sees the hang-up. Frames made but not yet
// written wait for the next pty. reattach() is the VMM coming back: a new pty pair, the link
// re-pointed at it; the server finds it through its retry backoff. Frames the server could not
// have read (the wait ran out, or a frame could not be finished) are recorded as excused, so
// readers can tell them from losses of the server's.
//
// It owns the pty, the link and the thread; it reports to the main thread through queued
// signals. It knows nothing about the server process, clients or the log.

#include "benchutil.h"
#include "framecodec.h"
#include "streamchecker.h"

#include <QMutex>
#include <QObject>
#include <QString>
#include <QStringList>

#include <atomic>
#include <deque>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

namespace Soak {

class ConsoleFeeder : public QObject
{
    Q_OBJECT
public:
    struct Totals
    {
        quint64 framesWritten = 0; // whole frames handed to the pty
        qint64 bytesWritten = 0;
        std::optional<quint64> lastSeq; // the last frame written whole
        quint64 echoes = 0;
        quint64 keysReceived = 0;
        quint64 keysMissing = 0; // holes in the keys' numbers (refused, or lost)
        quint64 keysOutOfOrder = 0;
        qint64 garbageInputBytes = 0; // input that is no keystroke record
        quint64 hangups = 0;
        quint64 undrainedHangups = 0; // the server had not read everything when the pty closed
        quint64 excusedFrames = 0; // never (wholly) read by the server: lost in a closed pty
        qint64 bytesLostAtHangups = 0; // written, and never read by the server before the close
        qint64 carriedOver = 0; // bytes of frames that waited for the next pty
        double behindSeconds = 0; // time the pty would not take more (the server not reading)
    };
    // How many bytes the server says it has read from the console so far (-1: unknown). Called
    // on the feeder's thread before a hang-up.
    using ServerReadCount = std::function<qint64()>;

    ConsoleFeeder(FrameOracle &oracle, QString directory, qint64 bytesPerSecond,
                  QObject *parent = nullptr);
    ~ConsoleFeeder() override;

    void setServerReadCount(ServerReadCount count) { m_serverRead = std::move(count); }
    // Opens the first pty and the link; then start() the thread.
    bool open(QString *error);
    QString linkPath() const { return m_linkPath; }
    void start();
    // Stops making new frames (what is queued is still written); the thread keeps reading input.
    void stopWriting() { m_writing = false; }
    void stop();

    // Asynchronous: hungUp() and attached() say when it is done.
    void hangUp() { m_hangupRequested = true; }
    void reattach() { m_reattachRequested = true; }
    bool isUp() const { return m_up; }

    // Which of frames [from, to) the server could not have read at a hang-up.
    StreamChecker::Excused excused(quint64 from, quint64 to) const;
    Totals totals() const;
    // The holes in the keys' numbers, as "a..b" ranges (the first few).
    QStringList missingKeyRanges() const;

Q_SIGNALS:
    void hungUp(bool drained, qint64 unreadBytes);
    void attached(const QString &ptyPath);

private:
    void run();
    bool openPty(QString *error);
    void pointLink(const QString &target);
    void fillFrames(double &credit);
    // Writes what the pty takes of the first `limit` bytes waiting; false if it took none.
    bool writeOut(qsizetype limit = std::numeric_limits<qsizetype>::max());
    void readInput();
    void doHangup();
    // Bytes the server has yet to read, waited for (bounded); -1 when its count is unknown.
    qint64 waitUntilRead();

    FrameOracle &m_oracle;
    QString m_directory;
    QString m_linkPath;
    qint64 m_rate;
    ServerReadCount m_serverRead;
    std::unique_ptr<Bench::Pty> m_pty; // the thread's, once started
    std::thread m_thread;
    std::atomic<bool> m_stopping {false};
    std::atomic<bool> m_writing {true};
    std::atomic<bool> m_hangupRequested {false};
    std::atomic<bool> m_reattachRequested {false};
    std::atomic<bool> m_up {false};

    // The thread's own state.
    QByteArray m_out; // bytes of frames not yet written
    quint64 m_nextSeq = 0;
    qint64 m_streamBytes = 0; // bytes of frames made so far
    struct Made
    {
        quint64 seq;
        qint64 end; // m_streamBytes after it
    };
    std::deque<Made> m_recent; // frames made lately, to find those unread at a hang-up
    QByteArray m_input; // partial keystroke record
    std::optional<quint64> m_lastKey;
    qint64 m_lostAtHangups = 0; // bytes written that the server never read, at hang-ups

    mutable QMutex m_mutex; // guards what the main thread reads
    Totals m_totals;
    std::vector<std::pair<quint64, quint64>> m_excused; // [from, to) ranges
    QStringList m_missingKeys;
};

} // namespace Soak
