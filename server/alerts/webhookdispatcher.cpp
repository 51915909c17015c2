#include "webhookdispatcher.h"

#include "webhookmessage.h"

namespace CloudConsole {

WebhookDispatcher::WebhookDispatcher(QObject *parent) : QObject(parent)
{ }

WebhookDispatcher::~WebhookDispatcher()
{
    // The endpoints abort their replies while the manager still stands.
    m_endpoints.clear();
}

void WebhookDispatcher::setWebhooks(const WebhookList &webhooks)
{
    std::map<QString, std::unique_ptr<WebhookEndpoint>> next;
    for (const WebhookSettings &settings : webhooks) {
        auto kept = m_endpoints.find(settings.name);
        if (kept != m_endpoints.end()) {
            kept->second->setSettings(settings);
            next[settings.name] = std::move(kept->second);
            m_endpoints.erase(kept);
        } else {
            next[settings.name] = std::make_unique<WebhookEndpoint>(settings, &m_network);
        }
    }
    // What is left was removed: each says what it did not deliver as it goes.
    m_endpoints = std::move(next);
}

void WebhookDispatcher::post(const QString &console, const Alert &alert)
{
    QByteArray body;
    for (const auto &[name, endpoint] : m_endpoints) {
        if (!endpoint->settings().appliesTo(console, alert.rule))
            continue;
        if (body.isEmpty())
            body = WebhookMessage::body(console, alert,
                                        consoleLink(m_baseUrl, console, alert.offset));
        endpoint->post(body, QStringLiteral("%1 on %2").arg(alert.rule, console));
    }
}

} // namespace CloudConsole
