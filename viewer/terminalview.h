#pragma once

// TerminalView paints a TerminalModel and turns keyboard and mouse input into model calls.
//
// The model has the console's size, not the window's: the view paints its grid from the top
// left corner, with a margin around it when the window is larger, and scroll bars to pan over
// it when the window is smaller (the vertical bar also scrolls through the scrollback). The
// window's own size, in cells, is only a wish: it is announced through preferredSizeChanged()
// once a burst of resizes or zooms has been still for a moment, for the session to ask the
// console for. A change of the model's size is never announced, so a console resized by
// someone else does not make this window ask for its own size back.
//
// It repaints only the cells the model reports as damaged, and no more often than about 30
// times a second while output floods in: damage is gathered and flushed by a single-shot timer.
// It owns its actions (copy, paste, zoom) so a window can put them in menus, the selection, and
// the font; it does not own the model and knows nothing about connections. Lines are addressed
// as in TerminalModel (0 = oldest scrollback line).

#include "terminal.h"

#include <QAbstractScrollArea>
#include <QElapsedTimer>
#include <QFont>
#include <QPointer>
#include <QTimer>

#include <array>
#include <functional>
#include <optional>

class QAction;

namespace CloudConsole::Viewer {

class TerminalView : public QAbstractScrollArea
{
    Q_OBJECT

public:
    static constexpr int FrameInterval = 33; // ms between repaints while output keeps coming
    static constexpr int DefaultResizeDelay = 150; // ms of stillness before announcing a size

    explicit TerminalView(TerminalModel *model, QWidget *parent = nullptr);
    ~TerminalView() override;

    TerminalModel *model() const { return m_model; }

    QFont terminalFont() const { return m_font; }
    void setTerminalFont(const QFont &font);
    void zoomIn();
    void zoomOut();
    void resetZoom();
    QSizeF cellSize() const { return m_cellSize; }
    // The grid that fits in a viewport of this many pixels.
    QSize gridSizeFor(QSize viewportPixels) const;
    // The grid that fits the window as it is now (without a horizontal scroll bar, which shows
    // only while the console is wider than the window).
    QSize preferredSize() const;

    void setResizeDelay(int milliseconds) { m_resizeTimer.setInterval(milliseconds); }

    bool hasSelection() const { return m_selection.has_value(); }
    QString selectedText() const;
    void selectAll();
    void clearSelection();
    // Selects the word or line around a cell, as a double or triple click does.
    void selectWordAt(QPoint cell);
    void selectLineAt(int line);

    void copy();
    // Pastes the clipboard (the middle button: the primary selection) through the paste
    // handler: by default the model's paste, which sends it as keys; the window sends it as a
    // paste message instead (ConsoleSession::paste()).
    void paste();
    void setPasteHandler(std::function<void(const QString &)> handler);

    int topLine() const;
    // The first column shown, when the console is wider than the window.
    int firstColumn() const;
    // Rows and columns of the model's grid that fit in the viewport (at most the grid's).
    int visibleRows() const;
    int visibleColumns() const;
    // The part of the viewport the grid covers; the rest is margin.
    QRect gridRect() const;
    // Whether the view shows where output goes: the screen's bottom rows, or, in a window
    // shorter than the console, the cursor's line (see followTop()). Output keeps it there.
    bool isAtBottom() const;
    void scrollToBottom();

    // Frames painted since construction; the benchmark reads it.
    qint64 framesPainted() const { return m_framesPainted; }

    QAction *copyAction() const { return m_copyAction; }
    QAction *pasteAction() const { return m_pasteAction; }
    QAction *zoomInAction() const { return m_zoomInAction; }
    QAction *zoomOutAction() const { return m_zoomOutAction; }
    QAction *resetZoomAction() const { return m_resetZoomAction; }

    QSize sizeHint() const override;

Q_SIGNALS:
    // The grid that fits the window, once per burst of resizes or zooms: a size to ask the
    // console for. Not emitted when the model's size changes.
    void preferredSizeChanged(QSize gridSize);
    void selectionChanged(bool hasSelection);

protected:
    bool event(QEvent *event) override;
    bool focusNextPrevChild(bool next) override;
    void paintEvent(QPaintEvent *event) override;
    void resizeEvent(QResizeEvent *event) override;
    void scrollContentsBy(int dx, int dy) override;
    void keyPressEvent(QKeyEvent *event) override;
    void inputMethodEvent(QInputMethodEvent *event) override;
    void mousePressEvent(QMouseEvent *event) override;
    void mouseMoveEvent(QMouseEvent *event) override;
    void mouseReleaseEvent(QMouseEvent *event) override;
    void mouseDoubleClickEvent(QMouseEvent *event) override;
    void focusInEvent(QFocusEvent *event) override;
    void focusOutEvent(QFocusEvent *event) override;

private:
    // A selection between two cells, both included. Lines count from the first line ever
    // kept, so the selection stays on its text while old scrollback lines are dropped.
    struct Selection
    {
        QPoint anchor; // column, absolute line
        QPoint cursor;
    };

    void onModelDamaged(const QRect &cells);
    void onScrollbackChanged();
    void onCursorChanged();
    void onGridSizeChanged();
    int followTop() const;
    void scheduleFrame();
    void flushFrame();
    void announcePreferredSize();
    void toggleBlink();
    void applyFont(const QFont &font);
    void onViewportChanged();
    void updateScrollBars();
    void updateCursorBlink();

    void paintLine(QPainter &painter, int viewportRow, int line);
    void paintCursor(QPainter &painter);
    // In viewport pixels, where the cell is painted (scrolled columns included).
    QRect cellRect(int column, int viewportRow, int width = 1) const;
    qreal columnLeft(int column) const;
    QRect cursorRect() const;
    QPoint cellAt(QPointF position) const; // column, line
    qint64 absoluteLine(int line) const;
    int lineFromAbsolute(qint64 absolute) const;
    bool isSelected(int column, int line) const;
    void setSelection(std::optional<Selection> selection);
    void copySelectionToPrimary();
    const QFont &fontFor(quint16 flags) const;

    QPointer<TerminalModel> m_model;
    QFont m_font;
    qreal m_basePointSize = 11;
    std::array<QFont, 16> m_fonts; // by bold, italic, underline, strike
    QSizeF m_cellSize {8, 16};
    qreal m_ascent = 12;

    QTimer m_frameTimer;
    QElapsedTimer m_sinceFrame;
    QRect m_pendingDamage; // screen cells
    bool m_scrollbackPending = false;
    qint64 m_framesPainted = 0;

    QTimer m_resizeTimer;
    QSize m_announcedSize; // the last preferredSizeChanged()

    QTimer m_blinkTimer;
    bool m_blinkVisible = true;
    QRect m_paintedCursor;

    bool m_followOutput = true;
    qint64 m_seenDropped = 0;

    std::optional<Selection> m_selection;
    bool m_selecting = false;
    QElapsedTimer m_sinceDoubleClick;
    QPoint m_doubleClickCell; // column, line
    QPoint m_pressCell; // column, absolute line

    Line m_lineBuffer; // reused by paintLine, to avoid an allocation per line per frame

    std::function<void(const QString &)> m_pasteHandler;

    QAction *m_copyAction = nullptr;
    QAction *m_pasteAction = nullptr;
    QAction *m_zoomInAction = nullptr;
    QAction *m_zoomOutAction = nullptr;
    QAction *m_resetZoomAction = nullptr;
};

} // namespace CloudConsole::Viewer
