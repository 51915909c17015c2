#include "terminalmodel.h"

#include "logging.h"

#include <algorithm>

namespace CloudConsole::Viewer {

// The bridge from libvterm's C callbacks to the model: each entry casts `user` back and calls
// one member. It is a friend of the model, so the members can stay private.
struct ModelCallbacks
{
    static TerminalModel *self(void *user) { return static_cast<TerminalModel *>(user); }
    static const VTermScreenCallbacks screen;
    static void output(const char *bytes, size_t length, void *user)
    {
        self(user)->onOutput(bytes, length);
    }
};

const VTermScreenCallbacks ModelCallbacks::screen = {
    [](VTermRect rect, void *user) { return self(user)->onDamage(rect); },
    nullptr, // moverect: without it libvterm reports a scroll as damage, which is all we need
    [](VTermPos position, VTermPos, int visible, void *user) {
        return self(user)->onMoveCursor(position, visible != 0);
    },
    [](VTermProp property, VTermValue *value, void *user) {
        return self(user)->onSetTermProp(property, *value);
    },
    [](void *user) { return self(user)->onBell(); },
    nullptr, // resize: the model starts every resize itself
    [](int columns, const VTermScreenCell *cells, void *user) {
        return self(user)->onPushLine(columns, cells);
    },
    [](int columns, VTermScreenCell *cells, void *user) {
        return self(user)->onPopLine(columns, cells);
    },
};

void TerminalModel::VTermDeleter::operator()(VTerm *vterm) const
{
    vterm_free(vterm);
}

namespace {

// libvterm marks the cell covered by the right half of a wide character with this value.
constexpr uint32_t WideContinuation = 0xffffffff;

VTermColor rgbColor(QRgb rgb)
{
    VTermColor color;
    vterm_color_rgb(&color, quint8(qRed(rgb)), quint8(qGreen(rgb)), quint8(qBlue(rgb)));
    return color;
}

// libvterm 0.1.4 builds colours 16..255 from steps of 0x33 and ignores palette changes above
// 15; programs expect xterm's cube and grey ramp, as every common terminal has them.
QRgb xtermColor(int index)
{
    if (index < 232) {
        static constexpr int steps[] = {0x00, 0x5f, 0x87, 0xaf, 0xd7, 0xff};
        const int cube = index - 16;
        return qRgb(steps[cube / 36], steps[(cube / 6) % 6], steps[cube % 6]);
    }
    const int grey = 8 + 10 * (index - 232);
    return qRgb(grey, grey, grey);
}

QSize boundedSize(QSize size)
{
    // libvterm needs at least one cell; the protocol allows at most 1000 x 1000.
    return {std::clamp(size.width(), 1, 1000), std::clamp(size.height(), 1, 1000)};
}

} // namespace

TerminalModel::TerminalModel(QSize gridSize, QObject *parent)
    : QObject(parent), m_size(boundedSize(gridSize)), m_scrollback(DefaultScrollback)
{
    m_vterm.reset(vterm_new(m_size.height(), m_size.width()));
    vterm_set_utf8(m_vterm.get(), 1);
    vterm_output_set_callback(m_vterm.get(), &ModelCallbacks::output, this);
    m_screen = vterm_obtain_screen(m_vterm.get());
    vterm_screen_set_callbacks(m_screen, &ModelCallbacks::screen, this);
    // Damage is merged into one rectangle until flushSignals() asks for it after each write.
    vterm_screen_set_damage_merge(m_screen, VTERM_DAMAGE_SCREEN);
    vterm_screen_enable_altscreen(m_screen, 1);
    vterm_screen_reset(m_screen, 1);
    applyColors();
    // The reset damages the whole screen; a new model has nothing to announce yet.
    vterm_screen_flush_damage(m_screen);
    m_damage = QRect();
    m_cursorDirty = false;
}

TerminalModel::~TerminalModel() = default;

void TerminalModel::applyColors()
{
    VTermState *state = vterm_obtain_state(m_vterm.get());
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

void TerminalModel::write(QByteArrayView bytes)
{
    if (bytes.isEmpty())
        return;
    m_inputGuard.filter(bytes, [this](const char *data, size_t length) {
        vterm_input_write(m_vterm.get(), data, length);
    });
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
    vterm_screen_flush_damage(m_screen);
    if (m_scrollbackDirty) {
        m_scrollbackDirty = false;
        Q_EMIT scrollbackChanged();
    }
    if (!m_damage.isNull()) {
        const QRect damage = std::exchange(m_damage, QRect());
        Q_EMIT damaged(damage);
    }
    if (m_cursorDirty) {
        m_cursorDirty = false;
        Q_EMIT cursorChanged();
    }
    if (!m_pendingInput.isEmpty())
        Q_EMIT inputReady(std::exchange(m_pendingInput, QByteArray()));
}

int TerminalModel::onDamage(const VTermRect &rect)
{
    m_damage |= QRect(rect.start_col, rect.start_row, rect.end_col - rect.start_col,
                      rect.end_row - rect.start_row);
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
        m_damage = QRect(QPoint(0, 0), m_size);
        Q_EMIT altScreenChanged(m_altScreen);
        break;
    case VTERM_PROP_REVERSE:
        m_reverseVideo = value.boolean != 0;
        m_damage = QRect(QPoint(0, 0), m_size);
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

int TerminalModel::onPushLine(int columns, const VTermScreenCell *cells)
{
    // Blank cells at the end are not kept; skip them before converting anything.
    int used = columns;
    while (used > 0) {
        const VTermScreenCell &cell = cells[used - 1];
        if ((cell.chars[0] != 0 && cell.chars[0] != ' ') || !VTERM_COLOR_IS_DEFAULT_BG(&cell.bg)
            || cell.attrs.reverse || cell.attrs.underline || cell.attrs.strike)
            break;
        --used;
    }
    Line line(static_cast<size_t>(used));
    for (int i = 0; i < used; ++i)
        line[size_t(i)] = toCell(cells[i]);
    m_scrollback.push(std::move(line));
    ++m_linesScrolledOff;
    m_scrollbackDirty = true;
    return 1;
}

int TerminalModel::onPopLine(int columns, VTermScreenCell *cells)
{
    if (m_scrollback.isEmpty())
        return 0;
    const Line line = m_scrollback.pop();
    --m_linesScrolledOff;
    m_scrollbackDirty = true;
    const Cell blank;
    for (int i = 0; i < columns; ++i)
        toVTermCell(size_t(i) < line.size() ? line[size_t(i)] : blank, cells[i]);
    return 1;
}

void TerminalModel::onOutput(const char *bytes, size_t length)
{
    if (!m_sendingInput && !m_repliesEnabled) {
        qCDebug(lcModel) << "dropping a reply to a replayed query:" << QByteArray(bytes, length);
        return;
    }
    m_pendingInput.append(bytes, qsizetype(length));
}

// --- conversions -----------------------------------------------------------------------------

Cell TerminalModel::toCell(const VTermScreenCell &in) const
{
    Cell cell;
    if (in.chars[0] == WideContinuation) {
        cell.width = 0;
    } else {
        cell.ch = in.chars[0];
        cell.combining = in.chars[0] != 0 ? in.chars[1] : 0;
        cell.width = quint8(std::clamp<int>(in.width, 1, 2));
    }
    quint16 flags = 0;
    if (in.attrs.bold)
        flags |= Cell::Bold;
    if (in.attrs.italic)
        flags |= Cell::Italic;
    if (in.attrs.underline == VTERM_UNDERLINE_DOUBLE)
        flags |= Cell::DoubleUnderline;
    else if (in.attrs.underline != VTERM_UNDERLINE_OFF)
        flags |= Cell::Underline;
    if (in.attrs.reverse)
        flags |= Cell::Reverse;
    if (in.attrs.strike)
        flags |= Cell::Strike;
    if (in.attrs.blink)
        flags |= Cell::Blink;

    VTermColor foreground = in.fg;
    VTermColor background = in.bg;
    if (VTERM_COLOR_IS_DEFAULT_FG(&foreground))
        flags |= Cell::DefaultForeground;
    if (VTERM_COLOR_IS_DEFAULT_BG(&background))
        flags |= Cell::DefaultBackground;
    cell.foreground = toRgb(foreground);
    cell.background = toRgb(background);
    cell.flags = flags;
    return cell;
}

QRgb TerminalModel::toRgb(VTermColor color) const
{
    // Resolved here rather than by vterm_screen_convert_color_to_rgb(): this runs for every
    // cell of every line that scrolls, and the palette below 16 is ours anyway.
    if (VTERM_COLOR_IS_RGB(&color))
        return qRgb(color.rgb.red, color.rgb.green, color.rgb.blue);
    if (color.indexed.idx < 16)
        return m_colors.ansi[color.indexed.idx];
    return xtermColor(color.indexed.idx);
}

void TerminalModel::toVTermCell(const Cell &cell, VTermScreenCell &out) const
{
    out = VTermScreenCell();
    out.chars[0] = cell.width == 0 ? WideContinuation : cell.ch;
    out.chars[1] = cell.ch != 0 ? cell.combining : 0;
    // libvterm steps through a popped line by cell width, so a width of 0 would never end.
    out.width = char(cell.width == 2 ? 2 : 1);
    out.attrs.bold = cell.has(Cell::Bold);
    out.attrs.italic = cell.has(Cell::Italic);
    out.attrs.underline = cell.has(Cell::DoubleUnderline) ? VTERM_UNDERLINE_DOUBLE
        : cell.has(Cell::Underline)                       ? VTERM_UNDERLINE_SINGLE
                                                          : VTERM_UNDERLINE_OFF;
    out.attrs.reverse = cell.has(Cell::Reverse);
    out.attrs.strike = cell.has(Cell::Strike);
    out.attrs.blink = cell.has(Cell::Blink);
    out.fg = rgbColor(cell.foreground);
    out.bg = rgbColor(cell.background);
    if (cell.has(Cell::DefaultForeground))
        out.fg.type |= VTERM_COLOR_DEFAULT_FG;
    if (cell.has(Cell::DefaultBackground))
        out.bg.type |= VTERM_COLOR_DEFAULT_BG;
}

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

// --- geometry --------------------------------------------------------------------------------

void TerminalModel::resize(QSize gridSize)
{
    gridSize = boundedSize(gridSize);
    if (gridSize == m_size)
        return;
    m_size = gridSize;
    vterm_set_size(m_vterm.get(), gridSize.height(), gridSize.width());
    m_damage = QRect(QPoint(0, 0), m_size);
    m_cursorDirty = true;
    flushSignals();
    Q_EMIT gridSizeChanged(m_size);
}

void TerminalModel::setScrollbackCapacity(int lines)
{
    m_scrollback.setCapacity(lines);
    Q_EMIT scrollbackChanged();
}

// --- content ---------------------------------------------------------------------------------

Cell TerminalModel::cellAt(int line, int column) const
{
    if (line < 0 || column < 0)
        return {};
    if (line < m_scrollback.size()) {
        const Line &cells = m_scrollback.line(line);
        return size_t(column) < cells.size() ? cells[size_t(column)] : Cell();
    }
    const int row = line - m_scrollback.size();
    if (row >= m_size.height() || column >= m_size.width())
        return {};
    VTermScreenCell cell;
    vterm_screen_get_cell(m_screen, VTermPos {row, column}, &cell);
    return toCell(cell);
}

void TerminalModel::fetchLine(int line, Line &cells) const
{
    cells.clear();
    if (line < 0 || line >= lineCount())
        return;
    if (line < m_scrollback.size()) {
        cells = m_scrollback.line(line);
        return;
    }
    const int row = line - m_scrollback.size();
    cells.reserve(size_t(m_size.width()));
    VTermScreenCell cell;
    for (int column = 0; column < m_size.width(); ++column) {
        vterm_screen_get_cell(m_screen, VTermPos {row, column}, &cell);
        cells.push_back(toCell(cell));
    }
}

namespace {

void appendCells(QString &out, const Line &cells, int from, int to)
{
    const int start = out.size();
    for (int i = std::max(0, from); i < std::min(to, int(cells.size())); ++i) {
        const Cell &cell = cells[size_t(i)];
        if (cell.width == 0)
            continue; // the right half of a wide character
        if (cell.ch == 0) {
            out += QLatin1Char(' ');
            continue;
        }
        out += QString::fromUcs4(&cell.ch, 1);
        if (cell.combining != 0)
            out += QString::fromUcs4(&cell.combining, 1);
    }
    int end = out.size();
    while (end > start && out.at(end - 1) == QLatin1Char(' '))
        --end;
    out.truncate(end);
}

} // namespace

QString TerminalModel::lineText(int line) const
{
    Line cells;
    fetchLine(line, cells);
    QString text;
    appendCells(text, cells, 0, int(cells.size()));
    return text;
}

QString TerminalModel::text(QPoint from, QPoint to) const
{
    if (std::make_pair(to.y(), to.x()) < std::make_pair(from.y(), from.x()))
        std::swap(from, to);
    QString out;
    Line cells;
    const int last = std::min(to.y(), lineCount() - 1);
    for (int line = std::max(0, from.y()); line <= last; ++line) {
        fetchLine(line, cells);
        const int begin = line == from.y() ? from.x() : 0;
        const int end = line == to.y() ? to.x() : int(cells.size());
        appendCells(out, cells, begin, end);
        if (line != last)
            out += QLatin1Char('\n');
    }
    return out;
}

QString TerminalModel::allText() const
{
    // Trailing empty screen lines are noise in a saved file.
    int last = lineCount() - 1;
    while (last > 0 && lineText(last).isEmpty())
        --last;
    return text({0, 0}, {m_size.width(), last}) + QLatin1Char('\n');
}

} // namespace CloudConsole::Viewer
