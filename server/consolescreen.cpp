#include "consolescreen.h"

#include "screenserializer.h"

#include <QLoggingCategory>

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <iterator>

Q_LOGGING_CATEGORY(lcScreen, "cloudconsole.screen")

namespace CloudConsole {

using Terminal::Line;
using Terminal::TerminalModel;

ConsoleScreen::ConsoleScreen(QSize size, int scrollbackLines, bool enabled, QObject *parent)
    : QObject(parent)
    , m_size(size)
    , m_model(std::make_unique<TerminalModel>(size))
    , m_enabled(enabled)
{
    m_model->setScrollbackCapacity(scrollbackLines);
    // The model answers queries through inputReady while it parses, on the thread: gather them;
    // process() hands them over.
    connect(
        m_model.get(), &TerminalModel::inputReady, m_model.get(),
        [this](const QByteArray &bytes) { m_pendingReplies += bytes; }, Qt::DirectConnection);
    if (m_enabled)
        m_thread = std::thread([this] { run(); });
}

ConsoleScreen::~ConsoleScreen()
{
    {
        const std::lock_guard lock(m_queueLock);
        m_stopping = true;
    }
    m_wake.notify_one();
    if (m_thread.joinable())
        m_thread.join();
}

void ConsoleScreen::feed(qint64 offset, QByteArrayView bytes)
{
    if (bytes.isEmpty() || !m_enabled)
        return;
    {
        const std::lock_guard lock(m_queueLock);
        if (m_queueEnd >= 0 && offset != m_queueEnd) {
            // Output the model never got (it cannot happen while the console feeds every byte,
            // but a jump must not pass for contiguous output).
            m_queueSkipped += std::max<qint64>(0, offset - m_queueEnd);
        }
        if (m_queueBytes + bytes.size() > MaxBacklog) {
            m_queueSkipped += m_queueBytes;
            m_queue.clear();
            m_queueBytes = 0;
        }
        // Kept as the pieces it came in: taking from the front then costs what is taken, not a
        // move of the whole backlog under the lock that feed() takes.
        m_queue.emplace_back(bytes.data(), bytes.size());
        m_queueBytes += bytes.size();
        m_queueEnd = offset + bytes.size();
    }
    m_wake.notify_one();
}

void ConsoleScreen::resize(QSize size)
{
    m_size = size;
    if (!m_enabled) {
        m_model->resize(size); // no thread: the model is this thread's
        return;
    }
    {
        const std::lock_guard lock(m_queueLock);
        m_resizes.push_back({std::max<qint64>(m_queueEnd, 0), size});
    }
    m_wake.notify_one();
}

void ConsoleScreen::requestSnapshot(QObject *receiver, qint64 atLeast,
                                    std::function<void(Snapshot)> done)
{
    if (!m_enabled) {
        m_waiters.push_back({0, receiver, std::move(done)});
        QMetaObject::invokeMethod(
            this,
            [this] {
                deliver({-1, m_size, false, {}});
            },
            Qt::QueuedConnection);
        return;
    }
    qint64 target = 0;
    {
        const std::lock_guard lock(m_queueLock);
        target = std::clamp<qint64>(atLeast, 0, std::max<qint64>(m_queueEnd, 0));
        // The earliest offset any waiting request accepts: whoever wants more waits for the
        // next snapshot (deliver() keeps it waiting).
        m_snapshotAt = m_snapshotAt < 0 ? target : std::min(m_snapshotAt, target);
    }
    m_waiters.push_back({target, receiver, std::move(done)});
    m_wake.notify_one();
}

void ConsoleScreen::deliver(const Snapshot &snapshot)
{
    // A snapshot serves every request it stands for; one that wants more waits for the next,
    // which the thread is asked for again here. Offset -1 (the screen is off) serves all.
    std::vector<Waiter> served;
    const auto waiting = std::stable_partition(
        m_waiters.begin(), m_waiters.end(), [&snapshot](const Waiter &waiter) {
            return snapshot.offset >= 0 && waiter.target > snapshot.offset;
        });
    std::move(waiting, m_waiters.end(), std::back_inserter(served));
    m_waiters.erase(waiting, m_waiters.end());
    if (!m_waiters.empty()) {
        qint64 next = m_waiters.front().target;
        for (const Waiter &waiter : m_waiters)
            next = std::min(next, waiter.target);
        {
            const std::lock_guard lock(m_queueLock);
            m_snapshotAt = m_snapshotAt < 0 ? next : std::min(m_snapshotAt, next);
        }
        m_wake.notify_one();
    }
    for (Waiter &waiter : served) {
        if (waiter.receiver)
            waiter.done(snapshot);
    }
}

std::shared_ptr<const ConsoleScreen::Published> ConsoleScreen::published() const
{
    const std::lock_guard lock(m_publishedLock);
    return m_published;
}

ConsoleScreen::Text ConsoleScreen::text() const
{
    if (const std::shared_ptr<const Published> published = this->published())
        return published->text;
    Text none;
    none.offset = -1;
    return none;
}

QString ConsoleScreen::lastLine() const
{
    const std::shared_ptr<const Published> published = this->published();
    return published ? published->lastLine : QString();
}

void ConsoleScreen::run()
{
    // The screen must not slow the console: its thread has the lowest priority (nice 19, per
    // thread on Linux), so that under a flood the kernel runs the console, its log and its
    // clients first and the screen falls behind (and skips) instead. Not SCHED_IDLE: on a busy
    // host that would starve it entirely.
    ::setpriority(PRIO_PROCESS, pid_t(::syscall(SYS_gettid)), 19);
    publish(); // the blank screen: /screen answers from the start
    for (;;) {
        Work work;
        {
            std::unique_lock lock(m_queueLock);
            m_wake.wait(lock, [this] {
                return m_stopping || m_queueBytes > 0 || !m_resizes.empty()
                    || (m_snapshotAt >= 0 && m_snapshotAt <= m_modelOffset);
            });
            if (m_stopping)
                return;
            work = takeWork(lock);
        }
        process(work);
    }
}

ConsoleScreen::Work ConsoleScreen::takeWork(std::unique_lock<std::mutex> &)
{
    Work work;
    work.skipped = std::exchange(m_queueSkipped, 0);
    const qint64 queueStart = m_queueEnd - m_queueBytes;
    // A resize waits for the bytes written before it; those after it wait for the resize.
    qsizetype size = std::min(m_queueBytes, Piece);
    if (!m_resizes.empty()) {
        if (m_resizes.front().offset <= queueStart || m_queueBytes == 0) {
            work.resize = m_resizes.front();
            m_resizes.pop_front();
            size = 0;
        } else {
            size = qsizetype(std::min<qint64>(size, m_resizes.front().offset - queueStart));
        }
    }
    work.piece.reserve(size);
    while (work.piece.size() < size) {
        QByteArray &front = m_queue.front();
        const qsizetype take = std::min(front.size(), size - work.piece.size());
        work.piece.append(front.constData(), take);
        if (take == front.size())
            m_queue.pop_front();
        else
            front.remove(0, take); // a piece the console read, a few KiB at most
    }
    m_queueBytes -= size;
    work.offset = queueStart;
    // Where the model stands once it has done this work (process() moves it the same way).
    const qint64 reached = work.skipped > 0 || !work.piece.isEmpty()
        ? work.offset + work.piece.size()
        : m_modelOffset;
    if (m_snapshotAt >= 0 && m_snapshotAt <= reached) {
        work.snapshotDue = true;
        m_snapshotAt = -1;
    }
    work.last = m_queueBytes == 0 && m_resizes.empty();
    return work;
}

void ConsoleScreen::process(const Work &work)
{
    if (work.skipped > 0) {
        m_skipped += work.skipped;
        m_incomplete = true;
        m_scrolledAtSkip = m_model->linesScrolledOff();
        qCWarning(lcScreen) << "the screen fell behind the console's output and skipped"
                            << work.skipped
                            << "bytes; snapshots may miss them until the screen is redrawn";
        // A sequence the skipped bytes would have finished must not swallow what follows.
        m_model->write("\x18");
        m_pendingReplies.clear();
    }
    if (work.resize) {
        m_model->resize(work.resize->size);
        m_unpublished = true;
    }
    if (!work.piece.isEmpty()) {
        const qint64 erasesBefore = m_model->screenErases();
        m_model->write(work.piece);
        if (m_incomplete
            && (m_model->screenErases() > erasesBefore
                || m_model->linesScrolledOff() - m_scrolledAtSkip >= m_model->gridSize().height()))
            m_incomplete = false; // every visible cell was written since the skip
        m_unpublished = true;
    }
    if (work.skipped > 0 || !work.piece.isEmpty())
        m_modelOffset = work.offset + work.piece.size();
    if (m_unpublished
        && (work.last || std::chrono::steady_clock::now() - m_lastPublish >= PublishInterval))
        publish();
    // After publishing: whoever sees the offset move finds the text it stands for.
    m_offset = m_modelOffset;
    if (work.snapshotDue)
        sendSnapshot();
    if (QByteArray replies = std::exchange(m_pendingReplies, QByteArray()); !replies.isEmpty()) {
        ++m_answers;
        // To the console's thread; dropped with this object if it goes first.
        QMetaObject::invokeMethod(
            this, [this, replies] { Q_EMIT this->replies(replies); }, Qt::QueuedConnection);
    }
}

void ConsoleScreen::publish()
{
    auto published = std::make_shared<Published>();
    Text &text = published->text;
    text.offset = m_modelOffset;
    text.size = m_model->gridSize();
    const Terminal::TerminalCursor cursor = m_model->cursor();
    text.cursor = cursor.position;
    text.cursorVisible = cursor.visible;
    text.alternateScreen = m_model->isAltScreen();
    text.title = m_model->title();
    text.lines = m_model->isAltScreen() ? m_model->alternateScreen() : m_model->primaryScreen();
    text.colors = m_model->colors();
    const int first = m_model->scrollbackLines();
    for (int line = m_model->lineCount() - 1; line >= first; --line) {
        published->lastLine = m_model->lineText(line).trimmed();
        if (!published->lastLine.isEmpty())
            break;
    }
    {
        const std::lock_guard lock(m_publishedLock);
        m_published = std::move(published);
    }
    m_lastPublish = std::chrono::steady_clock::now();
    m_unpublished = false;
}

void ConsoleScreen::sendSnapshot()
{
    Snapshot snapshot {m_modelOffset, m_model->gridSize(), !m_incomplete,
                       Terminal::ScreenSerializer::serialize(*m_model)};
    QMetaObject::invokeMethod(
        this, [this, snapshot = std::move(snapshot)] { deliver(snapshot); }, Qt::QueuedConnection);
}

} // namespace CloudConsole
