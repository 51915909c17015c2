// RequestHeadReader: a head gives the same result however its bytes arrive, malformed and
// oversized heads are refused with a reason, and nothing after the head is read.

#include "requesthead.h"

#include <QTest>

using namespace CloudConsole;

using Status = RequestHeadReader::Status;
using Fields = QList<std::pair<QByteArray, QByteArray>>;

class tst_RequestHead : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void aGoodHeadGivesTheSameResultSplitAtEveryByte_data();
    void aGoodHeadGivesTheSameResultSplitAtEveryByte();
    void repeatedFieldsAreJoinedAndTokensMatchCaseInsensitively();
    void aMalformedHeadIsRefusedWithAReason_data();
    void aMalformedHeadIsRefusedWithAReason();
    void aHeadOverTheLimitIsTooLarge_data();
    void aHeadOverTheLimitIsTooLarge();
    void aHeadExactlyAtTheLimitIsAccepted();
    void bytesAfterTheHeadAreIgnored();
    void headSizeCountsLeadingEmptyLines();
};

namespace {

struct Result
{
    Status status = Status::NeedMore;
    RequestHead head;
    qsizetype headSize = 0;
    QString error;
};

Result feedInPieces(const QList<QByteArrayView> &pieces)
{
    RequestHeadReader reader;
    Status last = Status::NeedMore;
    for (QByteArrayView piece : pieces)
        last = reader.feed(piece);
    Result result;
    result.status = reader.status();
    if (last != reader.status())
        result.error = QStringLiteral("feed() returned a status other than status()");
    else
        result.error = reader.error();
    result.head = reader.head();
    result.headSize = reader.headSize();
    return result;
}

QString describe(const Result &r)
{
    QString text
        = QStringLiteral("status %1, head size %2, error \"%3\", %4 %5 %6")
              .arg(int(r.status))
              .arg(r.headSize)
              .arg(r.error, QString::fromLatin1(r.head.method), QString::fromLatin1(r.head.target),
                   QString::fromLatin1(r.head.version));
    for (const auto &[name, value] : r.head.fields)
        text += QStringLiteral(" [%1: %2]")
                    .arg(QString::fromLatin1(name), QString::fromLatin1(value));
    return text;
}

bool sameResult(const Result &a, const Result &b)
{
    return a.status == b.status && a.headSize == b.headSize && a.error == b.error
        && a.head.method == b.head.method && a.head.target == b.head.target
        && a.head.version == b.head.version && a.head.fields == b.head.fields;
}

const QByteArray upgradeHead = "GET /c/vm1/ws?offset=42 HTTP/1.1\r\n"
                               "Host: 127.0.0.1:8080\r\n"
                               "Upgrade: websocket\r\n"
                               "Connection: Upgrade\r\n"
                               "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                               "Sec-WebSocket-Version: 13\r\n"
                               "\r\n";

} // namespace

void tst_RequestHead::aGoodHeadGivesTheSameResultSplitAtEveryByte_data()
{
    QTest::addColumn<QByteArray>("head");
    QTest::addColumn<QByteArray>("method");
    QTest::addColumn<QByteArray>("target");
    QTest::addColumn<QByteArray>("version");
    QTest::addColumn<Fields>("fields");
    QTest::addColumn<bool>("upgrade");

    QTest::newRow("websocket upgrade, CRLF")
        << upgradeHead << QByteArray("GET") << QByteArray("/c/vm1/ws?offset=42")
        << QByteArray("HTTP/1.1")
        << Fields {{"Host", "127.0.0.1:8080"},
                   {"Upgrade", "websocket"},
                   {"Connection", "Upgrade"},
                   {"Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="},
                   {"Sec-WebSocket-Version", "13"}}
        << true;
    QTest::newRow("bare LF") << QByteArray("GET / HTTP/1.0\nHost: a\nAccept: */*\n\n")
                             << QByteArray("GET") << QByteArray("/") << QByteArray("HTTP/1.0")
                             << Fields {{"Host", "a"}, {"Accept", "*/*"}} << false;
    QTest::newRow("mixed line ends")
        << QByteArray("HEAD /x HTTP/1.1\r\nA: 1\nB: 2\r\n\n") << QByteArray("HEAD")
        << QByteArray("/x") << QByteArray("HTTP/1.1") << Fields {{"A", "1"}, {"B", "2"}} << false;
    QTest::newRow("no fields") << QByteArray("GET /healthz HTTP/1.1\r\n\r\n") << QByteArray("GET")
                               << QByteArray("/healthz") << QByteArray("HTTP/1.1") << Fields {}
                               << false;
    QTest::newRow("leading empty lines")
        << QByteArray("\r\n\n\r\nGET /ws HTTP/1.1\r\nupgrade: WebSocket\r\n"
                      "connection: keep-alive, UPGRADE\r\n\r\n")
        << QByteArray("GET") << QByteArray("/ws") << QByteArray("HTTP/1.1")
        << Fields {{"upgrade", "WebSocket"}, {"connection", "keep-alive, UPGRADE"}} << true;
    QTest::newRow("values trimmed, empty value, tab inside")
        << QByteArray("POST /a HTTP/1.1\r\nX-A:   spaced  \r\nX-Empty:\r\nX-Tab: a\tb\r\n\r\n")
        << QByteArray("POST") << QByteArray("/a") << QByteArray("HTTP/1.1")
        << Fields {{"X-A", "spaced"}, {"X-Empty", ""}, {"X-Tab", "a\tb"}} << false;
    QTest::newRow("upgrade without connection token")
        << QByteArray("GET /ws HTTP/1.1\r\nUpgrade: websocket\r\nConnection: keep-alive\r\n\r\n")
        << QByteArray("GET") << QByteArray("/ws") << QByteArray("HTTP/1.1")
        << Fields {{"Upgrade", "websocket"}, {"Connection", "keep-alive"}} << false;
    QTest::newRow("upgrade to something else")
        << QByteArray("GET /ws HTTP/1.1\r\nUpgrade: h2c\r\nConnection: Upgrade\r\n\r\n")
        << QByteArray("GET") << QByteArray("/ws") << QByteArray("HTTP/1.1")
        << Fields {{"Upgrade", "h2c"}, {"Connection", "Upgrade"}} << false;
    QTest::newRow("token split over repeated fields")
        << QByteArray("GET /ws HTTP/1.1\r\nConnection: keep-alive\r\nUpgrade: websocket\r\n"
                      "Connection: upgrade\r\n\r\n")
        << QByteArray("GET") << QByteArray("/ws") << QByteArray("HTTP/1.1")
        << Fields {{"Connection", "keep-alive"},
                   {"Upgrade", "websocket"},
                   {"Connection", "upgrade"}}
        << true;
}

void tst_RequestHead::aGoodHeadGivesTheSameResultSplitAtEveryByte()
{
    QFETCH(QByteArray, head);
    QFETCH(QByteArray, method);
    QFETCH(QByteArray, target);
    QFETCH(QByteArray, version);
    QFETCH(Fields, fields);
    QFETCH(bool, upgrade);

    const Result whole = feedInPieces({head});
    QVERIFY2(whole.status == Status::Complete, qPrintable(describe(whole)));
    QCOMPARE(whole.head.method, method);
    QCOMPARE(whole.head.target, target);
    QCOMPARE(whole.head.version, version);
    QCOMPARE(whole.head.fields, fields);
    QCOMPARE(whole.head.isWebSocketUpgrade(), upgrade);
    // (Leading empty lines are left out of headSize(); see headSizeCountsLeadingEmptyLines.)
    if (!head.startsWith('\r') && !head.startsWith('\n'))
        QCOMPARE(whole.headSize, head.size());
    QVERIFY2(whole.error.isEmpty(), qPrintable(whole.error));

    const QByteArrayView view(head);
    for (qsizetype split = 0; split <= head.size(); ++split) {
        const Result r = feedInPieces({view.first(split), view.sliced(split)});
        QVERIFY2(sameResult(r, whole),
                 qPrintable(QStringLiteral("split at %1: %2").arg(split).arg(describe(r))));
        // Until the last byte, the reader must want more.
        if (split < head.size()) {
            RequestHeadReader reader;
            QVERIFY2(reader.feed(view.first(split)) == Status::NeedMore,
                     qPrintable(QStringLiteral("a prefix of %1 bytes is not NeedMore").arg(split)));
        }
    }
    for (qsizetype first = 0; first <= head.size(); first += 3) {
        for (qsizetype second = first; second <= head.size(); ++second) {
            const Result r = feedInPieces(
                {view.first(first), view.sliced(first, second - first), view.sliced(second)});
            QVERIFY2(sameResult(r, whole),
                     qPrintable(QStringLiteral("split at %1 and %2: %3")
                                    .arg(first)
                                    .arg(second)
                                    .arg(describe(r))));
        }
    }
    QList<QByteArrayView> bytes;
    for (qsizetype i = 0; i < head.size(); ++i)
        bytes.append(view.sliced(i, 1));
    const Result byByte = feedInPieces(bytes);
    QVERIFY2(sameResult(byByte, whole), qPrintable("byte by byte: " + describe(byByte)));
}

void tst_RequestHead::repeatedFieldsAreJoinedAndTokensMatchCaseInsensitively()
{
    RequestHeadReader reader;
    QCOMPARE(reader.feed("GET / HTTP/1.1\r\n"
                         "Accept: text/html\r\n"
                         "X-Other: 1\r\n"
                         "ACCEPT: text/plain\r\n"
                         "accept:  */* \r\n"
                         "Connection: keep-alive ,  Upgrade\r\n"
                         "Upgrade: WEBSOCKET\r\n"
                         "\r\n"),
             Status::Complete);
    const RequestHead &head = reader.head();
    QCOMPARE(head.value("accept"), QByteArray("text/html, text/plain, */*"));
    QCOMPARE(head.value("Accept"), QByteArray("text/html, text/plain, */*"));
    QCOMPARE(head.value("x-other"), QByteArray("1"));
    QVERIFY(head.value("Missing").isEmpty());
    QVERIFY(head.hasToken("connection", "upgrade"));
    QVERIFY(head.hasToken("CONNECTION", "Keep-Alive"));
    QVERIFY(head.hasToken("accept", "TEXT/PLAIN"));
    QVERIFY(!head.hasToken("Connection", "close"));
    QVERIFY(!head.hasToken("Connection", "upgrad"));
    QVERIFY(!head.hasToken("Missing", "x"));
    QVERIFY(head.isWebSocketUpgrade());
}

void tst_RequestHead::aMalformedHeadIsRefusedWithAReason_data()
{
    QTest::addColumn<QByteArray>("head");
    QTest::newRow("request line with two parts") << QByteArray("GET /\r\n\r\n");
    QTest::newRow("request line with four parts") << QByteArray("GET / HTTP/1.1 x\r\n\r\n");
    QTest::newRow("double space in request line") << QByteArray("GET  / HTTP/1.1\r\n\r\n");
    QTest::newRow("empty method") << QByteArray(" / HTTP/1.1\r\n\r\n");
    QTest::newRow("method with a bad character") << QByteArray("GE(T / HTTP/1.1\r\n\r\n");
    QTest::newRow("method with a control character") << QByteArray("G\x01T / HTTP/1.1\r\n\r\n");
    QTest::newRow("absolute URL target") << QByteArray("GET http://example.com/ HTTP/1.1\r\n\r\n");
    QTest::newRow("asterisk target") << QByteArray("OPTIONS * HTTP/1.1\r\n\r\n");
    QTest::newRow("control character in target") << QByteArray("GET /a\x7f HTTP/1.1\r\n\r\n");
    QTest::newRow("HTTP/2.0") << QByteArray("GET / HTTP/2.0\r\n\r\n");
    QTest::newRow("unknown protocol name") << QByteArray("GET / FOO/1.1\r\n\r\n");
    QTest::newRow("lower-case version") << QByteArray("GET / http/1.1\r\n\r\n");
    QTest::newRow("folded header with space")
        << QByteArray("GET / HTTP/1.1\r\nX-A: a\r\n b\r\n\r\n");
    QTest::newRow("folded header with tab")
        << QByteArray("GET / HTTP/1.1\r\nX-A: a\r\n\tb\r\n\r\n");
    QTest::newRow("field without colon") << QByteArray("GET / HTTP/1.1\r\nHost\r\n\r\n");
    QTest::newRow("field with empty name") << QByteArray("GET / HTTP/1.1\r\n: value\r\n\r\n");
    QTest::newRow("space in field name") << QByteArray("GET / HTTP/1.1\r\nX Forwarded: a\r\n\r\n");
    QTest::newRow("space before colon") << QByteArray("GET / HTTP/1.1\r\nHost : a\r\n\r\n");
    QTest::newRow("control character in value")
        << QByteArray("GET / HTTP/1.1\r\nX-A: a\x01z\r\n\r\n");
    QTest::newRow("NUL in value") << (QByteArray("GET / HTTP/1.1\r\nX-A: a") + '\0' + "z\r\n\r\n");
    QTest::newRow("lone CR in value") << QByteArray("GET / HTTP/1.1\r\nX-A: a\rz\r\n\r\n");
    QTest::newRow("DEL in value") << QByteArray("GET / HTTP/1.1\r\nX-A: a\x7fz\r\n\r\n");
}

void tst_RequestHead::aMalformedHeadIsRefusedWithAReason()
{
    QFETCH(QByteArray, head);
    for (qsizetype split = 0; split <= head.size(); ++split) {
        RequestHeadReader reader;
        reader.feed(QByteArrayView(head).first(split));
        const Status status = reader.feed(QByteArrayView(head).sliced(split));
        QVERIFY2(status == Status::Malformed,
                 qPrintable(QStringLiteral("split at %1: status %2, method \"%3\"")
                                .arg(split)
                                .arg(int(status))
                                .arg(QString::fromLatin1(reader.head().method))));
        QVERIFY2(!reader.error().isEmpty(), qPrintable(QStringLiteral("split at %1").arg(split)));
        QVERIFY2(!reader.error().contains(QLatin1Char('\n')), qPrintable(reader.error()));
        // Once refused, more bytes change nothing.
        QCOMPARE(reader.feed("GET / HTTP/1.1\r\n\r\n"), Status::Malformed);
        QCOMPARE(reader.status(), Status::Malformed);
    }
}

void tst_RequestHead::aHeadOverTheLimitIsTooLarge_data()
{
    QTest::addColumn<qsizetype>("chunk");
    QTest::newRow("in one piece") << qsizetype(1 << 20);
    QTest::newRow("in 1000-byte pieces") << qsizetype(1000);
    QTest::newRow("in 4096-byte pieces") << qsizetype(4096);
    QTest::newRow("in 7-byte pieces") << qsizetype(7);
}

void tst_RequestHead::aHeadOverTheLimitIsTooLarge()
{
    QFETCH(qsizetype, chunk);
    QByteArray head = "GET / HTTP/1.1\r\n";
    while (head.size() <= RequestHeadReader::MaxHeadSize + 100)
        head += "X-Filler: " + QByteArray(60, 'f') + "\r\n";
    head += "\r\n";

    RequestHeadReader reader;
    Status status = Status::NeedMore;
    for (qsizetype at = 0; at < head.size() && status == Status::NeedMore; at += chunk)
        status = reader.feed(QByteArrayView(head).sliced(at, std::min(chunk, head.size() - at)));
    QCOMPARE(status, Status::TooLarge);
    QVERIFY(!reader.error().isEmpty());
    QCOMPARE(reader.feed("\r\n\r\n"), Status::TooLarge);

    // A head that never ends is refused as soon as it passes the limit.
    RequestHeadReader endless;
    const QByteArray line = "X-Filler: " + QByteArray(60, 'f') + "\r\n";
    QCOMPARE(endless.feed("GET / HTTP/1.1\r\n"), Status::NeedMore);
    qsizetype fed = 16;
    while (endless.status() == Status::NeedMore && fed < 10 * RequestHeadReader::MaxHeadSize) {
        endless.feed(line);
        fed += line.size();
    }
    QCOMPARE(endless.status(), Status::TooLarge);
    QVERIFY2(fed <= RequestHeadReader::MaxHeadSize + line.size(),
             qPrintable(QStringLiteral("refused only after %1 bytes").arg(fed)));
}

void tst_RequestHead::aHeadExactlyAtTheLimitIsAccepted()
{
    QByteArray head = "GET / HTTP/1.1\r\nX-Filler: ";
    head += QByteArray(RequestHeadReader::MaxHeadSize - head.size() - 4, 'f');
    head += "\r\n\r\n";
    QCOMPARE(head.size(), RequestHeadReader::MaxHeadSize);

    RequestHeadReader reader;
    QCOMPARE(reader.feed(head + "trailing body bytes"), Status::Complete);
    QCOMPARE(reader.headSize(), RequestHeadReader::MaxHeadSize);

    // One more byte in the head is one too many.
    RequestHeadReader over;
    const QByteArray longer = head.first(20) + "f" + head.sliced(20);
    QCOMPARE(over.feed(longer), Status::TooLarge);
}

void tst_RequestHead::bytesAfterTheHeadAreIgnored()
{
    const QByteArray head = "GET /ws HTTP/1.1\r\nHost: x\r\n\r\n";
    const QByteArray after = "\x81\x85garbage that is not a head\r\n\r\nBAD\r\n\r\n";
    const QByteArray stream = head + after;
    for (qsizetype split = 0; split <= stream.size(); ++split) {
        RequestHeadReader reader;
        reader.feed(QByteArrayView(stream).first(split));
        reader.feed(QByteArrayView(stream).sliced(split));
        reader.feed("more\r\n\r\n");
        QVERIFY2(reader.status() == Status::Complete,
                 qPrintable(QStringLiteral("split at %1: %2").arg(split).arg(reader.error())));
        QCOMPARE(reader.headSize(), head.size());
        QCOMPARE(reader.head().target, QByteArray("/ws"));
        QCOMPARE(reader.head().fields, (Fields {{"Host", "x"}}));
    }
}

void tst_RequestHead::headSizeCountsLeadingEmptyLines()
{
    // headSize() is documented as the bytes of the stream that belong to the head: the empty
    // lines a client may send before the request line are part of the stream the reader took.
    const QByteArray head = "\r\n\r\nGET / HTTP/1.1\r\n\r\n";
    const QByteArray stream = head + "NEXT";
    RequestHeadReader reader;
    QCOMPARE(reader.feed(stream), Status::Complete);
    QCOMPARE(reader.headSize(), head.size());
}

QTEST_APPLESS_MAIN(tst_RequestHead)
#include "tst_requesthead.moc"
