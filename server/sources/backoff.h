#pragma once

// Backoff hands out retry delays that double from an initial delay up to a cap, so a source that
// stays away is retried promptly at first and then at a bounded, idle-friendly rate.

#include <algorithm>
#include <chrono>

namespace CloudConsole {

class Backoff
{
public:
    using Duration = std::chrono::milliseconds;

    explicit Backoff(Duration initial = Duration(100), Duration cap = Duration(5000))
        : m_initial(initial), m_cap(cap), m_next(initial)
    { }

    // The delay before the next attempt; each call doubles the one after, up to the cap.
    Duration next()
    {
        const Duration now = m_next;
        m_next = std::min(m_cap, m_next * 2);
        return now;
    }
    void reset() { m_next = m_initial; }

private:
    Duration m_initial;
    Duration m_cap;
    Duration m_next;
};

} // namespace CloudConsole
