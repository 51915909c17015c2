// HttpResponseParser on its own: good answers, malformed and oversized ones, each fed whole, cut
// at every byte boundary, and a byte at a time.

#include "httpresponseparser.h"

#include <QTest>

using namespace CloudConsole;

class tst_HttpResponseParser : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void parsesAnswersFedInAnyPieces_data();
    void parsesAnswersFedInAnyPieces();
    void refusesMalformedAnswersWithAReason_data();
    void refusesMalformedAnswersWithAReason();
    void bytesAfterACompleteAnswerAreIgnored();
    void oversizedHeadsAndBodiesAreRefusedWithoutBufferingThem();
};

namespace {

using State = HttpResponseParser::State;

struct Outcome
{
    State state = State::Incomplete;
    int status = 0;
    QByteArray body;
    QString error;
};

// Feeds the pieces, then says the connection closed if closeAtEnd.
Outcome run(const QList<QByteArray> &pieces, bool closeAtEnd)
{
    HttpResponseParser parser;
    for (const QByteArray &piece : pieces)
        parser.feed(piece);
    if (closeAtEnd)
        parser.finish();
    return {parser.state(), parser.status(), parser.body(), parser.errorString()};
}

// Every way to cut text in two, and byte by byte.
QList<QList<QByteArray>> splits(const QByteArray &text)
{
    QList<QList<QByteArray>> out;
    for (qsizetype cut = 0; cut <= text.size(); ++cut)
        out.append({text.first(cut), text.sliced(cut)});
    QList<QByteArray> bytes;
    for (char c : text)
        bytes.append(QByteArray(1, c));
    out.append(bytes);
    return out;
}

const QByteArray VmInfo = R"({"config":{"serial":{"mode":"Pty","file":"/dev/pts/7"}}})";

} // namespace

void tst_HttpResponseParser::parsesAnswersFedInAnyPieces_data()
{
    QTest::addColumn<QByteArray>("response");
    QTest::addColumn<bool>("closeAtEnd");
    QTest::addColumn<int>("status");
    QTest::addColumn<QByteArray>("body");

    QTest::newRow("Cloud-Hypervisor's vm.info")
        << QByteArray("HTTP/1.1 200 \r\nServer: Cloud Hypervisor API\r\nConnection: keep-alive\r\n"
                      "Content-Type: application/json\r\nContent-Length: "
                      + QByteArray::number(VmInfo.size()) + "\r\n\r\n" + VmInfo)
        << false << 200 << VmInfo;
    QTest::newRow("header names without case, values trimmed")
        << QByteArray("HTTP/1.1 200 OK\r\ncontent-LENGTH:   5  \r\n\r\nhello") << false << 200
        << QByteArray("hello");
    QTest::newRow("a body that runs to the end of the connection")
        << QByteArray("HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil close") << true
        << 200 << QByteArray("until close");
    QTest::newRow("404 with a reason in the body")
        << QByteArray("HTTP/1.1 404 Not Found\r\nContent-Length: 17\r\n\r\nVM is not created")
        << false << 404 << QByteArray("VM is not created");
    QTest::newRow("204 has no body")
        << QByteArray("HTTP/1.1 204 No Content\r\n\r\n") << false << 204 << QByteArray();
    QTest::newRow("an empty body")
        << QByteArray("HTTP/1.1 500 \r\nContent-Length: 0\r\n\r\n") << false << 500 << QByteArray();
}

void tst_HttpResponseParser::parsesAnswersFedInAnyPieces()
{
    QFETCH(QByteArray, response);
    QFETCH(bool, closeAtEnd);
    QFETCH(int, status);
    QFETCH(QByteArray, body);
    for (const QList<QByteArray> &pieces : splits(response)) {
        const Outcome outcome = run(pieces, closeAtEnd);
        QVERIFY2(outcome.state == State::Complete,
                 qPrintable(QStringLiteral("first piece %1 bytes: %2")
                                .arg(pieces.first().size())
                                .arg(outcome.error)));
        QCOMPARE(outcome.status, status);
        QCOMPARE(outcome.body, body);
    }
    // Without its last byte, an answer with a length is not complete, and a close makes it an
    // error rather than a short body.
    if (!closeAtEnd && !body.isEmpty()) {
        QCOMPARE(run({response.chopped(1)}, false).state, State::Incomplete);
        QCOMPARE(run({response.chopped(1)}, true).state, State::Error);
    }
}

void tst_HttpResponseParser::refusesMalformedAnswersWithAReason_data()
{
    QTest::addColumn<QByteArray>("response");
    QTest::addColumn<QString>("error");

    QTest::newRow("not HTTP") << QByteArray("SSH-2.0-OpenSSH_9.2\r\n\r\n")
                              << QStringLiteral("not an HTTP response: \"SSH-2.0-OpenSSH_9.2\"");
    QTest::newRow("HTTP/2 status line") << QByteArray("HTTP/2 200\r\n\r\n")
                                        << QStringLiteral("not an HTTP response: \"HTTP/2 200\"");
    QTest::newRow("status out of range")
        << QByteArray("HTTP/1.1 099 Odd\r\n\r\n")
        << QStringLiteral("not an HTTP response: \"HTTP/1.1 099 Odd\"");
    QTest::newRow("header without a colon")
        << QByteArray("HTTP/1.1 200 OK\r\nContent-Length 5\r\n\r\nhello")
        << QStringLiteral("malformed header line \"Content-Length 5\"");
    QTest::newRow("negative length") << QByteArray("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n")
                                     << QStringLiteral("invalid Content-Length \"-1\"");
    QTest::newRow("length with junk")
        << QByteArray("HTTP/1.1 200 OK\r\nContent-Length: 5x\r\n\r\nhello")
        << QStringLiteral("invalid Content-Length \"5x\"");
    QTest::newRow("chunked") << QByteArray(
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n")
                             << QStringLiteral("Transfer-Encoding \"chunked\" is not supported");
    QTest::newRow("closed before any byte")
        << QByteArray() << QStringLiteral("the connection closed without a response");
    QTest::newRow("closed in the head")
        << QByteArray("HTTP/1.1 200 OK\r\nContent-")
        << QStringLiteral("the connection closed in the middle of the response head");
    QTest::newRow("closed in the body")
        << QByteArray("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhello")
        << QStringLiteral("the connection closed after 5 of 10 body bytes");
}

void tst_HttpResponseParser::refusesMalformedAnswersWithAReason()
{
    QFETCH(QByteArray, response);
    QFETCH(QString, error);
    for (const QList<QByteArray> &pieces : splits(response)) {
        const Outcome outcome = run(pieces, true);
        QCOMPARE(outcome.state, State::Error);
        QCOMPARE(outcome.error, error);
    }
}

void tst_HttpResponseParser::bytesAfterACompleteAnswerAreIgnored()
{
    HttpResponseParser parser;
    QCOMPARE(parser.feed("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 500"),
             State::Complete);
    QCOMPARE(parser.feed("more"), State::Complete);
    QCOMPARE(parser.finish(), State::Complete);
    QCOMPARE(parser.body(), QByteArray("ok"));
}

void tst_HttpResponseParser::oversizedHeadsAndBodiesAreRefusedWithoutBufferingThem()
{
    {
        HttpResponseParser parser;
        parser.feed("HTTP/1.1 200 OK\r\n");
        const QByteArray header = "X-Padding: " + QByteArray(1000, 'a') + "\r\n";
        State state = State::Incomplete;
        for (int i = 0; i < 100 && state == State::Incomplete; ++i)
            state = parser.feed(header);
        QCOMPARE(state, State::Error);
        QCOMPARE(parser.errorString(),
                 QStringLiteral("the response head is larger than %1 bytes")
                     .arg(HttpResponseParser::MaxHeadSize));
    }
    {
        HttpResponseParser parser;
        QCOMPARE(parser.feed("HTTP/1.1 200 OK\r\nContent-Length: 2000000\r\n\r\n"), State::Error);
        QCOMPARE(parser.errorString(),
                 QStringLiteral("the response body of 2000000 bytes is larger than %1")
                     .arg(HttpResponseParser::MaxBodySize));
    }
    {
        // No length: the body is bounded all the same.
        HttpResponseParser parser;
        parser.feed("HTTP/1.1 200 OK\r\n\r\n");
        const QByteArray chunk(64 * 1024, 'x');
        State state = State::Incomplete;
        for (int i = 0; i < 100 && state == State::Incomplete; ++i)
            state = parser.feed(chunk);
        QCOMPARE(state, State::Error);
    }
}

QTEST_APPLESS_MAIN(tst_HttpResponseParser)
#include "tst_httpresponseparser.moc"
