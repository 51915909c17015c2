#pragma once

// The settings model: what the server and each of its consoles are configured to be. The command
// line (options.h) and the configuration file (configfile.h) both fill it through the setting
// table (settingtable.h), which also gives every field its default: the constructors apply the
// declared defaults (the table reads them from where they are kept), so no default is written
// here. Plain data; knows nothing of parsing.

#include "accesssettings.h"
#include "alertrule.h"
#include "discoverysettings.h"
#include "fleet.h"
#include "limitsettings.h"
#include "recordingsettings.h"
#include "sharingsettings.h"
#include "sourcespec.h"
#include "webhooksettings.h"

#include <QHostAddress>
#include <QSize>
#include <QString>
#include <QUrl>

#include <vector>

namespace CloudConsole {

// One console to serve, from the command line or a [console NAME] section.
struct ConsoleOptions
{
    ConsoleOptions(); // every console setting at its declared default

    QString name;
    SourceSpec source;
    qsizetype historySize = 0;
    QString logPath; // empty: no log
    bool markers {}; // resolved against [server] markers once the file is read
    int maxClients = 0; // 0: the server's max-clients-per-console
    QSize size; // the console's size (see ConsoleSettings::size)
    int scrollbackLines = 0; // lines the server's screen keeps
    bool syslog {}; // syslog = on: the console's lines to the journal
    SharingSettings sharing; // input, control-idle, paste-*
    bool screen {}; // screen = off, --no-screen
    RecordingSettings recording; // record = on, record-dir, ... (server/recording/)
};

struct ServerOptions
{
    ServerOptions(); // every server setting at its declared default

    QHostAddress address;
    quint16 port = 0;
    QString webRoot; // empty: the built-in page
    int maxClients = 0; // WebSocket clients at once, over all consoles
    bool markers {}; // the default of every console's markers
    AccessSettings access;
    TlsSettings tls;
    LimitSettings limits;
    // builtin-alerts, and the [alert NAME] sections (configfile.cpp reads them).
    AlertSettings alerts;
    // The [webhook NAME] sections (configfile.cpp reads them; Server loads their files).
    WebhookList webhooks;
    // public-url: where users reach the server, for the links webhooks send; empty: the server's
    // own URL (Server::baseUrl()).
    QUrl publicUrl;
    FleetSettings fleet; // fleet, fleet-name (server/http/fleet.h)
    QString configPath; // --config
    // What to serve: the command line's one console, or the configuration's consoles.
    std::vector<ConsoleOptions> consoles;
    // [discover libvirt], [discover ch] and the overrides of the consoles they find
    // (configfile.cpp reads them; server/discovery/ serves them).
    DiscoveryOptions discovery;

    // The command line's one console as given, for whoever reads the command line (empty with
    // --config): its source as typed, --exec's command, and what consoles.front() says.
    QString source;
    QString execCommand;
    SourceSpec sourceSpec;
    QString name;
    qsizetype historySize = 0;
    QString logPath;
};

} // namespace CloudConsole
