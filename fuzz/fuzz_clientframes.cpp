// Fuzzes ClientFrameCheck, which reads the header of every frame a WebSocket client sends before
// QWebSocket does (a stream straight from the network).
//
// Properties, beyond not crashing:
// - the stream fed in pieces gives the verdict and the frame count the whole stream gives, since
//   a socket may cut it anywhere;
// - a frame count never exceeds what the bytes can hold (a header is at least 6 bytes);
// - Unmasked stays Unmasked: bytes after it change nothing.

#include "clientframecheck.h"
#include "fuzzcheck.h"

using CloudConsole::ClientFrameCheck;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QByteArrayView input(data, qsizetype(size));
    ClientFrameCheck whole;
    const ClientFrameCheck::Verdict verdict = whole.feed(input);

    ClientFrameCheck split;
    for (const QByteArrayView piece : CloudConsole::Fuzz::pieces(input))
        split.feed(piece);
    FUZZ_CHECK(split.verdict() == verdict, "pieces gave another verdict");
    FUZZ_CHECK(split.frames() == whole.frames(),
               "pieces gave" << split.frames() << "frames, the whole" << whole.frames());
    FUZZ_CHECK(whole.frames() <= input.size() / 6, whole.frames() << "frames in" << input.size());

    if (verdict == ClientFrameCheck::Verdict::Unmasked) {
        const qint64 frames = whole.frames();
        whole.feed(input);
        FUZZ_CHECK(whole.verdict() == ClientFrameCheck::Verdict::Unmasked, "Unmasked was undone");
        FUZZ_CHECK(whole.frames() == frames, "frames counted after Unmasked");
    }
    return 0;
}
