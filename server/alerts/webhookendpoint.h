#pragma once

// WebhookEndpoint delivers the bodies posted to one webhook: a bounded queue (MaxQueued; when it
// is full the oldest waiting body is dropped, counted and logged), at most MaxActive deliveries
// at once (each in flight or waiting for its retry), a timeout per attempt (the webhook's
// `timeout` without a byte from the endpoint: QNetworkRequest::setTransferTimeout), and retries
// after connection errors, timeouts, 5xx and 429, with a backoff from FirstRetry doubling to
// MaxRetryDelay, as long as the next attempt starts within the webhook's `retry-for` of the
// first. Any other answer ends the delivery: 2xx delivered, 3xx and 4xx failed. Everything runs
// on the thread of the QNetworkAccessManager (the main thread) without ever waiting: a hanging,
// refusing or failing endpoint costs a few sockets and timers and nothing else. Failures are
// logged through a throttle, and counted.
//
// It owns the queue, the deliveries and their replies, and its counters. It knows nothing of
// alerts or consoles (it is given signed-ready bodies) nor of other webhooks (WebhookDispatcher).

#include "ratelimit.h"
#include "webhooksettings.h"

#include <QByteArray>
#include <QObject>

#include <chrono>
#include <deque>
#include <memory>
#include <vector>

class QNetworkAccessManager;
class QNetworkReply;

namespace CloudConsole {

class WebhookEndpoint : public QObject
{
    Q_OBJECT
public:
    static constexpr int MaxQueued = 256;
    static constexpr int MaxActive = 4;
    static constexpr std::chrono::milliseconds FirstRetry {1000};
    static constexpr std::chrono::milliseconds MaxRetryDelay {60000};
    // An answer's body is read and thrown away; one longer than this ends the attempt (its
    // status decides).
    static constexpr qint64 MaxAnswerBytes = 64 * 1024;

    struct Counters
    {
        qint64 delivered = 0; // answered 2xx
        qint64 failed = 0; // answered 3xx or 4xx (not 429), or retried until retry-for ran out
        qint64 dropped = 0; // never sent: the queue was full, or the webhook went on a reload
        qint64 retries = 0; // attempts after the first
    };

    // network: the manager every request goes through; it must outlive the endpoint.
    WebhookEndpoint(WebhookSettings settings, QNetworkAccessManager *network,
                    QObject *parent = nullptr);
    // Aborts the attempts in flight; what was not delivered is logged and counted as dropped.
    ~WebhookEndpoint() override;

    // A reload: queued deliveries and the next attempts of active ones use the new settings.
    void setSettings(WebhookSettings settings);
    const WebhookSettings &settings() const { return m_settings; }

    // Queues a body (WebhookMessage::body); what: "kernel-panic on vm1", for the log.
    void post(const QByteArray &body, const QString &what);

    int queued() const { return int(m_queue.size()); }
    int active() const { return int(m_active.size()); }
    const Counters &counters() const { return m_counters; }

private:
    struct Delivery;

    void pump();
    void attempt(Delivery *delivery);
    void onFinished(Delivery *delivery);
    void finish(Delivery *delivery);
    void warn(const QString &line);

    WebhookSettings m_settings;
    QNetworkAccessManager *m_network;
    std::deque<std::unique_ptr<Delivery>> m_queue;
    std::vector<std::unique_ptr<Delivery>> m_active;
    Counters m_counters;
    LogThrottle m_log {0.2, 5};
};

} // namespace CloudConsole
