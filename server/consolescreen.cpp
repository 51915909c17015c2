#include "consolescreen.h"

#include "screenserializer.h"

#include <QLoggingCategory>

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

Q_LOGGING_CATEGORY(lcScreen, "cloudconsole.screen")

namespace CloudConsole {

using Terminal::Line;
using Terminal::TerminalModel;

ConsoleScreen::ConsoleScreen(QSize size, int scrollbackLines, bool enabled, QObject *parent)
    : QObject(parent), m_model(std::make_unique<TerminalModel>(size)), m_enabled(enabled)
{
    m_model->setScrollbackCapacity(scrollbackLines);
    // The model answers queries through inputReady while it parses, on the thread, with the
    // model lock held: gather them; process() hands them over.
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
        if (m_queue.size() + bytes.size() > MaxBacklog) {
            m_queueSkipped += m_queue.size();
            m_queue.clear();
        }
        m_queue.append(bytes.data(), bytes.size());
        m_queueEnd = offset + bytes.size();
    }
    m_wake.notify_one();
}

void ConsoleScreen::run()
{
    // The screen must not slow the console: its thread has the lowest priority (nice 19, per
    // thread on Linux), so that under a flood the kernel runs the console, its log and its
    // clients first and the screen falls behind (and skips) instead. Not SCHED_IDLE: on a busy
    // host that would starve it entirely.
    ::setpriority(PRIO_PROCESS, pid_t(::syscall(SYS_gettid)), 19);
    for (;;) {
        QByteArray piece;
        qint64 pieceOffset = 0;
        qint64 skipped = 0;
        {
            std::unique_lock lock(m_queueLock);
            m_wake.wait(lock, [this] { return m_stopping || !m_queue.isEmpty(); });
            if (m_stopping)
                return;
            const qsizetype size = std::min(m_queue.size(), Piece);
            piece = m_queue.first(size);
            m_queue.remove(0, size);
            pieceOffset = m_queueEnd - m_queue.size() - size;
            skipped = std::exchange(m_queueSkipped, 0);
        }
        process(std::move(piece), pieceOffset, skipped);
    }
}

void ConsoleScreen::process(QByteArray piece, qint64 offset, qint64 skipped)
{
    QByteArray replies;
    {
        const std::lock_guard lock(m_modelLock); // the thread may wait; only it
        if (skipped > 0) {
            m_skipped += skipped;
            m_incomplete = true;
            m_scrolledAtSkip = m_model->linesScrolledOff();
            qCWarning(lcScreen) << "the screen fell behind the console's output and skipped"
                                << skipped
                                << "bytes; snapshots may miss them until the screen "
                                   "is redrawn";
            // A sequence the skipped bytes would have finished must not swallow what follows.
            m_model->write("\x18");
            m_pendingReplies.clear();
        }
        const qint64 erasesBefore = m_model->screenErases();
        m_model->write(piece);
        if (m_incomplete
            && (m_model->screenErases() > erasesBefore
                || m_model->linesScrolledOff() - m_scrolledAtSkip >= m_model->gridSize().height()))
            m_incomplete = false; // every visible cell was written since the skip
        m_offset = offset + piece.size();
        replies = std::exchange(m_pendingReplies, QByteArray());
    }
    if (!replies.isEmpty()) {
        ++m_answers;
        // To the console's thread; dropped with this object if it goes first.
        QMetaObject::invokeMethod(
            this, [this, replies] { Q_EMIT this->replies(replies); }, Qt::QueuedConnection);
    }
}

void ConsoleScreen::resize(QSize size)
{
    // Waited for a little only, like every call from the console's thread (see m_modelLock).
    std::unique_lock lock(m_modelLock, MaxWait);
    if (!lock.owns_lock()) {
        qCWarning(lcScreen) << "the screen is busy; it keeps its size";
        return;
    }
    m_model->resize(size);
}

QSize ConsoleScreen::size() const
{
    std::unique_lock lock(m_modelLock, MaxWait);
    return lock.owns_lock() ? m_model->gridSize() : QSize();
}

ConsoleScreen::Snapshot ConsoleScreen::snapshot() const
{
    Snapshot result;
    std::unique_lock lock(m_modelLock, MaxWait);
    if (!lock.owns_lock()) {
        result.offset = -1;
        return result;
    }
    result.offset = m_enabled ? m_offset.load() : -1;
    result.size = m_model->gridSize();
    result.complete = !m_incomplete;
    result.data = Terminal::ScreenSerializer::serialize(*m_model);
    return result;
}

ConsoleScreen::Text ConsoleScreen::text() const
{
    Text result;
    std::unique_lock lock(m_modelLock, MaxWait);
    if (!lock.owns_lock()) {
        result.offset = -1;
        return result;
    }
    result.offset = m_offset;
    result.size = m_model->gridSize();
    const Terminal::TerminalCursor cursor = m_model->cursor();
    result.cursor = cursor.position;
    result.cursorVisible = cursor.visible;
    result.alternateScreen = m_model->isAltScreen();
    result.title = m_model->title();
    result.lines = m_model->isAltScreen() ? m_model->alternateScreen() : m_model->primaryScreen();
    result.colors = m_model->colors();
    return result;
}

QString ConsoleScreen::lastLine() const
{
    std::unique_lock lock(m_modelLock, MaxWait);
    if (!lock.owns_lock())
        return {};
    const int first = m_model->scrollbackLines();
    for (int line = m_model->lineCount() - 1; line >= first; --line) {
        const QString text = m_model->lineText(line).trimmed();
        if (!text.isEmpty())
            return text;
    }
    return {};
}

} // namespace CloudConsole
