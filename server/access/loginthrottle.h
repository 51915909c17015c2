#pragma once

// LoginThrottle decides whether a password check may start, so that checks (slow on purpose)
// stay few, and a flood of guesses costs only its own target: each user name and each address
// has a small bucket of its own (loopback addresses excepted: a reverse proxy on this host
// stands for many clients), and the server one over all. A guess refused by its user's or
// its address's bucket takes nothing from the server's, so a flood against one name, from one
// address or many, cannot lock out another user.
//
// It owns the buckets (at most MaxTracked names and addresses each; full buckets are forgotten
// first); it knows nothing of HTTP or of which names exist (a name is throttled the same
// whether or not it is a user's, so throttling tells nothing).

#include "ratelimit.h"

#include <QHash>
#include <QHostAddress>
#include <QString>

namespace CloudConsole {

// Password checks per second and in bursts (declared outside LoginThrottle so that it can be a
// default argument there).
struct LoginLimits
{
    double perSecond = 5; // over the whole server
    double burst = 10;
    double perAddressPerSecond = 1;
    double perAddressBurst = 3;
    double perUserPerSecond = 1;
    double perUserBurst = 3;
};

class LoginThrottle
{
public:
    using Limits = LoginLimits;
    static constexpr int MaxTracked = 4096;

    enum class Verdict { Allowed, UserBusy, AddressBusy, ServerBusy };

    explicit LoginThrottle(Limits limits = {})
        : m_limits(limits), m_server(limits.perSecond, limits.burst)
    { }

    Verdict allow(const QHostAddress &address, const QString &user);

private:
    // The bucket of a key, made full if new; nullptr when too many are tracked to add one.
    template<typename Key>
    TokenBucket *bucketFor(QHash<Key, TokenBucket> &buckets, const Key &key, double rate,
                           double burst);

    Limits m_limits;
    TokenBucket m_server;
    QHash<QHostAddress, TokenBucket> m_addresses;
    QHash<QString, TokenBucket> m_users;
};

} // namespace CloudConsole
