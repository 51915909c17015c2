#pragma once

// The bytes the soak writes into the console and types into it, in a form any reader can check
// on its own, a line at a time.
//
// Output is one line per frame: "#", the frame's sequence number in 12 hex digits, " ", a
// payload, " ", the CRC-32 of everything before it in 8 hex digits, "\r\n". A data frame's
// payload ("D...") is made from its sequence number alone; an echo frame's ("E" and the key's
// number, padded) answers a keystroke record. A frame's length depends on its number alone, so
// the bytes behind a gap can be counted exactly, whatever kind of frame was lost.
//
// Input is keystroke records of 16 bytes: "K", the key's number in 13 hex digits, "\r\n".
//
// FrameOracle knows every frame: data frames by computation, echo frames because the feeder
// registers each one before writing it. The feeder's thread writes to it and the readers on the
// main thread ask it, so its echo table is behind a mutex. It knows nothing about ptys, logs or
// sockets.

#include <QByteArray>
#include <QHash>
#include <QMutex>

#include <optional>

namespace Soak {

quint32 crc32(QByteArrayView data);

class FrameOracle
{
public:
    static constexpr int HeaderSize = 14; // "#" + 12 hex digits + " "
    static constexpr int TrailerSize = 11; // " " + 8 hex digits + "\r\n"
    static constexpr int MinPayload = 24;
    static constexpr int PayloadSpread = 96; // payloads are 24 to 119 bytes

    static int payloadLength(quint64 seq);
    static int frameLength(quint64 seq) { return HeaderSize + payloadLength(seq) + TrailerSize; }
    // Sum of frameLength() over [from, to).
    static qint64 bytesBetween(quint64 from, quint64 to);
    static QByteArray dataFrame(quint64 seq);
    static QByteArray echoFrame(quint64 seq, quint64 key);
    // The sequence number a line claims, if it starts like a frame; says nothing of the rest.
    static std::optional<quint64> sequenceOf(QByteArrayView line);
    // The key an echo frame answers, if the line is one (unchecked otherwise).
    static std::optional<quint64> echoedKey(QByteArrayView line);

    // Called by the feeder before it writes the echo frame `seq`.
    void registerEcho(quint64 seq, quint64 key);
    // The exact bytes of frame `seq`.
    QByteArray frame(quint64 seq) const;

private:
    mutable QMutex m_mutex;
    QHash<quint64, quint64> m_echoes; // frame number -> key
};

namespace Keys {
inline constexpr int RecordSize = 16;
QByteArray record(quint64 key);
// Parses a record at the start of data; nullopt if the bytes are not one.
std::optional<quint64> parse(QByteArrayView data);
} // namespace Keys

} // namespace Soak
