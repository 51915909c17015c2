#pragma once

// Fleet mode: the other servers whose consoles this server's wall (/wall) and index show too.
// Every host runs its own server and stays independent; one reverse proxy in front routes a path
// prefix to each (docs/deployment.md). The wall fetches each host's consoles.json and opens its
// consoles' WebSockets through that prefix, on the proxy's origin, with the user's own
// credential: this server never talks to the others, and holds no credential of theirs.
//
// Configured in [server] as `fleet = host2=/h/host2/, host3=/h/host3/` (names and path prefixes
// on the same origin) and `fleet-name` (what the wall calls this server). Plain data, its parser,
// and fleet.json; knows nothing of HTTP routing or of the other hosts' answers.

#include <QByteArray>
#include <QString>

#include <vector>

namespace CloudConsole {

struct FleetHost
{
    QString name; // 1 to 64 of A-Z a-z 0-9 . _ -
    QString prefix; // an absolute path ending in "/": "/h/host2/"
};

struct FleetSettings
{
    QString self; // fleet-name: this server on the wall; empty: the machine's host name
    std::vector<FleetHost> hosts;
};

// "host2=/h/host2/, host3=/h/host3" (a prefix without its final slash gets one). What is wrong,
// or empty and *hosts set.
QString parseFleet(const QString &text, std::vector<FleetHost> *hosts);
QString parseFleetName(const QString &text, QString *name);
QString fleetText(const std::vector<FleetHost> &hosts);

// {"self": NAME, "hosts": [{"name", "prefix"}]}
QByteArray renderFleetJson(const FleetSettings &fleet);

} // namespace CloudConsole
