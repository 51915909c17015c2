#pragma once

// Alert rules: what a line of a console's output must match to raise an alert, how serious that
// is, and what it does to the console's state. A rule comes from an [alert NAME] section of the
// configuration (configfile.cpp reads it) or from the built-in set, which knows the lines Linux,
// systemd and cloud-init print when a guest panics, hangs, runs out of memory, falls into
// emergency mode or reaches its login prompt (docs/config.md lists them). A section of the same
// name replaces a built-in rule; `builtin-alerts = off` drops the built-in set.
//
// Plain values: a rule holds its compiled expressions and knows nothing of consoles, threads or
// time (AlertMatcher applies rules to lines, ConsoleAlerts runs it beside a console).

#include "consolelist.h"

#include <QRegularExpression>
#include <QString>
#include <QStringList>

#include <chrono>
#include <memory>
#include <optional>
#include <vector>

namespace CloudConsole {

enum class AlertSeverity { Info, Warning, Critical };

QString toString(AlertSeverity severity);
std::optional<AlertSeverity> severityFrom(const QString &text);

struct AlertRule
{
    QString name;
    QRegularExpression pattern;
    QRegularExpression clear; // empty pattern: none. Once matched, the rule is raised until this
                              // matches a line; it does not alert again meanwhile
    QStringList consoles; // empty: every console
    AlertSeverity severity = AlertSeverity::Warning;
    // After an alert, the same rule on the same console stays quiet this long.
    std::chrono::seconds debounce {10};
    QString state; // the console state an alert of this rule sets; empty: none

    bool appliesTo(const QString &console) const { return consoleListAllows(consoles, console); }
    bool hasClear() const { return !clear.pattern().isEmpty(); }
};

using AlertRules = std::vector<AlertRule>;

// What the configuration says about alerts: the built-in set on or off, and the rules of its
// [alert NAME] sections, in the file's order.
struct AlertSettings
{
    bool builtin = true;
    AlertRules rules;

    // The rules in effect: the built-in ones (unless off), each replaced by a configured rule of
    // the same name, then the other configured rules.
    AlertRules effective() const;
};

// The built-in rules, compiled.
const AlertRules &builtinAlertRules();

// A console state a rule may set: 1 to 32 of a-z 0-9 -, starting with a letter.
bool isValidAlertState(const QString &state);

// A pattern for a rule: compiled (UTF-8 text, JIT-optimised) or *error says why, with the
// position of the mistake.
std::optional<QRegularExpression> compileAlertPattern(const QString &pattern, QString *error);

} // namespace CloudConsole
