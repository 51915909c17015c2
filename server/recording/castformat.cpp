#include "castformat.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QJsonParseError>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstring>

namespace CloudConsole {

namespace {

constexpr char Replacement[] = "\xEF\xBF\xBD"; // U+FFFD

// The bytes a character starting with lead takes (0: lead starts none), and the range its second
// byte must be in (the rest are 0x80..0xBF): no overlong forms, no surrogates, nothing past
// U+10FFFF.
struct Lead
{
    int length = 0;
    uchar low = 0x80;
    uchar high = 0xBF;
};

Lead leadOf(uchar c)
{
    if (c >= 0xC2 && c <= 0xDF)
        return {2};
    if (c == 0xE0)
        return {3, 0xA0, 0xBF};
    if (c == 0xED)
        return {3, 0x80, 0x9F};
    if (c >= 0xE1 && c <= 0xEF)
        return {3};
    if (c == 0xF0)
        return {4, 0x90, 0xBF};
    if (c >= 0xF1 && c <= 0xF3)
        return {4};
    if (c == 0xF4)
        return {4, 0x80, 0x8F};
    return {};
}

// How many bytes of text[at..] form a valid character (> 0); 0 when they are invalid (one
// replacement covers `*bad` bytes, the longest valid beginning, or the lead alone); -1 when they
// are a valid beginning that the end of text cuts off.
int characterAt(QByteArrayView text, qsizetype at, int *bad)
{
    const uchar c = uchar(text[at]);
    const Lead lead = leadOf(c);
    if (lead.length == 0) {
        *bad = 1;
        return 0;
    }
    for (int i = 1; i < lead.length; ++i) {
        if (at + i >= text.size())
            return -1;
        const uchar next = uchar(text[at + i]);
        const uchar low = i == 1 ? lead.low : 0x80;
        const uchar high = i == 1 ? lead.high : 0xBF;
        if (next < low || next > high) {
            *bad = i;
            return 0;
        }
    }
    return lead.length;
}

} // namespace

QByteArray Utf8Text::decode(QByteArrayView bytes)
{
    QByteArray joined;
    QByteArrayView text = bytes;
    if (m_carryLength > 0) {
        joined = QByteArray(m_carry, m_carryLength);
        joined.append(bytes);
        m_carryLength = 0;
        text = joined;
    }
    QByteArray out;
    out.reserve(text.size() + 16);
    qsizetype i = 0;
    while (i < text.size()) {
        // A run of ASCII, what most output is, copied whole.
        qsizetype end = i;
        while (end < text.size() && uchar(text[end]) < 0x80)
            ++end;
        if (end > i) {
            out.append(text.sliced(i, end - i));
            i = end;
            continue;
        }
        int bad = 0;
        const int length = characterAt(text, i, &bad);
        if (length > 0) {
            out.append(text.sliced(i, length));
            i += length;
        } else if (length < 0) {
            // Cut off by the end of this read: waits for the rest (at most 3 bytes).
            m_carryLength = int(text.size() - i);
            memcpy(m_carry, text.data() + i, size_t(m_carryLength));
            break;
        } else {
            out.append(Replacement);
            i += bad;
        }
    }
    return out;
}

qsizetype Utf8Text::appendEscaped(QByteArray &out, QByteArrayView bytes, qsizetype limit)
{
    // Bytes copied as they are: printable ASCII but the quote and the backslash.
    static constexpr auto plain = [] {
        std::array<bool, 256> table {};
        for (int c = 0x20; c < 0x80; ++c)
            table[size_t(c)] = c != '"' && c != '\\';
        return table;
    }();
    const qsizetype start = out.size();
    // Room for n more bytes; the first character of the call always has it.
    const auto fits = [&](qsizetype n) { return out.size() + n <= limit || out.size() == start; };
    qsizetype i = 0;
    if (m_carryLength > 0) {
        // The character the last read cut off, completed by this one's first bytes.
        char joined[4];
        memcpy(joined, m_carry, size_t(m_carryLength));
        const qsizetype more = std::min<qsizetype>(bytes.size(), 4 - m_carryLength);
        memcpy(joined + m_carryLength, bytes.data(), size_t(more));
        int bad = 0;
        const int length = characterAt(QByteArrayView(joined, m_carryLength + more), 0, &bad);
        if (length < 0) { // still cut off: this read was too short to end it
            memcpy(m_carry + m_carryLength, bytes.data(), size_t(more));
            m_carryLength += int(more);
            return bytes.size();
        }
        // The carry is a valid beginning, so what is bad or complete reaches past it.
        const int carried = m_carryLength;
        if (length > 0) {
            out.append(joined, length);
            i = length - carried;
        } else {
            out.append(Replacement);
            i = bad - carried;
        }
        m_carryLength = 0;
    }
    const char *data = bytes.data();
    const qsizetype size = bytes.size();
    while (i < size) {
        const uchar c = uchar(data[i]);
        if (plain[c]) {
            qsizetype end = i + 1;
            while (end < size && plain[uchar(data[end])])
                ++end;
            const qsizetype room = limit - out.size();
            if (end - i > room) { // cut: a run may end anywhere
                if (room <= 0 && out.size() > start)
                    return i;
                end = i + std::max<qsizetype>(1, room);
            }
            out.append(data + i, end - i);
            i = end;
            continue;
        }
        if (c < 0x80) {
            const char *escape = nullptr;
            switch (c) {
            case '"':
                escape = "\\\"";
                break;
            case '\\':
                escape = "\\\\";
                break;
            case '\n':
                escape = "\\n";
                break;
            case '\r':
                escape = "\\r";
                break;
            case '\t':
                escape = "\\t";
                break;
            }
            const qsizetype length = escape ? 2 : 6;
            if (!fits(length))
                return i;
            if (escape) {
                out.append(escape, 2);
            } else {
                static const char hex[] = "0123456789abcdef";
                const char escaped[] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
                out.append(escaped, 6);
            }
            ++i;
            continue;
        }
        int bad = 0;
        const int length = characterAt(bytes, i, &bad);
        if (length < 0) {
            // Cut off by the end of this read: waits for the rest (at most 3 bytes).
            m_carryLength = int(size - i);
            memcpy(m_carry, data + i, size_t(m_carryLength));
            return size;
        }
        if (!fits(length > 0 ? length : 3))
            return i;
        if (length > 0) {
            out.append(data + i, length);
            i += length;
        } else {
            out.append(Replacement);
            i += bad;
        }
    }
    return size;
}

QByteArray Utf8Text::flush()
{
    if (m_carryLength == 0)
        return {};
    m_carryLength = 0;
    return QByteArray(Replacement); // one incomplete character: one replacement
}

namespace Cast {

void appendJsonString(QByteArray &out, QByteArrayView utf8)
{
    static const char hex[] = "0123456789abcdef";
    out.append('"');
    qsizetype run = 0; // start of the bytes copied as they are
    for (qsizetype i = 0; i < utf8.size(); ++i) {
        const uchar c = uchar(utf8[i]);
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        out.append(utf8.sliced(run, i - run));
        run = i + 1;
        switch (c) {
        case '"':
            out.append("\\\"");
            break;
        case '\\':
            out.append("\\\\");
            break;
        case '\n':
            out.append("\\n");
            break;
        case '\r':
            out.append("\\r");
            break;
        case '\t':
            out.append("\\t");
            break;
        default: {
            const char escaped[] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            out.append(escaped, 6);
        }
        }
    }
    out.append(utf8.sliced(run));
    out.append('"');
}

QByteArray header(int width, int height, qint64 timestamp, const QString &title)
{
    QByteArray out = "{\"version\": 2, \"width\": " + QByteArray::number(width)
        + ", \"height\": " + QByteArray::number(height)
        + ", \"timestamp\": " + QByteArray::number(timestamp) + ", \"title\": ";
    appendJsonString(out, title.toUtf8());
    out.append("}\n");
    return out;
}

QByteArray event(double seconds, char code, QByteArrayView utf8)
{
    char time[32];
    const int length = std::snprintf(time, sizeof time, "[%.6f, \"%c\", ", seconds, code);
    QByteArray out;
    out.reserve(length + utf8.size() + utf8.size() / 8 + 8);
    out.append(time, length);
    appendJsonString(out, utf8);
    out.append("]\n");
    return out;
}

} // namespace Cast

void CastReader::feed(QByteArrayView bytes, const Sink &sink)
{
    qsizetype at = 0;
    while (at < bytes.size()) {
        const qsizetype newline = bytes.indexOf('\n', at);
        const qsizetype end = newline < 0 ? bytes.size() : newline;
        if (!m_skipping) {
            if (m_line.size() + (end - at) > MaxLine) {
                bad(QStringLiteral("a line longer than %1 bytes").arg(MaxLine));
                m_line.clear();
                m_skipping = true;
            } else {
                m_line.append(bytes.sliced(at, end - at));
            }
        }
        if (newline < 0)
            break;
        if (!m_skipping)
            line(m_line, sink);
        m_line.clear();
        m_skipping = false;
        at = newline + 1;
    }
}

void CastReader::finish()
{
    if (!m_line.isEmpty() || m_skipping)
        m_cutOff = true;
    m_line.clear();
    m_skipping = false;
}

void CastReader::bad(const QString &why)
{
    ++m_malformed;
    if (m_firstError.isEmpty())
        m_firstError = why;
}

void CastReader::line(QByteArrayView text, const Sink &sink)
{
    if (text.trimmed().isEmpty())
        return; // a player skips blank lines too
    QJsonParseError error {};
    const QJsonDocument document = QJsonDocument::fromJson(text.toByteArray(), &error);
    if (!m_headerSeen) {
        m_headerSeen = true;
        const QJsonObject object = document.object();
        if (error.error != QJsonParseError::NoError || !document.isObject()
            || object.value(QLatin1String("version")).toInt() != 2) {
            bad(QStringLiteral("the first line is not an asciicast v2 header"));
            return;
        }
        Header header;
        header.version = 2;
        header.width = object.value(QLatin1String("width")).toInt();
        header.height = object.value(QLatin1String("height")).toInt();
        // Seconds since the epoch; a value no clock gives (negative, or past the year 33658)
        // is none, not a conversion out of range.
        const double timestamp = object.value(QLatin1String("timestamp")).toDouble();
        header.timestamp = timestamp >= 0 && timestamp < 1e12 ? qint64(timestamp) : 0;
        header.title = object.value(QLatin1String("title")).toString();
        m_header = header;
        return;
    }
    const QJsonArray array = document.array();
    if (error.error != QJsonParseError::NoError || !document.isArray() || array.size() != 3
        || !array.at(0).isDouble() || !array.at(1).isString() || !array.at(2).isString()) {
        bad(QStringLiteral("a line that is not an event [time, code, data]"));
        return;
    }
    Event event;
    event.time = array.at(0).toDouble();
    event.code = array.at(1).toString();
    event.data = array.at(2).toString();
    event.line = text.toByteArray();
    ++m_events;
    if (sink)
        sink(event);
}

QByteArray withoutInput(QByteArrayView cast)
{
    QByteArray events;
    CastReader reader;
    const QLatin1String prefix(Cast::InputMarkerPrefix);
    reader.feed(cast, [&events, prefix](const CastReader::Event &event) {
        if (event.code == QLatin1String("i"))
            return;
        if (event.code == QLatin1String("m") && event.data.startsWith(prefix))
            return;
        events.append(event.line);
        events.append('\n');
    });
    if (!reader.header())
        return {};
    // The header as it is: the first line that is not blank, as the reader took it.
    qsizetype start = 0;
    while (start < cast.size()) {
        const qsizetype end = cast.indexOf('\n', start);
        const qsizetype stop = end < 0 ? cast.size() : end;
        if (!cast.sliced(start, stop - start).trimmed().isEmpty())
            return cast.sliced(start, stop - start).toByteArray() + '\n' + events;
        start = stop + 1;
    }
    return {};
}

} // namespace CloudConsole
