#include "linereader.h"

#include <utility>

namespace CloudConsole {

namespace {

constexpr char Esc = '\x1b';
constexpr char Bel = '\x07';
constexpr char Can = '\x18'; // CAN and SUB abort a sequence (ECMA-48)
constexpr char Sub = '\x1a';

bool isC0(uchar c)
{
    return c < 0x20;
}

// Text as it is, outside any sequence: what most output is made of.
bool isPlain(uchar c)
{
    return (c >= 0x20 && c != 0x7f) || c == '\t';
}

} // namespace

void LineReader::feed(qint64 offset, QByteArrayView bytes, const Sink &sink)
{
    if (m_next >= 0 && offset != m_next) {
        // Output that never came: whatever line and sequence it held are unknown. The line read
        // so far is dropped rather than matched, since its end is missing.
        m_state = State::Ground;
        m_text.clear();
        m_dropping = false;
        m_afterCr = false;
        m_lineStart = offset;
        ++m_revision;
    } else if (m_next < 0) {
        m_lineStart = offset;
    }
    m_next = offset + bytes.size();

    for (qsizetype i = 0; i < bytes.size(); ++i) {
        // A run of text outside any sequence is taken whole: the same as byte by byte, faster.
        if (m_state == State::Ground && !m_afterCr && isPlain(uchar(bytes[i]))) {
            qsizetype end = i + 1;
            while (end < bytes.size() && isPlain(uchar(bytes[end])))
                ++end;
            text(bytes.sliced(i, end - i), sink);
            i = end - 1;
            continue;
        }
        const char c = bytes[i];
        const uchar u = uchar(c);
        const qint64 at = offset + i;
        // A CR's line has ended; an LF right after it is the same line end.
        const bool afterCr = std::exchange(m_afterCr, false);
        if (c == '\n' && afterCr) {
            m_lineStart = at + 1;
            continue;
        }
        // A line end ends any sequence in progress (terminals would go on with it): a stray or
        // cut-off sequence costs the rest of its line, never the first bytes of the next one,
        // where a panic may start.
        if (c == '\n' || c == '\r') {
            m_state = State::Ground;
            control(c, at, sink);
            continue;
        }
        switch (m_state) {
        case State::Ground:
            if (c == Esc)
                m_state = State::Escape;
            else if (isC0(u) && c != '\t')
                control(c, at, sink);
            else if (u != 0x7f)
                text(QByteArrayView(&c, 1), sink);
            break;
        case State::Escape:
            if (c == '[') {
                m_state = State::Csi;
            } else if (c == ']' || c == 'P' || c == 'X' || c == '^' || c == '_') {
                m_state = State::String;
            } else if (u >= 0x20 && u <= 0x2f) {
                m_state = State::EscapeIntermediate;
            } else if (c == Esc) {
                // ESC ESC: the first one is abandoned.
            } else if (c == Can || c == Sub) {
                m_state = State::Ground;
            } else if (isC0(u)) {
                control(c, at, sink); // dropped, and the sequence goes on, as in terminals
            } else if (u != 0x7f) {
                m_state = State::Ground; // a final byte, or a malformed sequence: dropped
            }
            break;
        case State::EscapeIntermediate:
        case State::Csi: {
            const uchar last = m_state == State::Csi ? 0x3f : 0x2f; // parameters, intermediates
            if (c == Esc)
                m_state = State::Escape;
            else if (c == Can || c == Sub)
                m_state = State::Ground;
            else if (isC0(u))
                control(c, at, sink); // dropped, and the sequence goes on, as in terminals
            else if (u > last && u != 0x7f)
                m_state = State::Ground; // the final byte (or a malformed one, dropped too)
            break;
        }
        case State::String:
            if (c == Bel || c == Can || c == Sub) {
                m_state = State::Ground;
            } else if (c == Esc) {
                m_state = State::StringEscape;
            }
            break;
        case State::StringEscape:
            if (c == '\\') {
                m_state = State::Ground; // ST
            } else {
                // ESC and anything but \ ends the string and starts a new sequence, as in xterm.
                m_state = State::Escape;
                --i;
            }
            break;
        }
    }
}

void LineReader::control(char c, qint64 at, const Sink &sink)
{
    if (c == '\n' || c == '\r') {
        endLine(at + 1, sink);
        m_afterCr = c == '\r';
    }
    // Every other C0 control (BEL, BS, NUL, ...) is dropped: it draws nothing a rule could match.
}

void LineReader::text(QByteArrayView run, const Sink &sink)
{
    if (m_dropping)
        return;
    ++m_revision;
    const qsizetype room = MaxLine - m_text.size();
    if (run.size() < room) {
        m_text.append(run);
        return;
    }
    // Cut at MaxLine; the rest of the line costs nothing.
    m_text.append(run.first(room));
    sink(Line {m_text, m_lineStart, true});
    m_text.resize(0); // keeps the buffer for the next line
    m_dropping = true;
}

void LineReader::endLine(qint64 next, const Sink &sink)
{
    if (!m_text.isEmpty() && !m_dropping)
        sink(Line {m_text, m_lineStart, false});
    m_text.resize(0); // keeps the buffer for the next line
    m_dropping = false;
    m_lineStart = next;
    ++m_revision;
}

} // namespace CloudConsole
