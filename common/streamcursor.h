#pragma once

// StreamCursor follows one client's position in a console's output across reconnects.
//
// It turns the server's hello, gap and binary frames into "bytes to show" and "bytes skipped",
// so that a resumed connection shows nothing twice and every lost byte is counted. It owns no
// socket and knows nothing about WebSockets; the viewer, the tests and the benchmarks feed it.

#include "protocol.h"

#include <QByteArrayView>

#include <optional>

namespace CloudConsole {

class StreamCursor
{
public:
    struct HelloResult
    {
        bool restarted = false; // the server's epoch changed: its offsets started again
        qint64 skipped = 0; // bytes between our position and the hello offset
    };

    // The offset to ask for (?offset=) when reconnecting; nullopt before the first hello.
    std::optional<qint64> resumeOffset() const;
    // The epoch the offsets belong to; empty before the first hello.
    QString epoch() const { return m_epoch; }
    // One past the last byte delivered to the application.
    qint64 position() const { return m_position; }

    HelloResult acceptHello(const Protocol::Hello &hello);
    // Returns the bytes skipped by the gap that this cursor had not already counted.
    qint64 acceptGap(const Protocol::Gap &gap);
    // A screen replaces everything shown so far: the output goes on from its offset, which may
    // be behind or ahead of the position.
    void acceptScreen(const Protocol::Screen &screen);
    // Returns the part of an output frame that is new; frames the server replays twice (they
    // overlap what was already delivered) are trimmed.
    QByteArrayView acceptData(QByteArrayView frame);

private:
    bool m_started = false;
    QString m_epoch;
    qint64 m_next = 0; // offset of the first byte of the next output frame
    qint64 m_position = 0; // one past the last byte delivered
};

} // namespace CloudConsole
