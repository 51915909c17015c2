#include "retry.h"

namespace CloudConsole {

Retry::Retry(Backoff backoff, QObject *parent) : QObject(parent), m_backoff(backoff)
{
    m_timer.setSingleShot(true);
    connect(&m_timer, &QTimer::timeout, this, &Retry::due);
}

std::chrono::milliseconds Retry::schedule()
{
    const std::chrono::milliseconds delay = m_backoff.next();
    m_timer.start(delay);
    return delay;
}

bool Retry::noteFailure(const QString &reason)
{
    const bool news = reason != m_lastFailure;
    m_lastFailure = reason;
    return news;
}

} // namespace CloudConsole
