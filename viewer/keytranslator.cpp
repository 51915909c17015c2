#include "keytranslator.h"

#include <QKeyEvent>

namespace CloudConsole::Viewer {

namespace {

VTermModifier toVTermModifiers(Qt::KeyboardModifiers modifiers)
{
    int result = VTERM_MOD_NONE;
    if (modifiers & Qt::ShiftModifier)
        result |= VTERM_MOD_SHIFT;
    if (modifiers & Qt::AltModifier)
        result |= VTERM_MOD_ALT;
    if (modifiers & Qt::ControlModifier)
        result |= VTERM_MOD_CTRL;
    return VTermModifier(result);
}

std::optional<VTermKey> keypadKey(int key)
{
    if (key >= Qt::Key_0 && key <= Qt::Key_9)
        return VTermKey(VTERM_KEY_KP_0 + (key - Qt::Key_0));
    switch (key) {
    case Qt::Key_Asterisk:
        return VTERM_KEY_KP_MULT;
    case Qt::Key_Plus:
        return VTERM_KEY_KP_PLUS;
    case Qt::Key_Comma:
        return VTERM_KEY_KP_COMMA;
    case Qt::Key_Minus:
        return VTERM_KEY_KP_MINUS;
    case Qt::Key_Period:
        return VTERM_KEY_KP_PERIOD;
    case Qt::Key_Slash:
        return VTERM_KEY_KP_DIVIDE;
    case Qt::Key_Enter:
        return VTERM_KEY_KP_ENTER;
    case Qt::Key_Equal:
        return VTERM_KEY_KP_EQUAL;
    default:
        return std::nullopt;
    }
}

std::optional<VTermKey> specialKey(int key)
{
    if (key >= Qt::Key_F1 && key <= Qt::Key_F35)
        return VTermKey(VTERM_KEY_FUNCTION(1 + key - Qt::Key_F1));
    switch (key) {
    case Qt::Key_Return:
    case Qt::Key_Enter:
        return VTERM_KEY_ENTER;
    case Qt::Key_Tab:
    case Qt::Key_Backtab:
        return VTERM_KEY_TAB;
    case Qt::Key_Backspace:
        return VTERM_KEY_BACKSPACE;
    case Qt::Key_Escape:
        return VTERM_KEY_ESCAPE;
    case Qt::Key_Up:
        return VTERM_KEY_UP;
    case Qt::Key_Down:
        return VTERM_KEY_DOWN;
    case Qt::Key_Left:
        return VTERM_KEY_LEFT;
    case Qt::Key_Right:
        return VTERM_KEY_RIGHT;
    case Qt::Key_Insert:
        return VTERM_KEY_INS;
    case Qt::Key_Delete:
        return VTERM_KEY_DEL;
    case Qt::Key_Home:
        return VTERM_KEY_HOME;
    case Qt::Key_End:
        return VTERM_KEY_END;
    case Qt::Key_PageUp:
        return VTERM_KEY_PAGEUP;
    case Qt::Key_PageDown:
        return VTERM_KEY_PAGEDOWN;
    default:
        return std::nullopt;
    }
}

// The control byte a VT220 sends for Ctrl+key, for the keys that have one. libvterm would
// encode Ctrl+[ and Ctrl+I as CSI u sequences, which shells on a serial console do not read.
std::optional<char> controlByte(int key)
{
    if (key >= Qt::Key_A && key <= Qt::Key_Z)
        return char(key - Qt::Key_A + 1);
    switch (key) {
    case Qt::Key_At:
    case Qt::Key_Space:
    case Qt::Key_2:
        return '\0';
    case Qt::Key_BracketLeft:
    case Qt::Key_3:
        return '\x1b';
    case Qt::Key_Backslash:
    case Qt::Key_4:
        return '\x1c';
    case Qt::Key_BracketRight:
    case Qt::Key_5:
        return '\x1d';
    case Qt::Key_AsciiCircum:
    case Qt::Key_6:
        return '\x1e';
    case Qt::Key_Underscore:
    case Qt::Key_Slash:
    case Qt::Key_7:
        return '\x1f';
    case Qt::Key_Question:
    case Qt::Key_8:
        return '\x7f';
    default:
        return std::nullopt;
    }
}

bool isPrintable(const QString &text)
{
    for (const QChar c : text) {
        if (c.unicode() < 0x20 || c.unicode() == 0x7f)
            return false;
    }
    return !text.isEmpty();
}

} // namespace

std::optional<KeyStroke> translateKey(const QKeyEvent &event)
{
    const int key = event.key();
    const Qt::KeyboardModifiers qtModifiers = event.modifiers();
    KeyStroke stroke;
    stroke.modifiers = toVTermModifiers(qtModifiers);

    if (qtModifiers & Qt::KeypadModifier) {
        // libvterm sends LF for keypad Enter in numeric mode; terminals send CR, as for Return.
        if (key == Qt::Key_Enter) {
            stroke.kind = KeyStroke::Kind::Key;
            stroke.key = VTERM_KEY_ENTER;
            return stroke;
        }
        if (const auto keypad = keypadKey(key)) {
            stroke.kind = KeyStroke::Kind::Key;
            stroke.key = *keypad;
            return stroke;
        }
    }
    if (const auto special = specialKey(key)) {
        stroke.kind = KeyStroke::Kind::Key;
        stroke.key = *special;
        if (key == Qt::Key_Backtab)
            stroke.modifiers = VTermModifier(stroke.modifiers | VTERM_MOD_SHIFT);
        return stroke;
    }

    const bool control = qtModifiers & Qt::ControlModifier;
    const bool alt = qtModifiers & Qt::AltModifier;
    if (control) {
        if (const auto byte = controlByte(key)) {
            stroke.kind = KeyStroke::Kind::Bytes;
            if (alt)
                stroke.bytes += '\x1b';
            stroke.bytes += *byte;
            return stroke;
        }
        // Other Ctrl combinations have no byte of their own; libvterm encodes them as CSI u.
        if (key >= Qt::Key_Space && key <= Qt::Key_AsciiTilde) {
            stroke.kind = KeyStroke::Kind::Character;
            stroke.character = char32_t(QChar::toLower(char32_t(key)));
            return stroke;
        }
        return std::nullopt;
    }

    const QString text = event.text();
    if (!isPrintable(text))
        return std::nullopt;
    if (alt) {
        // Alt+x is ESC x (the "meta sends escape" convention).
        stroke.kind = KeyStroke::Kind::Character;
        stroke.character = text.toUcs4().value(0);
        return stroke;
    }
    stroke.kind = KeyStroke::Kind::Text;
    stroke.text = text;
    return stroke;
}

void KeyStroke::sendTo(TerminalModel &model) const
{
    switch (kind) {
    case Kind::Key:
        model.sendKey(key, modifiers);
        break;
    case Kind::Character:
        model.sendChar(character, modifiers);
        break;
    case Kind::Text:
        model.sendText(text);
        break;
    case Kind::Bytes:
        model.sendBytes(bytes);
        break;
    }
}

} // namespace CloudConsole::Viewer
