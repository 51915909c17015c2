#pragma once

// Metrics renders what /metrics answers: a server's consoles in the Prometheus text exposition
// format, version 0.0.4. Every family gets its HELP and TYPE lines, names start with
// "cloud_console_" and counters end in "_total". It reads the consoles' state and running totals
// (ConsoleCounters, LogWriter) at the moment it is asked and keeps nothing; it knows nothing about
// HTTP.

#include <QByteArray>
#include <QStringView>

namespace CloudConsole {

class ConsoleRegistry;
class ShareLinks;
class WebhookDispatcher;

namespace Metrics {

inline constexpr char ContentType[] = "text/plain; version=0.0.4; charset=utf-8";

// The whole exposition, one family after another; the webhooks' figures and the share links'
// uses too when given.
QByteArray render(const ConsoleRegistry &consoles, const WebhookDispatcher *webhooks = nullptr,
                  const ShareLinks *shares = nullptr);

// A label value as the format wants it between double quotes: backslash, double quote and line
// feed escaped, UTF-8.
QByteArray escapeLabelValue(QStringView value);

} // namespace Metrics
} // namespace CloudConsole
