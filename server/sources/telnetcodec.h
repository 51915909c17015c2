#pragma once

// TelnetCodec is the telnet (RFC 854/855) layer of a console client: it turns the byte stream
// a telnet server (QEMU's `-serial telnet:`, a terminal server) sends into console data plus the
// negotiation replies owed to the server, and turns console input into telnet data.
//
// Decoding is a byte-at-a-time state machine, so input may be split at any byte boundary.
// Negotiation follows what a console needs: the server may ECHO and SUPPRESS-GO-AHEAD, BINARY is
// agreed in both directions, everything else is refused. A request for a state already in effect
// is not answered (RFC 854's rule against acknowledgement loops), a refusal is sent once per
// option, and an option that keeps flipping is left alone after a few changes. Subnegotiations
// are read to their end, bounded, and ignored: no option that uses them is ever agreed.
//
// It owns no I/O and knows nothing about sockets; reset() starts a new connection.

#include <QByteArray>
#include <QByteArrayView>

#include <bitset>

namespace CloudConsole {

class TelnetCodec
{
public:
    // Commands (RFC 854).
    enum Command : uchar {
        SE = 240,
        NOP = 241,
        DM = 242,
        BRK = 243,
        IP = 244,
        AO = 245,
        AYT = 246,
        EC = 247,
        EL = 248,
        GA = 249,
        SB = 250,
        WILL = 251,
        WONT = 252,
        DO = 253,
        DONT = 254,
        IAC = 255,
    };
    // The options this codec agrees to (RFC 856, 857, 858); every other one is refused.
    enum Option : uchar {
        Binary = 0,
        Echo = 1,
        SuppressGoAhead = 3,
    };

    // A subnegotiation longer than this is dropped whole; its end is still looked for.
    static constexpr qsizetype MaxSubnegotiation = 512;
    // After this many acknowledged changes of one option, requests for it go unanswered, so a
    // peer that answers every acknowledgement with the opposite request cannot keep us busy.
    static constexpr int MaxChangesPerOption = 8;

    struct Decoded
    {
        QByteArray data; // console output, telnet escaping and CR NUL undone
        QByteArray replies; // negotiation answers to send to the peer, in order
    };

    // Decodes the next piece of the stream.
    Decoded feed(QByteArrayView input);
    // The same, appending to out (no allocation per call when out is reused).
    void feed(QByteArrayView input, Decoded &out);

    // Telnet data for input: 0xFF doubled, CR sent as CR NUL unless we agreed to send BINARY.
    QByteArray encode(QByteArrayView input) const;
    // Encodes the longest prefix of input whose encoding fits in maxOutput bytes, appends it to
    // out and returns how many input bytes it took (for a bounded write queue).
    qsizetype encodeInto(QByteArrayView input, qsizetype maxOutput, QByteArray &out) const;

    // IAC BRK: the telnet BREAK.
    static QByteArray breakSequence();

    // Whether the peer has agreed to do option (WILL acknowledged), or we have (DO acknowledged).
    bool peerDoes(uchar option) const { return m_peer.test(option); }
    bool weDo(uchar option) const { return m_local.test(option); }

    // How many subnegotiations were dropped for being longer than MaxSubnegotiation.
    int oversizedSubnegotiations() const { return m_oversized; }

    // Forgets all state, for a new connection.
    void reset() { *this = TelnetCodec(); }

private:
    enum class State : uchar {
        Data,
        Iac, // IAC seen
        Verb, // IAC WILL/WONT/DO/DONT seen, the option byte is next
        SbOption, // IAC SB seen, the option byte is next
        Sb, // inside a subnegotiation
        SbIac, // IAC seen inside a subnegotiation
    };

    void command(uchar byte, Decoded &out);
    void negotiate(uchar verb, uchar option, QByteArray &replies);
    void dataByte(char byte, QByteArray &data);
    static bool acceptsFromPeer(uchar option);
    static bool acceptsForUs(uchar option);
    static void reply(QByteArray &replies, uchar verb, uchar option);

    State m_state = State::Data;
    uchar m_verb = 0;
    bool m_afterCr = false;
    qsizetype m_sbLength = 0;
    bool m_sbOversized = false;
    int m_oversized = 0;
    std::bitset<256> m_peer; // the peer does the option (we said DO)
    std::bitset<256> m_local; // we do the option (we said WILL)
    std::bitset<256> m_refusedPeer; // DONT already sent once for a refused option
    std::bitset<256> m_refusedLocal; // WONT already sent once for a refused option
    uchar m_peerChanges[256] = {};
    uchar m_localChanges[256] = {};
};

} // namespace CloudConsole
