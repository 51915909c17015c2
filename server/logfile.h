#pragma once

// LogFile is the writer thread's half of LogWriter (logwriter.h): the log file and the queue of
// output waiting for it. run() is the writer thread: it takes pieces off the queue and writes them
// with blocking writes, a marker line first where a piece says output went missing before it; it
// reopens the path when asked (logrotate) and, after an error, reports once, drops the queue and
// tries again every RetryInterval.
//
// It owns the file descriptor, the queue and the numbers /metrics reads. It knows nothing of the
// console's HistoryRing or of what to hand over when: LogWriter decides that, on the console's
// thread, and queues pieces here. The two threads share this object (LogWriter keeps it in a
// shared_ptr, so a writer left behind at shutdown keeps it): everything below `lock` is under
// it, and it is held only to move a piece in or out of the queue and update a few numbers; no
// file I/O, no logging and no copy of the ring happen under it.

#include "uniquefd.h"

#include <QByteArray>
#include <QLoggingCategory>
#include <QObject>
#include <QString>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>

Q_DECLARE_LOGGING_CATEGORY(lcLog)

namespace CloudConsole {

class LogIndex;

class LogFile
{
public:
    // Output waiting for a slow or blocked file; beyond it output waits in the history only.
    static constexpr qsizetype MaxQueued = 4 * 1024 * 1024;
    static constexpr std::chrono::milliseconds RetryInterval {1000};

    struct Piece
    {
        enum class Kind { Output, Reopen };
        Kind kind = Kind::Output;
        qint64 offset = 0; // of bytes[0] in the console's output
        QByteArray bytes;
        qint64 missing = 0; // output just before offset that the log never got: a marker first
    };

    // start: the output offset the log begins at.
    LogFile(const QString &path, qint64 start)
        : path(path), handedEnd(start), available(start), cursor(start)
    { }

    // Opens the path on the caller's thread, before the writer thread starts; *error if not.
    bool openAtStart(QString *error);
    // The writer thread's body: returns once stopping is set and what it may write is written.
    void run();

    // Called by the console's thread, each with the lock held. A reopen after the output queued
    // before it; reopens in a row are one.
    void queueReopen();
    // Queues output handed over from `from` on (piece.offset - piece.missing == from), unless the
    // file failed meanwhile and took the queue back (false). A small read joins the last piece.
    bool queueOutput(Piece piece, qint64 from);

    const QString path;
    UniqueFd fd; // the writer thread's; the console's thread sets it only before it starts
    // The time index beside the log (recording/timeindex.h): told on this thread where each
    // piece of output went in the file. Set before the writer thread starts; may be null.
    std::shared_ptr<LogIndex> index;

    std::mutex lock;
    std::condition_variable changed; // anything below changed
    std::deque<Piece> queue; // bounded: MaxQueued bytes of output
    qsizetype queuedBytes = 0; // output in the queue and in the piece being written
    qint64 handedEnd; // one past the last byte of output handed to the writer
    qint64 available; // the ring's end when the console's thread last looked
    bool busy = false; // the writer thread works on a piece it took from the queue
    bool paused = false; // failing, until the next attempt: output stays in the ring
    std::chrono::steady_clock::time_point retryAt;
    QString failure; // the error being retried
    bool wantsRoom = false; // output did not fit: tell the console's thread when there is room
    bool readyPosted = false;
    bool stopping = false;
    bool exited = false;
    // Told (queued to owner's thread) when the writer takes output again or has room for it;
    // owner is null once it is gone.
    QObject *owner = nullptr;
    std::function<void()> onReady;

    // Written by the writer thread (under the lock, so that they agree with handedEnd), read by
    // anyone at any time.
    std::atomic<qint64> cursor;
    std::atomic<qint64> lost {0};
    std::atomic<qint64> errors {0};
    std::atomic<bool> failing {false};

private:
    // Opens the path if the file is not open (it could not be, at start-up or after a reopen).
    bool ensureOpen();
    void reopenFile();
    // Whether all of it was written.
    bool writeOutput(const Piece &piece);
    // Writes all of data, telling progress(n) of every part written; false after an error, which
    // fail() has handled.
    template<typename Progress> bool writeAll(QByteArrayView data, Progress progress);
    // An attempt failed: report it (once until writing works again) and retry in a second.
    void fail(const QString &reason);
    // The retry is due, or a reopen worked: take output again. With the lock held.
    void resume();
    // Tells the console's thread, once until it has looked. With the lock held.
    void postReady();
    // Whether the file takes output again after a failure: it took a whole piece, or it is open
    // and there is nothing to write. With the lock held.
    bool recoveredNow(bool wrotePiece);
    // Takes the lock.
    bool isStopping();
};

} // namespace CloudConsole
