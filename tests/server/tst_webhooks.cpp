// Webhooks through the whole server: a guest on a real pty prints a panic and a real HTTPS
// endpoint (a CA and certificate made with openssl for the test) receives it, signed; an
// endpoint that answers 500 is retried for a bounded time and a 404 not at all; an endpoint that
// hangs, refuses or fails never slows the console, its clients or its log; a full queue drops
// its oldest alert and says so; a reload adds, keeps and removes webhooks.

#include "metrics.h"
#include "options.h"
#include "server.h"
#include "testclient.h"
#include "testhttpsendpoint.h"
#include "testpty.h"
#include "testserver.h"
#include "webhookdispatcher.h"

#include <QDateTime>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QTest>

using namespace CloudConsole;
using namespace CloudConsole::Test;

class tst_Webhooks : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void aPanicIsDeliveredSignedWithTheFieldsAndALinkToTheMoment();
    void eachWebhookGetsTheRulesAndConsolesItNames();
    void anEndpointAnswering500IsRetriedForABoundedTimeAndA404IsNot();
    void aHangingRefusingOrFailingEndpointDoesNotSlowTheConsole();
    void aFullQueueDropsItsOldestAlertAndSaysSo();
    void anAttemptWithoutAnswerTimesOut();
    void aReloadAddsKeepsAndRemovesWebhooks();

private:
    QTemporaryDir m_certificateDir;
    std::unique_ptr<TestCertificates> m_certificates;
};

namespace {

const QByteArray PanicLine = "[   31.004503] Kernel panic - not syncing: sysrq triggered crash";

// A server of the configuration text, written to dir and read as `cloud-console --config` does.
class ConfiguredServer
{
public:
    ConfiguredServer(const QTemporaryDir &dir, const QString &text)
        : m_path(dir.filePath(QStringLiteral("cc.conf")))
    {
        if (!write(text))
            return;
        const ParsedOptions parsed = parseOptions(arguments());
        if (parsed.outcome != ParsedOptions::Outcome::Run) {
            error = parsed.text;
            return;
        }
        server = std::make_unique<Server>(parsed.options, arguments());
        if (!server->start(&error))
            server.reset();
    }
    bool write(const QString &text)
    {
        QFile file(m_path);
        return file.open(QIODevice::WriteOnly | QIODevice::Truncate)
            && file.write(text.toUtf8()) == text.toUtf8().size();
    }
    QStringList arguments() const
    {
        return {QStringLiteral("cloud-console"), QStringLiteral("--config"), m_path};
    }
    Console *console(const QString &name) const { return server->consoles().find(name); }
    QUrl consoleUrl(const QString &name) const
    {
        return QUrl(QStringLiteral("ws://127.0.0.1:%1/c/%2/ws").arg(server->port()).arg(name));
    }
    QByteArray metrics() const
    {
        const QByteArray answer
            = exchange(server->port(),
                       "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
        return answer.mid(answer.indexOf("\r\n\r\n") + 4);
    }

    std::unique_ptr<Server> server;
    QString error;

private:
    QString m_path;
};

QString consoleSection(const QString &name, const TestPty &pty, const QString &extra = {})
{
    return QStringLiteral("[console %1]\nsource = pty:%2\nmarkers = off\n%3")
        .arg(name, pty.path(), extra);
}

QString webhookSection(const QString &name, const QString &url, const QString &caPath,
                       const QString &extra = {})
{
    return QStringLiteral("[webhook %1]\nurl = %2\nsecret = secret-of-%1\nca = %3\n%4")
        .arg(name, url, caPath, extra);
}

QByteArray deliveries(const QString &webhook, const char *result)
{
    return "\ncloud_console_webhook_deliveries_total{webhook=\"" + webhook.toUtf8() + "\",result=\""
        + result + "\"} ";
}

// The number after a sample's name and labels ("...} 3"), or -1 when it is not there.
qint64 sampleValue(const QByteArray &metrics, const QByteArray &sample)
{
    const qsizetype at = metrics.indexOf(sample);
    if (at < 0)
        return -1;
    const qsizetype start = at + sample.size();
    return metrics.mid(start, metrics.indexOf('\n', start) - start).toLongLong();
}

QJsonObject json(const QByteArray &body)
{
    return QJsonDocument::fromJson(body).object();
}

// A port nothing listens on: one the kernel gave a listener that is gone.
quint16 closedPort()
{
    QTcpServer server;
    server.listen(QHostAddress::LocalHost, 0);
    const quint16 port = server.serverPort();
    server.close();
    return port;
}

} // namespace

void tst_Webhooks::initTestCase()
{
    QVERIFY(m_certificateDir.isValid());
    m_certificates = std::make_unique<TestCertificates>(m_certificateDir.path());
    QVERIFY2(m_certificates->make(), qPrintable(m_certificates->error()));
}

void tst_Webhooks::aPanicIsDeliveredSignedWithTheFieldsAndALinkToTheMoment()
{
    TestHttpsEndpoint endpoint(*m_certificates);
    QVERIFY(endpoint.isListening());
    TestPty pty;
    QVERIFY(pty.isValid());
    QTemporaryDir dir;
    // public-url without its final slash: console pages are below it all the same.
    ConfiguredServer configured(
        dir,
        QStringLiteral("[server]\nlisten = 127.0.0.1:0\npublic-url = "
                       "https://console.example.com/h/host1\n")
            + consoleSection(QStringLiteral("vm1"), pty)
            + webhookSection(QStringLiteral("ops"), endpoint.url(), m_certificates->caPath(),
                             QStringLiteral("rules = kernel-panic\nconsoles = vm1\n")));
    QVERIFY2(configured.server, qPrintable(configured.error));
    QTRY_VERIFY(configured.console(QStringLiteral("vm1"))->source().isUp());

    const qint64 before = QDateTime::currentMSecsSinceEpoch();
    QVERIFY(pty.write("boot\r\n\x1b[0m" + PanicLine + "\r\n"));
    QTRY_COMPARE(endpoint.requests.size(), size_t(1));
    const TestHttpsEndpoint::Request request = endpoint.requests[0];
    QCOMPARE(request.method, QByteArray("POST"));
    QCOMPARE(request.path, QByteArray("/hook"));
    QCOMPARE(request.header("content-type"), QByteArray("application/json"));
    // The signature is the HMAC of the exact bytes received, with the webhook's secret.
    QCOMPARE(request.header("x-cloud-console-signature"),
             hmacSignature(request.body, "secret-of-ops"));
    QVERIFY(request.header("x-cloud-console-signature").startsWith("sha256="));
    QVERIFY(!request.header("x-cloud-console-delivery").isEmpty());

    const QJsonObject body = json(request.body);
    QStringList keys = body.keys();
    keys.sort();
    QCOMPARE(
        keys,
        (QStringList {QStringLiteral("console"), QStringLiteral("line"), QStringLiteral("link"),
                      QStringLiteral("offset"), QStringLiteral("rule"), QStringLiteral("severity"),
                      QStringLiteral("state"), QStringLiteral("time")}));
    QCOMPARE(body.value(QLatin1String("console")).toString(), QStringLiteral("vm1"));
    QCOMPARE(body.value(QLatin1String("rule")).toString(), QStringLiteral("kernel-panic"));
    QCOMPARE(body.value(QLatin1String("severity")).toString(), QStringLiteral("critical"));
    QCOMPARE(body.value(QLatin1String("state")).toString(), QStringLiteral("failed"));
    QCOMPARE(body.value(QLatin1String("line")).toString(), QString::fromLatin1(PanicLine));
    QCOMPARE(body.value(QLatin1String("offset")).toInteger(), 6);
    QCOMPARE(body.value(QLatin1String("link")).toString(),
             QStringLiteral("https://console.example.com/h/host1/c/vm1/#offset=6"));
    // ISO 8601 in UTC with milliseconds.
    const QString timeText = body.value(QLatin1String("time")).toString();
    static const QRegularExpression iso(
        QStringLiteral("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z$"));
    QVERIFY2(iso.match(timeText).hasMatch(), qPrintable(timeText));
    const qint64 timeMs = QDateTime::fromString(timeText, Qt::ISODateWithMs).toMSecsSinceEpoch();
    QVERIFY2(timeMs >= before - 1000 && timeMs <= QDateTime::currentMSecsSinceEpoch(),
             qPrintable(timeText));

    QTRY_COMPARE(sampleValue(configured.metrics(), deliveries(QStringLiteral("ops"), "delivered")),
                 1);
    const QByteArray metrics = configured.metrics();
    QCOMPARE(sampleValue(metrics, deliveries(QStringLiteral("ops"), "failed")), 0);
    QCOMPARE(sampleValue(metrics, deliveries(QStringLiteral("ops"), "dropped")), 0);
    QCOMPARE(sampleValue(metrics, "\ncloud_console_webhook_retries_total{webhook=\"ops\"} "), 0);
    QCOMPARE(sampleValue(metrics, "\ncloud_console_webhook_queue_length{webhook=\"ops\"} "), 0);
    QCOMPARE(sampleValue(metrics, "\ncloud_console_webhook_in_flight{webhook=\"ops\"} "), 0);
}

void tst_Webhooks::eachWebhookGetsTheRulesAndConsolesItNames()
{
    TestHttpsEndpoint all(*m_certificates);
    TestHttpsEndpoint vm2Only(*m_certificates);
    TestHttpsEndpoint loginOnly(*m_certificates);
    TestPty vm1;
    TestPty vm2;
    QTemporaryDir dir;
    // A secret from a file: its line end is not part of it.
    const QString secretPath = dir.filePath(QStringLiteral("all.secret"));
    QFile secret(secretPath);
    QVERIFY(secret.open(QIODevice::WriteOnly));
    secret.write("from a file\n");
    secret.close();
    ConfiguredServer configured(
        dir,
        QStringLiteral("[server]\nlisten = 127.0.0.1:0\n")
            + consoleSection(QStringLiteral("vm1"), vm1)
            + consoleSection(QStringLiteral("vm2"), vm2)
            + QStringLiteral("[webhook all]\nurl = %1\nsecret-file = %2\nca = %3\nrules = *\n"
                             "consoles = *\n")
                  .arg(all.url(), secretPath, m_certificates->caPath())
            + webhookSection(QStringLiteral("vm2-only"), vm2Only.url(), m_certificates->caPath(),
                             QStringLiteral("consoles = vm2\n"))
            + webhookSection(QStringLiteral("login-only"), loginOnly.url(),
                             m_certificates->caPath(), QStringLiteral("rules = login-prompt\n")));
    QVERIFY2(configured.server, qPrintable(configured.error));
    QTRY_VERIFY(configured.console(QStringLiteral("vm1"))->source().isUp());

    QVERIFY(vm1.write(PanicLine + "\r\n"));
    QTRY_COMPARE(all.requests.size(), size_t(1));
    QCOMPARE(all.requests[0].header("x-cloud-console-signature"),
             hmacSignature(all.requests[0].body, "from a file"));
    // Without public-url, the link is under the server's own URL.
    QCOMPARE(json(all.requests[0].body).value(QLatin1String("link")).toString(),
             configured.server->baseUrl() + QStringLiteral("c/vm1/#offset=0"));
    QTRY_COMPARE(sampleValue(configured.metrics(), deliveries(QStringLiteral("all"), "delivered")),
                 1);
    QVERIFY(vm2Only.requests.empty() && loginOnly.requests.empty());

    QVERIFY(vm2.write("vm2 login: "));
    QTRY_COMPARE(loginOnly.requests.size(), size_t(1));
    QTRY_COMPARE(vm2Only.requests.size(), size_t(1));
    QTRY_COMPARE(all.requests.size(), size_t(2));
    for (const TestHttpsEndpoint *endpoint : {&all, &vm2Only, &loginOnly}) {
        const QJsonObject body = json(endpoint->requests.back().body);
        QCOMPARE(body.value(QLatin1String("console")).toString(), QStringLiteral("vm2"));
        QCOMPARE(body.value(QLatin1String("rule")).toString(), QStringLiteral("login-prompt"));
        QCOMPARE(body.value(QLatin1String("state")).toString(), QStringLiteral("ready"));
    }
    QCOMPARE(loginOnly.requests[0].header("x-cloud-console-signature"),
             hmacSignature(loginOnly.requests[0].body, "secret-of-login-only"));
}

void tst_Webhooks::anEndpointAnswering500IsRetriedForABoundedTimeAndA404IsNot()
{
    TestHttpsEndpoint failing(*m_certificates);
    failing.answerWith(500);
    TestHttpsEndpoint missing(*m_certificates);
    missing.answerWith(404);
    TestPty pty;
    QTemporaryDir dir;
    // Retries 1 s, then 2 s after the one before: attempts start at about 0, 1 and 3 s, and the
    // next would start at 7 s, past retry-for.
    ConfiguredServer configured(
        dir,
        QStringLiteral("[server]\nlisten = 127.0.0.1:0\n")
            + consoleSection(QStringLiteral("vm1"), pty)
            + webhookSection(QStringLiteral("failing"), failing.url(), m_certificates->caPath(),
                             QStringLiteral("retry-for = 4s\n"))
            + webhookSection(QStringLiteral("missing"), missing.url(), m_certificates->caPath(),
                             QStringLiteral("retry-for = 4s\n")));
    QVERIFY2(configured.server, qPrintable(configured.error));
    QTRY_VERIFY(configured.console(QStringLiteral("vm1"))->source().isUp());

    QElapsedTimer sincePanic;
    sincePanic.start();
    QVERIFY(pty.write(PanicLine + "\r\n"));
    QTRY_COMPARE_WITH_TIMEOUT(
        sampleValue(configured.metrics(), deliveries(QStringLiteral("failing"), "failed")), 1,
        30000);
    const qint64 gaveUpMs = sincePanic.elapsed();
    const size_t attempts = failing.requests.size();
    qInfo("500: %zu attempts, given up after %lld ms", attempts, gaveUpMs);
    // A busy machine may start an attempt late enough that the last one no longer fits.
    QVERIFY2(attempts >= 2 && attempts <= 3, qPrintable(QString::number(attempts)));
    // Every attempt is the same delivery: the same body, signature and delivery id.
    for (const TestHttpsEndpoint::Request &request : failing.requests) {
        QCOMPARE(request.body, failing.requests[0].body);
        QCOMPARE(request.header("x-cloud-console-delivery"),
                 failing.requests[0].header("x-cloud-console-delivery"));
        QCOMPARE(request.header("x-cloud-console-signature"),
                 hmacSignature(request.body, "secret-of-failing"));
    }
    const QByteArray metrics = configured.metrics();
    QCOMPARE(sampleValue(metrics, "\ncloud_console_webhook_retries_total{webhook=\"failing\"} "),
             qint64(attempts) - 1);
    QCOMPARE(sampleValue(metrics, deliveries(QStringLiteral("failing"), "delivered")), 0);
    QCOMPARE(sampleValue(metrics, "\ncloud_console_webhook_in_flight{webhook=\"failing\"} "), 0);

    // 404 is an answer: not retried.
    QCOMPARE(missing.requests.size(), size_t(1));
    QCOMPARE(sampleValue(metrics, deliveries(QStringLiteral("missing"), "failed")), 1);
    QCOMPARE(sampleValue(metrics, "\ncloud_console_webhook_retries_total{webhook=\"missing\"} "),
             0);

    // Given up means given up: no attempt comes later (the next would have come 4 s after the
    // last).
    QTest::qWait(4500);
    QCOMPARE(failing.requests.size(), attempts);
    QCOMPARE(missing.requests.size(), size_t(1));
}

void tst_Webhooks::aHangingRefusingOrFailingEndpointDoesNotSlowTheConsole()
{
    // Two consoles with the same rules and the same output; the webhooks, one that never
    // answers, one on a closed port and one that answers 500, take the alerts of one of them.
    TestHttpsEndpoint hanging(*m_certificates);
    hanging.hang();
    TestHttpsEndpoint failing(*m_certificates);
    failing.answerWith(500);
    TestPty quiet;
    TestPty busy;
    QTemporaryDir dir;
    const QString busyLog = dir.filePath(QStringLiteral("busy.log"));
    const QString options = QStringLiteral("history-size = 16M\n");
    ConfiguredServer configured(
        dir,
        QStringLiteral("[server]\nlisten = 127.0.0.1:0\n[alert flood]\npattern = ^ALERT "
                       "\ndebounce = 0\n")
            + consoleSection(QStringLiteral("quiet"), quiet, options)
            + consoleSection(QStringLiteral("busy"), busy,
                             options + QStringLiteral("log = %1\n").arg(busyLog))
            + webhookSection(QStringLiteral("hanging"), hanging.url(), m_certificates->caPath(),
                             QStringLiteral("consoles = busy\ntimeout = 5m\n"))
            + webhookSection(QStringLiteral("refusing"),
                             QStringLiteral("https://127.0.0.1:%1/hook").arg(closedPort()),
                             m_certificates->caPath(), QStringLiteral("consoles = busy\n"))
            + webhookSection(QStringLiteral("failing"), failing.url(), m_certificates->caPath(),
                             QStringLiteral("consoles = busy\n")));
    QVERIFY2(configured.server, qPrintable(configured.error));
    QTRY_VERIFY(configured.console(QStringLiteral("quiet"))->source().isUp());
    QTRY_VERIFY(configured.console(QStringLiteral("busy"))->source().isUp());

    // 4 MiB with an alerting line every 64 KiB: the console's burst of 10 alerts at once, then
    // one a second, all while the stream flows.
    QByteArray output;
    for (int i = 0; i < 64; ++i)
        output += pattern(i * 65536, 65536 - 16) + QByteArray("\r\nALERT ")
            + QByteArray::number(i).rightJustified(6, '0') + "\r\n";
    const auto stream = [&](TestPty &pty, const QString &name, qint64 *elapsedMs) {
        TestClient client(configured.consoleUrl(name));
        QTRY_VERIFY(client.hello.has_value());
        QElapsedTimer timer;
        timer.start();
        QVERIFY(feedWhileServing(pty, output));
        QTRY_VERIFY_WITH_TIMEOUT(client.received.size() >= output.size(), 60000);
        *elapsedMs = timer.elapsed();
        QVERIFY2(
            client.received == output && client.gaps.empty(),
            qPrintable(QStringLiteral("%1 got %2 bytes").arg(name).arg(client.received.size())));
    };
    qint64 quietMs = 0;
    stream(quiet, QStringLiteral("quiet"), &quietMs);
    if (QTest::currentTestFailed())
        return;
    qint64 busyMs = 0;
    stream(busy, QStringLiteral("busy"), &busyMs);
    if (QTest::currentTestFailed())
        return;
    // The stream got through while the hanging endpoint held alerts unanswered: nothing waited
    // for it.
    const int waiting = hanging.waiting();
    qInfo("4 MiB in %lld ms without webhooks, %lld ms with them; the hanging endpoint holds %d "
          "requests, the failing one got %zu",
          quietMs, busyMs, waiting, failing.requests.size());
    QVERIFY2(waiting >= 1, qPrintable(QString::number(waiting)));
    QCOMPARE(hanging.answered, 0);
    QTRY_VERIFY(!failing.requests.empty());
    // The same order of time: what is measured is the console, not the webhooks. (Generous, so
    // that a busy machine does not fail it; a console that waited for the hanging endpoint
    // would take its 5-minute timeout.)
    QVERIFY2(busyMs <= 4 * quietMs + 2000,
             qPrintable(QStringLiteral("%1 ms against %2 ms").arg(busyMs).arg(quietMs)));
    // And the log has every byte.
    QTRY_COMPARE(QFileInfo(busyLog).size(), qint64(output.size()));

    // Bounded: at most MaxActive at once per webhook, whatever the number of alerts.
    const QByteArray metrics = configured.metrics();
    for (const char *name : {"hanging", "refusing", "failing"}) {
        const qint64 inFlight = sampleValue(
            metrics, "\ncloud_console_webhook_in_flight{webhook=\"" + QByteArray(name) + "\"} ");
        QVERIFY2(inFlight >= 0 && inFlight <= WebhookEndpoint::MaxActive,
                 qPrintable(QStringLiteral("%1: %2").arg(QLatin1String(name)).arg(inFlight)));
    }
    QVERIFY(hanging.waiting() <= WebhookEndpoint::MaxActive);
}

void tst_Webhooks::aFullQueueDropsItsOldestAlertAndSaysSo()
{
    TestHttpsEndpoint hanging(*m_certificates);
    hanging.hang();
    WebhookSettings settings;
    settings.name = QStringLiteral("slow");
    QVERIFY(parseWebhookUrl(hanging.url(), &settings.url).isEmpty());
    settings.secret = QStringLiteral("s");
    settings.caFile = m_certificates->caPath();
    settings.timeout = std::chrono::seconds(300);
    QString error;
    QVERIFY2(settings.load(&error), qPrintable(error));

    auto dispatcher = std::make_unique<WebhookDispatcher>();
    dispatcher->setBaseUrl(QUrl(QStringLiteral("http://127.0.0.1:1/")));
    dispatcher->setWebhooks({settings});
    const WebhookEndpoint &endpoint = *dispatcher->endpoints().at(QStringLiteral("slow"));
    const int extra = 10;
    const int total = WebhookEndpoint::MaxActive + WebhookEndpoint::MaxQueued + extra;
    // Each drop is logged, through the webhook's throttle: 5 at once, then the count.
    for (int i = 0; i < 5; ++i)
        QTest::ignoreMessage(QtWarningMsg,
                             QRegularExpression(QStringLiteral(
                                 "^webhook slow: 256 alerts wait, the most it keeps: dropped the "
                                 "oldest \\(flood on vm1\\)$")));
    for (int i = 0; i < total; ++i) {
        Alert alert;
        alert.rule = QStringLiteral("flood");
        alert.line = QStringLiteral("line %1").arg(i);
        alert.offset = i;
        dispatcher->post(QStringLiteral("vm1"), alert);
    }
    QCOMPARE(endpoint.active(), WebhookEndpoint::MaxActive);
    QCOMPARE(endpoint.queued(), WebhookEndpoint::MaxQueued);
    QCOMPARE(endpoint.counters().dropped, qint64(extra));
    QTRY_COMPARE(hanging.waiting(), WebhookEndpoint::MaxActive);
    // The first ones went out at once (over several connections, in any order); the oldest of
    // those that waited were dropped.
    QList<qint64> sent;
    for (const TestHttpsEndpoint::Request &request : hanging.requests)
        sent.append(json(request.body).value(QLatin1String("offset")).toInteger());
    std::sort(sent.begin(), sent.end());
    QCOMPARE(sent, (QList<qint64> {0, 1, 2, 3}));

    ConsoleRegistry none;
    const QByteArray metrics = Metrics::render(none, dispatcher.get());
    QCOMPARE(sampleValue(metrics, deliveries(QStringLiteral("slow"), "dropped")), qint64(extra));
    QCOMPARE(sampleValue(metrics, "\ncloud_console_webhook_queue_length{webhook=\"slow\"} "),
             qint64(WebhookEndpoint::MaxQueued));
    QCOMPARE(sampleValue(metrics, "\ncloud_console_webhook_in_flight{webhook=\"slow\"} "),
             qint64(WebhookEndpoint::MaxActive));
    QVERIFY(!Metrics::render(none).contains("webhook=\"slow\""));

    // Going away, it says what it did not deliver.
    QTest::ignoreMessage(QtWarningMsg,
                         QStringLiteral("webhook slow removed: %1 alerts not delivered")
                             .arg(WebhookEndpoint::MaxActive + WebhookEndpoint::MaxQueued)
                             .toUtf8()
                             .constData());
    QTest::ignoreMessage(QtInfoMsg,
                         QStringLiteral("webhook slow: %1 more lines were not logged")
                             .arg(extra - 5)
                             .toUtf8()
                             .constData());
    dispatcher.reset();
}

void tst_Webhooks::anAttemptWithoutAnswerTimesOut()
{
    TestHttpsEndpoint hanging(*m_certificates);
    hanging.hang();
    WebhookSettings settings;
    settings.name = QStringLiteral("slow");
    QVERIFY(parseWebhookUrl(hanging.url(), &settings.url).isEmpty());
    settings.secret = QStringLiteral("s");
    settings.caFile = m_certificates->caPath();
    settings.timeout = std::chrono::seconds(1);
    settings.retryFor = std::chrono::seconds(0); // one attempt
    QString error;
    QVERIFY2(settings.load(&error), qPrintable(error));
    WebhookDispatcher dispatcher;
    dispatcher.setWebhooks({settings});
    const WebhookEndpoint &endpoint = *dispatcher.endpoints().at(QStringLiteral("slow"));

    QTest::ignoreMessage(QtWarningMsg,
                         QRegularExpression(QStringLiteral(
                             "^webhook slow: giving up on panic on vm1 after 1 attempts in "
                             "[0-9.]+s: no answer within 1.0s$")));
    Alert alert;
    alert.rule = QStringLiteral("panic");
    dispatcher.post(QStringLiteral("vm1"), alert);
    QTRY_COMPARE(hanging.waiting(), 1);
    QTRY_COMPARE_WITH_TIMEOUT(endpoint.counters().failed, 1, 10000);
    QCOMPARE(endpoint.active(), 0);
    QCOMPARE(hanging.requests.size(), size_t(1));
}

void tst_Webhooks::aReloadAddsKeepsAndRemovesWebhooks()
{
    TestHttpsEndpoint endpoint(*m_certificates);
    TestPty pty;
    TestPty pty2;
    QTemporaryDir dir;
    const QString head = QStringLiteral("[server]\nlisten = 127.0.0.1:0\n[alert mark]\npattern = "
                                        "^MARK\ndebounce = 0\nseverity = info\n")
        + consoleSection(QStringLiteral("vm1"), pty);
    ConfiguredServer configured(dir, head);
    QVERIFY2(configured.server, qPrintable(configured.error));
    Console *vm1 = configured.console(QStringLiteral("vm1"));
    QTRY_VERIFY(vm1->source().isUp());
    // The alerts of the console, as its clients see them.
    TestClient client(configured.consoleUrl(QStringLiteral("vm1")));
    QTRY_VERIFY(client.hello.has_value());
    const auto alerts = [&client] {
        return std::count_if(client.messages.begin(), client.messages.end(), [](const auto &m) {
            return std::holds_alternative<Protocol::AlertEvent>(m);
        });
    };

    QVERIFY(pty.write("MARK 1\r\n"));
    QTRY_COMPARE(alerts(), 1);
    QVERIFY(!configured.metrics().contains("cloud_console_webhook_deliveries_total{"));

    // Added, with a console.
    QVERIFY(configured.write(
        head + consoleSection(QStringLiteral("vm2"), pty2)
        + webhookSection(QStringLiteral("w"), endpoint.url(), m_certificates->caPath())));
    QVERIFY(configured.server->reload());
    QCOMPARE(configured.console(QStringLiteral("vm1")), vm1);
    QVERIFY(pty.write("MARK 2\r\n"));
    QTRY_COMPARE(endpoint.requests.size(), size_t(1));
    QCOMPARE(json(endpoint.requests[0].body).value(QLatin1String("line")).toString(),
             QStringLiteral("MARK 2"));
    // The console the reload added sends its alerts too.
    Console *vm2 = configured.console(QStringLiteral("vm2"));
    QVERIFY(vm2);
    QTRY_VERIFY(vm2->source().isUp());
    QVERIFY(pty2.write("MARK on vm2\r\n"));
    QTRY_COMPARE(endpoint.requests.size(), size_t(2));
    QCOMPARE(json(endpoint.requests[1].body).value(QLatin1String("console")).toString(),
             QStringLiteral("vm2"));
    QTRY_COMPARE(sampleValue(configured.metrics(), deliveries(QStringLiteral("w"), "delivered")),
                 2);

    // Kept with a new secret: its counts go on, and the next alert is signed with the new one.
    const QString rotated = head
        + QStringLiteral("[webhook w]\nurl = %1\nsecret = rotated\nca = %2\n")
              .arg(endpoint.url(), m_certificates->caPath());
    QVERIFY(configured.write(rotated));
    QVERIFY(configured.server->reload());
    QVERIFY(pty.write("MARK 3\r\n"));
    QTRY_COMPARE(endpoint.requests.size(), size_t(3));
    QCOMPARE(endpoint.requests[2].header("x-cloud-console-signature"),
             hmacSignature(endpoint.requests[2].body, "rotated"));
    QTRY_COMPARE(sampleValue(configured.metrics(), deliveries(QStringLiteral("w"), "delivered")),
                 3);

    // A webhook whose files cannot be read keeps the running configuration.
    QVERIFY(
        configured.write(head
                         + QStringLiteral("[webhook w]\nurl = %1\nsecret-file = %2\nca = %3\n")
                               .arg(endpoint.url(), dir.filePath(QStringLiteral("missing.secret")),
                                    m_certificates->caPath())));
    QTest::ignoreMessage(QtWarningMsg,
                         QRegularExpression(QStringLiteral(
                             "^keeping the running configuration: webhook \"w\": cannot read "
                             "the secret-file .*missing.secret")));
    QVERIFY(!configured.server->reload());
    QVERIFY(pty.write("MARK 4\r\n"));
    QTRY_COMPARE(endpoint.requests.size(), size_t(4));
    QCOMPARE(endpoint.requests[3].header("x-cloud-console-signature"),
             hmacSignature(endpoint.requests[3].body, "rotated"));

    // Removed: alerts go on for the clients, none to the endpoint.
    QVERIFY(configured.write(head));
    QVERIFY(configured.server->reload());
    QVERIFY(pty.write("MARK 5\r\n"));
    QTRY_COMPARE(alerts(), 5);
    QTest::qWait(500);
    QCOMPARE(endpoint.requests.size(), size_t(4));
    QVERIFY(!configured.metrics().contains("webhook=\"w\""));
}

QTEST_GUILESS_MAIN(tst_Webhooks)
#include "tst_webhooks.moc"
