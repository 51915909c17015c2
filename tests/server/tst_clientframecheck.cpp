// ClientFrameCheck on its own: good streams of masked frames of every length encoding, an
// unmasked frame wherever it comes, and malformed or cut streams, each fed whole and split at
// every byte boundary.

#include "clientframecheck.h"

#include <QTest>

using CloudConsole::ClientFrameCheck;
using Verdict = ClientFrameCheck::Verdict;

namespace {

QByteArray frame(int opcode, const QByteArray &payload, bool masked = true, int lengthBytes = -1)
{
    QByteArray out;
    out += char(0x80 | opcode);
    const char maskBit = masked ? char(0x80) : char(0);
    const qsizetype n = payload.size();
    if (lengthBytes < 0)
        lengthBytes = n < 126 ? 0 : n < 65536 ? 2 : 8;
    if (lengthBytes == 0) {
        out += char(maskBit | char(n));
    } else {
        out += char(maskBit | (lengthBytes == 2 ? 126 : 127));
        for (int i = lengthBytes - 1; i >= 0; --i)
            out += char((quint64(n) >> (8 * i)) & 0xff);
    }
    if (masked) {
        const char key[4] = {0x37, char(0xfa), 0x21, 0x3d};
        out.append(key, 4);
        for (qsizetype i = 0; i < n; ++i)
            out += char(payload[i] ^ key[i % 4]);
    } else {
        out += payload;
    }
    return out;
}

} // namespace

class tst_ClientFrameCheck : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void streams_data();
    void streams();
    void bytesAfterAnUnmaskedFrameChangeNothing();
};

void tst_ClientFrameCheck::streams_data()
{
    QTest::addColumn<QByteArray>("stream");
    QTest::addColumn<Verdict>("verdict");
    QTest::addColumn<qint64>("frames");

    // Good
    QTest::newRow("nothing") << QByteArray() << Verdict::Fine << qint64(0);
    QTest::newRow("a short text frame") << frame(1, "hello") << Verdict::Fine << qint64(1);
    QTest::newRow("an empty frame") << frame(2, "") << Verdict::Fine << qint64(1);
    QTest::newRow("125 bytes, the last 7-bit length")
        << frame(2, QByteArray(125, 'a')) << Verdict::Fine << qint64(1);
    QTest::newRow("126 bytes, a 16-bit length")
        << frame(2, QByteArray(126, 'b')) << Verdict::Fine << qint64(1);
    QTest::newRow("65536 bytes, a 64-bit length")
        << frame(2, QByteArray(65536, 'c')) << Verdict::Fine << qint64(1);
    QTest::newRow("a short payload in a 64-bit length")
        << frame(2, "d", true, 8) + frame(1, "e") << Verdict::Fine << qint64(2);
    QTest::newRow("ping, pong, text, close")
        << frame(9, "p") + frame(10, "p") + frame(1, "t") + frame(8, "\x03\xe8") << Verdict::Fine
        << qint64(4);
    QTest::newRow("a fragmented message")
        << QByteArray("\x01\x83\0\0\0\0abc\x80\x82\0\0\0\0de", 17) << Verdict::Fine << qint64(2);

    // Unmasked
    QTest::newRow("an unmasked first frame")
        << frame(1, "ls\n", false) << Verdict::Unmasked << qint64(0);
    QTest::newRow("an unmasked frame after good ones")
        << frame(2, "ok") + frame(2, QByteArray(300, 'x')) + frame(2, "bad", false)
        << Verdict::Unmasked << qint64(2);
    QTest::newRow("an unmasked ping")
        << frame(2, "ok") + frame(9, "", false) << Verdict::Unmasked << qint64(1);
    QTest::newRow("an unmasked 64-bit length")
        << frame(2, QByteArray(70000, 'u'), false) << Verdict::Unmasked << qint64(0);

    // Malformed or cut: the check waits for the rest, or leaves the judgment to QWebSocket.
    QTest::newRow("a lone first byte") << QByteArray("\x81") << Verdict::Fine << qint64(0);
    QTest::newRow("cut in the length") << QByteArray("\x82\xfe\x01") << Verdict::Fine << qint64(0);
    QTest::newRow("cut in the mask key")
        << QByteArray("\x82\x85\x01\x02") << Verdict::Fine << qint64(0);
    QTest::newRow("cut in the payload") << frame(2, "hello").left(8) << Verdict::Fine << qint64(1);
    QTest::newRow("a 64-bit length with the top bit set")
        << QByteArray("\x82\xff\x80\0\0\0\0\0\0\0\1\2\3\4xyz", 18) << Verdict::Fine << qint64(1);
    QTest::newRow("reserved bits and opcodes are QWebSocket's to judge")
        << QByteArray("\xff\x80\1\2\3\4", 6) << Verdict::Fine << qint64(1);
}

void tst_ClientFrameCheck::streams()
{
    QFETCH(QByteArray, stream);
    QFETCH(Verdict, verdict);
    QFETCH(qint64, frames);

    ClientFrameCheck whole;
    QCOMPARE(whole.feed(stream), verdict);
    QCOMPARE(whole.frames(), frames);

    // Split once at every boundary (every one for short streams, a sample for long ones).
    const qsizetype step = stream.size() > 2000 ? 997 : 1;
    for (qsizetype cut = 0; cut <= stream.size(); cut += step) {
        ClientFrameCheck split;
        split.feed(QByteArrayView(stream).first(cut));
        split.feed(QByteArrayView(stream).sliced(cut));
        QVERIFY2(split.verdict() == verdict, qPrintable(QStringLiteral("cut at %1").arg(cut)));
        QCOMPARE(split.frames(), frames);
    }
    // And byte by byte.
    if (stream.size() < 2000) {
        ClientFrameCheck bytes;
        for (const char c : stream)
            bytes.feed(QByteArrayView(&c, 1));
        QCOMPARE(bytes.verdict(), verdict);
        QCOMPARE(bytes.frames(), frames);
    }
}

void tst_ClientFrameCheck::bytesAfterAnUnmaskedFrameChangeNothing()
{
    ClientFrameCheck check;
    QCOMPARE(check.feed(frame(1, "x", false)), Verdict::Unmasked);
    QCOMPARE(check.feed(frame(1, "good")), Verdict::Unmasked);
    QCOMPARE(check.frames(), qint64(0));
}

QTEST_GUILESS_MAIN(tst_ClientFrameCheck)
#include "tst_clientframecheck.moc"
