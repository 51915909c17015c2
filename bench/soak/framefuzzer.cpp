#include "framefuzzer.h"

namespace Soak {

namespace {
constexpr int MessageIntervalMs = 100;
constexpr int RawLifetimeMs = 5000;
constexpr qsizetype OversizedMessage = 70 * 1024; // over the server's 64 KiB limit
constexpr qsizetype MaxRawBuffer = 256 * 1024;

const char *const KnownBad[] = {
    R"({"type":"resize","cols":"wide","rows":24})",
    R"({"type":"resize","cols":0,"rows":5000})",
    R"({"type":"resize"})",
    R"({"type":"break","extra":[1,2,3]})",
    R"({"type":42})",
    R"({"type":null})",
    R"([])",
    R"("just a string")",
    R"({"type":"screen","offset":-1})",
    R"({"type":"ping","data":1e400})",
    R"({"type":"ping","data":{"a":[1,2,{"b":"c"}]}})",
    R"({"type":"hello","protocol":1})",
    R"({"type":"gap","from":0,"to":99999999999})",
    R"({)",
    R"({"type":"resize","cols":1.5,"rows":2.5})",
};
} // namespace

FrameFuzzer::FrameFuzzer(const FrameOracle &oracle, quint16 port, QByteArray viewerToken,
                         quint32 seed, QHostAddress rawFrom, QObject *parent)
    : QObject(parent)
    , m_port(port)
    , m_rawFrom(std::move(rawFrom))
    , m_token(std::move(viewerToken))
    , m_random(seed)
    , m_client(oracle, QStringLiteral("fuzzer"))
{
    connect(&m_messageTimer, &QTimer::timeout, this, &FrameFuzzer::sendRandomMessage);
    connect(&m_client, &SoakClient::closed, this, [this] {
        if (!m_stopping)
            QTimer::singleShot(300, this, &FrameFuzzer::connectNow);
    });
}

void FrameFuzzer::start()
{
    connectNow();
    m_messageTimer.start(MessageIntervalMs);
}

void FrameFuzzer::stop()
{
    m_stopping = true;
    m_messageTimer.stop();
}

void FrameFuzzer::connectNow()
{
    SoakClient::Setup setup;
    setup.url = QUrl(QStringLiteral("ws://127.0.0.1:%1/c/soak/ws").arg(m_port));
    setup.authorization = "Bearer " + m_token;
    m_client.open(setup);
}

void FrameFuzzer::sendRandomMessage()
{
    if (!m_client.isOpen())
        return;
    ++m_totals.messages;
    const int roll = int(m_random.bounded(1000));
    if (roll < 2) {
        // Over the limit: the server closes this client with 1009; it comes back.
        ++m_totals.oversized;
        m_client.sendText(QString(OversizedMessage, u'x'));
    } else if (roll < 200) {
        m_client.sendText(QStringLiteral("{\"type\":\"%1\"}").arg(m_random.generate64(), 0, 36));
    } else if (roll < 350) {
        QString text;
        const int length = int(m_random.bounded(200));
        for (int i = 0; i < length; ++i)
            text += QChar(char16_t(0x20 + m_random.bounded(0x2fe0)));
        m_client.sendText(text);
    } else if (roll < 650) {
        m_client.sendText(QString::fromLatin1(
            KnownBad[m_random.bounded(int(sizeof KnownBad / sizeof KnownBad[0]))]));
    } else if (roll < 800) {
        QByteArray bytes(int(m_random.bounded(4096)), Qt::Uninitialized);
        for (char &c : bytes)
            c = char(m_random.bounded(256));
        m_client.sendBinary(bytes); // a viewer's input: refused
    } else if (roll < 850) {
        m_client.sendText(QStringLiteral("{\"type\":\"screen\"}"));
    } else if (roll < 900) {
        QString nested;
        const int depth = 1 + int(m_random.bounded(2000));
        for (int i = 0; i < depth; ++i)
            nested += u'[';
        for (int i = 0; i < depth; ++i)
            nested += u']';
        m_client.sendText(QStringLiteral("{\"type\":\"ping\",\"data\":%1}").arg(nested));
    } else {
        m_client.sendText(
            QStringLiteral("{\"type\":\"ping\",\"data\":%1}").arg(m_random.generate()));
    }
}

QByteArray FrameFuzzer::randomFrame()
{
    QByteArray frame;
    if (m_random.bounded(10) == 0) {
        // Not a frame at all.
        frame.resize(int(1 + m_random.bounded(256)));
        for (char &c : frame)
            c = char(m_random.bounded(256));
        return frame;
    }
    const quint8 first = quint8(m_random.bounded(256));
    const bool masked = m_random.bounded(10) != 0;
    const quint64 payload = m_random.bounded(512);
    quint64 declared = payload;
    const int form = int(m_random.bounded(10));
    frame += char(first);
    if (form < 7) {
        declared = std::min<quint64>(payload, 125);
        frame += char((masked ? 0x80 : 0) | declared);
    } else if (form < 9) {
        declared = m_random.bounded(65536);
        frame += char((masked ? 0x80 : 0) | 126);
        frame += char(declared >> 8);
        frame += char(declared & 0xff);
    } else {
        declared = m_random.generate64();
        frame += char((masked ? 0x80 : 0) | 127);
        for (int i = 7; i >= 0; --i)
            frame += char((declared >> (8 * i)) & 0xff);
    }
    if (masked) {
        for (int i = 0; i < 4; ++i)
            frame += char(m_random.bounded(256));
    }
    const quint64 sent = std::min<quint64>(declared, payload);
    for (quint64 i = 0; i < sent; ++i)
        frame += char(m_random.bounded(256));
    return frame;
}

void FrameFuzzer::rawBurst()
{
    if (m_stopping)
        return;
    ++m_totals.rawConnections;
    auto *socket = new QTcpSocket(this);
    socket->setProperty("closedByUs", false);
    QByteArray key(16, Qt::Uninitialized);
    for (char &c : key)
        c = char(m_random.bounded(256));
    const QByteArray request
        = "GET /c/soak/ws HTTP/1.1\r\nHost: 127.0.0.1:" + QByteArray::number(m_port)
        + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
          "Sec-WebSocket-Protocol: cloud-console.v1\r\nSec-WebSocket-Key: "
        + key.toBase64() + "\r\nAuthorization: Bearer " + m_token + "\r\n\r\n";
    connect(socket, &QTcpSocket::connected, this, [socket, request] { socket->write(request); });
    connect(socket, &QTcpSocket::readyRead, this, [this, socket] { onRawData(socket); });
    connect(socket, &QTcpSocket::disconnected, this, [this, socket] {
        if (!socket->property("closedByUs").toBool())
            ++m_totals.rawClosedByServer;
        socket->deleteLater();
    });
    QTimer::singleShot(RawLifetimeMs, socket, [socket] {
        socket->setProperty("closedByUs", true);
        socket->abort();
    });
    if (!m_rawFrom.isNull())
        socket->bind(m_rawFrom);
    socket->connectToHost(QHostAddress::LocalHost, m_port);
}

void FrameFuzzer::onRawData(QTcpSocket *socket)
{
    QByteArray buffer = socket->property("buffer").toByteArray() + socket->readAll();
    if (!socket->property("upgraded").toBool()) {
        const qsizetype end = buffer.indexOf("\r\n\r\n");
        if (end < 0) {
            socket->setProperty("buffer", buffer);
            return;
        }
        if (!buffer.startsWith("HTTP/1.1 101")) {
            ++m_totals.rawUpgradeRefused;
            socket->setProperty("closedByUs", true);
            socket->abort();
            return;
        }
        socket->setProperty("upgraded", true);
        buffer.remove(0, end + 4);
        // The burst: random frames, all at once.
        const int frames = 1 + int(m_random.bounded(20));
        for (int i = 0; i < frames; ++i)
            socket->write(randomFrame());
        m_totals.rawFrames += frames;
    }
    // Walk the server's frames for a close and its code; output frames are skipped.
    for (;;) {
        if (buffer.size() < 2)
            break;
        const quint8 opcode = quint8(buffer[0]) & 0x0f;
        quint64 length = quint8(buffer[1]) & 0x7f;
        qsizetype header = 2;
        if (length == 126) {
            if (buffer.size() < 4)
                break;
            length = (quint64(quint8(buffer[2])) << 8) | quint8(buffer[3]);
            header = 4;
        } else if (length == 127) {
            if (buffer.size() < 10)
                break;
            length = 0;
            for (int i = 2; i < 10; ++i)
                length = (length << 8) | quint8(buffer[i]);
            header = 10;
        }
        if (quint64(buffer.size() - header) < length)
            break;
        if (opcode == 8) {
            const int code
                = length >= 2 ? (quint8(buffer[header]) << 8) | quint8(buffer[header + 1]) : 1005;
            ++m_totals.rawCloseCodes[QString::number(code)];
        }
        buffer.remove(0, header + qsizetype(length));
    }
    // The output stream keeps coming: keep only an unfinished frame.
    socket->setProperty("buffer", buffer.size() > MaxRawBuffer ? QByteArray() : buffer);
}

} // namespace Soak
