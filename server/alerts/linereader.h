#pragma once

// LineReader turns a console's output into the text lines that alert rules match: terminal
// escape sequences (CSI, OSC, DCS and the other strings, two- and three-byte ESC sequences) and
// C0 controls other than tab are dropped, and CR LF, a bare LF and a bare CR each end a line.
// Bytes come in pieces of any size; a line comes out the same whatever the pieces, since the
// reader never waits to see the next byte (a CR ends the line at once, and an LF right after it
// ends nothing more).
//
// A line is at most MaxLine bytes: a longer one is cut there, comes out marked truncated, and the
// rest of it, up to its end, is dropped, so a guest that never ends its line costs MaxLine bytes
// of memory. A line end also ends any escape sequence in progress, an unterminated string (OSC,
// DCS, ...) included: a stray ESC ] must not hide the panic lines that follow it. Empty lines are
// not reported.
//
// It owns the line being assembled and the parser's state; it knows nothing about rules, time,
// threads or the console (it is fuzzed: docs/fuzzing.md).

#include <QByteArray>
#include <QByteArrayView>

#include <functional>

namespace CloudConsole {

class LineReader
{
public:
    static constexpr qsizetype MaxLine = 4096;

    struct Line
    {
        QByteArray text; // UTF-8 as the guest wrote it, without controls: not checked
        qint64 offset = 0; // where the line starts in the console's output
        bool truncated = false; // cut at MaxLine
    };
    using Sink = std::function<void(const Line &line)>;

    // The console's output from `offset` on. Offsets follow each other; a jump (output that was
    // skipped) ends the line being read, and the skipped bytes' parser state is forgotten.
    void feed(qint64 offset, QByteArrayView bytes, const Sink &sink);

    // The line read so far, not ended yet (a prompt waiting for input); empty text when none.
    Line pending() const { return {m_text, m_lineStart, false}; }
    // Changes whenever pending() does: the idle check compares it.
    quint64 pendingRevision() const { return m_revision; }

private:
    enum class State {
        Ground,
        Escape, // after ESC
        EscapeIntermediate, // ESC, then 0x20..0x2F: until a final byte
        Csi, // ESC [: until a final byte 0x40..0x7E
        String, // OSC, DCS, SOS, PM, APC: until BEL or ST (ESC \)
        StringEscape, // ESC inside a string: \ ends it
    };

    void endLine(qint64 next, const Sink &sink);
    void control(char c, qint64 at, const Sink &sink);
    void text(QByteArrayView run, const Sink &sink);

    State m_state = State::Ground;
    QByteArray m_text;
    qint64 m_lineStart = 0; // offset of the first byte after the previous line's end
    qint64 m_next = -1; // offset of the next byte expected; -1 before the first
    bool m_afterCr = false; // the last byte was a CR: an LF now ends nothing
    bool m_dropping = false; // the line was cut: drop until its end
    quint64 m_revision = 0;
};

} // namespace CloudConsole
