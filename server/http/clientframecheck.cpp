#include "clientframecheck.h"

#include <algorithm>

namespace CloudConsole {

ClientFrameCheck::Verdict ClientFrameCheck::feed(QByteArrayView bytes)
{
    qsizetype i = 0;
    while (i < bytes.size() && m_verdict == Verdict::Fine) {
        const auto byte = quint8(bytes[i]);
        switch (m_state) {
        case State::First: // FIN, reserved bits, opcode: QWebSocket's to judge
            m_state = State::Second;
            ++i;
            break;
        case State::Second: {
            if ((byte & 0x80) == 0) {
                m_verdict = Verdict::Unmasked;
                break;
            }
            const int length = byte & 0x7f;
            m_length = length < 126 ? quint64(length) : 0;
            m_lengthBytesLeft = length == 126 ? 2 : length == 127 ? 8 : 0;
            m_maskBytesLeft = 4;
            m_state = m_lengthBytesLeft > 0 ? State::Length : State::MaskKey;
            ++i;
            break;
        }
        case State::Length:
            // Eight bytes make at most 2^64-1; QWebSocket refuses what is over its own limit.
            m_length = (m_length << 8) | byte;
            if (--m_lengthBytesLeft == 0)
                m_state = State::MaskKey;
            ++i;
            break;
        case State::MaskKey:
            ++i;
            if (--m_maskBytesLeft == 0) {
                ++m_frames;
                m_payloadLeft = m_length;
                m_state = m_payloadLeft > 0 ? State::Payload : State::First;
            }
            break;
        case State::Payload: {
            const quint64 skip = std::min<quint64>(m_payloadLeft, quint64(bytes.size() - i));
            i += qsizetype(skip);
            m_payloadLeft -= skip;
            if (m_payloadLeft == 0)
                m_state = State::First;
            break;
        }
        }
    }
    return m_verdict;
}

} // namespace CloudConsole
