#pragma once

// TerminalModel is the terminal emulator without a widget: console bytes in, a grid of cells
// out, and the bytes that keys and pastes turn into for the guest.
//
// It owns the libvterm instance (through a unique_ptr with a deleter), the screen cells and the
// scrollback, and answers "what is in line L, column C" for the view. libvterm parses and keeps
// the terminal state (cursor, modes, pen, scroll region); the model is its screen layer: it uses
// libvterm's state callbacks and keeps the cells itself, already in the view's Cell form,
// instead of libvterm's VTermScreen. That is what makes scrolling cheap: a line that scrolls
// off is one copy into the scrollback and a rotation of row pointers, where VTermScreen moves
// every cell of the screen up by one row and builds a VTermScreenCell row for sb_pushline,
// which then had to be converted cell by cell (see docs/benchmarks.md).
//
// libvterm's C callbacks arrive through thin lambdas that forward to one member each. Damage is
// gathered while a write runs and announced once per write, so a 64 KiB frame costs one
// signal, not thousands.
//
// Lines are numbered as the view scrolls them: 0 is the oldest scrollback line, and the live
// screen occupies lines scrollbackLines() .. lineCount() - 1. The model knows nothing about
// sockets, the protocol, painting or fonts.

#include "modetracker.h"
#include "scrollback.h"
#include "terminalcell.h"
#include "vterminputguard.h"

#include <QByteArray>
#include <QObject>
#include <QPoint>
#include <QRect>
#include <QSize>
#include <QString>

#include <vterm.h>

#include <memory>
#include <vector>

namespace CloudConsole::Terminal {

struct TerminalColors
{
    Rgb foreground = rgb(0xd0, 0xd0, 0xd0);
    Rgb background = rgb(0x1c, 0x1c, 0x1c);
    // The 16 ANSI colours; 16..255 follow the xterm cube and grey ramp that libvterm builds in.
    Rgb ansi[16] = {
        rgb(0x2e, 0x34, 0x36), rgb(0xcc, 0x00, 0x00), rgb(0x4e, 0x9a, 0x06), rgb(0xc4, 0xa0, 0x00),
        rgb(0x34, 0x65, 0xa4), rgb(0x75, 0x50, 0x7b), rgb(0x06, 0x98, 0x9a), rgb(0xd3, 0xd7, 0xcf),
        rgb(0x55, 0x57, 0x53), rgb(0xef, 0x29, 0x29), rgb(0x8a, 0xe2, 0x34), rgb(0xfc, 0xe9, 0x4f),
        rgb(0x72, 0x9f, 0xcf), rgb(0xad, 0x7f, 0xa8), rgb(0x34, 0xe2, 0xe2), rgb(0xee, 0xee, 0xec)};
};

struct TerminalCursor
{
    enum class Shape { Block, Underline, Bar };
    QPoint position; // column, screen row
    bool visible = true;
    bool blinking = true;
    Shape shape = Shape::Block;
};

class TerminalModel : public QObject
{
    Q_OBJECT

public:
    static constexpr int DefaultScrollback = 10'000;
    // The most handed to libvterm at once (see write()).
    static constexpr size_t MaxVTermWrite = 64 * 1024;

    explicit TerminalModel(QSize gridSize = {80, 24}, QObject *parent = nullptr);
    ~TerminalModel() override;

    // --- output from the console -------------------------------------------------------------
    void write(QByteArrayView bytes);
    // Inserts a line the guest did not write, such as "[cloud-console: 512 bytes skipped]",
    // in a colour of its own. Any escape sequence the guest left half-written is cancelled first.
    void markLine(const QString &text);
    // Answers to the guest's queries (device attributes, cursor position) are dropped while
    // replies are disabled; keys and pastes are not. The viewer disables them for good: the
    // server answers the guest's queries, once (docs/protocol.md, "Terminal queries").
    void setRepliesEnabled(bool enabled) { m_repliesEnabled = enabled; }
    // Back to a new terminal of the same size: screens, scrollback, modes, title and pen.
    void reset();

    // --- input for the guest ------------------------------------------------------------------
    void sendKey(VTermKey key, VTermModifier modifiers);
    void sendChar(char32_t character, VTermModifier modifiers);
    void sendText(const QString &text);
    void sendBytes(const QByteArray &bytes);
    // Sends a paste, wrapped in bracketed-paste markers when the guest enabled them; line feeds
    // become carriage returns like a typed Enter.
    void paste(const QString &text);

    // --- geometry -----------------------------------------------------------------------------
    QSize gridSize() const { return m_size; } // columns x rows
    void resize(QSize gridSize);
    int scrollbackCapacity() const { return m_scrollback.capacity(); }
    void setScrollbackCapacity(int lines);

    // --- content ------------------------------------------------------------------------------
    int scrollbackLines() const { return m_scrollback.size(); }
    int lineCount() const { return m_scrollback.size() + m_size.height(); }
    const Scrollback &scrollback() const { return m_scrollback; }
    // Rows of gridSize().width() cells; the primary one is kept while the alternate is shown.
    const std::vector<Line> &primaryScreen() const { return m_primary; }
    const std::vector<Line> &alternateScreen() const { return m_alternate; }
    Cell cellAt(int line, int column) const;
    // Fills `cells` with the line; screen lines have exactly gridSize().width() cells,
    // scrollback lines as many as they had before their blank tail was trimmed.
    void fetchLine(int line, Line &cells) const;
    QString lineText(int line) const;
    // Text from `from` (inclusive) to `to` (exclusive); points are (column, line). Trailing
    // blanks of each line are dropped and lines are joined with '\n'.
    QString text(QPoint from, QPoint to) const;
    QString allText() const;

    TerminalCursor cursor() const { return m_cursor; }
    bool isAltScreen() const { return m_altScreen; }
    bool isReverseVideo() const { return m_reverseVideo; }
    QString title() const { return m_title; }
    // The modes libvterm keeps to itself (see modetracker.h).
    const TerminalModes &modes() const { return m_modes.modes(); }
    // The pen that the next character is written with, as the blank cell it erases with.
    const Cell &pen() const { return m_pen; }
    // Bytes the guest wrote that libvterm 0.1.4 would not have survived (see vterminputguard.h).
    qint64 trimmedSequences() const { return m_inputGuard.trimmedSequences(); }
    // The start of a character or control sequence that the last write left incomplete; it
    // takes effect with the next write.
    QByteArray unfinishedInput() const;
    const TerminalColors &colors() const { return m_colors; }

    // Lines that scrolled off the screen, ever; the view follows it to keep its position.
    qint64 linesScrolledOff() const { return m_linesScrolledOff; }
    // Times the whole active screen was erased (ED 2, RIS, a switch to a cleared alternate
    // screen): after one, every visible cell was written since.
    qint64 screenErases() const { return m_screenErases; }

Q_SIGNALS:
    // Screen cells (column, screen row) that changed during the last write or resize.
    void damaged(const QRect &cells);
    void scrollbackChanged();
    void cursorChanged();
    void titleChanged(const QString &title);
    void altScreenChanged(bool active);
    void gridSizeChanged(QSize gridSize);
    void bell();
    // Bytes for the guest: typed keys, pastes, and answers to queries.
    void inputReady(const QByteArray &bytes);

private:
    friend struct ModelCallbacks;
    struct VTermDeleter
    {
        void operator()(VTerm *vterm) const;
    };

    // libvterm state callbacks, one member each.
    int onPutGlyph(const VTermGlyphInfo &info, VTermPos position);
    int onMoveCursor(const VTermPos &position, bool visible);
    int onScrollRect(const VTermRect &rect, int downward, int rightward);
    int onErase(const VTermRect &rect, bool selective);
    int onSetPenAttr(VTermAttr attribute, const VTermValue &value);
    int onSetTermProp(VTermProp property, const VTermValue &value);
    int onBell();
    int onResize(int rows, int columns, VTermPos &delta);
    void onOutput(const char *bytes, size_t length);
    void writeToVTerm(const char *data, size_t length);
    // Where a piece of at most `limit` bytes of data (which holds more) may end.
    static size_t pieceEnd(const char *data, size_t limit);
    // Control sequences libvterm 0.1.4 does not know; the model answers the ones it can.
    int onUnknownCsi(const char *leader, const long arguments[], int count,
                     const char *intermediates, char command);

    using Screen = std::vector<Line>; // rows of gridSize().width() cells
    Screen &screen() { return m_altScreen ? m_alternate : m_primary; }
    const Screen &screen() const { return m_altScreen ? m_alternate : m_primary; }
    // A cell erased with the current pen: no character, the pen's colours and attributes.
    Cell blankCell() const { return m_pen; }
    // Moves full-width rows up (count > 0) or down within [top, bottom) of `rows`, pushing the
    // rows that leave the top of the primary screen into the scrollback.
    void scrollRows(Screen &rows, int top, int bottom, int count);
    void pushLine(const Line &row);
    void damage(int top, int left, int bottom, int right);
    static QSize boundedSize(QSize size); // what libvterm and the protocol accept

    Rgb toRgb(VTermColor color) const;
    void applyColors();
    void flushSignals();
    void beginInput();
    void endInput();

    std::unique_ptr<VTerm, VTermDeleter> m_vterm;
    VTermState *m_state = nullptr; // owned by m_vterm
    QSize m_size;
    Screen m_primary;
    Screen m_alternate;
    Cell m_pen; // the current pen, as the blank cell it erases with
    Scrollback m_scrollback;
    TerminalColors m_colors;
    TerminalCursor m_cursor;
    QString m_title;
    bool m_altScreen = false;
    bool m_reverseVideo = false;
    bool m_repliesEnabled = true;
    bool m_sendingInput = false; // output produced now answers a key or paste, not a query
    // Damaged screen cells since the last flush, as row and column bounds (empty: top > bottom).
    int m_damageTop = 0;
    int m_damageLeft = 0;
    int m_damageBottom = -1;
    int m_damageRight = -1;
    bool m_scrollbackDirty = false;
    bool m_cursorDirty = false;
    qint64 m_linesScrolledOff = 0;
    qint64 m_screenErases = 0;
    QByteArray m_pendingInput;
    VTermInputGuard m_inputGuard; // see vterminputguard.h
    ModeTracker m_modes;
    QByteArray m_vtermInput; // what libvterm reads, NUL-terminated (see writeToVTerm())
};

} // namespace CloudConsole::Terminal
