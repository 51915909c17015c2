#pragma once

// The limits on each client of a console: how many at once, how fast it may type, how often it
// is pinged, how long it may stay silent. Plain data, filled by the configuration file and the
// command line (server/settings/), enforced by ClientSession and the upgrade policy.

#include <QtGlobal>

#include <chrono>

namespace CloudConsole {

struct LimitSettings
{
    int maxClientsPerConsole = 256; // more are refused with 503
    qint64 inputBytesPerSecond = 64 * 1024; // per client, with a burst of as much; 0: no limit
    std::chrono::seconds pingInterval {30}; // WebSocket pings, so proxies keep idle sessions
    // A client that sent nothing for this long is closed; 0: never.
    std::chrono::seconds idleTimeout {0};
};

} // namespace CloudConsole
