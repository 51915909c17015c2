// TerminalModel, its input for the guest: keys, characters, text and pastes, encoded by libvterm
// as the guest's terminal expects them (cursor-key and keypad modes, bracketed paste), and handed
// out through inputReady. The output side is in terminalmodel.cpp, reading the content in
// terminalmodeltext.cpp.

#include "terminalmodel.h"

namespace CloudConsole::Terminal {

// --- input for the guest ---------------------------------------------------------------------

void TerminalModel::beginInput()
{
    m_sendingInput = true;
}

void TerminalModel::endInput()
{
    m_sendingInput = false;
    flushSignals();
}

void TerminalModel::sendKey(VTermKey key, VTermModifier modifiers)
{
    beginInput();
    vterm_keyboard_key(m_vterm.get(), key, modifiers);
    endInput();
}

void TerminalModel::sendChar(char32_t character, VTermModifier modifiers)
{
    beginInput();
    vterm_keyboard_unichar(m_vterm.get(), character, modifiers);
    endInput();
}

void TerminalModel::sendText(const QString &text)
{
    if (text.isEmpty())
        return;
    beginInput();
    m_pendingInput += text.toUtf8();
    endInput();
}

void TerminalModel::sendBytes(const QByteArray &bytes)
{
    if (bytes.isEmpty())
        return;
    beginInput();
    m_pendingInput += bytes;
    endInput();
}

void TerminalModel::paste(const QString &text)
{
    if (text.isEmpty())
        return;
    QString normalized = text;
    normalized.replace(QLatin1String("\r\n"), QLatin1String("\r"));
    normalized.replace(QLatin1Char('\n'), QLatin1Char('\r'));
    // A pasted end marker would let the rest of the paste run as typed commands.
    normalized.remove(QLatin1String("\x1b[201~"));
    beginInput();
    vterm_keyboard_start_paste(m_vterm.get()); // writes nothing unless the guest asked (?2004h)
    m_pendingInput += normalized.toUtf8();
    vterm_keyboard_end_paste(m_vterm.get());
    endInput();
}

} // namespace CloudConsole::Terminal
