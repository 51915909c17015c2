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
// The console's thread never waits for it. feed() copies the bytes into a bounded queue and
// returns; resize() is queued behind the bytes written at the old size. A snapshot is asked for
// (requestSnapshot()) and handed over when the model has taken every byte fed until then. The
// visible screen (text()) is the one the thread last published: after each piece when it has
// nothing left to take, and at most every PublishInterval while it is busy. A
// model that falls behind by more than MaxBacklog bytes drops the backlog, says so in the log,
// counts the bytes (skippedBytes()), and marks its snapshots incomplete until every visible
// cell has been written again (a full-screen erase, or a screenful of lines scrolled off).
// It owns the model and the thread; it knows nothing about clients, sockets or the source.

#include "terminalmodel.h"

#include <QByteArray>
#include <QObject>
#include <QPointer>
#include <QSize>
#include <QString>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

namespace CloudConsole {

class ConsoleScreen : public QObject
{
    Q_OBJECT
public:
    // Output waiting for the model beyond which it is dropped: a second of a fast flood.
    static constexpr qsizetype MaxBacklog = 8 * 1024 * 1024;
    // How much the model takes at once; between pieces it publishes its text and makes snapshots.
    static constexpr qsizetype Piece = 16 * 1024;

    // A screen that is not enabled takes nothing and answers nothing: no thread, no model fed,
    // no snapshot (offset -1), no answers to queries (--no-screen, for comparison and for
    // hosts that want none).
    ConsoleScreen(QSize size, int scrollbackLines, bool enabled = true, QObject *parent = nullptr);
    bool isEnabled() const { return m_enabled; }
    ~ConsoleScreen() override;

    // The console's output from `offset` on. Offsets follow each other; a jump is a skip.
    void feed(qint64 offset, QByteArrayView bytes);
    // Takes effect after the bytes fed so far, which were written at the old size.
    void resize(QSize size);
    QSize size() const { return m_size; } // the last size given, which the model has or will have

    struct Snapshot
    {
        qint64 offset = 0; // the output this screen stands for ends here
        QSize size;
        bool complete = true;
        QByteArray data; // terminal output that draws it (ScreenSerializer)
    };
    // Asks for a snapshot of the screen that stands for at least `atLeast` bytes of output (at
    // most what was fed until now): made as soon as the model has taken that much, so a model
    // behind a flood answers at once if it is past `atLeast` already. `done` runs later on this
    // object's thread, never inside this call, and not at all if `receiver` is gone by then;
    // with the screen off it gets offset -1 (no client can go on from that). Requests waiting
    // together are served by one snapshot.
    void requestSnapshot(QObject *receiver, qint64 atLeast, std::function<void(Snapshot)> done);

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
    // As last published; offset -1 before the first (or with the screen off).
    Text text() const;
    // The last non-blank line of the published screen: "login:", a panic, a prompt.
    QString lastLine() const;

    // Output the model has taken; it trails what was fed while it catches up. The screen that
    // text() returns is published before this moves past its bytes.
    qint64 offset() const { return m_offset.load(); }
    qint64 skippedBytes() const { return m_skipped.load(); }
    qint64 answeredQueries() const { return m_answers.load(); }

Q_SIGNALS:
    // Answers to the guest's queries, for the console's input, in order (main thread).
    void replies(const QByteArray &bytes);

private:
    // How often a busy screen publishes its text: fresh enough for /screen and the index.
    static constexpr std::chrono::milliseconds PublishInterval {100};

    struct Resize
    {
        qint64 offset; // after the output up to here
        QSize size;
    };
    // Work for the thread, taken in one go from the queue.
    struct Work
    {
        QByteArray piece;
        qint64 offset = 0;
        qint64 skipped = 0;
        std::optional<Resize> resize; // applied before the piece
        bool snapshotDue = false; // after the piece
        bool last = false; // nothing else queued
    };

    void run();
    Work takeWork(std::unique_lock<std::mutex> &lock);
    // The rest run on the thread, the only one that touches the model.
    void process(const Work &work);
    void publish();
    void sendSnapshot();

    // The queue from feed(), resize() and requestSnapshot() to the thread.
    mutable std::mutex m_queueLock;
    std::condition_variable m_wake;
    std::deque<QByteArray> m_queue; // as fed
    qsizetype m_queueBytes = 0;
    qint64 m_queueEnd = -1; // offset one past the queue's last byte; -1 before the first feed
    qint64 m_queueSkipped = 0; // bytes dropped since the thread last looked
    std::deque<Resize> m_resizes;
    qint64 m_snapshotAt = -1; // a snapshot is wanted once the model reaches this offset
    bool m_stopping = false;

    // The main thread's side: the size last given, and who waits for a snapshot.
    QSize m_size;
    struct Waiter
    {
        qint64 target; // the offset the model had to reach
        QPointer<QObject> receiver;
        std::function<void(Snapshot)> done;
    };
    std::vector<Waiter> m_waiters;

    // Hands a snapshot to the requests it serves (main thread).
    void deliver(const Snapshot &snapshot);

    // The text last published, handed over whole (a copy of the pointer under the lock).
    struct Published
    {
        Text text;
        QString lastLine;
    };
    std::shared_ptr<const Published> published() const;
    mutable std::mutex m_publishedLock;
    std::shared_ptr<const Published> m_published;

    // Only the thread touches these.
    std::unique_ptr<Terminal::TerminalModel> m_model;
    QByteArray m_pendingReplies;
    bool m_incomplete = false;
    qint64 m_scrolledAtSkip = 0;
    qint64 m_modelOffset = 0;
    std::chrono::steady_clock::time_point m_lastPublish;
    bool m_unpublished = false;

    std::atomic<qint64> m_offset {0};
    std::atomic<qint64> m_skipped {0};
    std::atomic<qint64> m_answers {0};

    const bool m_enabled;
    std::thread m_thread; // last: started once everything above exists
};

} // namespace CloudConsole
