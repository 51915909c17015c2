#include "metrics.h"

#include "consoleregistry.h"
#include "sharelinks.h"
#include "webhookdispatcher.h"

#include <QDateTime>

#include <algorithm>
#include <initializer_list>
#include <map>
#include <optional>

namespace CloudConsole::Metrics {

namespace {

struct Label
{
    const char *name;
    QString value;
};

// Appends families and their samples in the text format.
class Exposition
{
public:
    void family(const char *name, const char *type, const char *help)
    {
        m_name = QByteArray("cloud_console_") + name;
        m_text += "# HELP " + m_name + ' ' + help + '\n';
        m_text += "# TYPE " + m_name + ' ' + type + '\n';
    }

    void sample(std::initializer_list<Label> labels, const QByteArray &value)
    {
        m_text += m_name;
        if (labels.size() > 0) {
            m_text += '{';
            bool first = true;
            for (const Label &label : labels) {
                if (!first)
                    m_text += ',';
                first = false;
                m_text += QByteArray(label.name) + "=\"" + escapeLabelValue(label.value) + '"';
            }
            m_text += '}';
        }
        m_text += ' ' + value + '\n';
    }
    void sample(std::initializer_list<Label> labels, qint64 value)
    {
        sample(labels, QByteArray::number(value));
    }

    QByteArray text() const { return m_text; }

private:
    QByteArray m_name;
    QByteArray m_text;
};

void renderWebhooks(Exposition &out, const WebhookDispatcher &webhooks)
{
    const auto &endpoints = webhooks.endpoints();
    out.family("webhook_deliveries_total", "counter",
               "Alerts a webhook was to be sent, by how that ended: delivered (answered 2xx), "
               "failed (answered 3xx or 4xx other than 429, or retried until retry-for ran "
               "out) or dropped (never sent: its queue was full).");
    for (const auto &[name, endpoint] : endpoints) {
        const WebhookEndpoint::Counters &counters = endpoint->counters();
        out.sample({{"webhook", name}, {"result", QStringLiteral("delivered")}},
                   counters.delivered);
        out.sample({{"webhook", name}, {"result", QStringLiteral("failed")}}, counters.failed);
        out.sample({{"webhook", name}, {"result", QStringLiteral("dropped")}}, counters.dropped);
    }
    out.family("webhook_retries_total", "counter",
               "Attempts to send an alert to a webhook after the first (after a connection error, "
               "a timeout, 5xx or 429).");
    for (const auto &[name, endpoint] : endpoints)
        out.sample({{"webhook", name}}, endpoint->counters().retries);
    out.family("webhook_queue_length", "gauge",
               "Alerts waiting to be sent to a webhook, not yet attempted.");
    for (const auto &[name, endpoint] : endpoints)
        out.sample({{"webhook", name}}, endpoint->queued());
    out.family("webhook_in_flight", "gauge",
               "Alerts being sent to a webhook: an attempt in flight or waiting for its retry.");
    for (const auto &[name, endpoint] : endpoints)
        out.sample({{"webhook", name}}, endpoint->active());
}

// Uses of share links by result; every result is listed, at 0 until it happens.
void renderShareLinks(Exposition &out, const ShareLinks &shares)
{
    out.family("share_link_uses_total", "counter",
               "Requests that opened a share link or were refused one, by result: opened, "
               "invalid (not signed by this server: tampered), unknown, expired, revoked, used "
               "(a single-use link again), no-console, wrong-console (a share session asking "
               "for another console), unavailable.");
    std::map<QString, qint64> counts = shares.counts();
    for (const char *result : {"opened", "invalid", "unknown", "expired", "revoked", "used",
                               "no-console", "wrong-console", "unavailable"})
        counts.try_emplace(QString::fromLatin1(result), 0);
    for (const auto &[result, count] : counts)
        out.sample({{"result", result}}, count);
}

} // namespace

QByteArray escapeLabelValue(QStringView value)
{
    QByteArray out;
    const QByteArray utf8 = value.toUtf8();
    out.reserve(utf8.size());
    for (const char c : utf8) {
        if (c == '\\')
            out += "\\\\";
        else if (c == '"')
            out += "\\\"";
        else if (c == '\n')
            out += "\\n";
        else
            out += c;
    }
    return out;
}

QByteArray render(const ConsoleRegistry &registry, const WebhookDispatcher *webhooks,
                  const ShareLinks *shares)
{
    const std::vector<Console *> consoles = registry.consoles();
    Exposition out;

    out.family("build_info", "gauge", "The server's version, as a label; always 1.");
    out.sample({{"version", QStringLiteral(CLOUD_CONSOLE_VERSION)}}, 1);

    out.family("consoles", "gauge", "Consoles this server serves.");
    out.sample({}, qint64(consoles.size()));

    // Discovery (server/discovery/): only when a [discover] section is there.
    if (!registry.discoverers().empty()) {
        std::map<QString, std::pair<qint64, qint64>> found; // kind -> consoles, of them gone
        for (const auto &[kind, status] : registry.discoverers())
            found[kind] = {0, 0};
        for (const Console *console : consoles) {
            if (const std::optional<DiscoveryMark> mark = registry.discoveryMark(console->name())) {
                ++found[mark->by].first;
                found[mark->by].second += mark->gone ? 1 : 0;
            }
        }
        out.family("discovered_consoles", "gauge",
                   "Consoles discovery made, by who found them (libvirt, ch), those of VMs that "
                   "are gone included.");
        for (const auto &[kind, counts] : found)
            out.sample({{"source", kind}}, counts.first);
        out.family("discovered_gone_consoles", "gauge",
                   "Consoles kept after their VM went (until keep-after-gone), by who found them.");
        for (const auto &[kind, counts] : found)
            out.sample({{"source", kind}}, counts.second);
        out.family(
            "discovery_up", "gauge",
            "1 while a discoverer sees the VMs (libvirt connected, the socket folder there).");
        for (const auto &[kind, status] : registry.discoverers())
            out.sample({{"source", kind}}, status.up ? 1 : 0);
        out.family("console_discovered", "gauge",
                   "1 for each console discovery made, labelled with who found it and whether its "
                   "VM is gone.");
        for (const Console *console : consoles) {
            if (const std::optional<DiscoveryMark> mark = registry.discoveryMark(console->name()))
                out.sample(
                    {{"console", console->name()},
                     {"source", mark->by},
                     {"gone", mark->gone ? QStringLiteral("true") : QStringLiteral("false")}},
                    1);
        }
    }

    out.family("source_up", "gauge",
               "1 while the console's source is attached, 0 while it is down.");
    for (const Console *console : consoles)
        out.sample({{"console", console->name()}}, console->source().isUp() ? 1 : 0);

    out.family("clients", "gauge",
               "WebSocket clients connected, by role: operators may type, viewers only watch.");
    for (const Console *console : consoles) {
        qint64 operators = 0;
        for (const ClientSession *session : console->clients())
            operators += session->isWritable() ? 1 : 0;
        out.sample({{"console", console->name()}, {"role", QStringLiteral("operator")}}, operators);
        out.sample({{"console", console->name()}, {"role", QStringLiteral("viewer")}},
                   console->clientCount() - operators);
    }

    // One counter per console, read from its running totals.
    const auto perConsole = [&](const char *name, const char *help, auto value) {
        out.family(name, "counter", help);
        for (const Console *console : consoles)
            out.sample({{"console", console->name()}}, qint64(value(*console)));
    };
    perConsole("source_bytes_read_total",
               "Bytes read from the console's source (the guest's output, without markers).",
               [](const Console &c) { return c.counters().sourceBytesRead; });
    perConsole("input_bytes_total", "Bytes of clients' input written to the console's source.",
               [](const Console &c) { return c.counters().inputBytesWritten; });
    perConsole("client_bytes_sent_total",
               "Output bytes sent to clients, summed over clients (without framing).",
               [](const Console &c) { return c.counters().clientBytesSent; });
    perConsole("gaps_total", "Gaps: a client fell behind the history, or resumed from before it.",
               [](const Console &c) { return c.counters().gaps; });
    perConsole("gap_bytes_total", "Bytes that clients never got because of gaps.",
               [](const Console &c) { return c.counters().gapBytes; });
    perConsole("source_reconnects_total",
               "Times the console's source came up again after being down.",
               [](const Console &c) { return c.sourceReconnects(); });
    perConsole("screen_queries_answered_total",
               "Writes of answers to the guest's terminal queries (device attributes, cursor "
               "position, size), once per query whatever the number of clients.",
               [](const Console &c) { return c.screen().answeredQueries(); });
    perConsole("screen_skipped_bytes_total",
               "Output the console's screen skipped because it fell behind; its snapshots are "
               "marked incomplete until the screen is redrawn.",
               [](const Console &c) { return c.screen().skippedBytes(); });

    out.family("last_output_timestamp_seconds", "gauge",
               "When the source last sent output, in seconds since the epoch; absent before the "
               "first output.");
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    for (const Console *console : consoles) {
        if (const std::optional<qint64> age = console->lastOutputAgeMs())
            out.sample({{"console", console->name()}},
                       QByteArray::number(double(now - *age) / 1000.0, 'f', 3));
    }

    out.family("state", "gauge",
               "1 for the console's state as its alert rules last set it (booting until one "
               "does: ready, failed, or a rule's own).");
    for (const Console *console : consoles)
        out.sample({{"console", console->name()}, {"state", console->state()}}, 1);

    out.family("alerts_total", "counter",
               "Alerts raised: a line of the console's output matched a rule (debounced and "
               "rate-limited).");
    for (const Console *console : consoles) {
        for (const auto &[key, tally] : console->alertTallies())
            out.sample(
                {{"console", console->name()}, {"rule", key.first}, {"severity", key.second}},
                tally.count);
    }
    out.family("last_alert_timestamp_seconds", "gauge",
               "When the console last raised an alert of the rule, in seconds since the epoch.");
    for (const Console *console : consoles) {
        // A rule may have alerted at several severities (a reload changed it): the latest.
        std::map<QString, qint64> last;
        for (const auto &[key, tally] : console->alertTallies())
            last[key.first] = std::max(last[key.first], tally.lastTimeMs);
        for (const auto &[rule, timeMs] : last)
            out.sample({{"console", console->name()}, {"rule", rule}},
                       QByteArray::number(double(timeMs) / 1000.0, 'f', 3));
    }
    out.family("alerts_suppressed_total", "counter",
               "Matches that raised no alert: within the rule's debounce or before its clear "
               "(debounce), or beyond the console's alert rate (rate).");
    for (const Console *console : consoles) {
        out.sample({{"console", console->name()}, {"reason", QStringLiteral("debounce")}},
                   console->alerts().debounced());
        out.sample({{"console", console->name()}, {"reason", QStringLiteral("rate")}},
                   console->alerts().rateLimited());
    }
    perConsole("alert_skipped_bytes_total",
               "Output the alert rules never saw because matching fell behind the console.",
               [](const Console &c) { return c.alerts().skippedBytes(); });
    out.family("journal_lines_total", "counter",
               "Lines of a console with syslog = on, by whether the journal took them (sent) or "
               "not (failed: journald not running, or it refused them).");
    for (const Console *console : consoles) {
        if (!console->alerts().journalOn() && console->alerts().journalWritten() == 0
            && console->alerts().journalFailed() == 0)
            continue;
        out.sample({{"console", console->name()}, {"result", QStringLiteral("sent")}},
                   console->alerts().journalWritten());
        out.sample({{"console", console->name()}, {"result", QStringLiteral("failed")}},
                   console->alerts().journalFailed());
    }

    out.family("history_bytes", "gauge", "Bytes kept in the console's history.");
    for (const Console *console : consoles)
        out.sample({{"console", console->name()}}, qint64(console->history().size()));

    out.family("log_errors_total", "counter",
               "Failed attempts to write or reopen the console's log file (consoles with a log).");
    for (const Console *console : consoles) {
        if (const LogWriter *log = console->log())
            out.sample({{"console", console->name()}}, log->errorCount());
    }
    out.family("log_bytes_lost_total", "counter",
               "Bytes missing from the console's log because the history moved on while the file "
               "could not be written or did not keep up (consoles with a log).");
    for (const Console *console : consoles) {
        if (const LogWriter *log = console->log())
            out.sample({{"console", console->name()}}, log->bytesLost());
    }

    if (webhooks)
        renderWebhooks(out, *webhooks);
    if (shares)
        renderShareLinks(out, *shares);
    return out.text();
}

} // namespace CloudConsole::Metrics
