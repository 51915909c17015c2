#include "terminalmodel.h"

#include <QLoggingCategory>

#include <algorithm>
#include <cstring>

Q_LOGGING_CATEGORY(lcTerminal, "cloudconsole.terminal")

namespace CloudConsole::Terminal {

// The bridge from libvterm's C callbacks to the model: each entry casts `user` back and calls
// one member. It is a friend of the model, so the members can stay private.
struct ModelCallbacks
{
    static TerminalModel *self(void *user) { return static_cast<TerminalModel *>(user); }
    static const VTermStateCallbacks state;
    static void output(const char *bytes, size_t length, void *user)
    {
        self(user)->onOutput(bytes, length);
    }
    static const VTermParserCallbacks fallbacks;
};

const VTermParserCallbacks ModelCallbacks::fallbacks = {
    nullptr, // text
    nullptr, // control
    nullptr, // escape
    [](const char *leader, const long arguments[], int count, const char *intermediates,
       char command, void *user) {
        return self(user)->onUnknownCsi(leader, arguments, count, intermediates, command);
    },
    nullptr, // osc
    nullptr, // dcs
    nullptr, // resize
};

const VTermStateCallbacks ModelCallbacks::state = {
    [](VTermGlyphInfo *info, VTermPos position, void *user) {
        return self(user)->onPutGlyph(*info, position);
    },
    [](VTermPos position, VTermPos, int visible, void *user) {
        return self(user)->onMoveCursor(position, visible != 0);
    },
    [](VTermRect rect, int downward, int rightward, void *user) {
        return self(user)->onScrollRect(rect, downward, rightward);
    },
    nullptr, // moverect: onScrollRect does every scroll itself
    [](VTermRect rect, int selective, void *user) {
        return self(user)->onErase(rect, selective != 0);
    },
    nullptr, // initpen: a reset sends every pen attribute through setpenattr
    [](VTermAttr attribute, VTermValue *value, void *user) {
        return self(user)->onSetPenAttr(attribute, *value);
    },
    [](VTermProp property, VTermValue *value, void *user) {
        return self(user)->onSetTermProp(property, *value);
    },
    [](void *user) { return self(user)->onBell(); },
    [](int rows, int columns, VTermPos *delta, void *user) {
        return self(user)->onResize(rows, columns, *delta);
    },
    // setlineinfo: double-width and double-height lines are shown at normal size.
    [](int, const VTermLineInfo *, const VTermLineInfo *, void *) { return 1; },
};

void TerminalModel::VTermDeleter::operator()(VTerm *vterm) const
{
    vterm_free(vterm);
}

namespace {

VTermColor rgbColor(Rgb rgb)
{
    VTermColor color;
    vterm_color_rgb(&color, quint8(redOf(rgb)), quint8(greenOf(rgb)), quint8(blueOf(rgb)));
    return color;
}

} // namespace

TerminalModel::TerminalModel(QSize gridSize, QObject *parent)
    : QObject(parent), m_size(boundedSize(gridSize)), m_scrollback(DefaultScrollback)
{
    m_primary.assign(size_t(m_size.height()), Line(size_t(m_size.width())));
    m_alternate = m_primary;
    m_vterm.reset(vterm_new(m_size.height(), m_size.width()));
    vterm_set_utf8(m_vterm.get(), 1);
    vterm_output_set_callback(m_vterm.get(), &ModelCallbacks::output, this);
    m_state = vterm_obtain_state(m_vterm.get());
    vterm_state_set_callbacks(m_state, &ModelCallbacks::state, this);
    vterm_state_set_unrecognised_fallbacks(m_state, &ModelCallbacks::fallbacks, this);
    applyColors();
    // Sets the pen (through setpenattr) and erases the screen with it.
    vterm_state_reset(m_state, 1);
    // libvterm 0.1.4 loops for ever on REP (CSI b) before it has printed any character (found by
    // fuzz_terminal: "ESC [ 5 b" as a guest's first output); after one, even RIS leaves it a
    // character to repeat. It prints a space over the blank home cell, which stays blank.
    vterm_input_write(m_vterm.get(), " \r", 2);
    // A new model has nothing to announce yet.
    m_damageBottom = -1;
    m_cursorDirty = false;
}

TerminalModel::~TerminalModel() = default;

void TerminalModel::applyColors()
{
    VTermState *state = m_state;
    const VTermColor foreground = rgbColor(m_colors.foreground);
    const VTermColor background = rgbColor(m_colors.background);
    vterm_state_set_default_colors(state, &foreground, &background);
    for (int i = 0; i < 16; ++i) {
        const VTermColor color = rgbColor(m_colors.ansi[i]);
        vterm_state_set_palette_color(state, i, &color);
    }
    // Most console software expects bold to brighten the eight basic colours.
    vterm_state_set_bold_highbright(state, 1);
}

// --- output from the console -----------------------------------------------------------------

void TerminalModel::writeToVTerm(const char *data, size_t length)
{
    // libvterm 0.1.4 copies parts of an OSC or DCS string with strncpy and can read past the
    // bytes it was given (AddressSanitizer found it through fuzz_terminal): it gets a copy that
    // ends in a NUL, where such a read stops inside the copy.
    // Resized, not made anew: its memory is kept from one write to the next.
    m_vtermInput.resize(qsizetype(length));
    std::memcpy(m_vtermInput.data(), data, length);
    vterm_input_write(m_vterm.get(), m_vtermInput.constData(), length);
}

size_t TerminalModel::pieceEnd(const char *data, size_t limit)
{
    const auto *bytes = reinterpret_cast<const unsigned char *>(data);
    for (size_t i = limit; i > limit - std::min<size_t>(limit, 4096); --i) {
        if (bytes[i - 1] == '\n')
            return i;
    }
    size_t cut = limit;
    while (cut > 1 && (bytes[cut] & 0xc0) == 0x80)
        --cut; // bytes[cut] continues a character: cut before the character starts
    return cut;
}

void TerminalModel::write(QByteArrayView bytes)
{
    if (bytes.isEmpty())
        return;
    m_inputGuard.filter(bytes, [this](const char *data, size_t length) {
        // libvterm 0.1.4 decodes a run of text onto the stack, four bytes a character: one
        // write of 4 MiB of text overflows an 8 MiB stack. It gets pieces, each ending after a
        // line feed where there is one, and never inside a UTF-8 character (which libvterm
        // would not carry over to the next write).
        while (length > MaxVTermWrite) {
            const size_t cut = pieceEnd(data, MaxVTermWrite);
            writeToVTerm(data, cut);
            data += cut;
            length -= cut;
        }
        writeToVTerm(data, length);
    });
    m_modes.feed(bytes);
    flushSignals();
}

QByteArray TerminalModel::unfinishedInput() const
{
    // Both are tails of the stream: the guard holds back an incomplete UTF-8 character, escape
    // or short string, the mode tracker follows every control sequence (libvterm keeps a
    // half-read CSI to itself). The longer tail holds the shorter.
    const QByteArray &held = m_inputGuard.held();
    const QByteArray &sequence = m_modes.unfinished();
    return held.size() >= sequence.size() ? held : sequence;
}

void TerminalModel::reset()
{
    m_inputGuard = {};
    m_modes.reset();
    m_scrollback.clear();
    m_title.clear();
    m_linesScrolledOff = 0;
    vterm_state_reset(m_state, 1);
    for (Screen *screen : {&m_primary, &m_alternate}) {
        for (Line &row : *screen)
            std::fill(row.begin(), row.end(), m_pen);
    }
    m_altScreen = false;
    m_reverseVideo = false;
    m_cursor = {};
    m_scrollbackDirty = true;
    m_cursorDirty = true;
    damage(0, 0, m_size.height() - 1, m_size.width() - 1);
    Q_EMIT titleChanged(m_title);
    Q_EMIT altScreenChanged(false);
    flushSignals();
}

void TerminalModel::markLine(const QString &text)
{
    QByteArray line;
    // CAN aborts an escape sequence the guest may have left half-written before the gap.
    line += '\x18';
    if (m_cursor.position.x() != 0)
        line += "\r\n";
    // Black on yellow across the whole line (erase-in-line paints with the current background).
    line += "\x1b[0;30;43m" + text.toUtf8() + "\x1b[K\x1b[0m\r\n";
    const bool replies = std::exchange(m_repliesEnabled, false);
    write(line);
    m_repliesEnabled = replies;
}

void TerminalModel::flushSignals()
{
    if (m_scrollbackDirty) {
        m_scrollbackDirty = false;
        Q_EMIT scrollbackChanged();
    }
    if (m_damageTop <= m_damageBottom) {
        const QRect damage(QPoint(m_damageLeft, m_damageTop),
                           QPoint(m_damageRight, m_damageBottom));
        m_damageBottom = -1;
        Q_EMIT damaged(damage);
    }
    if (m_cursorDirty) {
        m_cursorDirty = false;
        Q_EMIT cursorChanged();
    }
    if (!m_pendingInput.isEmpty())
        Q_EMIT inputReady(std::exchange(m_pendingInput, QByteArray()));
}

void TerminalModel::damage(int top, int left, int bottom, int right)
{
    if (m_damageTop > m_damageBottom) {
        m_damageTop = top;
        m_damageLeft = left;
        m_damageBottom = bottom;
        m_damageRight = right;
        return;
    }
    m_damageTop = std::min(m_damageTop, top);
    m_damageLeft = std::min(m_damageLeft, left);
    m_damageBottom = std::max(m_damageBottom, bottom);
    m_damageRight = std::max(m_damageRight, right);
}

int TerminalModel::onPutGlyph(const VTermGlyphInfo &info, VTermPos position)
{
    Screen &rows = screen();
    const int columns = m_size.width();
    if (position.row < 0 || position.row >= int(rows.size()) || position.col < 0
        || position.col >= columns)
        return 0;
    Line &row = rows[size_t(position.row)];
    const int col = position.col;
    // The common case, once per printed character: a narrow glyph over a narrow cell.
    if (info.width == 1 && row[size_t(col)].width == 1) {
        Cell &cell = row[size_t(col)];
        cell = m_pen;
        cell.ch = info.chars[0];
        cell.combining = info.chars[0] != 0 ? info.chars[1] : 0;
        if (info.protected_cell)
            cell.flags |= Cell::Protected;
        damage(position.row, col, position.row, col);
        return 1;
    }
    // A wide character has no room in the last column (libvterm wraps before it anyway).
    const int width = col + 1 < columns ? std::clamp(info.width, 1, 2) : 1;
    // Writing over half of a wide character leaves no half behind.
    if (row[size_t(col)].width == 0 && col > 0 && row[size_t(col - 1)].width == 2) {
        row[size_t(col - 1)].ch = 0;
        row[size_t(col - 1)].combining = 0;
        row[size_t(col - 1)].width = 1;
        damage(position.row, col - 1, position.row, col - 1);
    }
    const int last = std::min(col + width, columns) - 1;
    if (row[size_t(last)].width == 2 && last + 1 < columns && row[size_t(last + 1)].width == 0) {
        row[size_t(last + 1)].width = 1;
        damage(position.row, last + 1, position.row, last + 1);
    }

    Cell &cell = row[size_t(col)];
    cell.ch = info.chars[0];
    cell.combining = info.chars[0] != 0 ? info.chars[1] : 0;
    cell.width = quint8(width);
    cell.foreground = m_pen.foreground;
    cell.background = m_pen.background;
    cell.flags = m_pen.flags | (info.protected_cell ? Cell::Protected : 0);
    if (width == 2 && col + 1 < columns) {
        Cell &covered = row[size_t(col + 1)];
        covered = cell;
        covered.ch = 0;
        covered.combining = 0;
        covered.width = 0;
    }
    damage(position.row, col, position.row, last);
    return 1;
}

int TerminalModel::onMoveCursor(const VTermPos &position, bool visible)
{
    m_cursor.position = {position.col, position.row};
    m_cursor.visible = visible;
    m_cursorDirty = true;
    return 1;
}

int TerminalModel::onSetTermProp(VTermProp property, const VTermValue &value)
{
    switch (property) {
    case VTERM_PROP_CURSORVISIBLE:
        m_cursor.visible = value.boolean != 0;
        m_cursorDirty = true;
        break;
    case VTERM_PROP_CURSORBLINK:
        m_cursor.blinking = value.boolean != 0;
        m_cursorDirty = true;
        break;
    case VTERM_PROP_CURSORSHAPE:
        m_cursor.shape = value.number == VTERM_PROP_CURSORSHAPE_UNDERLINE
            ? TerminalCursor::Shape::Underline
            : value.number == VTERM_PROP_CURSORSHAPE_BAR_LEFT ? TerminalCursor::Shape::Bar
                                                              : TerminalCursor::Shape::Block;
        m_cursorDirty = true;
        break;
    case VTERM_PROP_ALTSCREEN:
        m_altScreen = value.boolean != 0;
        damage(0, 0, m_size.height() - 1, m_size.width() - 1);
        Q_EMIT altScreenChanged(m_altScreen);
        break;
    case VTERM_PROP_REVERSE:
        m_reverseVideo = value.boolean != 0;
        damage(0, 0, m_size.height() - 1, m_size.width() - 1);
        break;
    case VTERM_PROP_TITLE:
        // libvterm 0.1.4 hands over the whole title at once (0.2 sends fragments).
        m_title = QString::fromUtf8(value.string);
        Q_EMIT titleChanged(m_title);
        break;
    default:
        return 0;
    }
    return 1;
}

int TerminalModel::onBell()
{
    Q_EMIT bell();
    return 1;
}

int TerminalModel::onSetPenAttr(VTermAttr attribute, const VTermValue &value)
{
    const auto setFlag = [this](Cell::Flag flag, bool on) {
        m_pen.flags = on ? (m_pen.flags | flag) : (m_pen.flags & ~flag);
    };
    switch (attribute) {
    case VTERM_ATTR_BOLD:
        setFlag(Cell::Bold, value.boolean != 0);
        break;
    case VTERM_ATTR_UNDERLINE:
        setFlag(Cell::DoubleUnderline, value.number == VTERM_UNDERLINE_DOUBLE);
        setFlag(Cell::Underline,
                value.number != VTERM_UNDERLINE_OFF && value.number != VTERM_UNDERLINE_DOUBLE);
        break;
    case VTERM_ATTR_ITALIC:
        setFlag(Cell::Italic, value.boolean != 0);
        break;
    case VTERM_ATTR_BLINK:
        setFlag(Cell::Blink, value.boolean != 0);
        break;
    case VTERM_ATTR_REVERSE:
        setFlag(Cell::Reverse, value.boolean != 0);
        break;
    case VTERM_ATTR_STRIKE:
        setFlag(Cell::Strike, value.boolean != 0);
        break;
    case VTERM_ATTR_FOREGROUND:
        m_pen.foreground = toRgb(value.color);
        setFlag(Cell::DefaultForeground, VTERM_COLOR_IS_DEFAULT_FG(&value.color));
        break;
    case VTERM_ATTR_BACKGROUND:
        m_pen.background = toRgb(value.color);
        setFlag(Cell::DefaultBackground, VTERM_COLOR_IS_DEFAULT_BG(&value.color));
        break;
    default: // conceal, font: not shown
        break;
    }
    return 1;
}

void TerminalModel::onOutput(const char *bytes, size_t length)
{
    if (!m_sendingInput && !m_repliesEnabled) {
        qCDebug(lcTerminal) << "dropping a reply to a replayed query:" << QByteArray(bytes, length);
        return;
    }
    m_pendingInput.append(bytes, qsizetype(length));
}

int TerminalModel::onUnknownCsi(const char *leader, const long arguments[], int count,
                                const char *intermediates, char command)
{
    // XTWINOPS 18: the text area's size in characters, which programs ask for on a serial line
    // where no one tells them (resize(1), systemd since v254).
    const bool plain = (!leader || !*leader) && (!intermediates || !*intermediates);
    if (plain && command == 't' && count >= 1 && CSI_ARG(arguments[0]) == 18) {
        const QByteArray answer = QByteArrayLiteral("\x1b[8;") + QByteArray::number(m_size.height())
            + ';' + QByteArray::number(m_size.width()) + 't';
        onOutput(answer.constData(), size_t(answer.size()));
        return 1;
    }
    return 0;
}

// --- conversions -----------------------------------------------------------------------------

Rgb TerminalModel::toRgb(VTermColor color) const
{
    // Resolved here rather than by vterm_state_convert_color_to_rgb(): 16..255 follow xterm
    // (see xtermColor), and the palette below 16 is ours anyway. It runs when the pen changes,
    // not per cell.
    if (VTERM_COLOR_IS_RGB(&color))
        return rgb(color.rgb.red, color.rgb.green, color.rgb.blue);
    if (color.indexed.idx < 16)
        return m_colors.ansi[color.indexed.idx];
    return xtermColor(color.indexed.idx);
}

} // namespace CloudConsole::Terminal
