#pragma once

// Reads the server's WebSocket frames off the bytes of a raw socket, for tests that speak the
// protocol by hand (to stall, to not answer pings, to watch every frame). Server frames are
// never masked; lengths of 16 and 64 bits are read.

#include <QByteArray>

#include <optional>

namespace CloudConsole::Test {

struct RawFrame
{
    int opcode = 0;
    QByteArray payload;
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
