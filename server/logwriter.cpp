#include "logwriter.h"

#include "logfile.h"

#include <QThread>

#include <algorithm>
#include <utility>

namespace CloudConsole {

LogWriter::LogWriter(const QString &path, const HistoryRing &ring, QObject *parent)
    : QObject(parent)
    , m_path(path)
    , m_ring(ring)
    , m_file(std::make_shared<LogFile>(path, ring.endOffset()))
{
    m_file->owner = this;
    m_file->onReady = [this] { onWriterReady(); };
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
    LogFile &file = *m_file;
    std::unique_lock guard(file.lock);
    file.stopping = true;
    file.owner = nullptr;
    file.changed.notify_all();
    const bool exited = file.changed.wait_until(guard, deadline, [&] { return file.exited; });
    // What the file does not have and will not get: a writer left behind at shutdown ends with
    // the process, and a failing one stops.
    const bool writerGoesOn = !exited && !shuttingDown && !file.paused;
    const qint64 unwritten
        = m_ring.endOffset() - (writerGoesOn ? file.handedEnd : file.cursor.load());
    // Made here, as the writer thread may still change its failure once left behind.
    const QString warning
        = QStringLiteral("closing %1 with %2 bytes of output not written to it (%3)")
              .arg(m_path)
              .arg(unwritten)
              .arg(file.failing       ? file.failure
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
    const bool opened = m_file->openAtStart(error);
    startWriter();
    return opened;
}

void LogWriter::startWriter()
{
    if (!m_writer.joinable())
        m_writer = std::thread([file = m_file] { file->run(); });
}

void LogWriter::write(QByteArrayView appended)
{
    startWriter();
    handOver(appended);
}

void LogWriter::reopen()
{
    startWriter();
    LogFile &file = *m_file;
    {
        const std::lock_guard guard(file.lock);
        file.queueReopen();
    }
    file.changed.notify_all();
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
    LogFile &file = *m_file;
    for (;;) {
        handOver({});
        const qint64 end = m_ring.endOffset();
        std::unique_lock guard(file.lock);
        // Written, or failing (then nothing is queued), with every reopen asked for done.
        const auto settled = [&] {
            return file.queue.empty() && !file.busy && (file.paused || file.handedEnd == end);
        };
        const auto canHandOver
            = [&] { return !file.paused && file.handedEnd < end && file.queuedBytes < MaxQueued; };
        if (!file.changed.wait_until(guard, deadline, [&] { return settled() || canHandOver(); }))
            return false;
        if (settled())
            return true;
    }
}

void LogWriter::onWriterReady()
{
    {
        const std::lock_guard guard(m_file->lock);
        m_file->readyPosted = false;
    }
    handOver({});
}

void LogWriter::handOver(QByteArrayView appended)
{
    LogFile &file = *m_file;
    const qint64 end = m_ring.endOffset();
    qint64 from = 0;
    qsizetype room = 0;
    {
        const std::lock_guard guard(file.lock);
        file.available = end;
        if (file.paused || file.handedEnd >= end)
            return;
        from = file.handedEnd;
        room = MaxQueued - file.queuedBytes;
        if (room <= 0)
            file.wantsRoom = true;
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
    LogFile::Piece piece;
    piece.offset = start;
    piece.bytes = copyOutput(start, size, appended);
    piece.missing = start - from;

    bool keptUp = false;
    {
        const std::lock_guard guard(file.lock);
        if (!file.queueOutput(std::move(piece), from))
            return; // it failed meanwhile, took the queue back, and says when it is ready
        if (file.handedEnd < end)
            file.wantsRoom = true;
        keptUp = file.handedEnd == end && file.queuedBytes <= MaxQueued / 2;
    }
    file.changed.notify_all();
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
    return m_file->cursor;
}

qint64 LogWriter::bytesLost() const
{
    return m_file->lost;
}

bool LogWriter::isFailing() const
{
    return m_file->failing;
}

qint64 LogWriter::errorCount() const
{
    return m_file->errors;
}

} // namespace CloudConsole
