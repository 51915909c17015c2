#pragma once

// ClientFrameCheck follows the frames a WebSocket client sends, header by header, for what
// Qt 6.4's QWebSocket lets through although RFC 6455 forbids it: a client frame without a mask
// (section 5.1: the server must close the connection). Everything else about a frame (opcodes,
// reserved bits, sizes) QWebSocket checks itself.
//
// It takes the stream in pieces of any size, keeps only the state of the header it is in, and
// skips payloads without looking at them. It knows nothing of sockets.

#include <QByteArrayView>
#include <QtGlobal>

namespace CloudConsole {

class ClientFrameCheck
{
public:
    enum class Verdict { Fine, Unmasked };

    // Once Unmasked, it stays so.
    Verdict feed(QByteArrayView bytes);
    Verdict verdict() const { return m_verdict; }
    // Frames whose header has been read whole.
    qint64 frames() const { return m_frames; }

private:
    enum class State { First, Second, Length, MaskKey, Payload };

    State m_state = State::First;
    Verdict m_verdict = Verdict::Fine;
    int m_lengthBytesLeft = 0;
    int m_maskBytesLeft = 0;
    quint64 m_length = 0;
    quint64 m_payloadLeft = 0;
    qint64 m_frames = 0;
};

} // namespace CloudConsole
