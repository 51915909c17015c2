#include "consolealerts.h"

#include "consolejournal.h"
#include "ratelimit.h"

#include <QDateTime>
#include <QLoggingCategory>

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

Q_LOGGING_CATEGORY(lcAlert, "cloudconsole.alert")

namespace CloudConsole {

namespace {

qint64 steadyMs()
{
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

} // namespace

ConsoleAlerts::ConsoleAlerts(const QString &console, QObject *parent)
    : QObject(parent), m_console(console)
{ }

ConsoleAlerts::~ConsoleAlerts()
{
    {
        const std::lock_guard lock(m_lock);
        m_stopping = true;
    }
    m_wake.notify_one();
    if (m_thread.joinable())
        m_thread.join();
}

void ConsoleAlerts::setRules(const AlertRules &rules)
{
    AlertRules mine;
    for (const AlertRule &rule : rules) {
        if (rule.appliesTo(m_console))
            mine.push_back(rule);
    }
    m_ruleCount = int(mine.size());
    {
        const std::lock_guard lock(m_lock);
        m_newRules = std::move(mine);
    }
    m_wake.notify_one();
    startIfWanted();
}

void ConsoleAlerts::setJournal(bool on)
{
    m_journalOn = on;
    {
        const std::lock_guard lock(m_lock);
        m_newJournal = JournalChange {on, m_fedEnd};
    }
    m_wake.notify_one();
    startIfWanted();
}

void ConsoleAlerts::startIfWanted()
{
    if (wanted() && !m_active) {
        m_active = true;
        m_thread = std::thread([this] { run(); });
    }
    // A console whose rules all went keeps its (idle) thread: the queue stays empty.
}

void ConsoleAlerts::feed(qint64 offset, QByteArrayView bytes)
{
    if (bytes.isEmpty())
        return;
    m_fedEnd = offset + bytes.size();
    if (!m_active || !wanted())
        return;
    Chunk chunk {QByteArray(bytes.data(), bytes.size()), offset, steadyMs(),
                 QDateTime::currentMSecsSinceEpoch()};
    {
        const std::lock_guard lock(m_lock);
        if (m_queueBytes + chunk.bytes.size() > MaxBacklog) {
            m_queueSkipped += m_queueBytes;
            m_queue.clear();
            m_queueBytes = 0;
        }
        m_queueBytes += chunk.bytes.size();
        m_queue.push_back(std::move(chunk));
    }
    m_wake.notify_one();
}

void ConsoleAlerts::run()
{
    // As ConsoleScreen's thread: lowest priority, so that under a flood the console, its log and
    // its clients run first and the matcher falls behind (and skips) instead.
    ::setpriority(PRIO_PROCESS, pid_t(::syscall(SYS_gettid)), 19);
    LineReader reader;
    AlertMatcher matcher;
    std::optional<ConsoleJournal> journal;
    std::optional<JournalChange> journalChange; // to apply from its offset on
    LogThrottle skipLog;
    quint64 checkedRevision = reader.pendingRevision(); // the partial line last matched
    quint64 seenRevision = checkedRevision;
    qint64 pendingSinceMs = 0;
    qint64 pendingWallMs = 0;
    qint64 lastReadMs = 0;
    for (;;) {
        std::deque<Chunk> work;
        std::optional<AlertRules> rules;
        qint64 skipped = 0;
        {
            std::unique_lock lock(m_lock);
            const auto ready = [this] {
                return m_stopping || !m_queue.empty() || m_newRules.has_value()
                    || m_newJournal.has_value();
            };
            const bool idleDue
                = checkedRevision != reader.pendingRevision() && !reader.pending().text.isEmpty();
            if (idleDue) {
                const auto due = std::chrono::steady_clock::time_point(
                    std::chrono::milliseconds(pendingSinceMs) + IdleLine);
                m_wake.wait_until(lock, due, ready);
            } else {
                m_wake.wait(lock, ready);
            }
            if (m_stopping)
                return;
            work.swap(m_queue);
            m_queueBytes = 0;
            skipped = std::exchange(m_queueSkipped, 0);
            rules = std::exchange(m_newRules, std::nullopt);
            if (m_newJournal)
                journalChange = std::exchange(m_newJournal, std::nullopt);
        }
        if (rules)
            matcher.setRules(std::move(*rules));
        // A line to the journal, at the severity of the rule it matched (matchLine() just ran).
        const auto toJournal = [&](const LineReader::Line &line) {
            if (journalChange && line.offset >= journalChange->from) {
                if (journalChange->on && !journal)
                    journal.emplace(m_console);
                else if (!journalChange->on)
                    journal.reset();
                journalChange.reset();
            }
            if (!journal)
                return;
            const auto &match = matcher.lastMatch();
            const bool written
                = journal->write(line, match ? match->rule : QString(),
                                 match ? std::optional(match->severity) : std::nullopt);
            ++(written ? m_journalWritten : m_journalFailed);
        };
        if (skipped > 0) {
            m_skipped += skipped;
            qint64 heldBack = 0;
            if (skipLog.allow(&heldBack))
                qCWarning(lcAlert).noquote()
                    << m_console << "alert rules fell behind the console's output and skipped"
                    << skipped << "bytes; lines in them were not matched"
                    << (heldBack > 0
                            ? QStringLiteral("(%1 skips before this one not logged)").arg(heldBack)
                            : QString());
        }
        for (const Chunk &chunk : work) {
            reader.feed(chunk.offset, chunk.bytes, [&](const LineReader::Line &line) {
                std::vector<Alert> alerts = matcher.matchLine(line, chunk.steadyMs, chunk.wallMs);
                toJournal(line);
                deliver(std::move(alerts));
            });
            if (reader.pendingRevision() != seenRevision) {
                seenRevision = reader.pendingRevision();
                pendingSinceMs = chunk.steadyMs;
                pendingWallMs = chunk.wallMs;
            }
            lastReadMs = chunk.steadyMs;
        }
        if (checkedRevision != reader.pendingRevision()) {
            const LineReader::Line pending = reader.pending();
            const qint64 idleAt = pendingSinceMs + IdleLine.count();
            // Unchanged for IdleLine: a later read left it as it was (output that draws nothing,
            // such as a cursor that blinks), or nothing was read since and the time has passed.
            // A read still queued may change it: then it is not idle yet.
            bool idle = lastReadMs >= idleAt;
            if (!idle && steadyMs() >= idleAt) {
                const std::lock_guard lock(m_lock);
                idle = m_queue.empty();
            }
            if (pending.text.isEmpty()) {
                checkedRevision = reader.pendingRevision();
            } else if (idle) {
                checkedRevision = reader.pendingRevision();
                std::vector<Alert> alerts = matcher.matchPartial(
                    pending, pendingSinceMs + IdleLine.count(), pendingWallMs);
                // A prompt that alerted goes to the journal now, not when it ends (it may not):
                // then its line goes again, finished.
                if (!alerts.empty())
                    toJournal(pending);
                deliver(std::move(alerts));
            }
        }
        m_debounced = matcher.debounced();
        m_rateLimited = matcher.rateLimited();
    }
}

void ConsoleAlerts::deliver(std::vector<Alert> alerts)
{
    for (Alert &alert : alerts) {
        // To the console's thread; dropped with this object if it goes first. The matcher's
        // bucket bounds how many are ever on their way.
        QMetaObject::invokeMethod(
            this, [this, alert = std::move(alert)] { Q_EMIT alerted(alert); },
            Qt::QueuedConnection);
    }
}

} // namespace CloudConsole
