#include "webhookendpoint.h"

#include "retry.h"
#include "webhookmessage.h"

#include <QElapsedTimer>
#include <QLoggingCategory>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QSslConfiguration>
#include <QUuid>

namespace CloudConsole {

Q_LOGGING_CATEGORY(lcWebhook, "cloudconsole.webhook")

struct WebhookEndpoint::Delivery
{
    QByteArray body;
    QByteArray id = QUuid::createUuid().toByteArray(QUuid::WithoutBraces);
    QString what;
    int attempts = 0;
    QElapsedTimer sinceFirst; // started by the first attempt
    Retry retry {Backoff(FirstRetry, MaxRetryDelay)};
    QNetworkReply *reply = nullptr; // the attempt in flight; a child of the manager
    qint64 answerBytes = 0;
    bool cutShort = false; // the answer was too long: aborted here, not timed out
};

namespace {

bool isRetried(int status)
{
    return status == 429 || status >= 500;
}

QString seconds(qint64 ms)
{
    return QString::number(double(ms) / 1000.0, 'f', ms < 10000 ? 1 : 0) + u's';
}

} // namespace

WebhookEndpoint::WebhookEndpoint(WebhookSettings settings, QNetworkAccessManager *network,
                                 QObject *parent)
    : QObject(parent), m_settings(std::move(settings)), m_network(network)
{ }

WebhookEndpoint::~WebhookEndpoint()
{
    const qint64 undelivered = qint64(m_queue.size() + m_active.size());
    for (const std::unique_ptr<Delivery> &delivery : m_active) {
        if (QNetworkReply *reply = delivery->reply) {
            reply->disconnect(this);
            reply->abort();
            reply->deleteLater();
        }
    }
    if (undelivered > 0)
        qCWarning(lcWebhook).noquote()
            << QStringLiteral("webhook %1 removed: %2 alerts not delivered")
                   .arg(m_settings.name)
                   .arg(undelivered);
    if (const qint64 heldBack = m_log.takeHeldBack(); heldBack > 0)
        qCInfo(lcWebhook).noquote() << QStringLiteral("webhook %1: %2 more lines were not logged")
                                           .arg(m_settings.name)
                                           .arg(heldBack);
}

void WebhookEndpoint::setSettings(WebhookSettings settings)
{
    m_settings = std::move(settings);
}

void WebhookEndpoint::post(const QByteArray &body, const QString &what)
{
    if (m_queue.size() >= size_t(MaxQueued)) {
        ++m_counters.dropped;
        warn(QStringLiteral("%1 alerts wait, the most it keeps: dropped the oldest (%2)")
                 .arg(MaxQueued)
                 .arg(m_queue.front()->what));
        m_queue.pop_front();
    }
    auto delivery = std::make_unique<Delivery>();
    delivery->body = body;
    delivery->what = what;
    Delivery *raw = delivery.get();
    connect(&raw->retry, &Retry::due, this, [this, raw] { attempt(raw); });
    m_queue.push_back(std::move(delivery));
    pump();
}

void WebhookEndpoint::pump()
{
    while (m_active.size() < size_t(MaxActive) && !m_queue.empty()) {
        m_active.push_back(std::move(m_queue.front()));
        m_queue.pop_front();
        Delivery *delivery = m_active.back().get();
        delivery->sinceFirst.start();
        attempt(delivery);
    }
}

void WebhookEndpoint::attempt(Delivery *delivery)
{
    ++delivery->attempts;
    if (delivery->attempts > 1)
        ++m_counters.retries;
    delivery->answerBytes = 0;
    delivery->cutShort = false;

    QNetworkRequest request(m_settings.url);
    request.setHeader(QNetworkRequest::ContentTypeHeader, QByteArray(WebhookMessage::ContentType));
    request.setHeader(QNetworkRequest::UserAgentHeader,
                      QByteArrayLiteral("cloud-console/" CLOUD_CONSOLE_VERSION));
    request.setRawHeader(WebhookMessage::SignatureHeader,
                         WebhookMessage::signature(delivery->body, m_settings.key));
    request.setRawHeader(WebhookMessage::DeliveryHeader, delivery->id);
    request.setTransferTimeout(int(std::chrono::milliseconds(m_settings.timeout).count()));
    // A redirected POST would become a GET elsewhere: the URL configured is the one to use.
    request.setAttribute(QNetworkRequest::RedirectPolicyAttribute,
                         QNetworkRequest::ManualRedirectPolicy);
    // Nothing an endpoint says is kept between deliveries.
    request.setAttribute(QNetworkRequest::CookieSaveControlAttribute, QNetworkRequest::Manual);
    request.setAttribute(QNetworkRequest::CookieLoadControlAttribute, QNetworkRequest::Manual);
    if (!m_settings.caCertificates.isEmpty()) {
        QSslConfiguration ssl = QSslConfiguration::defaultConfiguration();
        ssl.setCaCertificates(m_settings.caCertificates);
        request.setSslConfiguration(ssl);
    }

    QNetworkReply *reply = m_network->post(request, delivery->body);
    delivery->reply = reply;
    connect(reply, &QNetworkReply::readyRead, this, [delivery, reply] {
        // The answer's body means nothing here; a long one is not read to its end.
        delivery->answerBytes += reply->readAll().size();
        if (delivery->answerBytes > MaxAnswerBytes && !delivery->cutShort) {
            delivery->cutShort = true;
            reply->abort(); // finished() comes at once: nothing may follow this
        }
    });
    connect(reply, &QNetworkReply::finished, this, [this, delivery] { onFinished(delivery); });
}

void WebhookEndpoint::onFinished(Delivery *delivery)
{
    QNetworkReply *reply = std::exchange(delivery->reply, nullptr);
    reply->disconnect(this);
    reply->deleteLater();
    const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    if (status >= 200 && status < 300) {
        ++m_counters.delivered;
        qCDebug(lcWebhook).noquote() << QStringLiteral("webhook %1: delivered %2 (HTTP %3)")
                                            .arg(m_settings.name, delivery->what)
                                            .arg(status);
        finish(delivery);
        return;
    }
    QString reason;
    if (status != 0)
        reason = QStringLiteral("HTTP %1").arg(status);
    else if (reply->error() == QNetworkReply::OperationCanceledError
             || reply->error() == QNetworkReply::TimeoutError)
        // The transfer timeout: Qt aborts the reply with TimeoutError or, in older versions,
        // OperationCanceledError (this class aborts a reply only once its status is known).
        reason = QStringLiteral("no answer within %1")
                     .arg(seconds(std::chrono::milliseconds(m_settings.timeout).count()));
    else
        reason = reply->errorString();

    if (status != 0 && !isRetried(status)) {
        ++m_counters.failed;
        warn(QStringLiteral("%1 refused with %2, not retried").arg(delivery->what, reason));
        finish(delivery);
        return;
    }
    const qint64 elapsedMs = delivery->sinceFirst.elapsed();
    const auto retryForMs = std::chrono::milliseconds(m_settings.retryFor).count();
    const qint64 delayMs = delivery->retry.schedule().count();
    if (elapsedMs + delayMs > retryForMs) {
        delivery->retry.cancel();
        ++m_counters.failed;
        warn(QStringLiteral("giving up on %1 after %2 attempts in %3: %4")
                 .arg(delivery->what)
                 .arg(delivery->attempts)
                 .arg(seconds(elapsedMs), reason));
        finish(delivery);
        return;
    }
    if (delivery->retry.noteFailure(reason))
        warn(QStringLiteral("%1: attempt %2 failed (%3), retrying for up to %4")
                 .arg(delivery->what)
                 .arg(delivery->attempts)
                 .arg(reason, seconds(retryForMs - elapsedMs)));
}

void WebhookEndpoint::finish(Delivery *delivery)
{
    const auto it = std::find_if(m_active.begin(), m_active.end(),
                                 [delivery](const auto &d) { return d.get() == delivery; });
    if (it != m_active.end())
        m_active.erase(it);
    pump();
}

void WebhookEndpoint::warn(const QString &line)
{
    qint64 heldBack = 0;
    if (!m_log.allow(&heldBack))
        return;
    const QString more = heldBack > 0
        ? QStringLiteral(" (and %1 more lines of this webhook not logged)").arg(heldBack)
        : QString();
    qCWarning(lcWebhook).noquote()
        << QStringLiteral("webhook %1: ").arg(m_settings.name) + line + more;
}

} // namespace CloudConsole
