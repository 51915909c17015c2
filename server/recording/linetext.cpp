#include "linetext.h"

namespace CloudConsole::LineText {

namespace {
constexpr char Esc = '\x1b';

bool plain(uchar c)
{
    return (c >= 0x20 && c != 0x7f) || c == '\t';
}
} // namespace

bool needsStripping(QByteArrayView line)
{
    for (const char c : line) {
        if (!plain(uchar(c)))
            return true;
    }
    return false;
}

QByteArray strip(QByteArrayView line)
{
    enum class State { Ground, Escape, Intermediate, Csi, String, StringEscape };
    State state = State::Ground;
    QByteArray out;
    out.reserve(line.size());
    qsizetype i = 0;
    while (i < line.size()) {
        const uchar c = uchar(line[i]);
        if (state == State::Ground) {
            // A run of text taken whole.
            qsizetype end = i;
            while (end < line.size() && plain(uchar(line[end])))
                ++end;
            if (end > i) {
                out.append(line.sliced(i, end - i));
                i = end;
                continue;
            }
        }
        ++i;
        if (c == '\r' || c == '\n') {
            // A line end ends any sequence (as LineReader does); a CR inside shows as a space.
            state = State::Ground;
            if (i < line.size() && !out.endsWith(' '))
                out.append(' ');
            continue;
        }
        const bool abort = c == 0x18 || c == 0x1a; // CAN, SUB
        switch (state) {
        case State::Ground:
            if (c == Esc)
                state = State::Escape;
            break; // other controls and DEL draw nothing
        case State::Escape:
            if (c == '[')
                state = State::Csi;
            else if (c == ']' || c == 'P' || c == 'X' || c == '^' || c == '_')
                state = State::String;
            else if (c >= 0x20 && c <= 0x2f)
                state = State::Intermediate;
            else if (abort)
                state = State::Ground;
            else if (c >= 0x20 && c != 0x7f && c != Esc)
                state = State::Ground; // a final byte
            break;
        case State::Intermediate:
        case State::Csi: {
            const uchar last = state == State::Csi ? 0x3f : 0x2f;
            if (c == Esc)
                state = State::Escape;
            else if (abort)
                state = State::Ground;
            else if (c > last && c != 0x7f && c >= 0x20)
                state = State::Ground;
            break;
        }
        case State::String:
            if (c == 0x07 || abort)
                state = State::Ground;
            else if (c == Esc)
                state = State::StringEscape;
            break;
        case State::StringEscape:
            if (c == '\\') {
                state = State::Ground;
            } else {
                state = State::Escape;
                --i; // this byte starts the next sequence
            }
            break;
        }
    }
    while (out.endsWith(' ') && !line.isEmpty() && line.back() != ' ')
        out.chop(1); // a space a CR left at the end
    return out;
}

} // namespace CloudConsole::LineText
