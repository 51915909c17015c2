#pragma once

// translateKey turns a Qt key event into what the terminal sends for it: a libvterm key (which
// knows the cursor-key and keypad modes the guest selected), a character with modifiers, or
// literal bytes for the classic Ctrl combinations.
//
// It holds no state and knows nothing about widgets or sockets; the view calls it and hands the
// result to the model.

#include "terminal.h"

#include <QByteArray>
#include <QString>

#include <optional>

class QKeyEvent;

namespace CloudConsole::Viewer {

struct KeyStroke
{
    enum class Kind { Key, Character, Text, Bytes };
    Kind kind = Kind::Text;
    VTermKey key = VTERM_KEY_NONE;
    char32_t character = 0;
    VTermModifier modifiers = VTERM_MOD_NONE;
    QString text;
    QByteArray bytes;

    void sendTo(TerminalModel &model) const;
};

// Returns nothing for keys the terminal ignores (a lone Shift, Caps Lock, media keys).
std::optional<KeyStroke> translateKey(const QKeyEvent &event);

} // namespace CloudConsole::Viewer
