#include "logwriter.h"

#include "uniquefd.h"

#include <QFile>
#include <QLoggingCategory>
#include <QThread>

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <optional>

Q_LOGGING_CATEGORY(lcLog, "cloudconsole.log")

namespace CloudConsole {

namespace {
UniqueFd openForAppend(const QString &path, QString *error)
{
    const QByteArray native = QFile::encodeName(path);
    UniqueFd fd(::open(native.constData(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640));
    if (!fd)
        *error = QString::fromLocal8Bit(std::strerror(errno));
    return fd;
}

QString errnoText(int error)
{
    return QString::fromLocal8Bit(std::strerror(error));
}

// A read smaller than this joins the last piece of the queue if that is smaller too: a trickle of
// small reads while the file blocks makes a few big pieces, not millions of small ones.
constexpr qsizetype CoalesceBelow = 64 * 1024;
} // namespace

// What the console's thread and the writer thread share: see the header for who owns what.
struct LogWriter::Shared
{
    struct Piece
    {
        enum class Kind { Output, Reopen };
        Kind kind = Kind::Output;
        qint64 offset = 0; // of bytes[0] in the console's output
        QByteArray bytes;
        qint64 missing = 0; // output just before offset that the log never got: a marker first
    };

    explicit Shared(const QString &path, qint64 start)
        : path(path), handedEnd(start), available(start), cursor(start)
    { }

    void run();
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

    const QString path;
    UniqueFd fd; // the writer thread's; the console's thread sets it only before it starts

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
    LogWriter *owner = nullptr; // told when the writer is ready; null once it is gone

    // Written by the writer thread (under the lock, so that they agree with handedEnd), read by
    // anyone at any time.
    std::atomic<qint64> cursor;
    std::atomic<qint64> lost {0};
    std::atomic<qint64> errors {0};
    std::atomic<bool> failing {false};
};

void LogWriter::Shared::run()
{
    // A FIFO whose reader went away then answers EPIPE, an error like any other, instead of a
    // SIGPIPE that ends the process wherever nobody ignores it (the server does; a test or
    // another program linking this may not). The signal is per thread for a write.
    sigset_t pipeSignal;
    sigemptyset(&pipeSignal);
    sigaddset(&pipeSignal, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipeSignal, nullptr);

    std::unique_lock guard(lock);
    for (;;) {
        // At shutdown: finish what is queued, unless the file is failing.
        if (stopping && (paused || queue.empty()))
            break;
        if (paused && queue.empty()) {
            // Only a reopen, which is tried at once, comes in while paused.
            if (changed.wait_until(guard, retryAt, [this] { return stopping || !queue.empty(); }))
                continue;
            resume();
            if (fd)
                continue; // the console's thread hands the output over again
            // A path that could not be opened is tried again even with no output to write.
        } else if (queue.empty()) {
            changed.wait(guard, [this] { return stopping || !queue.empty(); });
            continue;
        }
        std::optional<Piece> piece;
        if (!queue.empty()) {
            piece = std::move(queue.front());
            queue.pop_front();
        }
        busy = true;
        guard.unlock();
        bool wrote = false;
        if (!piece)
            ensureOpen();
        else if (piece->kind == Piece::Kind::Reopen)
            reopenFile();
        else
            wrote = writeOutput(*piece);
        guard.lock();
        busy = false;
        const bool recovered = recoveredNow(wrote);
        changed.notify_all();
        if (recovered) {
            guard.unlock();
            qCInfo(lcLog).noquote() << "writing to" << path << "again";
            guard.lock();
        }
    }
    exited = true;
    changed.notify_all();
}

void LogWriter::Shared::reopenFile()
{
    QString error;
    UniqueFd next = openForAppend(path, &error);
    if (!next) {
        // Drop the old file too: the output waits in the ring instead of going to a file that
        // logrotate moved away, and the path is tried again every second.
        fd.reset();
        fail(QStringLiteral("cannot reopen: %1").arg(error));
        return;
    }
    // The new file is open before the old one closes: a FIFO's reader never sees an end.
    fd = std::move(next);
    bool quiet = false;
    {
        const std::lock_guard guard(lock);
        quiet = stopping;
        if (paused)
            resume(); // an operator's reopen is as good as the retry
    }
    if (!quiet)
        qCInfo(lcLog).noquote() << "reopened" << path;
}

bool LogWriter::Shared::ensureOpen()
{
    if (fd)
        return true;
    QString error;
    fd = openForAppend(path, &error);
    if (!fd) {
        fail(QStringLiteral("cannot open: %1").arg(error));
        return false;
    }
    if (!isStopping())
        qCInfo(lcLog).noquote() << "reopened" << path;
    return true;
}

bool LogWriter::Shared::writeOutput(const Piece &piece)
{
    if (!ensureOpen())
        return false;
    if (piece.missing > 0) {
        // Said in the log itself, in its place. A marker cut short by an error is written again
        // whole on the next attempt. The output went missing while the file failed (the first
        // piece after a failure is this one) or while it was too slow.
        const qint64 first = piece.offset - piece.missing;
        QString why = QStringLiteral("the file did not keep up");
        {
            const std::lock_guard guard(lock);
            if (failing)
                why = failure;
        }
        const QByteArray marker
            = QStringLiteral("\r\n-- cloud-console: %1 bytes missing from this log "
                             "(output bytes %2-%3: %4) --\r\n")
                  .arg(piece.missing)
                  .arg(first)
                  .arg(piece.offset - 1)
                  .arg(why)
                  .toUtf8();
        if (!writeAll(marker, [](qsizetype) {}))
            return false;
        const std::lock_guard guard(lock);
        lost += piece.missing;
        cursor = piece.offset;
    }
    return writeAll(piece.bytes, [this](qsizetype n) {
        {
            const std::lock_guard guard(lock);
            cursor += n;
            queuedBytes -= n;
            if (wantsRoom && queuedBytes <= MaxQueued / 2) {
                wantsRoom = false;
                postReady();
            }
        }
        changed.notify_all();
    });
}

template<typename Progress> bool LogWriter::Shared::writeAll(QByteArrayView data, Progress progress)
{
    qsizetype done = 0;
    while (done < data.size()) {
        // Blocking, for as long as the file takes: this is the thread that may wait.
        const ssize_t n = ::write(fd.get(), data.data() + done, size_t(data.size() - done));
        if (n > 0) {
            done += n;
            progress(qsizetype(n));
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else {
            fail(errnoText(n < 0 ? errno : EIO));
            return false;
        }
    }
    return true;
}

void LogWriter::Shared::fail(const QString &reason)
{
    // Said before the failure shows, so that whoever sees it (flush()) sees the warning too.
    // Not at shutdown: the destructor says what is left unwritten.
    if (!failing && !isStopping())
        qCWarning(lcLog).noquote()
            << QStringLiteral("cannot write %1: %2; retrying every second").arg(path, reason);
    {
        const std::lock_guard guard(lock);
        ++errors;
        failing = true;
        failure = reason;
        // The ring is the record until writing works again: the queue goes, and the next
        // attempt starts from the cursor. Reopens stay.
        queue.erase(std::remove_if(queue.begin(), queue.end(),
                                   [](const Piece &p) { return p.kind == Piece::Kind::Output; }),
                    queue.end());
        queuedBytes = 0;
        handedEnd = cursor;
        wantsRoom = false;
        paused = true;
        retryAt = std::chrono::steady_clock::now() + RetryInterval;
    }
    changed.notify_all();
}

void LogWriter::Shared::resume()
{
    paused = false;
    postReady();
}

void LogWriter::Shared::postReady()
{
    if (!owner || readyPosted)
        return;
    readyPosted = true;
    // Dropped with the owner if it goes first; it cannot go meanwhile, as it clears owner under
    // this lock before it does.
    QMetaObject::invokeMethod(
        owner, [writer = owner] { writer->onWriterReady(); }, Qt::QueuedConnection);
}

bool LogWriter::Shared::recoveredNow(bool wrotePiece)
{
    if (!failing || paused || !fd)
        return false;
    if (!wrotePiece && (!queue.empty() || cursor != available))
        return false;
    failing = false;
    failure.clear();
    return !stopping;
}

bool LogWriter::Shared::isStopping()
{
    const std::lock_guard guard(lock);
    return stopping;
}

LogWriter::LogWriter(const QString &path, const HistoryRing &ring, QObject *parent)
    : QObject(parent)
    , m_path(path)
    , m_ring(ring)
    , m_shared(std::make_shared<Shared>(path, ring.endOffset()))
{
    m_shared->owner = this;
}

LogWriter::~LogWriter()
{
    if (!m_writer.joinable())
        return;
    // After the event loop (shutdown) the process is about to end: the file gets FlushTimeout to
    // take what is waiting. While the loop runs (a console removed by a reload) nothing waits for
    // the file: the writer thread writes what it was handed by itself, then goes.
    const bool shuttingDown = QThread::currentThread()->loopLevel() == 0;
    const bool mayWait = shuttingDown && !m_gaveUp;
    const auto deadline = std::chrono::steady_clock::now()
        + (mayWait ? FlushTimeout : std::chrono::milliseconds(0));
    if (mayWait)
        waitUntilWritten(deadline);
    else
        handOver({});
    Shared &shared = *m_shared;
    std::unique_lock guard(shared.lock);
    shared.stopping = true;
    shared.owner = nullptr;
    shared.changed.notify_all();
    const bool exited = shared.changed.wait_until(guard, deadline, [&] { return shared.exited; });
    // What the file does not have and will not get: a writer left behind at shutdown ends with
    // the process, and a failing one stops.
    const bool writerGoesOn = !exited && !shuttingDown && !shared.paused;
    const qint64 unwritten
        = m_ring.endOffset() - (writerGoesOn ? shared.handedEnd : shared.cursor.load());
    // Made here, as the writer thread may still change its failure once left behind.
    const QString warning
        = QStringLiteral("closing %1 with %2 bytes of output not written to it (%3)")
              .arg(m_path)
              .arg(unwritten)
              .arg(shared.failing     ? shared.failure
                       : shuttingDown ? QStringLiteral("the file took no more within %1 s")
                                            .arg(FlushTimeout.count() / 1000.0)
                                      : QStringLiteral("the file did not keep up"));
    guard.unlock();
    if (exited) {
        m_writer.join();
    } else {
        // Busy or stuck in a write or an open: it keeps the shared state and goes when done.
        m_writer.detach();
    }
    if (unwritten > 0 && !m_gaveUp) // else flush() said so
        qCWarning(lcLog).noquote() << warning;
}

bool LogWriter::open(QString *error)
{
    Q_ASSERT(!m_writer.joinable()); // the file is the writer thread's once it runs
    m_shared->fd = openForAppend(m_path, error);
    const bool opened = m_shared->fd.isValid();
    startWriter();
    return opened;
}

void LogWriter::startWriter()
{
    if (!m_writer.joinable())
        m_writer = std::thread([shared = m_shared] { shared->run(); });
}

void LogWriter::write(QByteArrayView appended)
{
    startWriter();
    handOver(appended);
}

void LogWriter::reopen()
{
    startWriter();
    Shared &shared = *m_shared;
    {
        const std::lock_guard guard(shared.lock);
        // Reopens in a row, such as SIGHUPs while the file is stuck, are one.
        if (shared.queue.empty() || shared.queue.back().kind != Shared::Piece::Kind::Reopen)
            shared.queue.push_back({Shared::Piece::Kind::Reopen});
    }
    shared.changed.notify_all();
}

bool LogWriter::flush()
{
    startWriter();
    if (waitUntilWritten(std::chrono::steady_clock::now() + FlushTimeout))
        return true;
    m_gaveUp = true;
    qCWarning(lcLog).noquote() << QStringLiteral("%1 took no output for %2 s: %3 bytes not written")
                                      .arg(m_path)
                                      .arg(FlushTimeout.count() / 1000.0)
                                      .arg(m_ring.endOffset() - cursor());
    return false;
}

bool LogWriter::waitUntilWritten(std::chrono::steady_clock::time_point deadline)
{
    Shared &shared = *m_shared;
    for (;;) {
        handOver({});
        const qint64 end = m_ring.endOffset();
        std::unique_lock guard(shared.lock);
        // Written, or failing (then nothing is queued), with every reopen asked for done.
        const auto settled = [&] {
            return shared.queue.empty() && !shared.busy
                && (shared.paused || shared.handedEnd == end);
        };
        const auto canHandOver = [&] {
            return !shared.paused && shared.handedEnd < end && shared.queuedBytes < MaxQueued;
        };
        if (!shared.changed.wait_until(guard, deadline, [&] { return settled() || canHandOver(); }))
            return false;
        if (settled())
            return true;
    }
}

void LogWriter::onWriterReady()
{
    {
        const std::lock_guard guard(m_shared->lock);
        m_shared->readyPosted = false;
    }
    handOver({});
}

void LogWriter::handOver(QByteArrayView appended)
{
    Shared &shared = *m_shared;
    const qint64 end = m_ring.endOffset();
    qint64 from = 0;
    qsizetype room = 0;
    {
        const std::lock_guard guard(shared.lock);
        shared.available = end;
        if (shared.paused || shared.handedEnd >= end)
            return;
        from = shared.handedEnd;
        room = MaxQueued - shared.queuedBytes;
        if (room <= 0)
            shared.wantsRoom = true;
    }
    if (room <= 0) {
        if (!std::exchange(m_behind, true))
            qCWarning(lcLog).noquote()
                << QStringLiteral("cannot write %1 fast enough: output waits in the history, and "
                                  "what the history no longer holds is marked missing in the log")
                       .arg(m_path);
        return;
    }

    // Copied without the lock: the ring is this thread's, and the writer need not wait for it.
    // The bytes just appended are all there is of them when the ring is smaller than one read.
    const qint64 kept = appended.isEmpty() ? m_ring.startOffset()
                                           : std::min(m_ring.startOffset(), end - appended.size());
    const qint64 start = std::max(from, kept);
    const qsizetype size = qsizetype(std::min<qint64>(end - start, room));
    Shared::Piece piece;
    piece.offset = start;
    piece.bytes = copyOutput(start, size, appended);
    piece.missing = start - from;

    bool keptUp = false;
    {
        const std::lock_guard guard(shared.lock);
        if (shared.paused || shared.handedEnd != from)
            return; // it failed meanwhile, took the queue back, and says when it is ready
        shared.handedEnd = start + size;
        shared.queuedBytes += size;
        if (shared.handedEnd < end)
            shared.wantsRoom = true;
        keptUp = shared.handedEnd == end && shared.queuedBytes <= MaxQueued / 2;
        Shared::Piece *last = shared.queue.empty() ? nullptr : &shared.queue.back();
        if (piece.missing == 0 && last && last->kind == Shared::Piece::Kind::Output
            && last->offset + last->bytes.size() == start && last->bytes.size() < CoalesceBelow
            && size < CoalesceBelow)
            last->bytes += piece.bytes;
        else
            shared.queue.push_back(std::move(piece));
    }
    shared.changed.notify_all();
    if (keptUp && std::exchange(m_behind, false))
        qCInfo(lcLog).noquote() << m_path << "keeps up again";
}

QByteArray LogWriter::copyOutput(qint64 offset, qsizetype size, QByteArrayView appended) const
{
    const qint64 appendedStart = m_ring.endOffset() - appended.size();
    QByteArray out;
    if (offset < appendedStart)
        out = m_ring.copy(offset, qsizetype(std::min<qint64>(size, appendedStart - offset)));
    if (out.size() < size) {
        const qint64 at = offset + out.size();
        out += appended.sliced(qsizetype(at - appendedStart), size - out.size());
    }
    return out;
}

qint64 LogWriter::cursor() const
{
    return m_shared->cursor;
}

qint64 LogWriter::bytesLost() const
{
    return m_shared->lost;
}

bool LogWriter::isFailing() const
{
    return m_shared->failing;
}

qint64 LogWriter::errorCount() const
{
    return m_shared->errors;
}

} // namespace CloudConsole
