#pragma once

// WebhookDispatcher sends every alert of the server's consoles to the webhooks that name its rule
// and console: it makes the body once (WebhookMessage, with the link to the console page at the
// alert's offset, under public-url or the server's own URL) and hands it to each such webhook's
// WebhookEndpoint, which queues, signs, sends and retries it. A reload replaces the set: a
// webhook kept by name keeps its endpoint (what waits and what is in flight go on, with the new
// settings from the next attempt), one removed takes its undelivered alerts with it (logged), a
// new one starts empty.
//
// It owns the QNetworkAccessManager every request goes through and the endpoints, all on the
// thread it lives on (the main thread). It knows nothing of consoles beyond their names, nor of
// configuration files (Server gives it loaded WebhookSettings).

#include "alertmatcher.h"
#include "webhookendpoint.h"
#include "webhooksettings.h"

#include <QNetworkAccessManager>
#include <QObject>
#include <QUrl>

#include <map>
#include <memory>
#include <vector>

namespace CloudConsole {

class WebhookDispatcher : public QObject
{
    Q_OBJECT
public:
    explicit WebhookDispatcher(QObject *parent = nullptr);
    ~WebhookDispatcher() override;

    // The webhooks in effect, loaded (WebhookSettings::load).
    void setWebhooks(const WebhookList &webhooks);
    // Where console pages are: "https://console.example.com/h/host1/", ending in a slash.
    void setBaseUrl(const QUrl &base) { m_baseUrl = base; }
    QUrl baseUrl() const { return m_baseUrl; }

    // An alert of the console named console.
    void post(const QString &console, const Alert &alert);

    // The endpoints by name, for /metrics and tests.
    const std::map<QString, std::unique_ptr<WebhookEndpoint>> &endpoints() const
    {
        return m_endpoints;
    }

private:
    QNetworkAccessManager m_network; // before the endpoints: their replies are its children
    std::map<QString, std::unique_ptr<WebhookEndpoint>> m_endpoints;
    QUrl m_baseUrl;
};

} // namespace CloudConsole
