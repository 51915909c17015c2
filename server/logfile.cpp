#include "logfile.h"

#include "timeindex.h"

#include <QFile>

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
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

bool LogFile::openAtStart(QString *error)
{
    fd = openForAppend(path, error);
    if (fd && index)
        index->opened(fd.get(), cursor);
    return fd.isValid();
}

void LogFile::run()
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

void LogFile::reopenFile()
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
    if (index)
        index->opened(fd.get(), cursor);
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

bool LogFile::ensureOpen()
{
    if (fd)
        return true;
    QString error;
    fd = openForAppend(path, &error);
    if (!fd) {
        fail(QStringLiteral("cannot open: %1").arg(error));
        return false;
    }
    if (index)
        index->opened(fd.get(), cursor);
    if (!isStopping())
        qCInfo(lcLog).noquote() << "reopened" << path;
    return true;
}

bool LogFile::writeOutput(const Piece &piece)
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
        {
            const std::lock_guard guard(lock);
            lost += piece.missing;
            cursor = piece.offset;
        }
        if (index)
            index->skipped(fd.get(), piece.offset);
    }
    qint64 at = piece.offset;
    return writeAll(piece.bytes, [this, &at](qsizetype n) {
        if (index)
            index->wrote(at, n);
        at += n;
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

template<typename Progress> bool LogFile::writeAll(QByteArrayView data, Progress progress)
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

void LogFile::fail(const QString &reason)
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

void LogFile::resume()
{
    paused = false;
    postReady();
}

void LogFile::postReady()
{
    if (!owner || readyPosted)
        return;
    readyPosted = true;
    // Dropped with the owner if it goes first; it cannot go meanwhile, as it clears owner under
    // this lock before it does.
    QMetaObject::invokeMethod(owner, onReady, Qt::QueuedConnection);
}

bool LogFile::recoveredNow(bool wrotePiece)
{
    if (!failing || paused || !fd)
        return false;
    if (!wrotePiece && (!queue.empty() || cursor != available))
        return false;
    failing = false;
    failure.clear();
    return !stopping;
}

bool LogFile::isStopping()
{
    const std::lock_guard guard(lock);
    return stopping;
}

void LogFile::queueReopen()
{
    // Reopens in a row, such as SIGHUPs while the file is stuck, are one.
    if (queue.empty() || queue.back().kind != Piece::Kind::Reopen)
        queue.push_back({Piece::Kind::Reopen});
}

bool LogFile::queueOutput(Piece piece, qint64 from)
{
    if (paused || handedEnd != from)
        return false; // it failed meanwhile, took the queue back, and says when it is ready
    const qint64 start = piece.offset;
    const qsizetype size = piece.bytes.size();
    handedEnd = start + size;
    queuedBytes += size;
    Piece *last = queue.empty() ? nullptr : &queue.back();
    if (piece.missing == 0 && last && last->kind == Piece::Kind::Output
        && last->offset + last->bytes.size() == start && last->bytes.size() < CoalesceBelow
        && size < CoalesceBelow)
        last->bytes += piece.bytes;
    else
        queue.push_back(std::move(piece));
    return true;
}

} // namespace CloudConsole
