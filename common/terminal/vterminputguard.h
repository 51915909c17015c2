#pragma once

// VTermInputGuard sits between the console and libvterm 0.1.4 (Debian 12) and works around three
// of its parser's limits, so that neither a guest nor the way bytes are framed on the network
// changes what is shown.
//
// 1. A CSI sequence with 17 or more arguments writes past libvterm's 16-slot argument array and
//    crashes the viewer (the bug fixed in Neovim's copy of the parser, neovim/neovim PR 34012;
//    a real-world trigger is "\e[38:2:59:66:97;48:2:36:40:59;58:2:224:175:104;4:3m"). The guard
//    drops the parameter bytes from the 16th separator on and passes the intermediates and the
//    final byte: libvterm acts on the first 16 arguments, as a fixed libvterm would.
// 2. libvterm 0.1.4 does not carry a UTF-8 character or an OSC/DCS string across two
//    vterm_input_write() calls: "\xc3" then "\xa9" shows two U+FFFD, and a title split in two
//    is lost. WebSocket frames end anywhere, so the guard holds back an incomplete UTF-8
//    character, escape or string (up to MaxHeld bytes) and hands it over with the next write.
// 3. REP (CSI Pn b) loops for ever after a zero-width character; the guard cancels every REP
//    (see dropRepeat()). To find them it follows libvterm's parser, including what that parser
//    ignores (NUL and DEL anywhere), so that no spelling of a REP slips past.
//
// It is a streaming state machine; outside escape sequences it passes whole runs without
// copying. It knows nothing else about terminals.

#include <QByteArray>
#include <QByteArrayView>

#include <algorithm>
#include <cstring>

namespace CloudConsole::Terminal {

class VTermInputGuard
{
public:
    // Separators that libvterm 0.1.4 survives in one CSI (16 arguments).
    static constexpr int MaxSeparators = 15;
    // Longest incomplete string held back; a longer one is passed on in pieces (libvterm keeps
    // only the start of long strings anyway).
    static constexpr qsizetype MaxHeld = 4096;

    // Calls `sink(const char *, size_t)` with what may reach libvterm now, in order.
    template<typename Sink> void filter(QByteArrayView bytes, Sink &&sink);

    qint64 trimmedSequences() const { return m_trimmed; }
    qint64 repeatsDropped() const { return m_repeatsDropped; }
    qsizetype heldBytes() const { return m_held.size(); }
    // The incomplete character, escape or string held back for the next write.
    const QByteArray &held() const { return m_held; }

private:
    enum class State { Ground, Escape, Csi, CsiOverflow, String, StringEscape };

    template<typename Sink> void process(QByteArrayView bytes, Sink &&sink);
    // REP (CSI Pn b) ends at data[at]: the sequence is cancelled (CAN) instead of ending.
    template<typename Sink>
    void dropRepeat(const char *data, qsizetype &passFrom, qsizetype at, Sink &&sink);
    static qsizetype incompleteUtf8Tail(const char *data, qsizetype size);

    State m_state = State::Ground;
    int m_separators = 0;
    bool m_stringPassing = false; // the current string outgrew MaxHeld and is being passed on
    bool m_csiPlain = true; // the current CSI has no private prefix and no intermediates
    QByteArray m_held;
    qint64 m_trimmed = 0;
    qint64 m_repeatsDropped = 0;
};

template<typename Sink> void VTermInputGuard::filter(QByteArrayView bytes, Sink &&sink)
{
    if (m_held.isEmpty()) {
        process(bytes, sink);
        return;
    }
    // Rescan the held sequence together with what completes it.
    QByteArray joined = std::exchange(m_held, QByteArray());
    joined.append(bytes);
    process(joined, sink);
}

inline qsizetype VTermInputGuard::incompleteUtf8Tail(const char *data, qsizetype size)
{
    // Look back over at most three continuation bytes for the lead byte of the last character.
    for (qsizetype back = 1; back <= std::min<qsizetype>(4, size); ++back) {
        const auto c = static_cast<unsigned char>(data[size - back]);
        if ((c & 0xc0) == 0x80)
            continue; // a continuation byte
        const qsizetype length = c >= 0xf0 && c <= 0xf4 ? 4
            : c >= 0xe0 && c < 0xf0                     ? 3
            : c >= 0xc2 && c < 0xe0                     ? 2
                                                        : 1;
        return length > back ? back : 0;
    }
    return 0;
}

template<typename Sink> void VTermInputGuard::process(QByteArrayView bytes, Sink &&sink)
{
    const char *data = bytes.data();
    const qsizetype size = bytes.size();
    qsizetype passFrom = 0; // start of the run not yet handed to the sink
    qsizetype sequenceStart = 0; // the ESC that started the current escape or string
    // The ESC that may end the current string. NUL and DEL may follow it, so it is not always
    // the byte before; a hold must start at an ESC, or its rescan loses the escape. (Only a
    // string being passed on stays in StringEscape across writes, and it is never held.)
    qsizetype stringEscapeStart = 0;
    qsizetype i = 0;
    while (i < size) {
        if (m_state == State::Ground) {
            // The fast path: nothing to watch until the next ESC.
            const void *escape = std::memchr(data + i, 0x1b, size_t(size - i));
            if (!escape)
                break;
            i = static_cast<const char *>(escape) - data;
            sequenceStart = i++;
            m_state = State::Escape;
            continue;
        }
        const auto c = static_cast<unsigned char>(data[i]);
        if (c == 0x18 || c == 0x1a) { // CAN and SUB abort any sequence
            m_state = State::Ground;
            ++i;
            continue;
        }
        if (c == 0x00 || c == 0x7f) {
            // libvterm 0.1.4 ignores NUL and DEL in every state: "ESC DEL [ 5 b" is a REP to it
            // (found by fuzz_terminal), so they may not end an escape here either.
            ++i;
            continue;
        }
        switch (m_state) {
        case State::Ground:
            break;
        case State::Escape:
            if (c == 0x1b) {
                sequenceStart = i;
            } else if (c == '[') {
                m_state = State::Csi;
                m_separators = 0;
                m_csiPlain = true;
            } else if (c == ']' || c == 'P' || c == 'X' || c == '^' || c == '_') {
                m_state = State::String;
                m_stringPassing = false;
            } else if (c >= 0x30 && c < 0x80) {
                m_state = State::Ground; // a two-byte escape such as ESC 7
            } // libvterm 0.1.4 skips bytes over 0x7f inside an escape (UTF-8 after ESC) //
              // intermediates (ESC ( 0) and C0 controls keep the escape going
            break;
        case State::Csi:
            if (c == 0x1b) {
                sequenceStart = i;
                m_state = State::Escape;
            } else if (c == ';' || c == ':') {
                if (++m_separators > MaxSeparators) {
                    // Hand over what came before and swallow parameters from here on.
                    if (i > passFrom)
                        sink(data + passFrom, size_t(i - passFrom));
                    passFrom = i + 1;
                    m_state = State::CsiOverflow;
                    ++m_trimmed;
                }
            } else if (c == 'b' && m_csiPlain) {
                dropRepeat(data, passFrom, i, sink);
                m_state = State::Ground;
            } else if (c >= 0x40 && c <= 0x7e) {
                m_state = State::Ground;
            } else if ((c >= 0x3c && c <= 0x3f) || (c >= 0x20 && c <= 0x2f)) {
                m_csiPlain = false; // a private or intermediate form: not REP
            }
            break;
        case State::CsiOverflow:
            if (c == 0x1b) {
                passFrom = sequenceStart = i;
                m_state = State::Escape;
            } else if (c >= 0x20 && c <= 0x2f) {
                passFrom = i; // intermediates still count
                m_state = State::Csi;
            } else if (c == 'b' && m_csiPlain) {
                passFrom = i;
                dropRepeat(data, passFrom, i, sink);
                m_state = State::Ground;
            } else if (c >= 0x40 && c <= 0x7e) {
                passFrom = i; // and so does the final byte
                m_state = State::Ground;
            } else {
                if (c < 0x20)
                    sink(data + i, 1); // libvterm executes C0 controls inside a CSI
                passFrom = i + 1;
            }
            break;
        case State::String:
            if (c == 0x07)
                m_state = State::Ground; // BEL ends an OSC
            else if (c == 0x1b) {
                m_state = State::StringEscape;
                stringEscapeStart = i;
            }
            break;
        case State::StringEscape:
            // ESC \ ends the string; libvterm also ends it at any other escape.
            if (c == '\\') {
                m_state = State::Ground;
            } else {
                sequenceStart = stringEscapeStart;
                m_state = State::Escape;
                continue; // look at this byte again as the start of an escape
            }
            break;
        }
        ++i;
    }

    qsizetype holdFrom = size;
    switch (m_state) {
    case State::Escape:
    case State::StringEscape:
    case State::String:
        if (!m_stringPassing && size - sequenceStart <= MaxHeld) {
            holdFrom = std::max(passFrom, sequenceStart);
            m_state = State::Ground; // the held bytes are scanned again from the ESC
        } else {
            m_stringPassing = true;
        }
        break;
    case State::Ground:
        holdFrom = size - incompleteUtf8Tail(data + passFrom, size - passFrom);
        break;
    case State::Csi:
    case State::CsiOverflow:
        break; // libvterm carries a CSI across writes correctly
    }
    if (m_state == State::CsiOverflow)
        passFrom = size;
    if (holdFrom > passFrom)
        sink(data + passFrom, size_t(holdFrom - passFrom));
    if (holdFrom < size)
        m_held = QByteArray(data + holdFrom, size - holdFrom);
}

template<typename Sink>
void VTermInputGuard::dropRepeat(const char *data, qsizetype &passFrom, qsizetype at, Sink &&sink)
{
    // libvterm 0.1.4 loops for ever on REP after a zero-width character (a combining mark with
    // no base; found by fuzz_terminal), and a guest may print one: the model repeats nothing.
    // Clients draw REP themselves; only the server's screen misses the repeated characters.
    if (at > passFrom)
        sink(data + passFrom, size_t(at - passFrom));
    static constexpr char Cancel = 0x18;
    sink(&Cancel, 1);
    passFrom = at + 1;
    ++m_repeatsDropped;
}

} // namespace CloudConsole::Terminal
