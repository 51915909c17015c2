// Protocol v1 codec: every message round-trips, malformed input yields a clear error, and the
// codec gives the results listed in tests/protocol/examples.json, which the page's codec test
// (tests/web/protocol-examples.test.mjs) reads too, so the two codecs cannot drift apart.

#include "protocol.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>

#include <random>

using namespace CloudConsole::Protocol;

Q_DECLARE_METATYPE(ServerMessage)
Q_DECLARE_METATYPE(ClientMessage)

class tst_Protocol : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void serverMessagesRoundTrip_data();
    void serverMessagesRoundTrip();
    void clientMessagesRoundTrip_data();
    void clientMessagesRoundTrip();
    void malformedClientMessagesGiveAClearError_data();
    void malformedClientMessagesGiveAClearError();
    void malformedServerMessagesGiveAClearError_data();
    void malformedServerMessagesGiveAClearError();
    void everyTruncationOfAValidMessageIsRefused_data();
    void everyTruncationOfAValidMessageIsRefused();
    void helloFromANewerProtocolIsUnsupported();
    void serverExamplesDecodeAsThePageDecodesThem_data();
    void serverExamplesDecodeAsThePageDecodesThem();
    void clientExamplesDecodeAsListed_data();
    void clientExamplesDecodeAsListed();
    void arbitraryBytesNeverCrashTheDecoders();
};

namespace {

Hello sampleHello()
{
    Hello hello;
    hello.console = QStringLiteral("vm1");
    hello.offset = 1048576;
    hello.epoch = QStringLiteral("6f1c2a9e03b4d7c1");
    hello.historyStart = 1048576;
    hello.historyEnd = 1310720;
    hello.writable = false;
    hello.source = SourceState::Up;
    hello.sourceReason = QStringLiteral("/dev/pts/3");
    hello.canResize = true;
    hello.canBreak = false;
    hello.server = QStringLiteral("cloud-console/0.1.0");
    return hello;
}

bool sameHello(const Hello &a, const Hello &b)
{
    return a.protocol == b.protocol && a.console == b.console && a.offset == b.offset
        && a.epoch == b.epoch && a.historyStart == b.historyStart && a.historyEnd == b.historyEnd
        && a.writable == b.writable && a.source == b.source && a.sourceReason == b.sourceReason
        && a.canResize == b.canResize && a.canBreak == b.canBreak && a.server == b.server;
}

bool sameServerMessage(const ServerMessage &a, const ServerMessage &b)
{
    if (a.index() != b.index())
        return false;
    if (auto *x = std::get_if<Hello>(&a))
        return sameHello(*x, std::get<Hello>(b));
    if (auto *x = std::get_if<SourceEvent>(&a))
        return x->state == std::get<SourceEvent>(b).state
            && x->reason == std::get<SourceEvent>(b).reason;
    if (auto *x = std::get_if<Gap>(&a))
        return x->from == std::get<Gap>(b).from && x->to == std::get<Gap>(b).to;
    if (auto *x = std::get_if<Error>(&a))
        return x->code == std::get<Error>(b).code && x->message == std::get<Error>(b).message;
    if (auto *x = std::get_if<AlertEvent>(&a)) {
        const auto &y = std::get<AlertEvent>(b);
        return x->rule == y.rule && x->severity == y.severity && x->line == y.line
            && x->time == y.time && x->offset == y.offset;
    }
    return std::get<Pong>(a).data == std::get<Pong>(b).data;
}

// The examples shared with the page's codec test; CMake passes the file's path.
QJsonArray examples(const char *direction)
{
    QFile file(QStringLiteral(CLOUD_CONSOLE_PROTOCOL_EXAMPLES));
    if (!file.open(QIODevice::ReadOnly))
        return {};
    return QJsonDocument::fromJson(file.readAll())
        .object()
        .value(QLatin1String(direction))
        .toArray();
}

// A decoded message in the shape the examples (and the page's decoder) give it. A message
// without "data" has null data, as on the page.
QJsonValue dataOrNull(const QJsonValue &data)
{
    return data.isUndefined() ? QJsonValue(QJsonValue::Null) : data;
}

QJsonObject exampleForm(const ServerMessage &message)
{
    if (const auto *m = std::get_if<Hello>(&message))
        return {
            {"type", "hello"},
            {"protocol", m->protocol},
            {"console", m->console},
            {"offset", double(m->offset)},
            {"epoch", m->epoch},
            {"history",
             QJsonObject {{"start", double(m->historyStart)}, {"end", double(m->historyEnd)}}},
            {"writable", m->writable},
            {"source", QJsonObject {{"state", toString(m->source)}, {"reason", m->sourceReason}}},
            {"capabilities", QJsonObject {{"resize", m->canResize}, {"break", m->canBreak}}},
            {"size", QJsonObject {{"cols", m->cols}, {"rows", m->rows}}},
            {"server", m->server}};
    if (const auto *m = std::get_if<SourceEvent>(&message))
        return {{"type", "source"}, {"state", toString(m->state)}, {"reason", m->reason}};
    if (const auto *m = std::get_if<Gap>(&message))
        return {{"type", "gap"}, {"from", double(m->from)}, {"to", double(m->to)}};
    if (const auto *m = std::get_if<Error>(&message))
        return {{"type", "error"}, {"code", m->code}, {"message", m->message}};
    if (const auto *m = std::get_if<Pong>(&message))
        return {{"type", "pong"}, {"data", dataOrNull(m->data)}};
    if (const auto *m = std::get_if<SizeEvent>(&message))
        return {{"type", "size"}, {"cols", m->cols}, {"rows", m->rows}};
    if (const auto *m = std::get_if<AlertEvent>(&message))
        return {{"type", "alert"}, {"rule", m->rule}, {"severity", m->severity},
                {"line", m->line}, {"time", m->time}, {"offset", double(m->offset)}};
    const auto idOrNull = [](const std::optional<qint64> &id) {
        return id ? QJsonValue(double(*id)) : QJsonValue(QJsonValue::Null);
    };
    if (const auto *m = std::get_if<ClientsEvent>(&message)) {
        QJsonArray clients;
        for (const ClientInfo &c : m->clients)
            clients.append(QJsonObject {{"id", double(c.id)},
                                        {"name", c.name},
                                        {"role", c.role},
                                        {"kind", c.kind},
                                        {"address", c.address},
                                        {"joined", c.joined},
                                        {"typed", c.typed}});
        return {{"type", "clients"},
                {"you", double(m->you)},
                {"input", m->input},
                {"holder", idOrNull(m->holder)},
                {"clients", clients}};
    }
    if (const auto *m = std::get_if<ControlEvent>(&message))
        return {{"type", "control"},
                {"holder", idOrNull(m->holder)},
                {"by", idOrNull(m->by)},
                {"reason", m->reason}};
    if (const auto *m = std::get_if<PasteEvent>(&message))
        return {{"type", "paste"},      {"id", double(m->id)},     {"by", double(m->by)},
                {"state", m->state},    {"sent", double(m->sent)}, {"total", double(m->total)},
                {"message", m->message}};
    const auto &m = std::get<Screen>(message);
    return {{"type", "screen"}, {"offset", double(m.offset)}, {"cols", m.cols},
            {"rows", m.rows},   {"complete", m.complete},     {"data", QString::fromUtf8(m.data)}};
}

QJsonObject exampleForm(const ClientMessage &message)
{
    if (const auto *m = std::get_if<Resize>(&message))
        return {{"type", "resize"}, {"cols", m->cols}, {"rows", m->rows}};
    if (const auto *m = std::get_if<Ping>(&message))
        return {{"type", "ping"}, {"data", dataOrNull(m->data)}};
    if (std::holds_alternative<Break>(message))
        return {{"type", "break"}};
    if (const auto *m = std::get_if<Paste>(&message))
        return {{"type", "paste"},
                {"id", double(m->id)},
                {"total", double(m->total)},
                {"at", double(m->at)},
                {"data", QString::fromUtf8(m->data)}};
    if (std::holds_alternative<PasteCancel>(message))
        return {{"type", "paste-cancel"}};
    if (const auto *m = std::get_if<Control>(&message)) {
        QJsonObject o {{"type", "control"}, {"action", toString(m->action)}};
        if (m->action == Control::Action::Give)
            o.insert("to", double(m->to));
        return o;
    }
    return {{"type", "screen"}};
}

QString compact(const QJsonObject &object)
{
    return QString::fromUtf8(QJsonDocument(object).toJson(QJsonDocument::Compact));
}

void addExampleRows(const char *direction)
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<QJsonObject>("expected"); // empty when refused
    QTest::addColumn<QString>("error"); // empty when valid
    QTest::addColumn<bool>("canonical");
    const QJsonArray list = examples(direction);
    QVERIFY2(!list.isEmpty(),
             qPrintable(QStringLiteral("no \"%1\" examples in %2")
                            .arg(QLatin1String(direction),
                                 QStringLiteral(CLOUD_CONSOLE_PROTOCOL_EXAMPLES))));
    for (const QJsonValue &value : list) {
        const QJsonObject example = value.toObject();
        QTest::newRow(qPrintable(example.value("name").toString()))
            << example.value("json").toString().toUtf8() << example.value("decoded").toObject()
            << example.value("error").toString() << example.value("canonical").toBool();
    }
}

// Checks one decoder's result against an example: the listed message, or the listed refusal;
// a canonical example is also what the encoder writes for the message, byte for byte.
template<typename Message>
void checkExample(const Decoded<Message> &decoded, const QByteArray &json,
                  const QJsonObject &expected, const QString &error, bool canonical)
{
    if (!error.isEmpty()) {
        const auto *refusal = std::get_if<DecodeError>(&decoded);
        const auto *accepted = std::get_if<Message>(&decoded);
        QVERIFY2(refusal,
                 qPrintable(QStringLiteral("accepted %1 as %2")
                                .arg(QString::fromUtf8(json),
                                     accepted ? compact(exampleForm(*accepted)) : QString())));
        QCOMPARE(refusal->code, error);
        QVERIFY2(!refusal->message.isEmpty(), "an error must say what is wrong");
        return;
    }
    const auto *refusal = std::get_if<DecodeError>(&decoded);
    QVERIFY2(!refusal,
             qPrintable(QStringLiteral("refused %1: %2 %3")
                            .arg(QString::fromUtf8(json), refusal ? refusal->code : QString(),
                                 refusal ? refusal->message : QString())));
    const Message &message = std::get<Message>(decoded);
    QVERIFY2(exampleForm(message) == expected,
             qPrintable(QStringLiteral("decoded as %1, expected %2")
                            .arg(compact(exampleForm(message)), compact(expected))));
    if (canonical)
        QCOMPARE(encode(message), json);
}

} // namespace

Q_DECLARE_METATYPE(QJsonObject)

void tst_Protocol::serverMessagesRoundTrip_data()
{
    QTest::addColumn<ServerMessage>("message");
    QTest::newRow("hello") << ServerMessage(sampleHello());
    QTest::newRow("source up") << ServerMessage(SourceEvent {SourceState::Up, "/dev/pts/7"});
    QTest::newRow("source down") << ServerMessage(SourceEvent {SourceState::Down, "end of file"});
    QTest::newRow("gap") << ServerMessage(Gap {5000, 1048576});
    QTest::newRow("gap at 2^53-1") << ServerMessage(Gap {MaxOffset - 1, MaxOffset});
    QTest::newRow("error") << ServerMessage(Error {"bad-json", "invalid JSON at byte 3"});
    QTest::newRow("pong with data") << ServerMessage(Pong {QJsonValue(42)});
    QTest::newRow("pong with object") << ServerMessage(Pong {QJsonObject {{"t", 1.5}, {"s", "x"}}});
    QTest::newRow("pong without data") << ServerMessage(Pong {});
    QTest::newRow("alert") << ServerMessage(AlertEvent {"kernel-panic", "critical",
                                                        "Kernel panic - not syncing: x",
                                                        "2026-12-05T03:07:02.123Z", 20480});
}

void tst_Protocol::serverMessagesRoundTrip()
{
    QFETCH(ServerMessage, message);
    const QByteArray json = encode(message);
    const auto decoded = decodeServerMessage(json);
    const auto *error = std::get_if<DecodeError>(&decoded);
    QVERIFY2(!error,
             qPrintable(QStringLiteral("%1: %2").arg(QString::fromUtf8(json),
                                                     error ? error->message : QString())));
    QVERIFY2(sameServerMessage(std::get<ServerMessage>(decoded), message), json.constData());
}

void tst_Protocol::clientMessagesRoundTrip_data()
{
    QTest::addColumn<ClientMessage>("message");
    QTest::newRow("resize") << ClientMessage(Resize {132, 43});
    QTest::newRow("resize at the limits") << ClientMessage(Resize {MaxCols, MaxRows});
    QTest::newRow("smallest resize") << ClientMessage(Resize {1, 1});
    QTest::newRow("ping") << ClientMessage(Ping {QJsonValue(7)});
    QTest::newRow("ping with array") << ClientMessage(Ping {QJsonArray {1, "two"}});
    QTest::newRow("break") << ClientMessage(Break {});
}

void tst_Protocol::clientMessagesRoundTrip()
{
    QFETCH(ClientMessage, message);
    const QByteArray json = encode(message);
    const auto decoded = decodeClientMessage(json);
    QVERIFY2(std::holds_alternative<ClientMessage>(decoded), json.constData());
    const ClientMessage &back = std::get<ClientMessage>(decoded);
    QCOMPARE(back.index(), message.index());
    if (auto *resize = std::get_if<Resize>(&message)) {
        QCOMPARE(std::get<Resize>(back).cols, resize->cols);
        QCOMPARE(std::get<Resize>(back).rows, resize->rows);
    }
    if (auto *ping = std::get_if<Ping>(&message))
        QCOMPARE(std::get<Ping>(back).data, ping->data);
}

void tst_Protocol::malformedClientMessagesGiveAClearError_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<QString>("code");
    QTest::newRow("empty") << QByteArray() << "bad-json";
    QTest::newRow("not json") << QByteArray("hello") << "bad-json";
    QTest::newRow("array") << QByteArray("[1,2]") << "bad-json";
    QTest::newRow("string") << QByteArray("\"resize\"") << "bad-json";
    QTest::newRow("trailing garbage") << QByteArray("{\"type\":\"ping\"} x") << "bad-json";
    QTest::newRow("binary garbage") << QByteArray("\x00\xff\xfe{", 4) << "bad-json";
    QTest::newRow("no type") << QByteArray("{\"cols\":80}") << "bad-message";
    QTest::newRow("numeric type") << QByteArray("{\"type\":3}") << "bad-message";
    QTest::newRow("unknown type") << QByteArray("{\"type\":\"reboot\"}") << "unknown-type";
    QTest::newRow("resize without rows")
        << QByteArray("{\"type\":\"resize\",\"cols\":80}") << "bad-message";
    QTest::newRow("resize with strings")
        << QByteArray("{\"type\":\"resize\",\"cols\":\"80\",\"rows\":\"24\"}") << "bad-message";
    QTest::newRow("resize zero") << QByteArray("{\"type\":\"resize\",\"cols\":0,\"rows\":24}")
                                 << "bad-message";
    QTest::newRow("resize negative")
        << QByteArray("{\"type\":\"resize\",\"cols\":80,\"rows\":-1}") << "bad-message";
    QTest::newRow("resize fractional")
        << QByteArray("{\"type\":\"resize\",\"cols\":80.5,\"rows\":24}") << "bad-message";
    QTest::newRow("resize huge") << QByteArray("{\"type\":\"resize\",\"cols\":1e300,\"rows\":24}")
                                 << "bad-message";
    QTest::newRow("resize over the limit")
        << QByteArray("{\"type\":\"resize\",\"cols\":1001,\"rows\":24}") << "bad-message";
}

void tst_Protocol::malformedClientMessagesGiveAClearError()
{
    QFETCH(QByteArray, json);
    QFETCH(QString, code);
    const auto decoded = decodeClientMessage(json);
    const auto *error = std::get_if<DecodeError>(&decoded);
    QVERIFY2(error, json.constData());
    QCOMPARE(error->code, code);
    QVERIFY2(!error->message.isEmpty(), "an error must say what is wrong");
}

void tst_Protocol::malformedServerMessagesGiveAClearError_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<QString>("code");
    QTest::newRow("not json") << QByteArray("{") << "bad-json";
    QTest::newRow("hello without offset")
        << QByteArray("{\"type\":\"hello\",\"protocol\":1,\"console\":\"a\"}") << "bad-message";
    QTest::newRow("hello with negative offset")
        << QByteArray("{\"type\":\"hello\",\"protocol\":1,\"console\":\"a\",\"offset\":-1}")
        << "bad-message";
    QTest::newRow("hello offset beyond 2^53")
        << QByteArray("{\"type\":\"hello\",\"protocol\":1,\"console\":\"a\",\"offset\":1e17}")
        << "bad-message";
    QTest::newRow("hello without console")
        << QByteArray("{\"type\":\"hello\",\"protocol\":1,\"offset\":0}") << "bad-message";
    QTest::newRow("source with bad state")
        << QByteArray("{\"type\":\"source\",\"state\":\"sideways\"}") << "bad-message";
    QTest::newRow("gap backwards")
        << QByteArray("{\"type\":\"gap\",\"from\":10,\"to\":5}") << "bad-message";
    QTest::newRow("gap without to")
        << QByteArray("{\"type\":\"gap\",\"from\":10}") << "bad-message";
    QTest::newRow("error without code") << QByteArray("{\"type\":\"error\"}") << "bad-message";
    QTest::newRow("unknown type") << QByteArray("{\"type\":\"party\"}") << "unknown-type";
}

void tst_Protocol::malformedServerMessagesGiveAClearError()
{
    QFETCH(QByteArray, json);
    QFETCH(QString, code);
    const auto decoded = decodeServerMessage(json);
    const auto *error = std::get_if<DecodeError>(&decoded);
    QVERIFY2(error, json.constData());
    QCOMPARE(error->code, code);
    QVERIFY(!error->message.isEmpty());
}

void tst_Protocol::everyTruncationOfAValidMessageIsRefused_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<bool>("fromServer");
    QTest::newRow("hello") << encode(ServerMessage(sampleHello())) << true;
    QTest::newRow("gap") << encode(ServerMessage(Gap {1, 2})) << true;
    QTest::newRow("alert") << encode(ServerMessage(AlertEvent {"r", "info", "l", "t", 3})) << true;
    QTest::newRow("resize") << encode(ClientMessage(Resize {80, 24})) << false;
    QTest::newRow("ping") << encode(ClientMessage(Ping {QJsonValue(1)})) << false;
}

void tst_Protocol::everyTruncationOfAValidMessageIsRefused()
{
    // A text frame is a whole message; a frame cut at any byte must be refused, never read as
    // a different valid message.
    QFETCH(QByteArray, json);
    QFETCH(bool, fromServer);
    for (qsizetype cut = 0; cut < json.size(); ++cut) {
        const QByteArray part = json.first(cut);
        const bool refused = fromServer
            ? std::holds_alternative<DecodeError>(decodeServerMessage(part))
            : std::holds_alternative<DecodeError>(decodeClientMessage(part));
        QVERIFY2(refused,
                 qPrintable(QStringLiteral("accepted a truncation at byte %1: %2")
                                .arg(cut)
                                .arg(QString::fromUtf8(part))));
    }
}

void tst_Protocol::helloFromANewerProtocolIsUnsupported()
{
    const auto decoded
        = decodeServerMessage("{\"type\":\"hello\",\"protocol\":2,\"console\":\"a\",\"offset\":0}");
    const auto *error = std::get_if<DecodeError>(&decoded);
    QVERIFY(error);
    QCOMPARE(error->code, QStringLiteral("unsupported"));
}

void tst_Protocol::serverExamplesDecodeAsThePageDecodesThem_data()
{
    addExampleRows("serverToClient");
}

void tst_Protocol::serverExamplesDecodeAsThePageDecodesThem()
{
    QFETCH(QByteArray, json);
    QFETCH(QJsonObject, expected);
    QFETCH(QString, error);
    QFETCH(bool, canonical);
    checkExample(decodeServerMessage(json), json, expected, error, canonical);
}

void tst_Protocol::clientExamplesDecodeAsListed_data()
{
    addExampleRows("clientToServer");
}

void tst_Protocol::clientExamplesDecodeAsListed()
{
    // The canonical ones are also what the page's encoders send (its test checks that).
    QFETCH(QByteArray, json);
    QFETCH(QJsonObject, expected);
    QFETCH(QString, error);
    QFETCH(bool, canonical);
    checkExample(decodeClientMessage(json), json, expected, error, canonical);
}

void tst_Protocol::arbitraryBytesNeverCrashTheDecoders()
{
    // A fixed seed: the same inputs on every run.
    std::mt19937 random(20261124);
    const QByteArray alphabet = "{}[]\":,0123456789.-+eE truefalsnul\\\x00\xff\xc3\xa9typeoffset";
    for (int round = 0; round < 20000; ++round) {
        QByteArray input;
        const int length = int(random() % 64);
        for (int i = 0; i < length; ++i)
            input += alphabet[qsizetype(random() % quint32(alphabet.size()))];
        decodeServerMessage(input);
        decodeClientMessage(input);
    }
}

QTEST_APPLESS_MAIN(tst_Protocol)
#include "tst_protocol.moc"
