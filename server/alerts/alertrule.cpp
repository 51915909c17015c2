#include "alertrule.h"

#include <algorithm>

namespace CloudConsole {

QString toString(AlertSeverity severity)
{
    switch (severity) {
    case AlertSeverity::Info:
        return QStringLiteral("info");
    case AlertSeverity::Warning:
        return QStringLiteral("warning");
    case AlertSeverity::Critical:
        return QStringLiteral("critical");
    }
    return QStringLiteral("warning");
}

std::optional<AlertSeverity> severityFrom(const QString &text)
{
    for (const AlertSeverity severity :
         {AlertSeverity::Info, AlertSeverity::Warning, AlertSeverity::Critical}) {
        if (text == toString(severity))
            return severity;
    }
    return std::nullopt;
}

bool isValidAlertState(const QString &state)
{
    static const QRegularExpression form(QStringLiteral("^[a-z][a-z0-9-]{0,31}$"));
    return form.match(state).hasMatch();
}

std::optional<QRegularExpression> compileAlertPattern(const QString &pattern, QString *error)
{
    if (pattern.isEmpty()) {
        *error = QStringLiteral("needs a regular expression");
        return std::nullopt;
    }
    QRegularExpression expression(pattern);
    if (!expression.isValid()) {
        *error = QStringLiteral("not a valid regular expression: %1 at character %2")
                     .arg(expression.errorString())
                     .arg(expression.patternErrorOffset());
        return std::nullopt;
    }
    expression.optimize(); // compiled (and JIT-compiled) now, not at the first line
    return expression;
}

namespace {

AlertRule builtin(const char *name, const char *pattern, AlertSeverity severity,
                  const char *state = "")
{
    AlertRule rule;
    rule.name = QString::fromLatin1(name);
    rule.pattern = QRegularExpression(QString::fromLatin1(pattern));
    rule.pattern.optimize();
    rule.severity = severity;
    rule.state = QString::fromLatin1(state);
    return rule;
}

} // namespace

const AlertRules &builtinAlertRules()
{
    using S = AlertSeverity;
    // Each pattern is the line as the kernel, systemd or cloud-init prints it (their sources:
    // kernel/panic.c, arch/x86/mm/fault.c, kernel/watchdog*.c, kernel/hung_task.c,
    // mm/oom_kill.c, arch/x86/kernel/traps.c, systemd's emergency.service, cloud-init's
    // final stage, agetty's issue and prompt), anchored on words that do not occur in
    // ordinary output. docs/config.md lists them.
    static const AlertRules rules {
        builtin("kernel-panic", "Kernel panic - not syncing", S::Critical, "failed"),
        builtin("kernel-oops", "\\bOops: ", S::Critical),
        // soft lockups have a rule of their own
        builtin("kernel-bug", "\\bBUG: (?!soft lockup)", S::Critical),
        builtin("soft-lockup", "\\bBUG: soft lockup - CPU#?\\d+ stuck for", S::Warning),
        builtin("hard-lockup", "\\bhard LOCKUP on cpu", S::Critical),
        builtin("hung-task", "\\bINFO: task \\S.*blocked for more than \\d+ seconds", S::Warning),
        builtin("oom-kill", "\\b[Oo]ut of memory: Kill(?:ed)? process \\d+", S::Warning),
        builtin("init-segfault", "\\[1\\]: segfault at ", S::Critical),
        builtin("emergency-mode", "\\bYou are in emergency mode\\b", S::Critical, "failed"),
        builtin("rescue-mode", "\\bYou are in rescue mode\\b", S::Warning, "rescue"),
        // agetty's prompt ends the line ("vm1 login: "); once a name is typed it no longer does
        builtin("login-prompt", "\\blogin: *$", S::Info, "ready"),
        builtin("cloud-init-finished", "\\bCloud-init v\\. \\S+ finished at\\b", S::Info, "ready"),
        // the kernel's first line: a reboot starts again from booting
        builtin("linux-boot", "\\bLinux version \\d+\\.\\d+\\S* \\(", S::Info, "booting"),
    };
    return rules;
}

AlertRules AlertSettings::effective() const
{
    AlertRules out;
    if (builtin) {
        for (const AlertRule &rule : builtinAlertRules()) {
            const auto own = std::find_if(rules.begin(), rules.end(),
                                          [&](const AlertRule &r) { return r.name == rule.name; });
            out.push_back(own == rules.end() ? rule : *own);
        }
    }
    for (const AlertRule &rule : rules) {
        const bool placed = std::any_of(out.begin(), out.end(),
                                        [&](const AlertRule &r) { return r.name == rule.name; });
        if (!placed)
            out.push_back(rule);
    }
    return out;
}

} // namespace CloudConsole
