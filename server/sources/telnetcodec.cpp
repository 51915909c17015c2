#include "telnetcodec.h"

#include <algorithm>

namespace CloudConsole {

namespace {

constexpr char CR = '\r';

} // namespace

TelnetCodec::Decoded TelnetCodec::feed(QByteArrayView input)
{
    Decoded out;
    feed(input, out);
    return out;
}

void TelnetCodec::feed(QByteArrayView input, Decoded &out)
{
    out.data.reserve(out.data.size() + input.size());
    for (const char c : input) {
        const auto byte = uchar(c);
        switch (m_state) {
        case State::Data:
            if (byte == IAC)
                m_state = State::Iac;
            else
                dataByte(c, out.data);
            break;
        case State::Iac:
            command(byte, out);
            break;
        case State::Verb:
            m_state = State::Data;
            negotiate(m_verb, byte, out.replies);
            break;
        case State::SbOption:
            // The option being subnegotiated; none is ever agreed, so it only starts the count.
            m_sbLength = 0;
            m_sbOversized = false;
            m_state = State::Sb;
            break;
        case State::Sb:
        case State::SbIac:
            if (m_state == State::Sb && byte == IAC) {
                m_state = State::SbIac;
                break;
            }
            if (m_state == State::SbIac && byte != IAC) {
                if (byte == SE) {
                    m_state = State::Data;
                } else {
                    // IAC and a command inside a subnegotiation: the peer forgot IAC SE. Drop
                    // what came so far and take the command, so the stream resynchronises.
                    command(byte, out);
                }
                break;
            }
            // A content byte (IAC IAC counts as one); only its length is kept.
            m_state = State::Sb;
            if (++m_sbLength > MaxSubnegotiation && !m_sbOversized) {
                m_sbOversized = true;
                ++m_oversized;
            }
            break;
        }
    }
}

void TelnetCodec::command(uchar byte, Decoded &out)
{
    m_state = State::Data;
    switch (byte) {
    case IAC:
        dataByte(char(IAC), out.data);
        break;
    case WILL:
    case WONT:
    case DO:
    case DONT:
        m_verb = byte;
        m_state = State::Verb;
        break;
    case SB:
        m_state = State::SbOption;
        break;
    default:
        // NOP, GA, DM, BRK, IP, AO, AYT, EC, EL, a stray SE or an unknown byte: nothing for a
        // console viewer to do with them.
        break;
    }
}

void TelnetCodec::dataByte(char byte, QByteArray &data)
{
    if (m_peer.test(Binary)) {
        m_afterCr = false;
        data.append(byte);
        return;
    }
    // RFC 854: a bare CR travels as CR NUL; CR LF stays as it is.
    const bool afterCr = m_afterCr;
    m_afterCr = byte == CR;
    if (afterCr && byte == '\0')
        return;
    data.append(byte);
}

bool TelnetCodec::acceptsFromPeer(uchar option)
{
    return option == Binary || option == Echo || option == SuppressGoAhead;
}

bool TelnetCodec::acceptsForUs(uchar option)
{
    // We never send GA, so agreeing to suppress it is true; we never echo the console's output.
    return option == Binary || option == SuppressGoAhead;
}

void TelnetCodec::reply(QByteArray &replies, uchar verb, uchar option)
{
    replies.append(char(IAC));
    replies.append(char(verb));
    replies.append(char(option));
}

void TelnetCodec::negotiate(uchar verb, uchar option, QByteArray &replies)
{
    const bool aboutPeer = verb == WILL || verb == WONT;
    const bool enable = verb == WILL || verb == DO;
    std::bitset<256> &enabled = aboutPeer ? m_peer : m_local;
    std::bitset<256> &refused = aboutPeer ? m_refusedPeer : m_refusedLocal;
    uchar &changes = aboutPeer ? m_peerChanges[option] : m_localChanges[option];
    const uchar yes = aboutPeer ? DO : WILL;
    const uchar no = aboutPeer ? DONT : WONT;

    if (enabled.test(option) == enable)
        return; // already in effect: acknowledging again is what makes loops
    if (!enable) {
        // Turning an option off must always be accepted (RFC 854).
        enabled.reset(option);
        reply(replies, no, option);
        return;
    }
    const bool accepts = aboutPeer ? acceptsFromPeer(option) : acceptsForUs(option);
    if (!accepts) {
        if (!refused.test(option)) {
            refused.set(option);
            reply(replies, no, option);
        }
        return;
    }
    if (changes >= MaxChangesPerOption)
        return;
    ++changes;
    enabled.set(option);
    reply(replies, yes, option);
}

QByteArray TelnetCodec::encode(QByteArrayView input) const
{
    QByteArray out;
    encodeInto(input, 2 * input.size(), out);
    return out;
}

qsizetype TelnetCodec::encodeInto(QByteArrayView input, qsizetype maxOutput, QByteArray &out) const
{
    const bool binary = m_local.test(Binary);
    out.reserve(out.size() + std::min(maxOutput, 2 * input.size()));
    qsizetype used = 0;
    qsizetype taken = 0;
    for (const char c : input) {
        const bool iac = uchar(c) == IAC;
        const bool bareCr = c == CR && !binary;
        const qsizetype need = iac || bareCr ? 2 : 1;
        if (used + need > maxOutput)
            break;
        out.append(c);
        if (iac)
            out.append(char(IAC));
        else if (bareCr)
            out.append('\0');
        used += need;
        ++taken;
    }
    return taken;
}

QByteArray TelnetCodec::breakSequence()
{
    const char sequence[] = {char(IAC), char(BRK)};
    return QByteArray(sequence, sizeof sequence);
}

} // namespace CloudConsole
