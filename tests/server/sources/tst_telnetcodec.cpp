// TelnetCodec on its own: decoding tables (good and malformed input), every split of every
// input, negotiation without loops, bounded subnegotiations, encoding and a seeded random stream.

#include "telnetcodec.h"

#include <QRandomGenerator>
#include <QTest>

using namespace CloudConsole;

class tst_TelnetCodec : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void decodesDataAndAnswersNegotiation_data();
    void decodesDataAndAnswersNegotiation();
    void everySplitOfTheInputDecodesTheSame_data();
    void everySplitOfTheInputDecodesTheSame();
    void repeatedRequestsAreAnsweredOnce();
    void aPeerThatFlipsAnOptionForeverIsLeftAloneAfterAFewChanges();
    void twoCodecsNegotiatingEveryOptionFallQuiet();
    void anOversizedSubnegotiationIsDroppedAndTheStreamContinues();
    void binaryFromThePeerKeepsCrNul();
    void encodesIacAndBareCr_data();
    void encodesIacAndBareCr();
    void encodingIntoABoundedRoomTakesWholeBytesOnly();
    void breakIsIacBrk();
    void aRandomStreamNeverCrashesAndDecodesTheSameInAnyChunks();
    void randomDataRoundTripsThroughEncodeAndDecode_data();
    void randomDataRoundTripsThroughEncodeAndDecode();
};

namespace {

constexpr char IAC = char(TelnetCodec::IAC);

QByteArray cmd(std::initializer_list<uchar> bytes)
{
    QByteArray out;
    out.append(IAC);
    for (uchar b : bytes)
        out.append(char(b));
    return out;
}

QByteArray will(uchar option)
{
    return cmd({TelnetCodec::WILL, option});
}
QByteArray wont(uchar option)
{
    return cmd({TelnetCodec::WONT, option});
}
QByteArray doo(uchar option)
{
    return cmd({TelnetCodec::DO, option});
}
QByteArray dont(uchar option)
{
    return cmd({TelnetCodec::DONT, option});
}

constexpr uchar TerminalType = 24;
constexpr uchar WindowSize = 31;
constexpr uchar Linemode = 34;

QByteArray hex(const QByteArray &bytes)
{
    return bytes.toHex(' ');
}

QString diff(const TelnetCodec::Decoded &got, const QByteArray &data, const QByteArray &replies)
{
    return QStringLiteral("data [%1] expected [%2]; replies [%3] expected [%4]")
        .arg(QString::fromLatin1(hex(got.data)), QString::fromLatin1(hex(data)),
             QString::fromLatin1(hex(got.replies)), QString::fromLatin1(hex(replies)));
}

void decodingTable()
{
    QTest::addColumn<QByteArray>("input");
    QTest::addColumn<QByteArray>("data");
    QTest::addColumn<QByteArray>("replies");

    // Good input.
    QTest::newRow("plain text passes through")
        << QByteArray("login: root\r\n") << QByteArray("login: root\r\n") << QByteArray();
    QTest::newRow("IAC IAC is one 0xFF data byte") << QByteArray("a\xff\xff"
                                                                 "b\xff\xff\xff\xff")
                                                   << QByteArray("a\xff"
                                                                 "b\xff\xff")
                                                   << QByteArray();
    QTest::newRow("CR NUL is a bare CR")
        << QByteArray("x\r\0y", 4) << QByteArray("x\ry") << QByteArray();
    QTest::newRow("CR LF is kept") << QByteArray("a\r\nb") << QByteArray("a\r\nb") << QByteArray();
    QTest::newRow("CR then another byte is kept")
        << QByteArray("\rx") << QByteArray("\rx") << QByteArray();
    QTest::newRow("NUL not after CR is data")
        << QByteArray("a\0b", 3) << QByteArray("a\0b", 3) << QByteArray();
    QTest::newRow("server ECHO is accepted")
        << will(TelnetCodec::Echo) << QByteArray() << doo(TelnetCodec::Echo);
    QTest::newRow("server SUPPRESS-GO-AHEAD is accepted")
        << will(TelnetCodec::SuppressGoAhead) << QByteArray() << doo(TelnetCodec::SuppressGoAhead);
    QTest::newRow("server BINARY is accepted")
        << will(TelnetCodec::Binary) << QByteArray() << doo(TelnetCodec::Binary);
    QTest::newRow("we agree to send BINARY")
        << doo(TelnetCodec::Binary) << QByteArray() << will(TelnetCodec::Binary);
    QTest::newRow("we agree to suppress go-ahead")
        << doo(TelnetCodec::SuppressGoAhead) << QByteArray() << will(TelnetCodec::SuppressGoAhead);
    QTest::newRow("we refuse to echo")
        << doo(TelnetCodec::Echo) << QByteArray() << wont(TelnetCodec::Echo);
    QTest::newRow("terminal type is refused")
        << will(TerminalType) + doo(TerminalType) << QByteArray()
        << dont(TerminalType) + wont(TerminalType);
    QTest::newRow("window size is refused") << doo(WindowSize) << QByteArray() << wont(WindowSize);
    QTest::newRow("turning off what is off is not answered")
        << wont(TelnetCodec::Echo) + dont(TelnetCodec::Binary) + wont(Linemode) << QByteArray()
        << QByteArray();
    QTest::newRow("turning off what is on is acknowledged")
        << will(TelnetCodec::Echo) + wont(TelnetCodec::Echo) << QByteArray()
        << doo(TelnetCodec::Echo) + dont(TelnetCodec::Echo);
    QTest::newRow("a QEMU-like greeting between data")
        << QByteArray("boot") + will(TelnetCodec::Echo) + will(TelnetCodec::SuppressGoAhead)
            + dont(Linemode) + will(TelnetCodec::Binary) + QByteArray("ing")
        << QByteArray("booting")
        << doo(TelnetCodec::Echo) + doo(TelnetCodec::SuppressGoAhead) + doo(TelnetCodec::Binary);
    QTest::newRow("other commands are ignored") << QByteArray("a") + cmd({TelnetCodec::NOP}) + "b"
            + cmd({TelnetCodec::GA}) + "c" + cmd({TelnetCodec::DM}) + cmd({TelnetCodec::BRK})
            + cmd({TelnetCodec::AYT}) + cmd({TelnetCodec::IP}) + cmd({TelnetCodec::EC})
            + cmd({TelnetCodec::EL}) + cmd({TelnetCodec::AO})
            + "d" << QByteArray("abcd") << QByteArray();
    QTest::newRow("a subnegotiation is read to its end and ignored")
        << QByteArray("a") + cmd({TelnetCodec::SB, TerminalType, 1}) + cmd({TelnetCodec::SE}) + "b"
        << QByteArray("ab") << QByteArray();
    QTest::newRow("IAC IAC inside a subnegotiation does not end it") << QByteArray("a")
            + cmd({TelnetCodec::SB, TerminalType, 0}) + "x\xff\xff" + cmd({TelnetCodec::SE})
            + "b" << QByteArray("ab") << QByteArray();

    // Malformed input.
    QTest::newRow("a lone IAC at the end waits for more")
        << QByteArray("abc\xff") << QByteArray("abc") << QByteArray();
    QTest::newRow("IAC and an unknown byte are dropped")
        << QByteArray("a\xffxb") << QByteArray("ab") << QByteArray();
    QTest::newRow("a stray SE is dropped")
        << cmd({TelnetCodec::SE}) + "a" << QByteArray("a") << QByteArray();
    QTest::newRow("an unterminated subnegotiation swallows what follows")
        << QByteArray("a") + cmd({TelnetCodec::SB, TerminalType}) + "hello" << QByteArray("a")
        << QByteArray();
    QTest::newRow("a command inside a subnegotiation ends it")
        << cmd({TelnetCodec::SB, TerminalType}) + "ab" + will(TelnetCodec::Echo) + "z"
        << QByteArray("z") << doo(TelnetCodec::Echo);
    QTest::newRow("IAC IAC after a subnegotiation's IAC is content")
        << cmd({TelnetCodec::SB, TerminalType}) + "\xff\xff\xff\xff" + cmd({TelnetCodec::SE}) + "ok"
        << QByteArray("ok") << QByteArray();
    QTest::newRow("a negotiation cut short by the end waits")
        << QByteArray("x") + cmd({TelnetCodec::WILL}) << QByteArray("x") << QByteArray();
    QTest::newRow("IAC as the option byte is an option like any other")
        << cmd({TelnetCodec::DO, TelnetCodec::IAC}) + "y" << QByteArray("y")
        << cmd({TelnetCodec::WONT, TelnetCodec::IAC});
}

} // namespace

void tst_TelnetCodec::decodesDataAndAnswersNegotiation_data()
{
    decodingTable();
}

void tst_TelnetCodec::decodesDataAndAnswersNegotiation()
{
    QFETCH(QByteArray, input);
    QFETCH(QByteArray, data);
    QFETCH(QByteArray, replies);
    TelnetCodec codec;
    const TelnetCodec::Decoded got = codec.feed(input);
    QVERIFY2(got.data == data && got.replies == replies, qPrintable(diff(got, data, replies)));
}

void tst_TelnetCodec::everySplitOfTheInputDecodesTheSame_data()
{
    decodingTable();
}

void tst_TelnetCodec::everySplitOfTheInputDecodesTheSame()
{
    QFETCH(QByteArray, input);
    QFETCH(QByteArray, data);
    QFETCH(QByteArray, replies);
    for (qsizetype cut = 0; cut <= input.size(); ++cut) {
        TelnetCodec codec;
        TelnetCodec::Decoded got;
        codec.feed(QByteArrayView(input).first(cut), got);
        codec.feed(QByteArrayView(input).sliced(cut), got);
        QVERIFY2(got.data == data && got.replies == replies,
                 qPrintable(QStringLiteral("cut at %1: ").arg(cut) + diff(got, data, replies)));
    }
    TelnetCodec codec;
    TelnetCodec::Decoded got;
    for (qsizetype i = 0; i < input.size(); ++i)
        codec.feed(QByteArrayView(input).sliced(i, 1), got);
    QVERIFY2(got.data == data && got.replies == replies,
             qPrintable(QStringLiteral("byte by byte: ") + diff(got, data, replies)));
}

void tst_TelnetCodec::repeatedRequestsAreAnsweredOnce()
{
    TelnetCodec codec;
    QByteArray requests;
    for (int i = 0; i < 100; ++i) {
        requests += will(TelnetCodec::Echo) + will(TerminalType) + doo(TelnetCodec::Binary)
            + doo(WindowSize) + wont(Linemode) + dont(Linemode);
    }
    const TelnetCodec::Decoded got = codec.feed(requests);
    const QByteArray once = doo(TelnetCodec::Echo) + dont(TerminalType) + will(TelnetCodec::Binary)
        + wont(WindowSize);
    QVERIFY2(got.replies == once, hex(got.replies).constData());
    QVERIFY(got.data.isEmpty());
    QVERIFY(codec.peerDoes(TelnetCodec::Echo));
    QVERIFY(codec.weDo(TelnetCodec::Binary));
    QVERIFY(!codec.peerDoes(TerminalType));
    QVERIFY(!codec.weDo(WindowSize));
}

void tst_TelnetCodec::aPeerThatFlipsAnOptionForeverIsLeftAloneAfterAFewChanges()
{
    // The peer answers DO with WONT and DONT with WILL: a compliant client that acknowledged
    // every change would talk to it forever.
    TelnetCodec codec;
    QByteArray fromPeer = will(TelnetCodec::Echo);
    int rounds = 0;
    qsizetype replied = 0;
    for (; rounds < 1000 && !fromPeer.isEmpty(); ++rounds) {
        const QByteArray replies = codec.feed(fromPeer).replies;
        replied += replies.size();
        fromPeer.clear();
        if (replies == doo(TelnetCodec::Echo))
            fromPeer = wont(TelnetCodec::Echo);
        else if (replies == dont(TelnetCodec::Echo))
            fromPeer = will(TelnetCodec::Echo);
        else
            QVERIFY2(replies.isEmpty(), hex(replies).constData());
    }
    QVERIFY2(rounds <= 2 * TelnetCodec::MaxChangesPerOption + 1,
             qPrintable(QStringLiteral("still negotiating after %1 rounds").arg(rounds)));
    QCOMPARE(replied, qsizetype(3 * 2 * TelnetCodec::MaxChangesPerOption));
}

void tst_TelnetCodec::twoCodecsNegotiatingEveryOptionFallQuiet()
{
    // One side asks for every option both ways; both sides then only answer each other.
    TelnetCodec a;
    TelnetCodec b;
    QByteArray toB;
    for (int option = 0; option < 256; ++option)
        toB += will(uchar(option)) + doo(uchar(option));
    int rounds = 0;
    QByteArray toA;
    for (; rounds < 100 && !(toA.isEmpty() && toB.isEmpty()); ++rounds) {
        toA = b.feed(toB).replies;
        toB = a.feed(toA).replies;
    }
    QVERIFY2(rounds <= 3, qPrintable(QStringLiteral("%1 rounds").arg(rounds)));
    QVERIFY(b.peerDoes(TelnetCodec::Binary) && b.weDo(TelnetCodec::Binary));
    QVERIFY(b.peerDoes(TelnetCodec::SuppressGoAhead) && b.weDo(TelnetCodec::SuppressGoAhead));
    // b accepted a's offer to echo, but a (a console client too) then refused to echo.
    QVERIFY(!b.peerDoes(TelnetCodec::Echo) && !b.weDo(TelnetCodec::Echo));
    QVERIFY(!b.peerDoes(TerminalType) && !b.weDo(TerminalType));
}

void tst_TelnetCodec::anOversizedSubnegotiationIsDroppedAndTheStreamContinues()
{
    QByteArray huge(100 * TelnetCodec::MaxSubnegotiation, 'x');
    for (qsizetype i = 0; i < huge.size(); i += 97)
        huge.replace(i, 1, "\xff\xff");
    const QByteArray input = QByteArray("before ") + cmd({TelnetCodec::SB, TerminalType}) + huge
        + cmd({TelnetCodec::SE}) + "after" + will(TelnetCodec::Echo);
    TelnetCodec codec;
    TelnetCodec::Decoded got;
    for (qsizetype i = 0; i < input.size(); i += 1000)
        codec.feed(QByteArrayView(input).sliced(i, std::min<qsizetype>(1000, input.size() - i)),
                   got);
    QCOMPARE(got.data, QByteArray("before after"));
    QCOMPARE(got.replies, doo(TelnetCodec::Echo));
    QCOMPARE(codec.oversizedSubnegotiations(), 1);

    // One byte under the bound is not oversized.
    TelnetCodec fits;
    fits.feed(cmd({TelnetCodec::SB, TerminalType}) + QByteArray(TelnetCodec::MaxSubnegotiation, 'y')
              + cmd({TelnetCodec::SE}));
    QCOMPARE(fits.oversizedSubnegotiations(), 0);
}

void tst_TelnetCodec::binaryFromThePeerKeepsCrNul()
{
    TelnetCodec codec;
    const TelnetCodec::Decoded got
        = codec.feed(will(TelnetCodec::Binary) + QByteArray("a\r\0b\xff\xff", 6));
    QCOMPARE(got.data, QByteArray("a\r\0b\xff", 5));
}

void tst_TelnetCodec::encodesIacAndBareCr_data()
{
    QTest::addColumn<QByteArray>("negotiation");
    QTest::addColumn<QByteArray>("input");
    QTest::addColumn<QByteArray>("encoded");
    QTest::newRow("plain text is unchanged")
        << QByteArray() << QByteArray("ls -l") << QByteArray("ls -l");
    QTest::newRow("0xFF is doubled") << QByteArray()
                                     << QByteArray("a\xff"
                                                   "b")
                                     << QByteArray("a\xff\xff"
                                                   "b");
    QTest::newRow("CR becomes CR NUL")
        << QByteArray() << QByteArray("ls\r") << QByteArray("ls\r\0", 4);
    QTest::newRow("CR LF becomes CR NUL LF")
        << QByteArray() << QByteArray("\r\n") << QByteArray("\r\0\n", 3);
    QTest::newRow("in BINARY CR stays bare but 0xFF is still doubled")
        << doo(TelnetCodec::Binary) << QByteArray("\r\xff") << QByteArray("\r\xff\xff");
    QTest::newRow("BINARY from the peer only does not change what we send")
        << will(TelnetCodec::Binary) << QByteArray("\r") << QByteArray("\r\0", 2);
}

void tst_TelnetCodec::encodesIacAndBareCr()
{
    QFETCH(QByteArray, negotiation);
    QFETCH(QByteArray, input);
    QFETCH(QByteArray, encoded);
    TelnetCodec codec;
    codec.feed(negotiation);
    const QByteArray got = codec.encode(input);
    QVERIFY2(got == encoded, hex(got).constData());
}

void tst_TelnetCodec::encodingIntoABoundedRoomTakesWholeBytesOnly()
{
    TelnetCodec codec;
    QByteArray out("prefix");
    QCOMPARE(codec.encodeInto("a\xff"
                              "b",
                              2, out),
             qsizetype(1));
    QCOMPARE(out, QByteArray("prefixa"));
    out.clear();
    QCOMPARE(codec.encodeInto("a\xff"
                              "b",
                              3, out),
             qsizetype(2));
    QCOMPARE(out, QByteArray("a\xff\xff"));
    out.clear();
    QCOMPARE(codec.encodeInto("\r", 1, out), qsizetype(0));
    QVERIFY(out.isEmpty());
    QCOMPARE(codec.encodeInto("abc", 0, out), qsizetype(0));
}

void tst_TelnetCodec::breakIsIacBrk()
{
    QCOMPARE(TelnetCodec::breakSequence(), QByteArray("\xff\xf3"));
}

void tst_TelnetCodec::aRandomStreamNeverCrashesAndDecodesTheSameInAnyChunks()
{
    QRandomGenerator random(20240611);
    QByteArray stream;
    while (stream.size() < 200000) {
        const quint32 pick = random.bounded(10);
        if (pick < 3) {
            stream.append(IAC); // an IAC followed by whatever comes next
        } else if (pick < 4) {
            stream
                += cmd({uchar(TelnetCodec::WILL + random.bounded(4)), uchar(random.bounded(256))});
        } else if (pick < 5) {
            stream += cmd({TelnetCodec::SB, uchar(random.bounded(256))});
        } else {
            stream.append(char(random.bounded(256)));
        }
    }
    TelnetCodec whole;
    const TelnetCodec::Decoded expected = whole.feed(stream);
    QVERIFY(expected.data.size() <= stream.size());
    QVERIFY(expected.replies.size() <= 3 * 2 * 256 * (TelnetCodec::MaxChangesPerOption + 1));

    TelnetCodec chunked;
    TelnetCodec::Decoded got;
    for (qsizetype at = 0; at < stream.size();) {
        const qsizetype n = std::min<qsizetype>(random.bounded(1, 40), stream.size() - at);
        chunked.feed(QByteArrayView(stream).sliced(at, n), got);
        at += n;
    }
    QVERIFY2(got.data == expected.data, "chunked decoding differs from whole decoding");
    QVERIFY2(got.replies == expected.replies, "chunked replies differ from whole replies");
}

void tst_TelnetCodec::randomDataRoundTripsThroughEncodeAndDecode_data()
{
    QTest::addColumn<bool>("binary");
    QTest::newRow("in NVT mode") << false;
    QTest::newRow("in BINARY mode") << true;
}

void tst_TelnetCodec::randomDataRoundTripsThroughEncodeAndDecode()
{
    QFETCH(bool, binary);
    TelnetCodec sender;
    TelnetCodec receiver;
    if (binary) {
        sender.feed(doo(TelnetCodec::Binary));
        receiver.feed(will(TelnetCodec::Binary));
    }
    QRandomGenerator random(7);
    const char special[] = {IAC, '\r', '\n', '\0'};
    QByteArray data;
    for (int i = 0; i < 100000; ++i) {
        data.append(random.bounded(3) == 0 ? special[random.bounded(4)]
                                           : char(random.bounded(256)));
    }
    QByteArray wire;
    for (qsizetype at = 0; at < data.size();) {
        const qsizetype n = std::min<qsizetype>(random.bounded(1, 64), data.size() - at);
        wire += sender.encode(QByteArrayView(data).sliced(at, n));
        at += n;
    }
    TelnetCodec::Decoded got;
    for (qsizetype at = 0; at < wire.size();) {
        const qsizetype n = std::min<qsizetype>(random.bounded(1, 64), wire.size() - at);
        receiver.feed(QByteArrayView(wire).sliced(at, n), got);
        at += n;
    }
    QVERIFY2(got.replies.isEmpty(), hex(got.replies.left(30)).constData());
    QVERIFY2(
        got.data == data,
        qPrintable(QStringLiteral("%1 bytes back of %2").arg(got.data.size()).arg(data.size())));
}

QTEST_GUILESS_MAIN(tst_TelnetCodec)
#include "tst_telnetcodec.moc"
