#pragma once

// ConsoleStatus is what the index page ("/" when there are several consoles) and /consoles.json
// tell about each console: whether its source is up and why, the guest's state as the alert rules
// last set it (booting, ready, failed, ...), how many clients it has, and how long ago its source
// last sent output. The functions here take a snapshot of a registry and
// render it; they keep nothing. Every link they make is relative ("c/vm1/"), so the page works
// at "/" and under any reverse-proxy prefix.

#include <QByteArray>
#include <QString>

#include <optional>
#include <vector>

namespace CloudConsole {

class ConsoleRegistry;

struct ConsoleStatus
{
    QString name;
    bool sourceUp = false;
    QString reason; // what the source is attached to, or why it is down
    QString state; // the console's state (Console::state())
    int clients = 0;
    std::optional<qint64> lastOutputAgeMs; // nothing: the source never sent output
    QString lastLine; // the screen's last non-blank line: "login:", a prompt, a panic
    // Alerts its rules raised since the server started, by severity: for the wall's badges.
    qint64 criticalAlerts = 0;
    qint64 warningAlerts = 0;
    qint64 infoAlerts = 0;
    // A console discovery made (server/discovery/): who found it ("libvirt", "ch"), what its VM
    // does, and whether the VM is gone (the console stays until removeInMs has passed).
    QString discovered; // empty: declared in the configuration
    QString vmState;
    bool gone = false;
    std::optional<qint64> removeInMs;
};

std::vector<ConsoleStatus> consoleStatuses(const ConsoleRegistry &consoles);

// "never", "12 s ago", "5 min ago", "3 h ago", "2 d ago".
QString describeAge(std::optional<qint64> ageMs);

// A complete HTML page: a table of the consoles, each name a link to its page.
QByteArray renderIndexPage(const std::vector<ConsoleStatus> &consoles);

// {"consoles": [{"name", "source": "up"|"down", "reason", "state", "clients", "url",
//                "lastOutputAgeSeconds": number or null, "lastLine", "screen",
//                "alerts": {"critical", "warning", "info"},
//                and for a discovered console "discovered", "vm", "gone", "removeInSeconds"}]}
QByteArray renderConsolesJson(const std::vector<ConsoleStatus> &consoles);

} // namespace CloudConsole
