#include "loginthrottle.h"

namespace CloudConsole {

template<typename Key>
TokenBucket *LoginThrottle::bucketFor(QHash<Key, TokenBucket> &buckets, const Key &key, double rate,
                                      double burst)
{
    if (const auto found = buckets.find(key); found != buckets.end())
        return &found.value();
    if (buckets.size() >= MaxTracked) {
        // A full bucket remembers nothing a new one would not.
        const auto now = TokenBucket::Clock::now();
        buckets.removeIf([now](auto it) { return it.value().isFull(now); });
        if (buckets.size() >= MaxTracked)
            return nullptr;
    }
    return &buckets.insert(key, TokenBucket(rate, burst)).value();
}

LoginThrottle::Verdict LoginThrottle::allow(const QHostAddress &address, const QString &user)
{
    const auto now = TokenBucket::Clock::now();
    // Names are the client's to choose: bound what one costs to remember.
    const QString name = user.left(64).toCaseFolded();
    TokenBucket *byUser
        = bucketFor(m_users, name, m_limits.perUserPerSecond, m_limits.perUserBurst);
    // A loopback peer is a reverse proxy on this host as often as not, standing for every
    // client behind it: an address bucket would make them all one (the proxy can limit by the
    // real address itself; docs/deployment.md shows how).
    TokenBucket *byAddress = address.isLoopback()
        ? nullptr
        : bucketFor(m_addresses, address, m_limits.perAddressPerSecond, m_limits.perAddressBurst);
    if (!byUser || (!byAddress && !address.isLoopback()))
        return Verdict::ServerBusy; // thousands of names or addresses at once: a flood
    if (!byUser->ready(now))
        return Verdict::UserBusy;
    if (byAddress && !byAddress->ready(now))
        return Verdict::AddressBusy;
    if (!m_server.take(now))
        return Verdict::ServerBusy;
    byUser->take(now);
    if (byAddress)
        byAddress->take(now);
    return Verdict::Allowed;
}

} // namespace CloudConsole
