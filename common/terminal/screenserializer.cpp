#include "screenserializer.h"

#include "terminalmodel.h"

#include <algorithm>

namespace CloudConsole::Terminal {

namespace {

// Writes SGR sequences and text; remembers the last style written, so a run of cells in one
// style costs one sequence.
class Writer
{
public:
    explicit Writer(const TerminalColors &colors) : m_colors(colors) { }

    QByteArray out;

    void style(const Cell &cell)
    {
        if (m_haveStyle && cell.sameStyle(m_style))
            return;
        m_style = cell;
        m_haveStyle = true;
        QByteArray sgr = "\x1b[0";
        const auto flag = [&](Cell::Flag f, const char *code) {
            if (cell.has(f))
                sgr += QByteArray(";") + code;
        };
        flag(Cell::Bold, "1");
        flag(Cell::Italic, "3");
        flag(Cell::Underline, "4");
        flag(Cell::DoubleUnderline, "21");
        flag(Cell::Blink, "5");
        flag(Cell::Reverse, "7");
        flag(Cell::Strike, "9");
        if (!cell.has(Cell::DefaultForeground))
            sgr += colour(cell.foreground, false, cell.has(Cell::Bold));
        if (!cell.has(Cell::DefaultBackground))
            sgr += colour(cell.background, true, false);
        out += sgr + 'm';
    }

    // Cells [0, end) of a row, with their styles; blank cells past the last visible one are left
    // out, so the line ends where its text does.
    void cells(const Line &row, int columns)
    {
        int end = std::min(int(row.size()), columns);
        while (end > 0 && row[size_t(end - 1)].isBlank())
            --end;
        for (int i = 0; i < end; ++i) {
            const Cell &cell = row[size_t(i)];
            if (cell.width == 0)
                continue; // the right half of a wide character
            style(cell);
            if (cell.ch == 0 || cell.ch < 0x20 || (cell.ch >= 0x7f && cell.ch < 0xa0)) {
                out += ' ';
                continue;
            }
            appendUtf8(cell.ch);
            if (cell.combining != 0)
                appendUtf8(cell.combining);
        }
    }

    void resetStyle()
    {
        out += "\x1b[0m";
        m_haveStyle = false;
    }

private:
    QByteArray colour(Rgb value, bool background, bool bold) const
    {
        // The palette's index where there is one, so a client shows its own theme's colours.
        // Bold brightens the eight basic colours (the model's bold-highbright), so a bright
        // colour under bold is written as its basic index.
        for (int i = 0; i < 16; ++i) {
            if (m_colors.ansi[i] != value)
                continue;
            int index = i;
            if (bold && !background && i >= 8 && m_colors.ansi[i - 8] != value)
                index = i - 8;
            const int base = index < 8 ? (background ? 40 : 30) : (background ? 100 : 90);
            return ';' + QByteArray::number(base + index % 8);
        }
        for (int i = 16; i < 256; ++i) {
            if (xtermColor(i) == value)
                return (background ? ";48;5;" : ";38;5;") + QByteArray::number(i);
        }
        return (background ? ";48;2;" : ";38;2;") + QByteArray::number(redOf(value)) + ';'
            + QByteArray::number(greenOf(value)) + ';' + QByteArray::number(blueOf(value));
    }

    void appendUtf8(char32_t c)
    {
        if (c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
            c = 0xfffd;
        const QString text = QString::fromUcs4(&c, 1);
        out += text.toUtf8();
    }

    const TerminalColors &m_colors;
    Cell m_style;
    bool m_haveStyle = false;
};

QByteArray csi(int a, int b, char final)
{
    return "\x1b[" + QByteArray::number(a) + ';' + QByteArray::number(b) + final;
}

QByteArray privateMode(int mode, bool on)
{
    return "\x1b[?" + QByteArray::number(mode) + (on ? 'h' : 'l');
}

// A title without control characters, which would end the OSC early or smuggle a sequence.
QByteArray safeTitle(const QString &title)
{
    QString clean;
    for (const QChar c : title) {
        if (c.unicode() >= 0x20 && c.unicode() != 0x7f
            && !(c.unicode() >= 0x80 && c.unicode() < 0xa0))
            clean += c;
    }
    return clean.left(1024).toUtf8();
}

} // namespace

QByteArray ScreenSerializer::serialize(const TerminalModel &model)
{
    const int columns = model.gridSize().width();
    const int rows = model.gridSize().height();
    Writer w(model.colors());
    // A hard reset first: whatever the client's terminal held, it starts as new.
    w.out = "\x1b"
            "c";

    // The scrollback and the primary screen, top to bottom: the terminal scrolls the older lines
    // into its own scrollback as they are written, and the last rows are its screen.
    const Scrollback &scrollback = model.scrollback();
    for (int i = 0; i < scrollback.size(); ++i) {
        w.cells(scrollback.line(i), columns);
        w.resetStyle();
        w.out += "\r\n";
    }
    const std::vector<Line> &primary = model.primaryScreen();
    for (int row = 0; row < rows; ++row) {
        w.cells(primary[size_t(row)], columns);
        w.resetStyle();
        if (row + 1 < rows)
            w.out += "\r\n";
    }

    if (model.isAltScreen()) {
        // 1049 saves the cursor, switches and clears; each row is then placed where it belongs.
        w.out += privateMode(1049, true);
        const std::vector<Line> &alternate = model.alternateScreen();
        for (int row = 0; row < rows; ++row) {
            w.out += csi(row + 1, 1, 'H');
            w.cells(alternate[size_t(row)], columns);
            w.resetStyle();
        }
    }
    if (model.isReverseVideo())
        w.out += privateMode(5, true);

    const TerminalModes &modes = model.modes();
    // The scroll region homes the cursor, so it comes before the cursor's position.
    // The region as libvterm applies it: clamped to the screen, and the whole screen when that
    // leaves it empty (DECSTBM in its state.c).
    int regionTop = std::clamp(modes.scrollTop, 1, rows); // 1-based
    int regionBottom = modes.scrollBottom > 0 ? std::min(modes.scrollBottom, rows) : rows;
    if (regionBottom < regionTop) {
        regionTop = 1;
        regionBottom = rows;
    }
    if (regionTop != 1 || regionBottom != rows)
        w.out += csi(regionTop, regionBottom, 'r');
    if (modes.applicationCursorKeys)
        w.out += privateMode(1, true);
    if (modes.applicationKeypad)
        w.out += "\x1b=";
    if (!modes.autowrap)
        w.out += privateMode(7, false);
    if (modes.bracketedPaste)
        w.out += privateMode(2004, true);
    if (modes.focusReports)
        w.out += privateMode(1004, true);
    using Mouse = TerminalModes::Mouse;
    using Encoding = TerminalModes::MouseEncoding;
    switch (modes.mouse) {
    case Mouse::X10:
        w.out += privateMode(9, true);
        break;
    case Mouse::Click:
        w.out += privateMode(1000, true);
        break;
    case Mouse::Drag:
        w.out += privateMode(1002, true);
        break;
    case Mouse::Any:
        w.out += privateMode(1003, true);
        break;
    case Mouse::Off:
        break;
    }
    switch (modes.mouseEncoding) {
    case Encoding::Utf8:
        w.out += privateMode(1005, true);
        break;
    case Encoding::Sgr:
        w.out += privateMode(1006, true);
        break;
    case Encoding::Urxvt:
        w.out += privateMode(1015, true);
        break;
    case Encoding::Default:
        break;
    }
    if (!model.title().isEmpty())
        w.out += "\x1b]2;" + safeTitle(model.title()) + '\x07';

    // The cursor last: its position (relative to the region in origin mode, which homes it too),
    // its shape and whether it shows, and the pen the next character is written with.
    const TerminalCursor cursor = model.cursor();
    int row = cursor.position.y() + 1;
    if (modes.originMode) {
        w.out += privateMode(6, true);
        row -= regionTop - 1;
    }
    w.out += csi(std::max(row, 1), cursor.position.x() + 1, 'H');
    const int shape = cursor.shape == TerminalCursor::Shape::Underline ? 3
        : cursor.shape == TerminalCursor::Shape::Bar                   ? 5
                                                                       : 1;
    w.out += "\x1b[" + QByteArray::number(shape + (cursor.blinking ? 0 : 1)) + " q";
    if (!cursor.visible)
        w.out += privateMode(25, false);
    w.resetStyle();
    w.style(model.pen());
    // A sequence the stream left half-written goes last, so that the bytes after the snapshot
    // finish it in the client as they do in the model.
    w.out += model.unfinishedInput();
    return w.out;
}

} // namespace CloudConsole::Terminal
