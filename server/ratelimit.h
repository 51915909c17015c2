#pragma once

// Rate limits used wherever a peer can make the server do something again and again: a token
// bucket, and a throttle for a log line that a peer can provoke at will. Neither is
// thread-safe; each belongs to one thread (the global log limit locks around its own).

#include <QtGlobal>

#include <algorithm>
#include <chrono>
#include <utility>

namespace CloudConsole {

class TokenBucket
{
public:
    using Clock = std::chrono::steady_clock;

    // ratePerSecond tokens come back each second, up to burst; the bucket starts full.
    TokenBucket(double ratePerSecond, double burst)
        : m_rate(ratePerSecond), m_burst(burst), m_tokens(burst), m_last(Clock::now())
    { }

    // Takes one token if there is one.
    bool take(Clock::time_point now = Clock::now())
    {
        refill(now);
        if (m_tokens < 1.0)
            return false;
        m_tokens -= 1.0;
        return true;
    }
    // Whether a token is there, without taking it (to check several buckets before taking from
    // all of them).
    bool ready(Clock::time_point now = Clock::now())
    {
        refill(now);
        return m_tokens >= 1.0;
    }
    // Full again: nothing was taken for as long as a whole burst takes to come back.
    bool isFull(Clock::time_point now = Clock::now())
    {
        refill(now);
        return m_tokens >= m_burst;
    }

private:
    void refill(Clock::time_point now)
    {
        if (now <= m_last)
            return;
        const double seconds = std::chrono::duration<double>(now - m_last).count();
        m_tokens = std::min(m_burst, m_tokens + seconds * m_rate);
        m_last = now;
    }

    double m_rate;
    double m_burst;
    double m_tokens;
    Clock::time_point m_last;
};

// A log line a peer can provoke at will (a refused message, a dropped connection) goes through
// one of these: a burst of lines, then one per interval, and the next line that passes says
// how many were held back. takeHeldBack() lets an owner write that count when it goes away.
class LogThrottle
{
public:
    explicit LogThrottle(double linesPerSecond = 0.2, double burst = 5)
        : m_bucket(linesPerSecond, burst)
    { }

    // Whether to write the line; *heldBack gets how many were held back before it.
    bool allow(qint64 *heldBack)
    {
        if (!m_bucket.take()) {
            ++m_heldBack;
            return false;
        }
        *heldBack = std::exchange(m_heldBack, 0);
        return true;
    }
    qint64 takeHeldBack() { return std::exchange(m_heldBack, 0); }

private:
    TokenBucket m_bucket;
    qint64 m_heldBack = 0;
};

} // namespace CloudConsole
