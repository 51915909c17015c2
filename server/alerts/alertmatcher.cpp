#include "alertmatcher.h"

#include <algorithm>

namespace CloudConsole {

AlertMatcher::AlertMatcher(AlertRules rules)
{
    setRules(std::move(rules));
}

void AlertMatcher::setRules(AlertRules rules)
{
    std::vector<RuleState> next;
    next.reserve(rules.size());
    for (AlertRule &rule : rules) {
        RuleState state;
        const auto old = std::find_if(m_rules.begin(), m_rules.end(),
                                      [&](const RuleState &s) { return s.rule.name == rule.name; });
        if (old != m_rules.end()) {
            state = *old;
            state.raised = state.raised && rule.hasClear();
        }
        state.rule = std::move(rule);
        next.push_back(std::move(state));
    }
    m_rules = std::move(next);

    // Joined, a pattern's groups are numbered anew: one that refers to a group by number or name
    // (a back reference, a recursion) would match something else, so then every line goes
    // through every rule.
    static const QRegularExpression refersToGroup(
        QStringLiteral("\\\\(?:[1-9]|g|k)|\\(\\?(?:P[=>]|R|&|[+-]?[0-9])"));
    QStringList alternatives;
    bool joinable = true;
    for (const RuleState &state : m_rules) {
        for (const QRegularExpression *pattern : {&state.rule.pattern, &state.rule.clear}) {
            if (pattern->pattern().isEmpty())
                continue;
            joinable = joinable && !refersToGroup.match(pattern->pattern()).hasMatch();
            alternatives += QStringLiteral("(?:%1)").arg(pattern->pattern());
        }
    }
    m_any = QRegularExpression();
    if (joinable && !alternatives.isEmpty()) {
        QRegularExpression any(alternatives.join(QLatin1Char('|')));
        if (any.isValid()) {
            any.optimize();
            m_any = std::move(any);
        }
    }
}

std::vector<Alert> AlertMatcher::matchLine(const LineReader::Line &line, qint64 nowMs,
                                           qint64 wallMs)
{
    return match(line, false, nowMs, wallMs);
}

std::vector<Alert> AlertMatcher::matchPartial(const LineReader::Line &line, qint64 nowMs,
                                              qint64 wallMs)
{
    return match(line, true, nowMs, wallMs);
}

bool AlertMatcher::takeToken(qint64 nowMs)
{
    if (m_lastRefillMs && nowMs > *m_lastRefillMs)
        m_tokens
            = std::min(Burst, m_tokens + double(nowMs - *m_lastRefillMs) / 1000.0 * RatePerSecond);
    if (!m_lastRefillMs || nowMs > *m_lastRefillMs)
        m_lastRefillMs = nowMs;
    if (m_tokens < 1.0)
        return false;
    m_tokens -= 1.0;
    return true;
}

std::vector<Alert> AlertMatcher::match(const LineReader::Line &line, bool partial, qint64 nowMs,
                                       qint64 wallMs)
{
    std::vector<Alert> alerts;
    m_lastMatch.reset();
    if (m_rules.empty() || line.text.isEmpty())
        return alerts;
    const QString text = QString::fromUtf8(line.text);
    if (m_any.isValid() && !m_any.pattern().isEmpty() && !m_any.match(text).hasMatch())
        return alerts; // no rule's pattern nor clear pattern matches anywhere in it
    for (RuleState &state : m_rules) {
        const AlertRule &rule = state.rule;
        if (state.raised && rule.clear.match(text).hasMatch())
            state.raised = false;
        if (!rule.pattern.match(text).hasMatch())
            continue;
        if (!m_lastMatch || rule.severity > m_lastMatch->severity)
            m_lastMatch = LineMatch {rule.name, rule.severity};
        // The prompt this rule alerted on while it waited, now finished: the same line.
        if (state.partialOffset == line.offset)
            continue;
        if (state.raised
            || (state.lastAlertMs
                && nowMs - *state.lastAlertMs < qint64(rule.debounce.count()) * 1000)) {
            ++m_debounced;
            continue;
        }
        if (!takeToken(nowMs)) {
            ++m_rateLimited;
            continue;
        }
        state.lastAlertMs = nowMs;
        state.raised = rule.hasClear();
        state.partialOffset = partial ? line.offset : -1;
        alerts.push_back(Alert {rule.name, rule.severity, rule.state, text, line.offset, wallMs});
    }
    return alerts;
}

} // namespace CloudConsole
