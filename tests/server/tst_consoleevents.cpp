// A console's event history: the bounded list and its query on their own, then through the whole
// server, where a real client on a real pty joins, resizes, sends a BREAK and leaves, the guest
// prints a panic and its pty closes, and GET /c/NAME/events tells all of it in order, each event
// at the offset where it happened.

#include "consoleevents.h"
#include "ptysource.h"
#include "testclient.h"
#include "testpty.h"
#include "testserver.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>

using namespace CloudConsole;
using namespace CloudConsole::Test;

class tst_ConsoleEvents : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void theListIsBoundedAndSaysHowManyItForgot();
    void aReaderAsksForNewerEventsOfSomeTypes();
    void aWrongQueryIsRefusedWithTheReason_data();
    void aWrongQueryIsRefusedWithTheReason();
    void theServerTellsWhatHappenedToAConsole();
};

namespace {

QJsonObject parse(const QByteArray &json)
{
    QJsonParseError error;
    const QJsonDocument document = QJsonDocument::fromJson(json, &error);
    if (error.error != QJsonParseError::NoError)
        qWarning() << "not JSON:" << error.errorString() << json.left(200);
    return document.object();
}

QJsonObject query(const ConsoleEvents &events, const QString &text)
{
    QString error;
    const std::optional<ConsoleEvents::Query> parsed = ConsoleEvents::parseQuery(text, &error);
    if (!parsed)
        qWarning() << "query refused:" << error;
    return parse(events.json(QStringLiteral("vm1"), parsed.value_or(ConsoleEvents::Query())));
}

QStringList typesOf(const QJsonObject &document)
{
    QStringList types;
    for (const QJsonValue &event : document.value(QLatin1String("events")).toArray())
        types += event.toObject().value(QLatin1String("type")).toString();
    return types;
}

} // namespace

void tst_ConsoleEvents::theListIsBoundedAndSaysHowManyItForgot()
{
    ConsoleEvents events;
    for (qsizetype i = 0; i < ConsoleEvents::MaxEvents + 5; ++i)
        events.record(QStringLiteral("resize"), i, {{QStringLiteral("cols"), int(i)}});
    QCOMPARE(events.events().size(), size_t(ConsoleEvents::MaxEvents));
    QCOMPARE(events.forgotten(), 5);
    const QJsonObject document = query(events, QString());
    const QJsonArray list = document.value(QLatin1String("events")).toArray();
    QCOMPARE(list.size(), ConsoleEvents::MaxEvents);
    // Oldest first: the first five went.
    QCOMPARE(list.first().toObject().value(QLatin1String("id")).toInteger(), 6);
    QCOMPARE(list.first().toObject().value(QLatin1String("offset")).toInteger(), 5);
    QCOMPARE(list.first().toObject().value(QLatin1String("cols")).toInt(), 5);
    QCOMPARE(list.last().toObject().value(QLatin1String("id")).toInteger(),
             ConsoleEvents::MaxEvents + 5);
    QCOMPARE(document.value(QLatin1String("forgotten")).toInteger(), 5);
    QCOMPARE(document.value(QLatin1String("next")).toInteger(), ConsoleEvents::MaxEvents + 5);
    QCOMPARE(document.value(QLatin1String("console")).toString(), QStringLiteral("vm1"));
}

void tst_ConsoleEvents::aReaderAsksForNewerEventsOfSomeTypes()
{
    ConsoleEvents events;
    events.record(QStringLiteral("source-up"), 0);
    events.record(QStringLiteral("client-join"), 10);
    events.record(QStringLiteral("alert"), 20, 1'700'000'000'123,
                  {{QStringLiteral("rule"), QStringLiteral("kernel-panic")}});
    events.record(QStringLiteral("client-leave"), 30);
    events.record(QStringLiteral("source-down"), 40);

    QCOMPARE(typesOf(query(events, QString())),
             QStringList({"source-up", "client-join", "alert", "client-leave", "source-down"}));
    QCOMPARE(typesOf(query(events, QStringLiteral("since=2"))),
             QStringList({"alert", "client-leave", "source-down"}));
    QCOMPARE(typesOf(query(events, QStringLiteral("since=5"))), QStringList());
    QCOMPARE(typesOf(query(events, QStringLiteral("limit=2"))),
             QStringList({"client-leave", "source-down"}));
    QCOMPARE(typesOf(query(events, QStringLiteral("type=alert,source-down&type=source-up"))),
             QStringList({"source-up", "alert", "source-down"}));
    QCOMPARE(typesOf(query(events, QStringLiteral("type=source-up,source-down&limit=1"))),
             QStringList({"source-down"}));

    const QJsonObject alert = query(events, QStringLiteral("type=alert"))
                                  .value(QLatin1String("events"))
                                  .toArray()
                                  .first()
                                  .toObject();
    QCOMPARE(alert.value(QLatin1String("time")).toString(),
             QStringLiteral("2023-11-14T22:13:20.123Z"));
    QCOMPARE(alert.value(QLatin1String("rule")).toString(), QStringLiteral("kernel-panic"));
    QCOMPARE(alert.value(QLatin1String("id")).toInteger(), 3);
}

void tst_ConsoleEvents::aWrongQueryIsRefusedWithTheReason_data()
{
    QTest::addColumn<QString>("query");
    QTest::addColumn<QString>("reason");
    QTest::newRow("since not a number") << "since=abc"
                                        << "since must be";
    QTest::newRow("since negative") << "since=-1"
                                    << "since must be";
    QTest::newRow("limit zero") << "limit=0"
                                << "limit must be a number from 1 to 1000";
    QTest::newRow("limit too big") << "limit=1001"
                                   << "limit must be";
    QTest::newRow("limit empty") << "limit="
                                 << "limit must be";
    QTest::newRow("an unknown type") << "type=alert,panic"
                                     << "unknown event type \"panic\"";
    QTest::newRow("an unknown parameter") << "q=x"
                                          << "unknown parameter \"q\"";
}

void tst_ConsoleEvents::aWrongQueryIsRefusedWithTheReason()
{
    QFETCH(QString, query);
    QFETCH(QString, reason);
    QString error;
    QVERIFY(!ConsoleEvents::parseQuery(query, &error).has_value());
    QVERIFY2(error.contains(reason), qPrintable(error));
}

void tst_ConsoleEvents::theServerTellsWhatHappenedToAConsole()
{
    TestPty pty;
    QVERIFY(pty.isValid());
    ConsoleSettings settings = plainConsoleSettings(QStringLiteral("vm1"));
    settings.alertRules = AlertSettings().effective();
    TestServer server;
    // A virtio console: it takes a size and a BREAK (SysRq).
    auto console = std::make_unique<Console>(
        settings, std::make_unique<PtySource>(pty.path(), PtySource::Device::VirtioConsole));
    server.console = console.get();
    server.consoles.add(std::move(console));
    QVERIFY(server.start());
    QTRY_VERIFY(server.console->source().isUp());
    const auto events = [&server](const QByteArray &query = {}) {
        const QByteArray answer = exchange(server.port(),
                                           "GET /c/vm1/events" + query
                                               + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                                 "Connection: close\r\n\r\n");
        return answer;
    };

    {
        TestClient client(server.consoleUrl());
        QTRY_VERIFY(client.hello.has_value());
        QVERIFY(pty.write("boot\r\n"));
        QTRY_COMPARE(server.console->history().endOffset(), 6);
        client.send(Protocol::Resize {100, 30});
        QTRY_COMPARE(server.console->size(), QSize(100, 30));
        client.send(Protocol::Break {});
        QTRY_COMPARE(server.console->events().events().back().type, QStringLiteral("break"));
        QTest::ignoreMessage(QtCriticalMsg, QRegularExpression(QStringLiteral("kernel-panic")));
        QVERIFY(pty.write("[   31.004503] Kernel panic - not syncing: sysrq triggered crash\r\n"));
        QTRY_COMPARE(server.console->state(), QStringLiteral("failed"));
    }
    QTRY_COMPARE(server.console->clientCount(), 0);
    pty.hangup();
    QTRY_VERIFY(!server.console->source().isUp());

    const QByteArray answer = events();
    QVERIFY2(answer.startsWith("HTTP/1.1 200"), answer.constData());
    QVERIFY(answer.contains("\r\nContent-Type: application/json"));
    const QJsonObject document = parse(answer.mid(answer.indexOf("\r\n\r\n") + 4));
    QCOMPARE(typesOf(document),
             QStringList({"source-up", "client-join", "resize", "break", "alert", "client-leave",
                          "source-down"}));
    const QJsonArray list = document.value(QLatin1String("events")).toArray();
    const QJsonObject join = list[1].toObject();
    QCOMPARE(join.value(QLatin1String("role")).toString(), QStringLiteral("operator"));
    QVERIFY2(join.value(QLatin1String("address")).toString().startsWith(QLatin1String("127.0.0.1")),
             qPrintable(join.value(QLatin1String("address")).toString()));
    const QJsonObject resize = list[2].toObject();
    QCOMPARE(resize.value(QLatin1String("cols")).toInt(), 100);
    QCOMPARE(resize.value(QLatin1String("rows")).toInt(), 30);
    QCOMPARE(resize.value(QLatin1String("offset")).toInteger(), 6);
    QCOMPARE(resize.value(QLatin1String("role")).toString(), QStringLiteral("operator"));
    QCOMPARE(list[3].toObject().value(QLatin1String("offset")).toInteger(), 6);
    const QJsonObject alert = list[4].toObject();
    QCOMPARE(alert.value(QLatin1String("rule")).toString(), QStringLiteral("kernel-panic"));
    QCOMPARE(alert.value(QLatin1String("severity")).toString(), QStringLiteral("critical"));
    QCOMPARE(alert.value(QLatin1String("state")).toString(), QStringLiteral("failed"));
    QCOMPARE(alert.value(QLatin1String("offset")).toInteger(), 6);
    QVERIFY(alert.value(QLatin1String("line")).toString().contains(QLatin1String("Kernel panic")));
    const QJsonObject down = list[6].toObject();
    QVERIFY(!down.value(QLatin1String("detail")).toString().isEmpty());
    QCOMPARE(down.value(QLatin1String("offset")).toInteger(),
             server.console->history().endOffset());
    // Times are ISO 8601 in UTC and never go back.
    QString previous;
    for (const QJsonValue &event : list) {
        const QString time = event.toObject().value(QLatin1String("time")).toString();
        QVERIFY2(time.endsWith(QLatin1Char('Z')) && time >= previous, qPrintable(time));
        previous = time;
    }

    // A poller's next question gets only what is new; a bad one gets the reason.
    const qint64 next = document.value(QLatin1String("next")).toInteger();
    QCOMPARE(next, list.last().toObject().value(QLatin1String("id")).toInteger());
    const QByteArray newer = events("?since=" + QByteArray::number(next));
    QVERIFY2(newer.contains("\"events\":[]"), newer.constData());
    const QByteArray wrong = events("?limit=0");
    QVERIFY2(wrong.startsWith("HTTP/1.1 400") && wrong.contains("limit must be"),
             wrong.constData());
    QVERIFY(exchange(server.port(),
                     "GET /c/nope/events HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                     "Connection: close\r\n\r\n")
                .startsWith("HTTP/1.1 404"));
}

QTEST_MAIN(tst_ConsoleEvents)
#include "tst_consoleevents.moc"
