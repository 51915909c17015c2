#include "consolestatus.h"

#include "consoleregistry.h"

#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTime>
#include <QUrl>

namespace CloudConsole {

namespace {

// The page's own look, from the web page's colours (resources/web/src/app.css); no script.
constexpr char Style[] = R"css(
:root {
    --bg: #16181d; --bar-bg: #23262e; --fg: #eef1f5; --muted: #b5bcc8; --border: #3a3f4b;
    --panel-bg: #262a33; --ok: #5fd17a; --bad: #ff6b6b; --focus: #f5c542; --link: #9cc8ff;
    color-scheme: dark;
}
@media (prefers-color-scheme: light) {
    :root {
        --bg: #fbfbf9; --bar-bg: #eceef2; --fg: #15181d; --muted: #4a515c; --border: #c6cbd3;
        --panel-bg: #ffffff; --ok: #1e7b34; --bad: #b3261e; --focus: #1f57b8; --link: #1f57b8;
        color-scheme: light;
    }
}
* { box-sizing: border-box; }
body {
    margin: 0;
    background: var(--bg);
    color: var(--fg);
    font: 14px/1.4 system-ui, "DejaVu Sans", "Liberation Sans", sans-serif;
}
.bar {
    display: flex;
    align-items: center;
    min-height: 44px;
    padding: 6px 10px;
    background: var(--bar-bg);
    border-bottom: 1px solid var(--border);
}
.bar h1 { margin: 0; font-size: 16px; font-weight: 650; }
.bar nav { margin-left: auto; }
.bar nav a {
    color: var(--fg, inherit); border: 1px solid var(--border); border-radius: 6px;
    padding: 4px 10px; text-decoration: none; font-size: 13px;
}
main { padding: 16px 10px; }
table {
    width: 100%;
    max-width: 980px;
    border-collapse: collapse;
    background: var(--panel-bg);
    border: 1px solid var(--border);
}
caption { padding: 0 0 8px; text-align: left; color: var(--muted); }
th, td { padding: 8px 12px; text-align: left; vertical-align: baseline; }
tbody tr + tr > * { border-top: 1px solid var(--border); }
thead th {
    font-size: 12px;
    font-weight: 700;
    text-transform: uppercase;
    letter-spacing: 0.04em;
    color: var(--muted);
    border-bottom: 1px solid var(--border);
}
tbody th { font-weight: 650; }
.num { text-align: right; font-variant-numeric: tabular-nums; }
.age { font-variant-numeric: tabular-nums; white-space: nowrap; }
.line code { font: 0.9em ui-monospace, "DejaVu Sans Mono", monospace; white-space: pre; }
.line a { color: inherit; text-decoration: none; }
th .replay { margin-left: 0.5em; font-size: 0.8em; font-weight: 400; }
a { color: var(--link); }
:focus-visible { outline: 2px solid var(--focus); outline-offset: 2px; }
.state { font-weight: 600; }
.state::before {
    content: "";
    display: inline-block;
    width: 10px;
    height: 10px;
    margin-right: 6px;
    border-radius: 50%;
    background: currentColor;
}
.state.up { color: var(--ok); }
.state.down { color: var(--bad); }
.guest { font-weight: 600; color: var(--muted); }
.guest.ready { color: var(--ok); }
.guest.failed { color: var(--bad); }
.reason { margin-left: 8px; color: var(--muted); overflow-wrap: anywhere; }
.found { margin-left: 0.5em; font-size: 0.8em; font-weight: 400; color: var(--muted); }
.found.gone { color: var(--bad); }
footer { padding: 0 10px 16px; color: var(--muted); font-size: 13px; }
)css";

// The web page's icon, so the tab looks the same.
constexpr char Icon[]
    = "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 16 16'%3E%3Crect "
      "width='16' height='16' rx='3' fill='%2316181d'/%3E%3Cpath d='M3 4l4 4-4 4' "
      "stroke='%235fd17a' stroke-width='2' fill='none'/%3E%3Cpath d='M8 12h5' stroke='%23dfe3ea' "
      "stroke-width='2'/%3E%3C/svg%3E";

// Where a console's page is, relative to the index.
QString pageLink(const QString &name)
{
    return QStringLiteral("c/%1/").arg(QString::fromLatin1(QUrl::toPercentEncoding(name)));
}

} // namespace

std::vector<ConsoleStatus> consoleStatuses(const ConsoleRegistry &consoles)
{
    std::vector<ConsoleStatus> all;
    for (const Console *console : consoles.consoles()) {
        ConsoleStatus status;
        status.name = console->name();
        status.sourceUp = console->source().isUp();
        status.reason = console->source().stateReason();
        status.state = console->state();
        status.clients = console->clientCount();
        status.lastOutputAgeMs = console->lastOutputAgeMs();
        status.lastLine = console->screen().lastLine();
        for (const auto &[rule, tally] : console->alertTallies()) {
            const QString &severity = rule.second;
            qint64 &count = severity == QLatin1String("critical") ? status.criticalAlerts
                : severity == QLatin1String("warning")            ? status.warningAlerts
                                                                  : status.infoAlerts;
            count += tally.count;
        }
        if (const std::optional<DiscoveryMark> mark = consoles.discoveryMark(status.name)) {
            status.discovered = mark->by;
            status.vmState = mark->vmState;
            status.gone = mark->gone;
            if (mark->gone)
                status.removeInMs
                    = std::max<qint64>(0, mark->removeAtMs - QDateTime::currentMSecsSinceEpoch());
        }
        all.push_back(std::move(status));
    }
    return all;
}

QString describeAge(std::optional<qint64> ageMs)
{
    if (!ageMs)
        return QStringLiteral("never");
    const qint64 seconds = std::max<qint64>(0, *ageMs / 1000);
    if (seconds < 60)
        return QStringLiteral("%1 s ago").arg(seconds);
    if (seconds < 60 * 60)
        return QStringLiteral("%1 min ago").arg(seconds / 60);
    if (seconds < 48 * 60 * 60)
        return QStringLiteral("%1 h ago").arg(seconds / (60 * 60));
    return QStringLiteral("%1 d ago").arg(seconds / (24 * 60 * 60));
}

QByteArray renderIndexPage(const std::vector<ConsoleStatus> &consoles)
{
    int up = 0;
    QString rows;
    for (const ConsoleStatus &console : consoles) {
        up += console.sourceUp ? 1 : 0;
        const QString name = console.name.toHtmlEscaped();
        // With a link to its replay page (server/recording/replayrange.h).
        rows += QStringLiteral(
                    "<tr>\n<th scope=\"row\"><a href=\"%1\">%2</a> "
                    "<a class=\"replay\" href=\"%1replay\" title=\"Replay\">replay</a></th>\n")
                    .arg(pageLink(console.name).toHtmlEscaped(), name);
        if (!console.discovered.isEmpty()) {
            // Found by discovery: by whom, and when it goes if its VM is gone.
            const QString what = console.gone
                ? QStringLiteral("%1, VM gone, kept %2")
                      .arg(console.discovered,
                           [&] {
                               const qint64 minutes
                                   = (console.removeInMs.value_or(0) + 59999) / 60000;
                               return minutes > 1 ? QStringLiteral("%1 min").arg(minutes)
                                                  : QStringLiteral("under a minute");
                           }())
                : console.vmState.isEmpty()
                ? console.discovered
                : QStringLiteral("%1, %2").arg(console.discovered, console.vmState);
            rows.insert(
                rows.lastIndexOf(QLatin1String("</th>\n")),
                QStringLiteral("<span class=\"found%1\">%2</span>")
                    .arg(console.gone ? QStringLiteral(" gone") : QString(), what.toHtmlEscaped()));
        }
        rows += QStringLiteral("<td><span class=\"state %1\">%2</span>"
                               "<span class=\"reason\">%3</span></td>\n")
                    .arg(console.sourceUp ? QStringLiteral("up") : QStringLiteral("down"),
                         console.sourceUp ? QStringLiteral("Up") : QStringLiteral("Down"),
                         console.reason.toHtmlEscaped());
        rows += QStringLiteral("<td><span class=\"guest %1\">%2</span></td>\n")
                    .arg(console.state.toHtmlEscaped(), console.state.toHtmlEscaped());
        rows += QStringLiteral("<td class=\"num\">%1</td>\n<td class=\"age\">%2</td>\n")
                    .arg(console.clients)
                    .arg(describeAge(console.lastOutputAgeMs));
        rows
            += QStringLiteral("<td class=\"line\"><a href=\"%1\"><code>%2</code></a></td>\n</tr>\n")
                   .arg((pageLink(console.name) + QStringLiteral("screen")).toHtmlEscaped(),
                        console.lastLine.left(200).toHtmlEscaped());
    }
    const QString caption = QStringLiteral("%1 consoles, %2 up, as of %3")
                                .arg(consoles.size())
                                .arg(up)
                                .arg(QTime::currentTime().toString(QStringLiteral("HH:mm:ss")));

    QString html = QStringLiteral(
                       "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                       "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                       "<meta name=\"color-scheme\" content=\"dark light\">\n"
                       "<title>Consoles — cloud-console</title>\n"
                       "<link rel=\"icon\" href=\"%1\">\n<style>%2</style>\n</head>\n<body>\n"
                       "<header class=\"bar\"><h1>Consoles</h1><nav><a href=\"wall\" title=\"Every "
                       "console's screen, tiled and live\">Wall</a></nav></header>\n<main>\n"
                       "<table>\n<caption>%3</caption>\n<thead>\n<tr><th scope=\"col\">Console</th>"
                       "<th scope=\"col\">Source</th><th scope=\"col\">State</th>"
                       "<th scope=\"col\" class=\"num\">Clients</th>"
                       "<th scope=\"col\">Last output</th><th scope=\"col\">Screen</th></tr>\n"
                       "</thead>\n<tbody>\n")
                       .arg(QLatin1String(Icon), QLatin1String(Style), caption.toHtmlEscaped());
    html += rows;
    html += QStringLiteral("</tbody>\n</table>\n</main>\n<footer><p>Reload the page to see the "
                           "state now. For scripts: <a href=\"consoles.json\">consoles.json</a>; "
                           "for Prometheus: <a href=\"metrics\">metrics</a>.</p></footer>\n"
                           "</body>\n</html>\n");
    return html.toUtf8();
}

QByteArray renderConsolesJson(const std::vector<ConsoleStatus> &consoles)
{
    QJsonArray list;
    for (const ConsoleStatus &console : consoles) {
        list.append(QJsonObject {
            {QStringLiteral("name"), console.name},
            {QStringLiteral("url"), pageLink(console.name)},
            {QStringLiteral("source"),
             console.sourceUp ? QStringLiteral("up") : QStringLiteral("down")},
            {QStringLiteral("reason"), console.reason},
            {QStringLiteral("state"), console.state},
            {QStringLiteral("clients"), console.clients},
            {QStringLiteral("lastOutputAgeSeconds"),
             console.lastOutputAgeMs ? QJsonValue(double(*console.lastOutputAgeMs) / 1000.0)
                                     : QJsonValue(QJsonValue::Null)},
            {QStringLiteral("lastLine"), console.lastLine},
            {QStringLiteral("screen"), pageLink(console.name) + QStringLiteral("screen")},
            {QStringLiteral("alerts"),
             QJsonObject {{QStringLiteral("critical"), console.criticalAlerts},
                          {QStringLiteral("warning"), console.warningAlerts},
                          {QStringLiteral("info"), console.infoAlerts}}},
        });
        if (!console.discovered.isEmpty()) {
            QJsonObject entry = list.last().toObject();
            entry.insert(QStringLiteral("discovered"), console.discovered);
            entry.insert(QStringLiteral("vm"), console.vmState);
            entry.insert(QStringLiteral("gone"), console.gone);
            entry.insert(QStringLiteral("removeInSeconds"),
                         console.removeInMs ? QJsonValue(double(*console.removeInMs) / 1000.0)
                                            : QJsonValue(QJsonValue::Null));
            list.replace(list.size() - 1, entry);
        }
    }
    return QJsonDocument(QJsonObject {{QStringLiteral("consoles"), list}})
        .toJson(QJsonDocument::Indented);
}

} // namespace CloudConsole
