#pragma once

// WebSocket by hand, for tests that speak the protocol on a raw socket (to stall, to not answer
// pings, to send what QWebSocket never would, to watch every frame): the upgrade request, client
// frames, and the server's frames read off the bytes received. Server frames are never masked;
// lengths of 16 and 64 bits are read.

#include "protocol.h"

#include <QByteArray>

#include <optional>

namespace CloudConsole::Test {

// The header that asks for protocol v1, for upgradeRequest's extra headers.
inline QByteArray v1Subprotocol()
{
    return QByteArray("Sec-WebSocket-Protocol: ") + Protocol::Subprotocol + "\r\n";
}

// A valid WebSocket upgrade of target (with its query), plus extra header lines (each ending in
// CRLF), by method.
inline QByteArray upgradeRequest(const QByteArray &target, const QByteArray &extra = {},
                                 const QByteArray &method = "GET")
{
    return method + ' ' + target
        + " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
          "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
        + extra + "\r\n";
}

// A client-to-server frame, masked as RFC 6455 requires of clients, or not (which the server
// must refuse). Payloads up to 64 KiB.
inline QByteArray clientFrame(int opcode, const QByteArray &payload, bool masked = true)
{
    QByteArray frame;
    frame += char(0x80 | opcode);
    const char maskBit = masked ? char(0x80) : char(0);
    if (payload.size() < 126) {
        frame += char(maskBit | char(payload.size()));
    } else {
        frame += char(maskBit | 126);
        frame += char(payload.size() >> 8);
        frame += char(payload.size() & 0xff);
    }
    if (!masked)
        return frame + payload;
    const char key[4] = {0x12, 0x34, 0x56, 0x78};
    frame.append(key, 4);
    for (qsizetype i = 0; i < payload.size(); ++i)
        frame += char(payload[i] ^ key[i % 4]);
    return frame;
}

// Takes the server's answer to an upgrade off the front of buffer: false while it is incomplete.
inline bool takeHandshake(QByteArray &buffer)
{
    const qsizetype end = buffer.indexOf("\r\n\r\n");
    if (end < 0)
        return false;
    buffer.remove(0, end + 4);
    return true;
}

struct RawFrame
{
    int opcode = 0;
    QByteArray payload;

    // A close frame's code, if its payload has one.
    std::optional<int> closeCode() const
    {
        if (payload.size() < 2)
            return std::nullopt;
        return (quint8(payload[0]) << 8) | quint8(payload[1]);
    }
};

// Takes the first complete frame off the front of buffer, or nothing while it is incomplete.
inline std::optional<RawFrame> takeServerFrame(QByteArray &buffer)
{
    if (buffer.size() < 2)
        return std::nullopt;
    qint64 length = buffer[1] & 0x7f;
    qsizetype header = 2;
    if (length == 126) {
        if (buffer.size() < 4)
            return std::nullopt;
        length = (quint8(buffer[2]) << 8) | quint8(buffer[3]);
        header = 4;
    } else if (length == 127) {
        if (buffer.size() < 10)
            return std::nullopt;
        length = 0;
        for (int i = 2; i < 10; ++i)
            length = (length << 8) | quint8(buffer[i]);
        header = 10;
    }
    if (buffer.size() < header + length)
        return std::nullopt;
    RawFrame frame {buffer[0] & 0x0f, buffer.mid(header, length)};
    buffer.remove(0, header + length);
    return frame;
}

} // namespace CloudConsole::Test
