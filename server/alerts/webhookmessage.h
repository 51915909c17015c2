#pragma once

// What a webhook is sent for an alert, written once: the JSON body (console, rule, severity,
// line, time, offset, state, link) and the signature header's value, the lowercase hex
// HMAC-SHA256 of the body's exact bytes with the webhook's secret. Receivers check the signature
// over the body as received, so the body is made once per alert and never re-encoded.
//
// Pure functions; they know nothing of queues or the network.

#include "alertmatcher.h"

#include <QByteArray>
#include <QString>

namespace CloudConsole::WebhookMessage {

inline constexpr char ContentType[] = "application/json";
inline constexpr char SignatureHeader[] = "X-Cloud-Console-Signature";
// The same for every attempt of one delivery, so a receiver can drop a retried duplicate.
inline constexpr char DeliveryHeader[] = "X-Cloud-Console-Delivery";

// {"console":...,"rule":...,"severity":...,"line":...,"time":"2026-12-05T03:07:02.123Z",
//  "offset":N,"state":... (when the rule sets one),"link":...}, compact UTF-8.
QByteArray body(const QString &console, const Alert &alert, const QString &link);
// "sha256=" and the lowercase hex HMAC-SHA256 of body with key.
QByteArray signature(const QByteArray &body, const QByteArray &key);

} // namespace CloudConsole::WebhookMessage
