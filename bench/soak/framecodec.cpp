#include "framecodec.h"

#include <array>

namespace Soak {

namespace {

// The reflected CRC-32 of zlib and Ethernet (polynomial 0xEDB88320), a table at a time.
const std::array<quint32, 256> CrcTable = [] {
    std::array<quint32, 256> table {};
    for (quint32 i = 0; i < 256; ++i) {
        quint32 c = i;
        for (int k = 0; k < 8; ++k)
            c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        table[i] = c;
    }
    return table;
}();

// splitmix64: a well-mixed 64-bit value from any 64-bit input.
quint64 mix(quint64 x)
{
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

// Letters and digits without "E", which starts an echo frame's payload.
constexpr char Alphabet[] = "0123456789abcdefghijklmnopqrstuvwxyzABCDFGHIJKLMNOPQRSTUVWXYZ";
constexpr int AlphabetSize = sizeof Alphabet - 1;

void appendHex(QByteArray &out, quint64 value, int digits)
{
    static constexpr char Hex[] = "0123456789abcdef";
    for (int i = digits - 1; i >= 0; --i)
        out += Hex[(value >> (4 * i)) & 0xf];
}

std::optional<quint64> parseHex(QByteArrayView digits)
{
    quint64 value = 0;
    for (const char c : digits) {
        int v;
        if (c >= '0' && c <= '9')
            v = c - '0';
        else if (c >= 'a' && c <= 'f')
            v = c - 'a' + 10;
        else
            return std::nullopt;
        value = (value << 4) | quint64(v);
    }
    return value;
}

QByteArray header(quint64 seq, int length)
{
    QByteArray out;
    out.reserve(length);
    out += '#';
    appendHex(out, seq, 12);
    out += ' ';
    return out;
}

void finish(QByteArray &out)
{
    const quint32 crc = crc32(out);
    out += ' ';
    appendHex(out, crc, 8);
    out += "\r\n";
}

} // namespace

quint32 crc32(QByteArrayView data)
{
    quint32 c = 0xFFFFFFFFu;
    for (const char byte : data)
        c = CrcTable[(c ^ quint8(byte)) & 0xff] ^ (c >> 8);
    return c ^ 0xFFFFFFFFu;
}

int FrameOracle::payloadLength(quint64 seq)
{
    return MinPayload + int(mix(seq) % PayloadSpread);
}

qint64 FrameOracle::bytesBetween(quint64 from, quint64 to)
{
    qint64 total = 0;
    for (quint64 seq = from; seq < to; ++seq)
        total += frameLength(seq);
    return total;
}

QByteArray FrameOracle::dataFrame(quint64 seq)
{
    const int payload = payloadLength(seq);
    QByteArray out = header(seq, HeaderSize + payload + TrailerSize);
    out += 'D';
    quint64 state = seq * 0x2545F4914F6CDD1Dull;
    quint64 bits = 0;
    for (int i = 1; i < payload; ++i) {
        if (i % 8 == 1)
            bits = mix(state++);
        out += Alphabet[bits % AlphabetSize];
        bits /= AlphabetSize;
    }
    finish(out);
    return out;
}

QByteArray FrameOracle::echoFrame(quint64 seq, quint64 key)
{
    const int payload = payloadLength(seq);
    QByteArray out = header(seq, HeaderSize + payload + TrailerSize);
    out += 'E';
    appendHex(out, key, 13);
    while (out.size() < HeaderSize + payload)
        out += '.';
    finish(out);
    return out;
}

std::optional<quint64> FrameOracle::sequenceOf(QByteArrayView line)
{
    if (line.size() < HeaderSize || line[0] != '#' || line[HeaderSize - 1] != ' ')
        return std::nullopt;
    return parseHex(line.sliced(1, 12));
}

std::optional<quint64> FrameOracle::echoedKey(QByteArrayView line)
{
    if (line.size() < HeaderSize + 14 || line[HeaderSize] != 'E')
        return std::nullopt;
    return parseHex(line.sliced(HeaderSize + 1, 13));
}

void FrameOracle::registerEcho(quint64 seq, quint64 key)
{
    const QMutexLocker lock(&m_mutex);
    m_echoes.insert(seq, key);
}

QByteArray FrameOracle::frame(quint64 seq) const
{
    {
        const QMutexLocker lock(&m_mutex);
        const auto it = m_echoes.constFind(seq);
        if (it != m_echoes.constEnd())
            return echoFrame(seq, it.value());
    }
    return dataFrame(seq);
}

namespace Keys {

QByteArray record(quint64 key)
{
    QByteArray out;
    out.reserve(RecordSize);
    out += 'K';
    appendHex(out, key, 13);
    out += "\r\n";
    return out;
}

std::optional<quint64> parse(QByteArrayView data)
{
    if (data.size() < RecordSize || data[0] != 'K' || data[14] != '\r' || data[15] != '\n')
        return std::nullopt;
    return parseHex(data.sliced(1, 13));
}

} // namespace Keys

} // namespace Soak
