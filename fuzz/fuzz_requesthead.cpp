// Fuzzes RequestHeadReader, the first code that reads what a network client sends: every
// connection's request head goes through it before anything else decides about the request.
//
// Properties, beyond not crashing:
// - the input fed in pieces gives what the whole input gives (status, head, size, error), since
//   TCP may cut a head anywhere;
// - a complete head ends with its blank line, within MaxHeadSize of the request line, and the
//   bytes up to that line alone give the same head (the reader never needs what follows);
// - a refused head leaves nothing behind, and says why;
// - the canonical bytes (what HttpFrontend hands to Qt's WebSocket handshake) read back as the
//   same head, and are their own canonical form.

#include "fuzzcheck.h"
#include "requesthead.h"

using CloudConsole::RequestHead;
using CloudConsole::RequestHeadReader;
using Status = RequestHeadReader::Status;

namespace {

struct Outcome
{
    Status status = Status::NeedMore;
    RequestHead head;
    qsizetype headSize = 0;
    QString error;
};

Outcome read(const QList<QByteArrayView> &pieces)
{
    RequestHeadReader reader;
    for (const QByteArrayView piece : pieces)
        reader.feed(piece);
    return {reader.status(), reader.head(), reader.headSize(), reader.error()};
}

bool sameHead(const RequestHead &a, const RequestHead &b)
{
    return a.method == b.method && a.target == b.target && a.version == b.version
        && a.fields == b.fields;
}

bool sameOutcome(const Outcome &a, const Outcome &b)
{
    return a.status == b.status && sameHead(a.head, b.head) && a.headSize == b.headSize
        && a.error == b.error;
}

// The empty lines a client may send before its request line, which the reader skips.
qsizetype leadingBlankBytes(QByteArrayView input)
{
    qsizetype n = 0;
    while (n < input.size() && (input[n] == '\r' || input[n] == '\n'))
        ++n;
    return n;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QByteArrayView input(data, qsizetype(size));
    const Outcome whole = read({input});
    const Outcome split = read(CloudConsole::Fuzz::pieces(input));
    FUZZ_CHECK(sameOutcome(whole, split),
               "whole" << int(whole.status) << whole.error << "split" << int(split.status)
                       << split.error);

    switch (whole.status) {
    case Status::NeedMore:
        FUZZ_CHECK(input.size() <= leadingBlankBytes(input) + RequestHeadReader::MaxHeadSize,
                   "still waiting after" << input.size() << "bytes");
        return 0;
    case Status::Malformed:
    case Status::TooLarge:
        FUZZ_CHECK(!whole.error.isEmpty(), "a refusal without a reason");
        FUZZ_CHECK(whole.head.method.isEmpty() && whole.head.fields.isEmpty(),
                   "a refused head kept" << whole.head.method << whole.head.fields.size()
                                         << "fields");
        return 0;
    case Status::Complete:
        break;
    }

    FUZZ_CHECK(whole.headSize > 0 && whole.headSize <= input.size()
                   && input[whole.headSize - 1] == '\n',
               "head size" << whole.headSize << "of" << input.size());
    FUZZ_CHECK(whole.headSize - leadingBlankBytes(input) <= RequestHeadReader::MaxHeadSize,
               "a head of" << whole.headSize << "bytes was accepted");
    const Outcome exact = read({input.first(whole.headSize)});
    FUZZ_CHECK(sameOutcome(whole, exact),
               "the head alone reads differently:" << int(exact.status) << exact.error);
    FUZZ_CHECK(!whole.head.method.isEmpty() && whole.head.target.startsWith('/')
                   && (whole.head.version == "HTTP/1.1" || whole.head.version == "HTTP/1.0"),
               whole.head.method << whole.head.target << whole.head.version);

    // The canonical form adds a CR per line and a space per field, so a head near the limit may
    // outgrow it; Qt's handshake reader, which gets these bytes, has limits of its own.
    const QByteArray canonical = whole.head.toCanonicalBytes();
    if (canonical.size() > RequestHeadReader::MaxHeadSize)
        return 0;
    const Outcome again = read({canonical});
    FUZZ_CHECK(again.status == Status::Complete && sameHead(again.head, whole.head)
                   && again.headSize == canonical.size(),
               "canonical bytes" << canonical << "read as" << int(again.status) << again.error);
    FUZZ_CHECK(again.head.toCanonicalBytes() == canonical, "canonical form is not a fixpoint");
    return 0;
}
