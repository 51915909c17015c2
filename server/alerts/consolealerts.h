#pragma once

// ConsoleAlerts watches one console's output for its alert rules, and sends its lines to the
// journal when asked (syslog = on, ConsoleJournal), on a thread of its own, the way ConsoleScreen
// keeps the screen: the console's thread only copies each read into a bounded
// queue (feed()) and never waits for the matching. The thread runs a LineReader and an
// AlertMatcher at the lowest priority, matches a line the guest left unfinished once it has not
// changed for IdleLine (a `login: ` prompt), and hands each alert to the console's thread
// (alerted()). Under a flood it falls behind rather than slowing the console: past MaxBacklog
// bytes waiting, the backlog is dropped, counted (skippedBytes()) and logged, and matching goes
// on from the next read.
//
// It owns the thread, the queue, the reader, the matcher and the journal; it knows nothing of
// clients, the protocol, metrics or what an alert does (Console decides that).

#include "alertmatcher.h"

#include <QByteArray>
#include <QLoggingCategory>
#include <QObject>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>

// The alerts' log lines: one per alert (Console's), and the matcher's own.
Q_DECLARE_LOGGING_CATEGORY(lcAlert)

namespace CloudConsole {

class ConsoleAlerts : public QObject
{
    Q_OBJECT
public:
    // Output waiting for the matcher beyond which it is dropped: well over a second of a flood at
    // the rate the matcher takes lines, and little memory per console.
    static constexpr qsizetype MaxBacklog = 1024 * 1024;
    // How long a partial line stays unchanged before it is matched.
    static constexpr std::chrono::milliseconds IdleLine {300};

    explicit ConsoleAlerts(const QString &console, QObject *parent = nullptr);
    ~ConsoleAlerts() override;

    // The server's rules; those that apply to this console are kept. The thread starts with the
    // first rule (or the journal), and without either, feed() costs nothing.
    void setRules(const AlertRules &rules);
    int ruleCount() const { return m_ruleCount; }
    // syslog = on: every line the guest ends from now on goes to the journal as well.
    void setJournal(bool on);
    bool journalOn() const { return m_journalOn; }
    // Lines the journal took, and those it refused (journald not running, ...).
    qint64 journalWritten() const { return m_journalWritten.load(); }
    qint64 journalFailed() const { return m_journalFailed.load(); }

    // The console's output from `offset` on, as read (console's thread).
    void feed(qint64 offset, QByteArrayView bytes);

    qint64 skippedBytes() const { return m_skipped.load(); }
    qint64 debounced() const { return m_debounced.load(); }
    qint64 rateLimited() const { return m_rateLimited.load(); }

Q_SIGNALS:
    // On the console's thread, in the order the lines came.
    void alerted(const CloudConsole::Alert &alert);

private:
    struct Chunk
    {
        QByteArray bytes;
        qint64 offset = 0;
        qint64 steadyMs = 0; // when it was read: monotonic, for the idle line and debounce
        qint64 wallMs = 0; // and for the alerts' times
    };

    void run();
    void deliver(std::vector<Alert> alerts);
    // Starts the thread once there is something for it to do.
    void startIfWanted();
    bool wanted() const { return m_ruleCount > 0 || m_journalOn; }

    const QString m_console;
    int m_ruleCount = 0;
    bool m_journalOn = false;
    qint64 m_fedEnd = 0; // one past the last byte fed (console's thread)
    bool m_active = false; // main thread: the thread runs and feed() queues

    // The queue from feed() and setRules() to the thread.
    std::mutex m_lock;
    std::condition_variable m_wake;
    std::deque<Chunk> m_queue;
    qsizetype m_queueBytes = 0;
    qint64 m_queueSkipped = 0;
    std::optional<AlertRules> m_newRules;
    // Journal on or off for the lines that start at or after an offset: the output fed after
    // setJournal(), not what was still queued when it was called.
    struct JournalChange
    {
        bool on = false;
        qint64 from = 0;
    };
    std::optional<JournalChange> m_newJournal;
    bool m_stopping = false;

    std::atomic<qint64> m_skipped {0};
    std::atomic<qint64> m_debounced {0};
    std::atomic<qint64> m_rateLimited {0};
    std::atomic<qint64> m_journalWritten {0};
    std::atomic<qint64> m_journalFailed {0};

    std::thread m_thread; // last: started once everything above exists
};

} // namespace CloudConsole
