#pragma once

// ConsoleScreen is a console's terminal on the server: the shared TerminalModel, fed every byte
// of the console's output in order, on a thread of its own.
//
// It gives what byte replay cannot: a true screen for a client that attaches late or lost bytes
// (a protocol "screen" message, made by ScreenSerializer), the visible text for /screen and the
// index, and one answer to each terminal query the guest sends (device attributes, cursor
// position, size, mode reports), whatever the number of clients, zero included. The answers are
// handed to the console as input (replies()).
//
// The console never waits for it: feed() copies the bytes into a bounded queue and returns. A
// model that falls behind by more than MaxBacklog bytes drops the backlog, says so in the log,
// counts the bytes (skippedBytes()), and marks its snapshots incomplete until every visible
// cell has been written again (a full-screen erase, or a screenful of lines scrolled off).
// It owns the model and the thread; it knows nothing about clients, sockets or the source.

#include "terminalmodel.h"

#include <QByteArray>
#include <QObject>
#include <QSize>
#include <QString>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

namespace CloudConsole {

class ConsoleScreen : public QObject
{
    Q_OBJECT
public:
    // Output waiting for the model beyond which it is dropped: a second of a fast flood.
    static constexpr qsizetype MaxBacklog = 8 * 1024 * 1024;
    // How much the model takes at once; a snapshot waits for at most one such piece.
    static constexpr qsizetype Piece = 16 * 1024;

    // A screen that is not enabled takes nothing and answers nothing: no thread, no model fed,
    // no snapshot (offset -1), no answers to queries (--no-screen, for comparison and for
    // hosts that want none).
    ConsoleScreen(QSize size, int scrollbackLines, bool enabled = true, QObject *parent = nullptr);
    bool isEnabled() const { return m_enabled; }
    ~ConsoleScreen() override;

    // The console's output from `offset` on. Offsets follow each other; a jump is a skip.
    void feed(qint64 offset, QByteArrayView bytes);
    void resize(QSize size);
    QSize size() const; // an empty size while the screen is busy (see m_modelLock)

    struct Snapshot
    {
        qint64 offset = 0; // the output this screen stands for ends here
        QSize size;
        bool complete = true;
        QByteArray data; // terminal output that draws it (ScreenSerializer)
    };
    // Offset -1 while the screen is off or busy: no client can go on from it.
    Snapshot snapshot() const;

    // The visible screen, for people and scripts.
    struct Text
    {
        qint64 offset = 0;
        QSize size;
        QPoint cursor; // column, row
        bool cursorVisible = true;
        bool alternateScreen = false;
        QString title;
        std::vector<Terminal::Line> lines; // the screen's rows, cells as the model keeps them
        Terminal::TerminalColors colors;
    };
    Text text() const; // offset -1 while the screen is busy
    // The last non-blank line of the screen: "login:", a panic, a prompt.
    QString lastLine() const;

    // Output the model has taken; it trails what was fed while it catches up.
    qint64 offset() const { return m_offset.load(); }
    qint64 skippedBytes() const { return m_skipped.load(); }
    qint64 answeredQueries() const { return m_answers.load(); }

Q_SIGNALS:
    // Answers to the guest's queries, for the console's input, in order (main thread).
    void replies(const QByteArray &bytes);

private:
    void run();
    // Takes the model lock; writes one piece.
    void process(QByteArray piece, qint64 offset, qint64 skipped);

    // The queue from feed() to the thread.
    mutable std::mutex m_queueLock;
    std::condition_variable m_wake;
    QByteArray m_queue;
    qint64 m_queueEnd = -1; // offset one past the queue's last byte; -1 before the first feed
    qint64 m_queueSkipped = 0; // bytes dropped since the thread last looked
    bool m_stopping = false;

    // The model and what only the thread changes; snapshots read them under the lock.
    // Timed, so that the console's thread never waits on it for long: should libvterm ever hang
    // in a write (it has loops a guest can trigger, see docs/fuzzing.md), the screen becomes
    // unavailable, not the server.
    mutable std::timed_mutex m_modelLock;
    static constexpr std::chrono::milliseconds MaxWait {200};
    std::unique_ptr<Terminal::TerminalModel> m_model;
    QByteArray m_pendingReplies;
    bool m_incomplete = false;
    qint64 m_scrolledAtSkip = 0;
    std::atomic<qint64> m_offset {0};
    std::atomic<qint64> m_skipped {0};
    std::atomic<qint64> m_answers {0};

    const bool m_enabled;
    std::thread m_thread; // last: started once everything above exists
};

} // namespace CloudConsole
