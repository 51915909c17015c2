// Protocol v1 codec: every message round-trips, and malformed input yields a clear error.

#include "protocol.h"

#include <QJsonArray>
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
    return std::get<Pong>(a).data == std::get<Pong>(b).data;
}

} // namespace

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
