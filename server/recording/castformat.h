#pragma once

// The asciicast v2 format (asciinema's), as cloud-console writes and reads it: a header line, a
// JSON object, then one event per line, [seconds, "code", "data"], each line complete in itself, so
// a file cut off anywhere plays up to its last complete line.
//
// Utf8Text turns a console's bytes into the valid UTF-8 an event's string must be: a byte that
// cannot start or continue a character becomes U+FFFD, one each; a character split across reads
// waits (at most 3 bytes) for its end instead of becoming two replacement characters; a recorder
// checks and escapes in one pass (appendEscaped), cut where a file must end.
// CastReader reads a file back, in pieces of any size (a decoder of bytes that may be cut off or
// damaged: fuzzed), and withoutInput() is what a viewer is given: the file without the typed
// input and the markers that say who typed it.
//
// It owns no file and knows nothing of consoles or threads.

#include <QByteArray>
#include <QByteArrayView>
#include <QString>

#include <functional>
#include <optional>

namespace CloudConsole {

class Utf8Text
{
public:
    // bytes as valid UTF-8; an incomplete character at the end is kept for the next call.
    QByteArray decode(QByteArrayView bytes);
    // What is kept, as replacement characters (the stream ended in the middle of a character).
    QByteArray flush();
    // decode() and Cast::appendJsonString() in one pass, without the quotes, appended to out:
    // what a recorder writes. Stops at a character before the one that would take out past
    // limit bytes, but always takes one at least; returns how many bytes of `bytes` it took (an
    // incomplete character at the end is taken, and kept for the next call).
    qsizetype appendEscaped(QByteArray &out, QByteArrayView bytes, qsizetype limit);
    bool hasCarry() const { return m_carryLength > 0; }

private:
    char m_carry[4] = {};
    int m_carryLength = 0;
};

namespace Cast {

// The marker that attributes the input event after it: "input by NAME (ROLE) from ADDRESS".
inline constexpr char InputMarkerPrefix[] = "input by ";

// {"version": 2, "width", "height", "timestamp", "title"} and a newline.
QByteArray header(int width, int height, qint64 timestamp, const QString &title);
// [seconds, "code", "data"] and a newline; data must be valid UTF-8 (Utf8Text's).
QByteArray event(double seconds, char code, QByteArrayView utf8);
// data as a JSON string, quotes included; data must be valid UTF-8.
void appendJsonString(QByteArray &out, QByteArrayView utf8);

} // namespace Cast

class CastReader
{
public:
    // A line longer than this is damage, not an event: skipped to its end.
    static constexpr qsizetype MaxLine = 4 * 1024 * 1024;

    struct Header
    {
        int version = 0;
        int width = 0;
        int height = 0;
        qint64 timestamp = 0;
        QString title;
    };
    struct Event
    {
        double time = 0;
        QString code; // "o", "i", "r", "m", or another a player ignores
        QString data;
        QByteArray line; // as it is in the file, without its newline
    };
    using Sink = std::function<void(const Event &event)>;

    // Bytes of the file in order, in pieces of any size.
    void feed(QByteArrayView bytes, const Sink &sink);
    // The file ended: a last line without its newline is counted as cut off, not read.
    void finish();

    const std::optional<Header> &header() const { return m_header; }
    qsizetype events() const { return m_events; }
    qsizetype malformed() const { return m_malformed; } // lines that are not events, skipped
    bool cutOff() const { return m_cutOff; } // the last line had no end
    QString firstError() const { return m_firstError; }

private:
    void line(QByteArrayView text, const Sink &sink);
    void bad(const QString &why);

    QByteArray m_line;
    bool m_skipping = false; // a line past MaxLine: dropped up to its end
    std::optional<Header> m_header;
    bool m_headerSeen = false;
    qsizetype m_events = 0;
    qsizetype m_malformed = 0;
    bool m_cutOff = false;
    QString m_firstError;
};

// A recording for a viewer: the header and every event but input ("i") and the markers that
// attribute it; a last line without its end, and lines that are not events, are left out.
QByteArray withoutInput(QByteArrayView cast);

} // namespace CloudConsole
