#include "modetracker.h"

#include <algorithm>

namespace CloudConsole::Terminal {

namespace {
constexpr char Esc = 0x1b;
constexpr char Bel = 0x07;
// CAN and SUB cancel a sequence in any state (ECMA-48, and libvterm does the same).
bool cancels(char c)
{
    return c == 0x18 || c == 0x1a;
}
} // namespace

bool TerminalModes::operator==(const TerminalModes &other) const
{
    return applicationCursorKeys == other.applicationCursorKeys
        && applicationKeypad == other.applicationKeypad && originMode == other.originMode
        && autowrap == other.autowrap && bracketedPaste == other.bracketedPaste
        && focusReports == other.focusReports && mouse == other.mouse
        && mouseEncoding == other.mouseEncoding && scrollTop == other.scrollTop
        && scrollBottom == other.scrollBottom;
}

void ModeTracker::reset()
{
    m_modes = {};
    m_state = State::Ground;
    m_unfinished.clear();
}

void ModeTracker::startSequence()
{
    m_unfinished = QByteArray(1, Esc);
    m_startedNow = true;
}

void ModeTracker::feed(QByteArrayView bytes)
{
    for (const char c : bytes) {
        m_startedNow = false;
        const bool inSequence = m_state == State::Escape || m_state == State::Csi;
        step(c);
        // A control character inside an escape or CSI is carried out at once and is no part of
        // the sequence: replayed, it would act twice.
        const bool executed = inSequence && quint8(c) < 0x20 && c != Esc;
        if (m_state == State::Ground)
            m_unfinished.clear();
        else if (!m_startedNow && !executed && m_unfinished.size() < MaxUnfinished)
            m_unfinished += c;
    }
}

void ModeTracker::step(char c)
{
    switch (m_state) {
    case State::Ground:
        if (c == Esc) {
            m_state = State::Escape;
            m_intermediate = 0;
            startSequence();
        }
        break;
    case State::Escape:
        if (cancels(c)) {
            m_state = State::Ground;
        } else if (c == Esc) {
            m_intermediate = 0;
            startSequence();
        } else if (c >= 0x20 && c <= 0x2f) {
            m_intermediate = c; // "ESC ( B" and the like: the final byte follows
        } else if (c == '[' && !m_intermediate) {
            m_state = State::Csi;
            m_prefix = 0;
            m_parameterCount = 0;
            m_parameterStarted = false;
            std::fill(std::begin(m_parameters), std::end(m_parameters), 0);
        } else if ((c == ']' || c == 'P' || c == '_' || c == '^' || c == 'X') && !m_intermediate) {
            m_state = State::String;
        } else if (c >= 0x30 && c <= 0x7e) {
            if (!m_intermediate)
                onEscapeFinal(c);
            m_state = State::Ground;
        }
        // Other C0 controls are carried out inside an escape; it goes on.
        break;
    case State::Csi:
        if (cancels(c)) {
            m_state = State::Ground;
        } else if (c == Esc) {
            m_state = State::Escape;
            m_intermediate = 0;
            startSequence();
        } else if (c >= '0' && c <= '9') {
            if (m_parameterCount < MaxParameters) {
                int &value = m_parameters[m_parameterCount];
                value = std::min(value * 10 + (c - '0'), 99'999);
            }
            m_parameterStarted = true;
        } else if (c == ';' || c == ':') {
            m_parameterCount = std::min(m_parameterCount + 1, MaxParameters);
            m_parameterStarted = false;
        } else if (c >= 0x3c && c <= 0x3f) {
            if (m_parameterCount == 0 && !m_parameterStarted)
                m_prefix = c;
        } else if (c >= 0x20 && c <= 0x2f) {
            m_intermediate = c;
        } else if (c >= 0x40 && c <= 0x7e) {
            if (m_parameterStarted || m_parameterCount > 0)
                ++m_parameterCount;
            m_parameterCount = std::min(m_parameterCount, MaxParameters);
            onCsiFinal(c);
            m_state = State::Ground;
        }
        break;
    case State::String:
        if (c == Bel || cancels(c))
            m_state = State::Ground;
        else if (c == Esc)
            m_state = State::StringEscape;
        break;
    case State::StringEscape:
        if (c == '\\') {
            m_state = State::Ground; // ST
        } else {
            // Any other escape ends the string and starts a sequence of its own.
            m_state = State::Escape;
            m_intermediate = 0;
            startSequence();
            m_startedNow = false; // c follows the ESC
            step(c);
        }
        break;
    }
}

void ModeTracker::onEscapeFinal(char final)
{
    switch (final) {
    case '=':
        m_modes.applicationKeypad = true;
        break;
    case '>':
        m_modes.applicationKeypad = false;
        break;
    case 'c':
        reset();
        break;
    default:
        break;
    }
}

void ModeTracker::onCsiFinal(char final)
{
    if ((final == 'h' || final == 'l') && m_prefix == '?' && !m_intermediate) {
        for (int i = 0; i < m_parameterCount; ++i)
            setPrivateMode(m_parameters[i], final == 'h');
        return;
    }
    if (final == 'r' && !m_prefix && !m_intermediate) {
        const int top = m_parameterCount > 0 ? m_parameters[0] : 0;
        const int bottom = m_parameterCount > 1 ? m_parameters[1] : 0;
        // An empty region is the whole screen again, as libvterm makes it (DECSTBM in state.c).
        if (bottom != 0 && std::max(top, 1) > bottom) {
            m_modes.scrollTop = 0;
            m_modes.scrollBottom = 0;
            return;
        }
        m_modes.scrollTop = top;
        m_modes.scrollBottom = bottom;
        return;
    }
    if (final == 'p' && !m_prefix && m_intermediate == '!')
        softReset();
}

void ModeTracker::setPrivateMode(int mode, bool on)
{
    using Mouse = TerminalModes::Mouse;
    using Encoding = TerminalModes::MouseEncoding;
    const auto mouse = [this, on](Mouse which) {
        if (on)
            m_modes.mouse = which;
        else if (m_modes.mouse == which)
            m_modes.mouse = Mouse::Off;
    };
    const auto encoding = [this, on](Encoding which) {
        if (on)
            m_modes.mouseEncoding = which;
        else if (m_modes.mouseEncoding == which)
            m_modes.mouseEncoding = Encoding::Default;
    };
    switch (mode) {
    case 1:
        m_modes.applicationCursorKeys = on;
        break;
    case 6:
        m_modes.originMode = on;
        break;
    case 7:
        m_modes.autowrap = on;
        break;
    case 9:
        mouse(Mouse::X10);
        break;
    case 66:
        m_modes.applicationKeypad = on;
        break;
    case 1000:
        mouse(Mouse::Click);
        break;
    case 1002:
        mouse(Mouse::Drag);
        break;
    case 1003:
        mouse(Mouse::Any);
        break;
    case 1004:
        m_modes.focusReports = on;
        break;
    case 1005:
        encoding(Encoding::Utf8);
        break;
    case 1006:
        encoding(Encoding::Sgr);
        break;
    case 1015:
        encoding(Encoding::Urxvt);
        break;
    case 2004:
        m_modes.bracketedPaste = on;
        break;
    default:
        break;
    }
}

void ModeTracker::softReset()
{
    // DECSTR as libvterm carries it out (vterm_state_reset with hard = 0).
    m_modes.applicationCursorKeys = false;
    m_modes.applicationKeypad = false;
    m_modes.originMode = false;
    m_modes.autowrap = true;
    m_modes.scrollTop = 0;
    m_modes.scrollBottom = 0;
}

} // namespace CloudConsole::Terminal
