// What the server tells about itself: /metrics in the Prometheus text format, parsed here and
// watched while real ptys print, hang up and come back and real WebSocket clients come and go;
// the index page and /consoles.json of a server with several consoles; "/" of a server with one.

#include "consolestatus.h"
#include "metrics.h"
#include "testclient.h"
#include "testpty.h"
#include "testserver.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>
#include <QWebSocketServer>

#include <sys/socket.h>

#include <map>
#include <memory>

using namespace CloudConsole;
using namespace CloudConsole::Test;

namespace {

ConsoleSettings plainSettings(const QString &name)
{
    ConsoleSettings settings;
    settings.name = name;
    settings.markers = false; // the stream holds the guest's bytes alone
    return settings;
}

struct HttpReply
{
    int status = 0;
    QByteArray contentType;
    QByteArray body;
};

// A plain GET over a fresh connection that the server closes when done.
HttpReply get(quint16 port, const QByteArray &path)
{
    QTcpSocket socket;
    QByteArray raw;
    bool closed = false;
    QObject::connect(&socket, &QTcpSocket::connected, &socket, [&] {
        socket.write("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
    });
    QObject::connect(&socket, &QTcpSocket::readyRead, &socket, [&] { raw += socket.readAll(); });
    QObject::connect(&socket, &QTcpSocket::disconnected, &socket, [&] { closed = true; });
    socket.connectToHost(QHostAddress::LocalHost, port);
    QElapsedTimer timer;
    timer.start();
    HttpReply reply;
    qsizetype headEnd = -1;
    while (timer.elapsed() < 10000) {
        QTest::qWait(5);
        headEnd = raw.indexOf("\r\n\r\n");
        if (headEnd < 0)
            continue;
        static const QRegularExpression length(QStringLiteral("\r\ncontent-length: *(\\d+)"),
                                               QRegularExpression::CaseInsensitiveOption);
        const auto match = length.match(QString::fromLatin1(raw.left(headEnd + 2)));
        if (closed || (match.hasMatch() && raw.size() >= headEnd + 4 + match.captured(1).toInt()))
            break;
    }
    if (headEnd < 0)
        return reply;
    const QList<QByteArray> lines = raw.left(headEnd).split('\n');
    reply.status = lines.value(0).split(' ').value(1).toInt();
    for (const QByteArray &line : lines) {
        if (line.toLower().startsWith("content-type:"))
            reply.contentType = line.mid(13).trimmed();
    }
    reply.body = raw.mid(headEnd + 4);
    return reply;
}

// The Prometheus text format, version 0.0.4, read strictly: every sample line is
// `name{label="value",...} value`, and every sample's name was given a HELP and a TYPE first.
struct Exposition
{
    QString error; // the first thing wrong, if any
    std::map<QString, QString> help;
    std::map<QString, QString> type;
    std::map<QString, double> samples; // by series: name{a="x",b="y"}, labels in their order

    bool has(const QString &series) const { return samples.count(series) > 0; }
    double value(const QString &series) const
    {
        const auto it = samples.find(series);
        return it == samples.end() ? -1 : it->second;
    }
};

Exposition parseExposition(const QByteArray &text)
{
    Exposition out;
    static const QRegularExpression nameRe(QStringLiteral("^[a-zA-Z_:][a-zA-Z0-9_:]*"));
    static const QRegularExpression labelNameRe(QStringLiteral("^[a-zA-Z_][a-zA-Z0-9_]*"));
    const auto fail = [&out](const QString &why, const QString &line) {
        if (out.error.isEmpty())
            out.error = why + QStringLiteral(" in: ") + line;
    };
    if (!text.endsWith('\n'))
        fail(QStringLiteral("no line feed at the end"), QString());
    const QStringList lines = QString::fromUtf8(text).split(u'\n');
    for (const QString &line : lines) {
        if (line.isEmpty())
            continue;
        if (line.startsWith(u'#')) {
            const QStringList parts = line.split(u' ');
            if (parts.size() >= 4 && parts[1] == QLatin1String("HELP")) {
                if (out.help.count(parts[2]))
                    fail(QStringLiteral("a second HELP"), line);
                out.help[parts[2]] = parts.mid(3).join(u' ');
            } else if (parts.size() == 4 && parts[1] == QLatin1String("TYPE")) {
                static const QStringList types {
                    QStringLiteral("counter"), QStringLiteral("gauge"), QStringLiteral("histogram"),
                    QStringLiteral("summary"), QStringLiteral("untyped")};
                if (!types.contains(parts[3]))
                    fail(QStringLiteral("an unknown type"), line);
                if (out.type.count(parts[2]))
                    fail(QStringLiteral("a second TYPE"), line);
                out.type[parts[2]] = parts[3];
            }
            continue;
        }
        const auto name = nameRe.match(line);
        if (!name.hasMatch()) {
            fail(QStringLiteral("no metric name"), line);
            continue;
        }
        QString series = name.captured();
        qsizetype at = name.capturedLength();
        if (at < line.size() && line[at] == u'{') {
            QStringList labels;
            ++at;
            while (at < line.size() && line[at] != u'}') {
                const auto labelName = labelNameRe.match(line.mid(at));
                if (!labelName.hasMatch()
                    || line.mid(at + labelName.capturedLength(), 2) != "=\"") {
                    fail(QStringLiteral("a bad label"), line);
                    break;
                }
                at += labelName.capturedLength() + 2;
                QString value;
                bool closed = false;
                while (at < line.size() && !closed) {
                    const QChar c = line[at++];
                    if (c == u'"') {
                        closed = true;
                    } else if (c == u'\\' && at < line.size()) {
                        const QChar escaped = line[at++];
                        if (escaped == u'n')
                            value += u'\n';
                        else if (escaped == u'\\' || escaped == u'"')
                            value += escaped;
                        else
                            fail(QStringLiteral("an unknown escape"), line);
                    } else {
                        value += c;
                    }
                }
                if (!closed)
                    fail(QStringLiteral("an unterminated label value"), line);
                labels += labelName.captured() + QStringLiteral("=\"") + value + u'"';
                if (at < line.size() && line[at] == u',')
                    ++at;
            }
            if (at >= line.size()) {
                fail(QStringLiteral("no closing brace"), line);
                continue;
            }
            ++at;
            series += u'{' + labels.join(u',') + u'}';
        }
        if (at >= line.size() || line[at] != u' ') {
            fail(QStringLiteral("no blank before the value"), line);
            continue;
        }
        bool ok = false;
        const double value = line.mid(at + 1).toDouble(&ok);
        if (!ok)
            fail(QStringLiteral("a value that is not a number"), line);
        if (!out.help.count(name.captured()) || !out.type.count(name.captured()))
            fail(QStringLiteral("a sample without HELP and TYPE before it"), line);
        if (out.samples.count(series))
            fail(QStringLiteral("the same series twice"), line);
        out.samples[series] = value;
    }
    for (const auto &[family, type] : out.type) {
        if (!family.startsWith(QLatin1String("cloud_console_")))
            fail(QStringLiteral("a name without the cloud_console_ prefix"), family);
        if ((type == QLatin1String("counter")) != family.endsWith(QLatin1String("_total")))
            fail(QStringLiteral("_total on a name that is not a counter, or a counter without"),
                 family);
        if (!out.help.count(family))
            fail(QStringLiteral("a TYPE without a HELP"), family);
    }
    return out;
}

Exposition scrape(const TestServer &server)
{
    const HttpReply reply = get(server.frontend->port(), "/metrics");
    Exposition parsed = parseExposition(reply.body);
    if (reply.status != 200)
        parsed.error = QStringLiteral("status %1").arg(reply.status);
    return parsed;
}

// The metric's value for one console, or -1 when it has none.
double metric(const TestServer &server, const QString &name, const QString &console,
              const QString &moreLabels = QString())
{
    const Exposition parsed = scrape(server);
    if (!parsed.error.isEmpty()) {
        qWarning().noquote() << "bad exposition:" << parsed.error;
        return -2;
    }
    return parsed.value(
        QStringLiteral("cloud_console_%1{console=\"%2\"%3}").arg(name, console, moreLabels));
}

// Writes into a pty's master while the event loop runs, so the server (in this thread) reads.
bool feed(TestPty &pty, QByteArrayView data, int timeoutMs = 30000)
{
    QElapsedTimer timer;
    timer.start();
    qsizetype done = 0;
    while (done < data.size() && timer.elapsed() < timeoutMs) {
        const ssize_t n = ::write(pty.master(), data.data() + done, size_t(data.size() - done));
        if (n > 0)
            done += n;
        else
            QTest::qWait(1);
        QCoreApplication::processEvents();
    }
    return done == data.size();
}

} // namespace

class tst_Observability : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void labelValuesAreEscaped_data();
    void labelValuesAreEscaped();
    void metricsParseAndEveryFamilyHasHelpAndType();
    void bytesReadGrowByExactlyWhatThePtyWrote();
    void inputAndOutputBytesAreCounted();
    void clientsAreCountedByRole();
    void aHangupAndReturnFlipsSourceUpAndCountsAReconnect();
    void aStalledClientsGapsAreCounted();
    void aLogThatCannotBeWrittenCountsErrors();
    void theIndexListsEveryConsoleWithItsStateAndARelativeLink();
    void theIndexAndTheMetricsEscapeNames();
    void consolesJsonHasTheSameData();
    void withOneConsoleTheRootStillServesTheConsolePage();
    void agesReadWell_data();
    void agesReadWell();
};

void tst_Observability::labelValuesAreEscaped_data()
{
    QTest::addColumn<QString>("value");
    QTest::addColumn<QByteArray>("escaped");
    QTest::newRow("plain") << QStringLiteral("vm1") << QByteArray("vm1");
    QTest::newRow("backslash") << QStringLiteral("a\\b") << QByteArray("a\\\\b");
    QTest::newRow("double quote") << QStringLiteral("say \"hi\"") << QByteArray("say \\\"hi\\\"");
    QTest::newRow("line feed") << QStringLiteral("two\nlines") << QByteArray("two\\nlines");
    QTest::newRow("all at once") << QStringLiteral("\\\"\n") << QByteArray("\\\\\\\"\\n");
    QTest::newRow("UTF-8") << QStringLiteral("gr\u00fc\u00dfe")
                           << QByteArray("gr\303\274\303\237e");
    QTest::newRow("single quote and braces stay") << QStringLiteral("'{}'") << QByteArray("'{}'");
}

void tst_Observability::labelValuesAreEscaped()
{
    QFETCH(QString, value);
    QFETCH(QByteArray, escaped);
    QCOMPARE(Metrics::escapeLabelValue(value), escaped);
}

void tst_Observability::metricsParseAndEveryFamilyHasHelpAndType()
{
    TestPty pty;
    TestServer server;
    server.add(pty.path(), plainSettings(QStringLiteral("vm1")));
    QVERIFY(server.start());
    const HttpReply reply = get(server.frontend->port(), "/metrics");
    QCOMPARE(reply.status, 200);
    QCOMPARE(reply.contentType, QByteArray("text/plain; version=0.0.4; charset=utf-8"));
    const Exposition parsed = parseExposition(reply.body);
    QVERIFY2(parsed.error.isEmpty(), qPrintable(parsed.error + u'\n' + reply.body));
    QCOMPARE(parsed.value(QStringLiteral("cloud_console_build_info{version=\"%1\"}")
                              .arg(QStringLiteral(CLOUD_CONSOLE_VERSION))),
             1.0);
    QCOMPARE(parsed.value(QStringLiteral("cloud_console_consoles")), 1.0);
    const QStringList families {
        QStringLiteral("cloud_console_source_up"),
        QStringLiteral("cloud_console_clients"),
        QStringLiteral("cloud_console_source_bytes_read_total"),
        QStringLiteral("cloud_console_input_bytes_total"),
        QStringLiteral("cloud_console_client_bytes_sent_total"),
        QStringLiteral("cloud_console_gaps_total"),
        QStringLiteral("cloud_console_gap_bytes_total"),
        QStringLiteral("cloud_console_source_reconnects_total"),
        QStringLiteral("cloud_console_last_output_timestamp_seconds"),
        QStringLiteral("cloud_console_history_bytes"),
        QStringLiteral("cloud_console_log_errors_total"),
        QStringLiteral("cloud_console_log_bytes_lost_total"),
    };
    for (const QString &family : families)
        QVERIFY2(parsed.type.count(family) && parsed.help.count(family), qPrintable(family));
    QCOMPARE(parsed.type.at(QStringLiteral("cloud_console_source_bytes_read_total")),
             QStringLiteral("counter"));
    QCOMPARE(parsed.type.at(QStringLiteral("cloud_console_clients")), QStringLiteral("gauge"));
    // Before any output there is no time of the last one; a console without a log has no log
    // errors.
    QVERIFY(!parsed.has(
        QStringLiteral("cloud_console_last_output_timestamp_seconds{console=\"vm1\"}")));
    QVERIFY(!parsed.has(QStringLiteral("cloud_console_log_errors_total{console=\"vm1\"}")));
    // The health check is as it was.
    const HttpReply health = get(server.frontend->port(), "/healthz");
    QCOMPARE(health.status, 200);
    QCOMPARE(health.body, QByteArray("ok\n"));
}

void tst_Observability::bytesReadGrowByExactlyWhatThePtyWrote()
{
    TestPty pty;
    TestServer server;
    Console *console = server.add(pty.path(), plainSettings(QStringLiteral("vm1")));
    QVERIFY(server.start());
    QTRY_VERIFY(console->source().isUp());
    const QString read = QStringLiteral("source_bytes_read_total");
    QCOMPARE(metric(server, read, QStringLiteral("vm1")), 0.0);

    QVERIFY(feed(pty, "hello\r\n"));
    QTRY_COMPARE(metric(server, read, QStringLiteral("vm1")), 7.0);
    const double before = QDateTime::currentMSecsSinceEpoch() / 1000.0;
    QVERIFY(feed(pty, pattern(0, 300'000)));
    QTRY_COMPARE(metric(server, read, QStringLiteral("vm1")), 300'007.0);
    const double after = QDateTime::currentMSecsSinceEpoch() / 1000.0;
    const double last
        = metric(server, QStringLiteral("last_output_timestamp_seconds"), QStringLiteral("vm1"));
    QVERIFY2(last >= before - 0.01 && last <= after + 0.01,
             qPrintable(QStringLiteral("%1 not in [%2, %3]").arg(last).arg(before).arg(after)));
    // The history holds its 1 MiB at most.
    QCOMPARE(metric(server, QStringLiteral("history_bytes"), QStringLiteral("vm1")), 300'007.0);
}

void tst_Observability::inputAndOutputBytesAreCounted()
{
    TestPty pty;
    TestServer server;
    Console *console = server.add(pty.path(), plainSettings(QStringLiteral("vm1")));
    QVERIFY(server.start());
    QTRY_VERIFY(console->source().isUp());
    QVERIFY(feed(pty, "boot log\r\n")); // 10 bytes, replayed to each client
    QTRY_COMPARE(console->history().endOffset(), 10);

    TestClient first(server.url(QStringLiteral("/c/vm1/ws")));
    TestClient second(server.url(QStringLiteral("/ws")));
    QTRY_COMPARE(first.received, QByteArray("boot log\r\n"));
    QTRY_COMPARE(second.received, QByteArray("boot log\r\n"));
    QVERIFY(feed(pty, "$ "));
    QTRY_COMPARE(second.received, QByteArray("boot log\r\n$ "));
    QTRY_COMPARE(first.received, QByteArray("boot log\r\n$ "));
    QTRY_COMPARE(metric(server, QStringLiteral("client_bytes_sent_total"), QStringLiteral("vm1")),
                 24.0);

    first.socket.sendBinaryMessage("uname -a\r");
    second.socket.sendBinaryMessage("id\r");
    QByteArray typed;
    QTRY_COMPARE((typed += pty.readAvailable()).size(), 12);
    QTRY_COMPARE(metric(server, QStringLiteral("input_bytes_total"), QStringLiteral("vm1")), 12.0);

    // A client that leaves takes nothing with it: the totals stay.
    first.socket.close();
    QTRY_COMPARE(console->clientCount(), 1);
    QCOMPARE(metric(server, QStringLiteral("client_bytes_sent_total"), QStringLiteral("vm1")),
             24.0);
    QCOMPARE(metric(server, QStringLiteral("input_bytes_total"), QStringLiteral("vm1")), 12.0);
}

void tst_Observability::clientsAreCountedByRole()
{
    TestPty pty;
    TestServer server;
    Console *console = server.add(pty.path(), plainSettings(QStringLiteral("vm1")));
    QVERIFY(server.start());
    const auto clients = [&](const char *role) {
        return metric(server, QStringLiteral("clients"), QStringLiteral("vm1"),
                      QStringLiteral(",role=\"%1\"").arg(QLatin1String(role)));
    };
    QCOMPARE(clients("operator"), 0.0);
    QCOMPARE(clients("viewer"), 0.0);

    // Without access control every client through the front end may type: an operator.
    auto operatorClient = std::make_unique<TestClient>(server.url(QStringLiteral("/ws")));
    QTRY_VERIFY(operatorClient->hello.has_value());
    QVERIFY(operatorClient->hello->writable);
    QCOMPARE(clients("operator"), 1.0);
    QCOMPARE(clients("viewer"), 0.0);

    // A read-only client, handed to the console as the front end does once roles decide it.
    QWebSocketServer side(QStringLiteral("test"), QWebSocketServer::NonSecureMode);
    QVERIFY(side.listen(QHostAddress::LocalHost, 0));
    QWebSocket viewer;
    viewer.open(QUrl(QStringLiteral("ws://127.0.0.1:%1/").arg(side.serverPort())));
    QTRY_VERIFY(side.hasPendingConnections());
    QWebSocket *accepted = side.nextPendingConnection();
    QVERIFY(console->addClient(accepted, ClientSession::Mode::Raw, std::nullopt, false, nullptr));
    QCOMPARE(clients("operator"), 1.0);
    QCOMPARE(clients("viewer"), 1.0);

    operatorClient.reset();
    QTRY_COMPARE(clients("operator"), 0.0);
    QCOMPARE(clients("viewer"), 1.0);
    viewer.close();
    QTRY_COMPARE(clients("viewer"), 0.0);
}

void tst_Observability::aHangupAndReturnFlipsSourceUpAndCountsAReconnect()
{
    QTemporaryDir dir;
    const QString link = dir.filePath(QStringLiteral("vm1.console"));
    auto first = std::make_unique<TestPty>();
    QVERIFY(QFile::link(first->path(), link));
    TestServer server;
    Console *console = server.add(link, plainSettings(QStringLiteral("vm1")));
    QVERIFY(server.start());
    const QString vm1 = QStringLiteral("vm1");
    QTRY_COMPARE(metric(server, QStringLiteral("source_up"), vm1), 1.0);
    QCOMPARE(metric(server, QStringLiteral("source_reconnects_total"), vm1), 0.0);

    first->hangup();
    QTRY_VERIFY(!console->source().isUp());
    QCOMPARE(metric(server, QStringLiteral("source_up"), vm1), 0.0);
    QCOMPARE(metric(server, QStringLiteral("source_reconnects_total"), vm1), 0.0);

    TestPty second;
    QVERIFY(QFile::remove(link));
    QVERIFY(QFile::link(second.path(), link));
    QTRY_VERIFY_WITH_TIMEOUT(console->source().isUp(), 10000);
    QCOMPARE(metric(server, QStringLiteral("source_up"), vm1), 1.0);
    QCOMPARE(metric(server, QStringLiteral("source_reconnects_total"), vm1), 1.0);
}

void tst_Observability::aStalledClientsGapsAreCounted()
{
    TestPty pty;
    TestServer server;
    ConsoleSettings settings = plainSettings(QStringLiteral("vm1"));
    settings.historySize = 4096; // the smallest allowed: a client that stalls falls behind soon
    Console *console = server.add(pty.path(), settings);
    QVERIFY(server.start());
    QTRY_VERIFY(console->source().isUp());

    // A client that stops reading after its handshake, with small buffers on its side.
    QTcpSocket stalled;
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    const int small = 4096;
    ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    stalled.setSocketDescriptor(fd, QAbstractSocket::UnconnectedState);
    stalled.setReadBufferSize(4096);
    stalled.connectToHost(QHostAddress::LocalHost, server.frontend->port());
    stalled.write("GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                  "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                  "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: cloud-console.v1\r\n\r\n");
    QTRY_COMPARE(console->clientCount(), 1);
    QCOMPARE(metric(server, QStringLiteral("gaps_total"), QStringLiteral("vm1")), 0.0);

    constexpr qsizetype Total = 4 * 1024 * 1024;
    for (qsizetype at = 0; at < Total; at += 64 * 1024)
        QVERIFY(feed(pty, pattern(at, 64 * 1024)));
    QTRY_COMPARE(console->counters().sourceBytesRead, qint64(Total));

    // It reads again: it is told what it missed and goes on from the oldest byte kept.
    stalled.setReadBufferSize(0);
    connect(&stalled, &QTcpSocket::readyRead, &stalled, [&stalled] { stalled.readAll(); });
    stalled.readAll();
    QTRY_VERIFY(metric(server, QStringLiteral("gaps_total"), QStringLiteral("vm1")) >= 1);
    // Every byte the console read was either sent to the client or skipped in a gap.
    QTRY_COMPARE_WITH_TIMEOUT(
        metric(server, QStringLiteral("client_bytes_sent_total"), QStringLiteral("vm1"))
            + metric(server, QStringLiteral("gap_bytes_total"), QStringLiteral("vm1")),
        double(Total), 10000);
    QVERIFY(metric(server, QStringLiteral("gap_bytes_total"), QStringLiteral("vm1")) >= Total / 2);
}

void tst_Observability::aLogThatCannotBeWrittenCountsErrors()
{
    // /dev/full takes the open and refuses every write with ENOSPC, for root too.
    TestPty pty;
    TestServer server;
    ConsoleSettings full = plainSettings(QStringLiteral("full"));
    full.logPath = QStringLiteral("/dev/full");
    QTemporaryDir dir;
    ConsoleSettings fine = plainSettings(QStringLiteral("fine"));
    fine.logPath = dir.filePath(QStringLiteral("fine.log"));
    TestPty other;
    Console *console = server.add(pty.path(), full);
    server.add(other.path(), fine);
    QVERIFY(server.start());
    QTRY_VERIFY(console->source().isUp());
    QCOMPARE(metric(server, QStringLiteral("log_errors_total"), QStringLiteral("full")), 0.0);

    QVERIFY(feed(pty, "this goes nowhere\r\n"));
    QVERIFY(feed(other, "this goes to the log\r\n"));
    QTRY_VERIFY(metric(server, QStringLiteral("log_errors_total"), QStringLiteral("full")) >= 1);
    const double errors
        = metric(server, QStringLiteral("log_errors_total"), QStringLiteral("full"));
    // Retried every second, and every failed attempt counts.
    QTRY_VERIFY_WITH_TIMEOUT(
        metric(server, QStringLiteral("log_errors_total"), QStringLiteral("full")) > errors, 5000);
    QTRY_COMPARE(QFile(fine.logPath).size(), qint64(22));
    QCOMPARE(metric(server, QStringLiteral("log_errors_total"), QStringLiteral("fine")), 0.0);
}

void tst_Observability::theIndexListsEveryConsoleWithItsStateAndARelativeLink()
{
    TestPty pty;
    QTemporaryDir dir;
    const QString missing = dir.filePath(QStringLiteral("not-there-yet"));
    TestServer server;
    Console *vm1 = server.add(pty.path(), plainSettings(QStringLiteral("vm1")));
    server.add(missing, plainSettings(QStringLiteral("vm2")));
    QVERIFY(server.start());
    QTRY_VERIFY(vm1->source().isUp());
    QVERIFY(feed(pty, "login: "));
    QTRY_COMPARE(vm1->history().endOffset(), 7);
    TestClient client(server.url(QStringLiteral("/c/vm1/ws")));
    QTRY_VERIFY(client.hello.has_value());

    const HttpReply reply = get(server.frontend->port(), "/");
    QCOMPARE(reply.status, 200);
    QCOMPARE(reply.contentType, QByteArray("text/html; charset=utf-8"));
    const QString html = QString::fromUtf8(reply.body);
    QVERIFY2(html.startsWith(QLatin1String("<!doctype html>\n<html lang=\"en\">")),
             qPrintable(html.left(200)));
    QVERIFY(html.contains(QStringLiteral("<title>Consoles — cloud-console</title>")));
    QVERIFY(html.contains(QLatin1String("<th scope=\"col\">Console</th>")));
    QVERIFY(!html.contains(QLatin1String("<script")));

    // One row per console, in name order: its link, its state and reason, clients, last output.
    static const QRegularExpression rowRe(QStringLiteral("<tr>\\n(.*?)</tr>"),
                                          QRegularExpression::DotMatchesEverythingOption);
    QStringList rows;
    for (auto it = rowRe.globalMatch(html); it.hasNext();)
        rows += it.next().captured(1);
    QCOMPARE(rows.size(), 2);
    QVERIFY2(rows[0].contains(QLatin1String("<a href=\"c/vm1/\">vm1</a>")), qPrintable(rows[0]));
    QVERIFY2(rows[0].contains(QLatin1String("class=\"state up\">Up<")), qPrintable(rows[0]));
    QVERIFY2(rows[0].contains(pty.path()), qPrintable(rows[0]));
    QVERIFY2(rows[0].contains(QLatin1String("<td class=\"num\">1</td>")), qPrintable(rows[0]));
    QVERIFY2(rows[0].contains(QRegularExpression(QStringLiteral(">\\d+ s ago<"))),
             qPrintable(rows[0]));
    QVERIFY2(rows[1].contains(QLatin1String("<a href=\"c/vm2/\">vm2</a>")), qPrintable(rows[1]));
    QVERIFY2(rows[1].contains(QLatin1String("class=\"state down\">Down<")), qPrintable(rows[1]));
    QVERIFY2(rows[1].contains(missing), qPrintable(rows[1]));
    QVERIFY2(rows[1].contains(QLatin1String("<td class=\"num\">0</td>")), qPrintable(rows[1]));
    QVERIFY2(rows[1].contains(QLatin1String(">never<")), qPrintable(rows[1]));

    // Every link is relative, so the page works below a reverse proxy's sub-path.
    static const QRegularExpression hrefRe(QStringLiteral("href=\"([^\"]*)\""));
    for (auto it = hrefRe.globalMatch(html); it.hasNext();) {
        const QString href = it.next().captured(1);
        if (href.startsWith(QLatin1String("data:")))
            continue; // the icon
        QVERIFY2(!href.startsWith(u'/') && !href.contains(u':'), qPrintable(href));
    }
    // The consoles' own pages and the default console's WebSocket are where they were.
    QCOMPARE(get(server.frontend->port(), "/c/vm2/").status, 200);
    TestClient byDefault(server.url(QStringLiteral("/ws")));
    QTRY_VERIFY(byDefault.hello.has_value());
    QCOMPARE(byDefault.hello->console, QStringLiteral("vm1"));
}

void tst_Observability::theIndexAndTheMetricsEscapeNames()
{
    // Names from a configuration are restricted to A-Z a-z 0-9 . _ -; the registry itself takes
    // any, and whatever it holds comes out escaped. So does a reason with markup in it.
    QTemporaryDir dir;
    const QString odd = QStringLiteral("<b>\"odd\"\\&'\n");
    const QString path = dir.filePath(QStringLiteral("<i>&amp;"));
    TestServer server;
    server.add(path, plainSettings(odd));
    server.add(path, plainSettings(QStringLiteral("plain")));
    QVERIFY(server.start());

    const HttpReply page = get(server.frontend->port(), "/");
    QCOMPARE(page.status, 200);
    const QString html = QString::fromUtf8(page.body);
    QVERIFY2(!html.contains(QLatin1String("<b>")) && !html.contains(QLatin1String("<i>")),
             qPrintable(html));
    QVERIFY2(html.contains(QLatin1String(">&lt;b&gt;&quot;odd&quot;\\&amp;'\n</a>")),
             qPrintable(html));
    QVERIFY2(html.contains(QLatin1String("href=\"c/%3Cb%3E%22odd%22%5C%26%27%0A/\"")),
             qPrintable(html));
    QVERIFY2(html.contains(QLatin1String("&lt;i&gt;&amp;amp;")), qPrintable(html));

    const Exposition parsed = scrape(server);
    QVERIFY2(parsed.error.isEmpty(), qPrintable(parsed.error));
    QCOMPARE(parsed.value(QStringLiteral("cloud_console_source_up{console=\"%1\"}").arg(odd)), 0.0);
    QCOMPARE(parsed.value(QStringLiteral("cloud_console_consoles")), 2.0);
}

void tst_Observability::consolesJsonHasTheSameData()
{
    TestPty pty;
    QTemporaryDir dir;
    TestServer server;
    Console *vm1 = server.add(pty.path(), plainSettings(QStringLiteral("vm1")));
    server.add(dir.filePath(QStringLiteral("gone")), plainSettings(QStringLiteral("vm2")));
    QVERIFY(server.start());
    QTRY_VERIFY(vm1->source().isUp());
    QVERIFY(feed(pty, "x"));
    QTRY_COMPARE(vm1->history().endOffset(), 1);

    const HttpReply reply = get(server.frontend->port(), "/consoles.json");
    QCOMPARE(reply.status, 200);
    QCOMPARE(reply.contentType, QByteArray("application/json"));
    QJsonParseError error {};
    const QJsonDocument document = QJsonDocument::fromJson(reply.body, &error);
    QVERIFY2(error.error == QJsonParseError::NoError, qPrintable(error.errorString()));
    const QJsonArray list = document.object().value(QLatin1String("consoles")).toArray();
    QCOMPARE(list.size(), 2);
    const QJsonObject up = list[0].toObject();
    QCOMPARE(up.value(QLatin1String("name")).toString(), QStringLiteral("vm1"));
    QCOMPARE(up.value(QLatin1String("url")).toString(), QStringLiteral("c/vm1/"));
    QCOMPARE(up.value(QLatin1String("source")).toString(), QStringLiteral("up"));
    QCOMPARE(up.value(QLatin1String("reason")).toString(), pty.path());
    QCOMPARE(up.value(QLatin1String("clients")).toInt(-1), 0);
    const double age = up.value(QLatin1String("lastOutputAgeSeconds")).toDouble(-1);
    QVERIFY2(age >= 0 && age < 30, qPrintable(QString::number(age)));
    const QJsonObject down = list[1].toObject();
    QCOMPARE(down.value(QLatin1String("name")).toString(), QStringLiteral("vm2"));
    QCOMPARE(down.value(QLatin1String("source")).toString(), QStringLiteral("down"));
    QVERIFY(down.value(QLatin1String("reason")).toString().contains(QLatin1String("gone")));
    QVERIFY(down.value(QLatin1String("lastOutputAgeSeconds")).isNull());
}

void tst_Observability::withOneConsoleTheRootStillServesTheConsolePage()
{
    TestPty pty;
    TestServer server;
    server.add(pty.path(), plainSettings(QStringLiteral("vm1")));
    QVERIFY(server.start());
    const HttpReply root = get(server.frontend->port(), "/");
    QCOMPARE(root.status, 200);
    QCOMPARE(root.contentType, QByteArray("text/html; charset=utf-8"));
    QVERIFY2(root.body.contains("<title>cloud-console</title>"), root.body.left(400).constData());
    QVERIFY(root.body.contains("<script src=\"app.js\""));
    QCOMPARE(get(server.frontend->port(), "/c/vm1/").body, root.body);
    // The JSON list is there with one console too.
    QCOMPARE(get(server.frontend->port(), "/consoles.json").status, 200);
}

void tst_Observability::agesReadWell_data()
{
    QTest::addColumn<std::optional<qint64>>("ms");
    QTest::addColumn<QString>("text");
    QTest::newRow("never") << std::optional<qint64>() << QStringLiteral("never");
    QTest::newRow("just now") << std::optional<qint64>(400) << QStringLiteral("0 s ago");
    QTest::newRow("seconds") << std::optional<qint64>(12'900) << QStringLiteral("12 s ago");
    QTest::newRow("minutes") << std::optional<qint64>(125'000) << QStringLiteral("2 min ago");
    QTest::newRow("hours") << std::optional<qint64>(5 * 3600'000LL) << QStringLiteral("5 h ago");
    QTest::newRow("days") << std::optional<qint64>(3 * 86400'000LL) << QStringLiteral("3 d ago");
}

void tst_Observability::agesReadWell()
{
    QFETCH(std::optional<qint64>, ms);
    QFETCH(QString, text);
    QCOMPARE(describeAge(ms), text);
}

QTEST_GUILESS_MAIN(tst_Observability)
#include "tst_observability.moc"
