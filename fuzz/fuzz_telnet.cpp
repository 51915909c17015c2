// Fuzzes TelnetCodec, which reads everything a telnet peer sends (QEMU's -serial telnet:, a
// terminal server on the network) before it becomes console output.
//
// Properties, beyond not crashing:
// - the stream fed in pieces gives the data and the replies the whole stream gives, since a
//   socket may cut it anywhere (the codec says it is a byte-at-a-time state machine);
// - output is bounded by input: telnet escaping only removes bytes, and a negotiation of three
//   bytes is answered with at most three;
// - after the input has negotiated whatever it did, console input encoded by this codec and
//   decoded by a peer in the matching state (BINARY or not) is the input again;
// - encodeInto() stops at the longest prefix that fits its bound.

#include "fuzzcheck.h"
#include "telnetcodec.h"

using CloudConsole::TelnetCodec;

namespace {

bool sameState(const TelnetCodec &a, const TelnetCodec &b)
{
    for (int option = 0; option < 256; ++option) {
        if (a.peerDoes(uchar(option)) != b.peerDoes(uchar(option))
            || a.weDo(uchar(option)) != b.weDo(uchar(option)))
            return false;
    }
    return a.oversizedSubnegotiations() == b.oversizedSubnegotiations();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QByteArrayView input(data, qsizetype(size));
    TelnetCodec whole;
    const TelnetCodec::Decoded all = whole.feed(input);

    TelnetCodec split;
    TelnetCodec::Decoded pieces;
    for (const QByteArrayView piece : CloudConsole::Fuzz::pieces(input))
        split.feed(piece, pieces);
    FUZZ_CHECK(pieces.data == all.data && pieces.replies == all.replies && sameState(split, whole),
               "split data" << pieces.data.size() << "replies" << pieces.replies << "whole data"
                            << all.data.size() << "replies" << all.replies);

    FUZZ_CHECK(all.data.size() + all.replies.size() <= input.size(),
               all.data.size() << "+" << all.replies.size() << "bytes out of" << input.size());
    FUZZ_CHECK(all.replies.size() % 3 == 0, "replies" << all.replies.toHex());
    for (qsizetype i = 0; i < all.replies.size(); i += 3) {
        const auto verb = uchar(all.replies[i + 1]);
        FUZZ_CHECK(uchar(all.replies[i]) == TelnetCodec::IAC && verb >= TelnetCodec::WILL
                       && verb <= TelnetCodec::DONT,
                   "a reply that is not IAC VERB OPTION:" << all.replies.toHex());
    }
    // Only the options the codec agrees to can be in effect.
    for (int option = 0; option < 256; ++option) {
        const bool mayPeer = option == TelnetCodec::Binary || option == TelnetCodec::Echo
            || option == TelnetCodec::SuppressGoAhead;
        const bool mayUs = option == TelnetCodec::Binary || option == TelnetCodec::SuppressGoAhead;
        FUZZ_CHECK((mayPeer || !whole.peerDoes(uchar(option)))
                       && (mayUs || !whole.weDo(uchar(option))),
                   "option" << option << "is in effect");
    }

    // The same bytes typed as console input, through this codec to a peer that agreed to what
    // this codec agreed to: the peer decodes what was typed.
    TelnetCodec peer;
    if (whole.weDo(TelnetCodec::Binary)) {
        const char will[]
            = {char(TelnetCodec::IAC), char(TelnetCodec::WILL), char(TelnetCodec::Binary)};
        peer.feed(QByteArrayView(will, sizeof will));
    }
    const QByteArray encoded = whole.encode(input);
    FUZZ_CHECK(peer.feed(encoded).data == input, "typed bytes do not survive the encoding");

    // A bounded encoding takes the longest prefix whose encoding fits, and nothing beyond.
    const qsizetype bound
        = size == 0 ? 0 : (qsizetype(data[0]) << 8 | data[size - 1]) % (encoded.size() + 1);
    QByteArray bounded;
    const qsizetype taken = whole.encodeInto(input, bound, bounded);
    FUZZ_CHECK(
        bounded.size() <= bound && bounded == whole.encode(input.first(taken))
            && (taken == input.size() || whole.encode(input.first(taken + 1)).size() > bound),
        "bound" << bound << "took" << taken << "bytes into" << bounded.size());
    return 0;
}
