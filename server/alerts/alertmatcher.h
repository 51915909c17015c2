#pragma once

// AlertMatcher applies a console's alert rules to the lines of its output (LineReader's) and
// says which alerts to raise. A rule that keeps matching is debounced (one alert, then quiet for
// the rule's debounce), a rule with a `clear` pattern stays raised and quiet until a line
// matches that, and the console's alerts all together pass a token bucket (Burst at once, then
// RatePerSecond): a flood of matching lines costs the matching and nothing more. A prompt the
// guest leaves without a line end is matched as a partial line (matchPartial); when that line
// is finished later, the rules it already raised are not raised for it again.
//
// It owns the rules' state (last alert, raised or not, the bucket) and counts what it held back.
// It knows nothing of threads or the clock: the caller gives every line its times, so tests
// drive it with made-up ones.

#include "alertrule.h"
#include "linereader.h"

#include <QString>

#include <optional>
#include <vector>

namespace CloudConsole {

struct Alert
{
    QString rule;
    AlertSeverity severity = AlertSeverity::Warning;
    QString state; // the console state this sets; empty: none
    QString line; // the line's text, controls stripped
    qint64 offset = 0; // where the line starts in the console's output
    qint64 timeMs = 0; // when its last byte was read, in ms since the epoch
};

class AlertMatcher
{
public:
    static constexpr double Burst = 10;
    static constexpr double RatePerSecond = 1;

    // Rules that apply to this console (the caller filters).
    explicit AlertMatcher(AlertRules rules = {});
    // A rule kept by name keeps its last alert and whether it is raised; the bucket stays.
    void setRules(AlertRules rules);
    bool isEmpty() const { return m_rules.empty(); }

    // A line that ended; nowMs is a monotonic time in ms, wallMs the time to report.
    std::vector<Alert> matchLine(const LineReader::Line &line, qint64 nowMs, qint64 wallMs);
    // The line being read, unchanged for a while.
    std::vector<Alert> matchPartial(const LineReader::Line &line, qint64 nowMs, qint64 wallMs);

    // The most severe rule that the last line given matched, whether it alerted or was held
    // back (debounce, rate): what the line means, for the journal.
    struct LineMatch
    {
        QString rule;
        AlertSeverity severity = AlertSeverity::Info;
    };
    const std::optional<LineMatch> &lastMatch() const { return m_lastMatch; }

    qint64 debounced() const { return m_debounced; } // matches a rule's debounce or raise held
    qint64 rateLimited() const { return m_rateLimited; } // matches the bucket held back

private:
    struct RuleState
    {
        AlertRule rule;
        std::optional<qint64> lastAlertMs;
        bool raised = false;
        qint64 partialOffset = -1; // the partial line this rule alerted on
    };
    std::vector<Alert> match(const LineReader::Line &line, bool partial, qint64 nowMs,
                             qint64 wallMs);
    bool takeToken(qint64 nowMs);

    std::vector<RuleState> m_rules;
    // Every rule's pattern and clear pattern as one alternation: most lines match none, and one
    // pass over them costs a fraction of one per rule. Invalid (not used) when the patterns
    // cannot be joined without changing what they match (back references).
    QRegularExpression m_any;
    double m_tokens = Burst;
    std::optional<qint64> m_lastRefillMs;
    std::optional<LineMatch> m_lastMatch;
    qint64 m_debounced = 0;
    qint64 m_rateLimited = 0;
};

} // namespace CloudConsole
