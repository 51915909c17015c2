// Fuzzes the terminal model (libvterm 0.1.4 behind VTermInputGuard, and the ModeTracker), which
// reads everything a guest prints: on the server it is fed every console byte, so no byte
// sequence may crash it or hold it up.
//
// Properties, beyond not crashing (any input): for streams of valid UTF-8, a snapshot written
// into a new model of the same size draws a terminal whose snapshot is the same again: nothing
// that the snapshot carries is lost or changed on the way.
//
// Left out, as found here (garbage either way): libvterm 0.1.4 shows a run of invalid bytes as
// a number of U+FFFD that depends on where writes cut it, and UTF-8 inside a malformed control
// sequence likewise; so the stream fed in pieces is fed here, but not compared with it whole.

#include "fuzzcheck.h"
#include "screenserializer.h"
#include "terminalmodel.h"

using CloudConsole::Terminal::ScreenSerializer;
using CloudConsole::Terminal::TerminalModel;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QByteArrayView input(data, qsizetype(size));
    // A small screen and scrollback, so that scrolling and wrapping happen within a short input.
    const QSize grid(20, 5);
    TerminalModel whole(grid);
    whole.setScrollbackCapacity(10);
    whole.write(input);

    TerminalModel split(grid);
    split.setScrollbackCapacity(10);
    for (const QByteArrayView piece : CloudConsole::Fuzz::pieces(input))
        split.write(piece);

    const QByteArray snapshot = ScreenSerializer::serialize(whole);
    if (!input.isValidUtf8())
        return 0;

    TerminalModel copy(grid);
    copy.setScrollbackCapacity(10);
    copy.write(snapshot);
    FUZZ_CHECK(ScreenSerializer::serialize(copy) == snapshot,
               "snapshot:" << snapshot << "of its copy:" << ScreenSerializer::serialize(copy));
    return 0;
}
