#include "logratelimit.h"

#include "ratelimit.h"

#include <QMutex>
#include <QString>

#include <optional>

namespace CloudConsole::LogRateLimit {

namespace {

struct State
{
    QMutex mutex;
    std::optional<TokenBucket> bucket;
    QtMessageHandler next = nullptr;
    qint64 heldBack = 0; // since the last summary
    qint64 total = 0;
};

State &state()
{
    static State s;
    return s;
}

void writeSummary(State &s, qint64 count)
{
    const QMessageLogContext context(nullptr, 0, nullptr, "cloudconsole.log-limit");
    s.next(QtWarningMsg, context,
           QStringLiteral("%1 log lines held back: the server's log takes at most a burst, then a "
                          "steady rate")
               .arg(count));
}

void handle(QtMsgType type, const QMessageLogContext &context, const QString &message)
{
    State &s = state();
    qint64 summary = 0;
    {
        const QMutexLocker lock(&s.mutex);
        const bool always = type == QtFatalMsg || type == QtCriticalMsg;
        if (!always && !s.bucket->take()) {
            ++s.heldBack;
            ++s.total;
            return;
        }
        summary = std::exchange(s.heldBack, 0);
    }
    if (summary > 0)
        writeSummary(s, summary);
    s.next(type, context, message);
}

} // namespace

void install(double linesPerSecond, double burst)
{
    State &s = state();
    const QMutexLocker lock(&s.mutex);
    s.bucket.emplace(linesPerSecond, burst);
    s.next = qInstallMessageHandler(&handle);
}

void reportHeldBack()
{
    State &s = state();
    qint64 count = 0;
    {
        const QMutexLocker lock(&s.mutex);
        if (!s.next)
            return;
        count = std::exchange(s.heldBack, 0);
    }
    if (count > 0)
        writeSummary(s, count);
}

qint64 heldBackTotal()
{
    State &s = state();
    const QMutexLocker lock(&s.mutex);
    return s.total;
}

} // namespace CloudConsole::LogRateLimit
