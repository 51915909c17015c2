#pragma once

// ConsoleJournal sends a console's lines to the host's journal (journald, through libsystemd's
// sd_journal_sendv), for `syslog = on`: every line the guest ends, with the console's name as
// its SYSLOG_IDENTIFIER, so the console reaches whatever ships the host's logs. A line that
// matched an alert rule gets the rule's severity as its priority (critical: LOG_CRIT, warning:
// LOG_WARNING, info: LOG_NOTICE); any other line is LOG_INFO.
//
// Lines are made safe to store: the reader has already dropped escape sequences and controls;
// here bytes that are not UTF-8 become U+FFFD, tabs become spaces, and a line is cut at
// MaxMessage bytes (a cut line ends in " [cut]"). Each entry also carries the console's name,
// the line's offset in the console's output and the rule that matched, as fields of their own
// (CLOUD_CONSOLE_NAME, CLOUD_CONSOLE_OFFSET, CLOUD_CONSOLE_RULE), so `journalctl
// CLOUD_CONSOLE_NAME=vm1` finds them.
//
// It runs on the alerts' thread (ConsoleAlerts), never on the console's: a journal that stalls
// makes that thread fall behind and skip, never the console. It owns nothing but its warning's
// throttle; it knows nothing of rules beyond what it is told of a line.

#include "alertrule.h"
#include "linereader.h"
#include "ratelimit.h"

#include <QByteArray>
#include <QString>

#include <optional>

namespace CloudConsole {

class ConsoleJournal
{
public:
    static constexpr qsizetype MaxMessage = 2048;

    explicit ConsoleJournal(const QString &console);

    // One line; rule and severity: the alert rule it matched, if any. False when the journal
    // refused it (a warning says why, throttled).
    bool write(const LineReader::Line &line, const QString &rule,
               std::optional<AlertSeverity> severity);

    // The MESSAGE field a line becomes (public for tests).
    static QByteArray message(const LineReader::Line &line);
    // The priority of a line of that severity (none: a plain line).
    static int priority(std::optional<AlertSeverity> severity);

private:
    const QByteArray m_name; // UTF-8
    const QByteArray m_identifier; // SYSLOG_IDENTIFIER=name
    LogThrottle m_warnings;
};

} // namespace CloudConsole
