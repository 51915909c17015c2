#pragma once

// What the HTTP front end is configured with: plain data, filled from the server's options and
// read by HttpFrontend and its parts.

#include "accesssettings.h"
#include "fleet.h"

#include <QString>
#include <QUrl>

namespace CloudConsole {

struct FrontendSettings
{
    int maxClients = 1024; // across all consoles; more are refused with 503
    QString webRoot; // serve the page from this directory instead of the embedded copy
    AccessSettings access; // credentials, allowed origins, session lifetime
    TlsSettings tls; // loaded: connections are TLS when enabled
    QUrl publicUrl; // public-url: the base of the share links made; empty: the request's Host
    FleetSettings fleet; // fleet, fleet-name: the other hosts the wall shows
};

} // namespace CloudConsole
