#pragma once

// ScreenSerializer writes a TerminalModel's state as the bytes that draw it again: written into
// a new terminal (xterm.js, libvterm, xterm), they give the same scrollback, the same screen
// with its colours, attributes and wide characters, the same active buffer, cursor, title and
// modes. It is how the server hands a client that attaches late a true screen (the "screen"
// message of protocol v1) instead of a replay of bytes that no longer draw it.
//
// A sequence the stream left half-written is carried as it came, last, so the bytes after the
// snapshot finish it. What it cannot carry: the primary screen's saved cursor while the
// alternate screen is active, a pending autowrap, tab stops, character sets other than UTF-8
// (none of which shows), and a string over VTermInputGuard::MaxHeld bytes cut by the snapshot.
// It reads the model and keeps nothing; it knows nothing about sockets or the protocol.

#include <QByteArray>

namespace CloudConsole::Terminal {

class TerminalModel;

class ScreenSerializer
{
public:
    // The model's whole state as terminal output, starting with a hard reset (RIS).
    static QByteArray serialize(const TerminalModel &model);
};

} // namespace CloudConsole::Terminal
