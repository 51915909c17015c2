#pragma once

// ModeTracker follows the terminal modes that libvterm 0.1.4 keeps to itself or does not keep at
// all, so that a snapshot of a screen can set them again: application cursor keys and keypad,
// bracketed paste, mouse reporting and its encoding, focus reports, origin mode, autowrap and
// the scroll region. libvterm acts on most of them but has no call that reads them back (its
// VTermState is opaque, and vterm_state_get_penattr covers the pen only).
//
// It is a small streaming parser of its own, fed the same bytes as libvterm, that looks only at
// the control sequences that change these modes (DECSET/DECRST, DECKPAM/DECKPNM, DECSTBM, RIS
// and DECSTR); it skips strings (OSC, DCS, APC, PM, SOS) and everything else. A sequence split
// across two feeds is read whole. It knows nothing about cells, the screen or libvterm.

#include <QByteArray>
#include <QByteArrayView>

namespace CloudConsole::Terminal {

struct TerminalModes
{
    enum class Mouse { Off, X10, Click, Drag, Any }; // DECSET 9, 1000, 1002, 1003
    enum class MouseEncoding { Default, Utf8, Sgr, Urxvt }; // DECSET 1005, 1006, 1015

    bool applicationCursorKeys = false; // DECCKM, DECSET 1
    bool applicationKeypad = false; // DECKPAM (ESC =), DECSET 66
    bool originMode = false; // DECOM, DECSET 6
    bool autowrap = true; // DECAWM, DECSET 7
    bool bracketedPaste = false; // DECSET 2004
    bool focusReports = false; // DECSET 1004
    Mouse mouse = Mouse::Off;
    MouseEncoding mouseEncoding = MouseEncoding::Default;
    // DECSTBM as the guest sent it, 1-based; 0 means the screen's edge.
    int scrollTop = 0;
    int scrollBottom = 0;

    bool operator==(const TerminalModes &other) const;
    bool operator!=(const TerminalModes &other) const { return !(*this == other); }
};

class ModeTracker
{
public:
    // Parameters kept per sequence; later ones are read but not kept.
    static constexpr int MaxParameters = 32;

    void feed(QByteArrayView bytes);
    const TerminalModes &modes() const { return m_modes; }
    // A hard reset (RIS), as if the terminal were new.
    void reset();
    // The control sequence the bytes so far leave unfinished, from its ESC (at most
    // MaxUnfinished bytes of it; empty between sequences). Written ahead of the bytes that
    // follow, it puts another parser where this one is.
    static constexpr qsizetype MaxUnfinished = 4096;
    const QByteArray &unfinished() const { return m_unfinished; }

private:
    enum class State { Ground, Escape, Csi, String, StringEscape };

    void onEscapeFinal(char final);
    void onCsiFinal(char final);
    void setPrivateMode(int mode, bool on);
    void softReset();
    void startSequence();
    void step(char c);

    State m_state = State::Ground;
    TerminalModes m_modes;
    // The CSI being read.
    char m_prefix = 0; // '?', '>', '=' or '<' before the parameters, else 0
    char m_intermediate = 0; // the last of 0x20-0x2f, else 0
    int m_parameters[MaxParameters] = {};
    int m_parameterCount = 0;
    bool m_parameterStarted = false;
    QByteArray m_unfinished;
    bool m_startedNow = false; // the byte just read was the ESC that started m_unfinished
};

} // namespace CloudConsole::Terminal
