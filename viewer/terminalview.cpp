#include "terminalview.h"

#include "keytranslator.h"
#include "logging.h"

#include <QAction>
#include <QApplication>
#include <QClipboard>
#include <QFontDatabase>
#include <QFontMetricsF>
#include <QKeyEvent>
#include <QPainter>
#include <QRegion>
#include <QScrollBar>

#include <algorithm>
#include <cmath>

namespace CloudConsole::Viewer {

namespace {

constexpr int BlinkInterval = 530; // ms; the common terminal cursor rate
constexpr int MarginDarker = 160; // QColor::darker() factor for the area outside the grid
constexpr qreal MinPointSize = 5;
constexpr qreal MaxPointSize = 72;

int fontIndex(quint16 flags)
{
    return (flags & Cell::Bold ? 1 : 0) | (flags & Cell::Italic ? 2 : 0)
        | (flags & (Cell::Underline | Cell::DoubleUnderline) ? 4 : 0)
        | (flags & Cell::Strike ? 8 : 0);
}

QFont defaultTerminalFont()
{
    QFont font = QFontDatabase::systemFont(QFontDatabase::FixedFont);
    font.setFamilies(
        {QStringLiteral("DejaVu Sans Mono"), QStringLiteral("Noto Sans Mono"), font.family()});
    font.setStyleHint(QFont::TypeWriter);
    font.setPointSizeF(11);
    font.setKerning(false);
    return font;
}

// Characters that belong to a word for double-click selection: letters and digits, and what
// appears inside paths, URLs and host names.
bool isWordCharacter(char32_t ch)
{
    if (ch == 0)
        return false;
    static constexpr char32_t extra[] = U"-_./~:@%+#=?&";
    return QChar::isLetterOrNumber(ch) || std::char_traits<char32_t>::find(extra, 13, ch);
}

} // namespace

TerminalView::TerminalView(TerminalModel *model, QWidget *parent)
    : QAbstractScrollArea(parent), m_model(model)
{
    setFrameShape(QFrame::NoFrame);
    setVerticalScrollBarPolicy(Qt::ScrollBarAlwaysOn);
    // Shown only while the console is wider than the window.
    setHorizontalScrollBarPolicy(Qt::ScrollBarAsNeeded);
    setFocusPolicy(Qt::StrongFocus);
    setAttribute(Qt::WA_InputMethodEnabled);
    viewport()->setAttribute(Qt::WA_OpaquePaintEvent);
    viewport()->setCursor(Qt::IBeamCursor);
    verticalScrollBar()->setSingleStep(1);
    horizontalScrollBar()->setSingleStep(1);

    m_frameTimer.setSingleShot(true);
    connect(&m_frameTimer, &QTimer::timeout, this, &TerminalView::flushFrame);
    m_resizeTimer.setSingleShot(true);
    m_resizeTimer.setInterval(DefaultResizeDelay);
    connect(&m_resizeTimer, &QTimer::timeout, this, &TerminalView::announcePreferredSize);
    m_blinkTimer.setInterval(BlinkInterval);
    connect(&m_blinkTimer, &QTimer::timeout, this, &TerminalView::toggleBlink);
    m_sinceFrame.start();

    connect(m_model, &TerminalModel::damaged, this, &TerminalView::onModelDamaged);
    connect(m_model, &TerminalModel::scrollbackChanged, this, &TerminalView::onScrollbackChanged);
    connect(m_model, &TerminalModel::cursorChanged, this, &TerminalView::onCursorChanged);
    connect(m_model, &TerminalModel::gridSizeChanged, this, &TerminalView::onGridSizeChanged);
    m_seenDropped = m_model->scrollback().droppedCount();

    const auto makeAction = [this](const QString &text, const QList<QKeySequence> &keys,
                                   void (TerminalView::*slot)()) {
        auto *action = new QAction(text, this);
        action->setShortcuts(keys);
        // The window puts these in its menus; they fire while the terminal has focus.
        action->setShortcutContext(Qt::WindowShortcut);
        connect(action, &QAction::triggered, this, slot);
        addAction(action);
        return action;
    };
    m_copyAction = makeAction(tr("&Copy"), {QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_C)},
                              &TerminalView::copy);
    m_copyAction->setEnabled(false);
    connect(this, &TerminalView::selectionChanged, m_copyAction, &QAction::setEnabled);
    m_pasteAction = makeAction(
        tr("&Paste"),
        {QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_V), QKeySequence(Qt::SHIFT | Qt::Key_Insert)},
        &TerminalView::paste);
    m_zoomInAction = makeAction(
        tr("Zoom &In"),
        {QKeySequence(Qt::CTRL | Qt::Key_Plus), QKeySequence(Qt::CTRL | Qt::Key_Equal)},
        &TerminalView::zoomIn);
    m_zoomOutAction = makeAction(tr("Zoom &Out"), {QKeySequence(Qt::CTRL | Qt::Key_Minus)},
                                 &TerminalView::zoomOut);
    m_resetZoomAction = makeAction(tr("&Reset Zoom"), {QKeySequence(Qt::CTRL | Qt::Key_0)},
                                   &TerminalView::resetZoom);

    setTerminalFont(defaultTerminalFont());
    updateScrollBars();
    scrollToBottom();
}

TerminalView::~TerminalView() = default;

// --- font and geometry -----------------------------------------------------------------------

void TerminalView::setTerminalFont(const QFont &font)
{
    m_basePointSize = font.pointSizeF();
    applyFont(font);
}

void TerminalView::applyFont(const QFont &font)
{
    m_font = font;
    for (int i = 0; i < int(m_fonts.size()); ++i) {
        QFont variant = font;
        variant.setBold(i & 1);
        variant.setItalic(i & 2);
        variant.setUnderline(i & 4);
        variant.setStrikeOut(i & 8);
        m_fonts[size_t(i)] = variant;
    }
    const QFontMetricsF metrics(font);
    // Whole pixels per row keep lines from drifting; columns follow the font's own advance
    // so that a run of characters drawn at once lands on the cell grid.
    m_cellSize = QSizeF(metrics.horizontalAdvance(QLatin1Char('M')), std::ceil(metrics.height()));
    m_ascent = metrics.ascent();
    onViewportChanged();
    updateGeometry();
}

void TerminalView::zoomIn()
{
    QFont font = m_font;
    font.setPointSizeF(std::min(MaxPointSize, m_font.pointSizeF() + 1));
    applyFont(font);
}

void TerminalView::zoomOut()
{
    QFont font = m_font;
    font.setPointSizeF(std::max(MinPointSize, m_font.pointSizeF() - 1));
    applyFont(font);
}

void TerminalView::resetZoom()
{
    QFont font = m_font;
    font.setPointSizeF(m_basePointSize);
    applyFont(font);
}

QSize TerminalView::gridSizeFor(QSize viewportPixels) const
{
    return {std::max(1, int(viewportPixels.width() / m_cellSize.width())),
            std::max(1, int(viewportPixels.height() / m_cellSize.height()))};
}

QSize TerminalView::preferredSize() const
{
    return gridSizeFor(maximumViewportSize());
}

QSize TerminalView::sizeHint() const
{
    // Just the console's grid: a window opened at its size hint shows it without a margin.
    const QSize grid = m_model ? m_model->gridSize() : QSize(80, 24);
    const int scrollBar = verticalScrollBar()->sizeHint().width();
    return QSize(int(std::ceil(grid.width() * m_cellSize.width())) + scrollBar,
                 int(grid.height() * m_cellSize.height()));
}

void TerminalView::resizeEvent(QResizeEvent *event)
{
    QAbstractScrollArea::resizeEvent(event);
    onViewportChanged();
}

void TerminalView::onViewportChanged()
{
    if (!m_model)
        return;
    updateScrollBars();
    if (m_followOutput)
        scrollToBottom();
    viewport()->update();
    // The console hears about the window's size once the resizing stops.
    m_resizeTimer.start();
}

void TerminalView::announcePreferredSize()
{
    const QSize size = preferredSize();
    if (size == m_announcedSize)
        return;
    m_announcedSize = size;
    qCDebug(lcView) << "the window fits" << size;
    Q_EMIT preferredSizeChanged(size);
}

void TerminalView::onGridSizeChanged()
{
    // The console's size changed: paint the new grid in the same window. Nothing is announced:
    // the window's size did not change, and asking for it now would undo another operator's
    // resize.
    updateScrollBars();
    if (m_followOutput)
        scrollToBottom();
    viewport()->update();
    updateGeometry();
}

// --- scrolling -------------------------------------------------------------------------------

int TerminalView::topLine() const
{
    return verticalScrollBar()->value();
}

int TerminalView::firstColumn() const
{
    return horizontalScrollBar()->value();
}

int TerminalView::visibleRows() const
{
    const int rows = m_model->gridSize().height();
    return std::clamp(int(viewport()->height() / m_cellSize.height()), 1, rows);
}

int TerminalView::visibleColumns() const
{
    const int columns = m_model->gridSize().width();
    return std::clamp(int(viewport()->width() / m_cellSize.width()), 1, columns);
}

QRect TerminalView::gridRect() const
{
    const QRect grid(cellRect(firstColumn(), 0).topLeft(),
                     cellRect(m_model->gridSize().width() - 1, visibleRows() - 1).bottomRight());
    return grid & viewport()->rect();
}

int TerminalView::followTop() const
{
    // The bottom of the screen, unless the window is too short to show all of it and the
    // cursor is above the part shown (a prompt after "clear", an editor's cursor): then the
    // cursor's line at the top, with as much of the screen below it as fits.
    const int cursorLine = m_model->scrollbackLines() + m_model->cursor().position.y();
    return std::min(verticalScrollBar()->maximum(), cursorLine);
}

bool TerminalView::isAtBottom() const
{
    return topLine() >= followTop();
}

void TerminalView::scrollToBottom()
{
    m_followOutput = true;
    verticalScrollBar()->setValue(followTop());
}

void TerminalView::updateScrollBars()
{
    // Range changes are not the user scrolling.
    QScrollBar *vertical = verticalScrollBar();
    const QSignalBlocker verticalBlocker(vertical);
    const int rows = visibleRows();
    vertical->setRange(0, m_model->lineCount() - rows);
    vertical->setPageStep(rows);
    // Not blocked: its rangeChanged() is what shows or hides it (the area then resizes the
    // viewport, and this runs again from resizeEvent()).
    QScrollBar *horizontal = horizontalScrollBar();
    const int columns = visibleColumns();
    horizontal->setRange(0, m_model->gridSize().width() - columns);
    horizontal->setPageStep(columns);
}

void TerminalView::scrollContentsBy(int, int dy)
{
    // Only the user scrolling lines decides whether the view follows the output; panning over
    // a console wider than the window does not.
    if (dy != 0)
        m_followOutput = isAtBottom();
    viewport()->update();
}

// --- repainting ------------------------------------------------------------------------------

void TerminalView::onModelDamaged(const QRect &cells)
{
    m_pendingDamage |= cells;
    scheduleFrame();
}

void TerminalView::onScrollbackChanged()
{
    m_scrollbackPending = true;
    scheduleFrame();
}

void TerminalView::onCursorChanged()
{
    m_blinkVisible = true;
    updateCursorBlink();
    scheduleFrame();
}

void TerminalView::scheduleFrame()
{
    if (m_frameTimer.isActive())
        return;
    // The first change after a quiet spell is painted at once (typing feels immediate); while
    // changes keep coming, frames are spaced FrameInterval apart.
    m_frameTimer.start(std::max<qint64>(0, FrameInterval - m_sinceFrame.elapsed()));
}

void TerminalView::flushFrame()
{
    m_sinceFrame.restart();
    const int scrollbackLines = m_model->scrollbackLines();
    if (m_scrollbackPending) {
        m_scrollbackPending = false;
        const qint64 dropped = m_model->scrollback().droppedCount();
        const int droppedNow = int(dropped - m_seenDropped);
        m_seenDropped = dropped;
        const int oldTop = topLine();
        updateScrollBars();
        if (m_followOutput) {
            scrollToBottom();
        } else {
            // Keep the lines the user is reading in place while new ones arrive below.
            const QSignalBlocker blocker(verticalScrollBar());
            verticalScrollBar()->setValue(std::max(0, oldTop - droppedNow));
        }
        viewport()->update();
    } else if (m_followOutput && topLine() != followTop()) {
        // In a window shorter than the console, the cursor went out of the rows shown.
        scrollToBottom();
        viewport()->update();
    } else if (!m_pendingDamage.isNull()) {
        // Screen row r is painted at viewport row r + (scrollback - top).
        const int offset = scrollbackLines - topLine();
        const QRect damage = m_pendingDamage.translated(0, offset);
        viewport()->update(QRect(cellRect(damage.left(), damage.top()).topLeft(),
                                 cellRect(damage.right(), damage.bottom()).bottomRight()));
    }
    m_pendingDamage = QRect();
    const QRect cursor = cursorRect();
    if (cursor != m_paintedCursor) {
        viewport()->update(m_paintedCursor);
        viewport()->update(cursor);
    }
}

qreal TerminalView::columnLeft(int column) const
{
    return (column - firstColumn()) * m_cellSize.width();
}

QRect TerminalView::cellRect(int column, int viewportRow, int width) const
{
    const qreal left = columnLeft(column);
    const qreal right = columnLeft(column + width);
    const int top = int(viewportRow * m_cellSize.height());
    return QRect(QPoint(int(std::floor(left)), top),
                 QPoint(int(std::ceil(right)) - 1, top + int(m_cellSize.height()) - 1));
}

QRect TerminalView::cursorRect() const
{
    if (!m_model)
        return {}; // the model went first, as when a window closes while its owner unwinds
    const TerminalCursor cursor = m_model->cursor();
    const int row = m_model->scrollbackLines() + cursor.position.y() - topLine();
    return cellRect(cursor.position.x(), row, 2); // 2: the cursor may sit on a wide character
}

const QFont &TerminalView::fontFor(quint16 flags) const
{
    return m_fonts[size_t(fontIndex(flags))];
}

void TerminalView::paintEvent(QPaintEvent *event)
{
    QPainter painter(viewport());
    if (!m_model)
        return;
    const TerminalColors &colors = m_model->colors();
    const QRect area = event->rect();
    const QRect grid = gridRect();
    const QColor background(m_model->isReverseVideo() ? colors.foreground : colors.background);
    // Outside the console's grid: a shade darker than its background, so the console's edge
    // shows without a frame drawn over anything.
    const QColor margin = QColor(colors.background).darker(MarginDarker);
    for (const QRect &rect : QRegion(area).subtracted(grid))
        painter.fillRect(rect, margin);
    painter.fillRect(area & grid, background);

    // Scrollback lines from when the console was wider, and wide characters or italics at the
    // right edge, stay inside the grid.
    painter.setClipRect(grid);
    const int first = std::max(0, int(area.top() / m_cellSize.height()));
    const int last = std::min(visibleRows() - 1, int(area.bottom() / m_cellSize.height()));
    for (int row = first; row <= last; ++row)
        paintLine(painter, row, topLine() + row);
    paintCursor(painter);
    ++m_framesPainted;
}

void TerminalView::paintLine(QPainter &painter, int viewportRow, int line)
{
    if (line >= m_model->lineCount())
        return;
    m_model->fetchLine(line, m_lineBuffer);
    const TerminalColors &colors = m_model->colors();
    const bool screenReverse = m_model->isReverseVideo();
    const int columns = int(m_lineBuffer.size());

    // Resolve each cell's colours once: reverse video, selection, and defaults.
    struct Colors
    {
        QRgb foreground;
        QRgb background;
        bool paintBackground;
    };
    const auto resolve = [&](int column) {
        const Cell &cell = m_lineBuffer[size_t(column)];
        QRgb foreground = cell.has(Cell::DefaultForeground) ? colors.foreground : cell.foreground;
        QRgb background = cell.has(Cell::DefaultBackground) ? colors.background : cell.background;
        bool reverse = cell.has(Cell::Reverse) != screenReverse;
        if (isSelected(column, line))
            reverse = !reverse;
        if (reverse)
            std::swap(foreground, background);
        const bool defaultBackground
            = screenReverse ? background == colors.foreground : background == colors.background;
        return Colors {foreground, background, !defaultBackground};
    };

    const int top = int(viewportRow * m_cellSize.height());
    // Backgrounds first, in runs, so wide glyphs and italics are not cut by a neighbour's fill.
    for (int column = 0; column < columns;) {
        const Colors start = resolve(column);
        int end = column + 1;
        while (end < columns) {
            const Colors next = resolve(end);
            if (next.background != start.background
                || next.paintBackground != start.paintBackground)
                break;
            ++end;
        }
        if (start.paintBackground)
            painter.fillRect(cellRect(column, viewportRow, end - column), QColor(start.background));
        column = end;
    }

    // Then text: plain ASCII cells of one style as one run, everything else one cell at a time
    // at its own position, so that fallback fonts with other advances stay on the grid.
    QString run;
    int runStart = 0;
    Colors runColors {};
    quint16 runFlags = 0;
    const auto flush = [&]() {
        if (run.isEmpty())
            return;
        painter.setFont(fontFor(runFlags));
        painter.setPen(QColor(runColors.foreground));
        painter.drawText(QPointF(columnLeft(runStart), top + m_ascent), run);
        run.clear();
    };
    for (int column = 0; column < columns; ++column) {
        const Cell &cell = m_lineBuffer[size_t(column)];
        if (cell.width == 0)
            continue;
        const bool decorated
            = cell.flags & (Cell::Underline | Cell::DoubleUnderline | Cell::Strike);
        if ((cell.ch == 0 || cell.ch == U' ') && !decorated) {
            flush();
            continue;
        }
        const Colors cellColors = resolve(column);
        const char32_t ch = cell.ch == 0 ? U' ' : cell.ch;
        if (ch < 0x80 && cell.combining == 0) {
            if (!run.isEmpty()
                && (runFlags != cell.flags || runColors.foreground != cellColors.foreground
                    || runStart + run.size() != column))
                flush();
            if (run.isEmpty()) {
                runStart = column;
                runFlags = cell.flags;
                runColors = cellColors;
            }
            run += QChar(char16_t(ch));
            continue;
        }
        flush();
        QString text = QString::fromUcs4(&ch, 1);
        if (cell.combining != 0)
            text += QString::fromUcs4(&cell.combining, 1);
        painter.setFont(fontFor(cell.flags));
        painter.setPen(QColor(cellColors.foreground));
        const QRect rect = cellRect(column, viewportRow, cell.width);
        painter.drawText(QPointF(rect.left(), top + m_ascent), text);
    }
    flush();
}

void TerminalView::paintCursor(QPainter &painter)
{
    m_paintedCursor = QRect();
    const TerminalCursor cursor = m_model->cursor();
    const int row = m_model->scrollbackLines() + cursor.position.y() - topLine();
    if (!cursor.visible || row < 0 || row >= visibleRows())
        return; // hidden, or scrolled out of view
    if (cursor.blinking && hasFocus() && !m_blinkVisible)
        return;
    const int line = m_model->scrollbackLines() + cursor.position.y();
    const Cell cell = m_model->cellAt(line, cursor.position.x());
    const QRect rect = cellRect(cursor.position.x(), row, cell.width == 2 ? 2 : 1);
    const TerminalColors &colors = m_model->colors();
    const QColor color(colors.foreground);
    m_paintedCursor = cursorRect();
    if (!hasFocus()) {
        painter.setPen(color);
        painter.setBrush(Qt::NoBrush);
        painter.drawRect(rect.adjusted(0, 0, -1, -1));
        return;
    }
    switch (cursor.shape) {
    case TerminalCursor::Shape::Block: {
        painter.fillRect(rect, color);
        if (cell.ch != 0 && cell.ch != U' ') {
            painter.setFont(fontFor(cell.flags));
            painter.setPen(QColor(colors.background));
            painter.drawText(QPointF(rect.left(), rect.top() + m_ascent),
                             QString::fromUcs4(&cell.ch, 1));
        }
        break;
    }
    case TerminalCursor::Shape::Underline:
        painter.fillRect(QRect(rect.left(), rect.bottom() - 1, rect.width(), 2), color);
        break;
    case TerminalCursor::Shape::Bar:
        painter.fillRect(QRect(rect.left(), rect.top(), 2, rect.height()), color);
        break;
    }
}

void TerminalView::toggleBlink()
{
    m_blinkVisible = !m_blinkVisible;
    viewport()->update(cursorRect());
}

void TerminalView::updateCursorBlink()
{
    if (m_model && hasFocus() && m_model->cursor().blinking) {
        if (!m_blinkTimer.isActive())
            m_blinkTimer.start();
    } else {
        m_blinkTimer.stop();
        m_blinkVisible = true;
    }
}

void TerminalView::focusInEvent(QFocusEvent *event)
{
    QAbstractScrollArea::focusInEvent(event);
    m_blinkVisible = true;
    updateCursorBlink();
    viewport()->update(cursorRect());
}

void TerminalView::focusOutEvent(QFocusEvent *event)
{
    QAbstractScrollArea::focusOutEvent(event);
    updateCursorBlink();
    viewport()->update(cursorRect());
}

// --- keyboard --------------------------------------------------------------------------------

namespace {

// The keys that are the viewer's own: Ctrl+Shift combinations, Shift+Insert, Shift+PgUp/PgDn,
// and zoom. Every other key (Ctrl+W, Ctrl+Q, Ctrl+A...) belongs to the guest.
bool isViewerKey(const QKeyEvent &event)
{
    const Qt::KeyboardModifiers mods = event.modifiers() & ~Qt::KeypadModifier;
    const int key = event.key();
    if (mods == (Qt::ControlModifier | Qt::ShiftModifier))
        return key != Qt::Key_Control && key != Qt::Key_Shift;
    if (mods == Qt::ShiftModifier)
        return key == Qt::Key_Insert || key == Qt::Key_PageUp || key == Qt::Key_PageDown;
    if (mods == Qt::ControlModifier && !(event.modifiers() & Qt::KeypadModifier))
        return key == Qt::Key_Plus || key == Qt::Key_Minus || key == Qt::Key_Equal
            || key == Qt::Key_0;
    return false;
}

} // namespace

bool TerminalView::event(QEvent *event)
{
    if (event->type() == QEvent::ShortcutOverride
        && !isViewerKey(*static_cast<QKeyEvent *>(event))) {
        event->accept(); // the key goes to keyPressEvent, not to a window shortcut
        return true;
    }
    return QAbstractScrollArea::event(event);
}

bool TerminalView::focusNextPrevChild(bool)
{
    return false; // Tab belongs to the guest
}

void TerminalView::keyPressEvent(QKeyEvent *event)
{
    if (event->modifiers() == Qt::ShiftModifier
        && (event->key() == Qt::Key_PageUp || event->key() == Qt::Key_PageDown)) {
        const int page = std::max(1, visibleRows() - 1);
        QScrollBar *bar = verticalScrollBar();
        bar->setValue(bar->value() + (event->key() == Qt::Key_PageUp ? -page : page));
        return;
    }
    // A viewer key whose action is disabled (copy without a selection) must not reach the guest
    // as the plain Ctrl combination: Ctrl+Shift+C would interrupt the guest's program.
    const std::optional<KeyStroke> stroke
        = isViewerKey(*event) ? std::nullopt : translateKey(*event);
    if (!stroke) {
        QAbstractScrollArea::keyPressEvent(event);
        return;
    }
    event->accept();
    stroke->sendTo(*m_model);
    scrollToBottom();
}

void TerminalView::inputMethodEvent(QInputMethodEvent *event)
{
    m_model->sendText(event->commitString());
    event->accept();
}

// --- mouse and selection ---------------------------------------------------------------------

QPoint TerminalView::cellAt(QPointF position) const
{
    const QSize grid = m_model->gridSize();
    const int column = std::clamp(
        int(std::floor(position.x() / m_cellSize.width())) + firstColumn(), 0, grid.width() - 1);
    // Below the grid (in the margin of a window taller than the console) is its last row.
    const int row
        = std::min(int(std::floor(position.y() / m_cellSize.height())), visibleRows() - 1);
    const int line = std::clamp(topLine() + row, 0, m_model->lineCount() - 1);
    return {column, line};
}

qint64 TerminalView::absoluteLine(int line) const
{
    return m_model->scrollback().droppedCount() + line;
}

int TerminalView::lineFromAbsolute(qint64 absolute) const
{
    return int(absolute - m_model->scrollback().droppedCount());
}

bool TerminalView::isSelected(int column, int line) const
{
    if (!m_selection)
        return false;
    const qint64 absolute = absoluteLine(line);
    auto from = std::make_pair(qint64(m_selection->anchor.y()), m_selection->anchor.x());
    auto to = std::make_pair(qint64(m_selection->cursor.y()), m_selection->cursor.x());
    if (to < from)
        std::swap(from, to);
    const auto here = std::make_pair(absolute, column);
    return from <= here && here <= to;
}

void TerminalView::setSelection(std::optional<Selection> selection)
{
    const bool had = m_selection.has_value();
    m_selection = selection;
    viewport()->update();
    if (had != m_selection.has_value())
        Q_EMIT selectionChanged(m_selection.has_value());
}

QString TerminalView::selectedText() const
{
    if (!m_selection)
        return {};
    QPoint from(m_selection->anchor.x(), lineFromAbsolute(m_selection->anchor.y()));
    QPoint to(m_selection->cursor.x(), lineFromAbsolute(m_selection->cursor.y()));
    if (std::make_pair(to.y(), to.x()) < std::make_pair(from.y(), from.x()))
        std::swap(from, to);
    return m_model->text(from, to + QPoint(1, 0));
}

void TerminalView::selectAll()
{
    const int last = m_model->lineCount() - 1;
    setSelection(Selection {{0, int(absoluteLine(0))},
                            {m_model->gridSize().width() - 1, int(absoluteLine(last))}});
    copySelectionToPrimary();
}

void TerminalView::clearSelection()
{
    setSelection(std::nullopt);
}

void TerminalView::selectWordAt(QPoint cell)
{
    Line cells;
    m_model->fetchLine(cell.y(), cells);
    const int size = int(cells.size());
    if (cell.x() >= size || !isWordCharacter(cells[size_t(cell.x())].ch)) {
        setSelection(Selection {{cell.x(), int(absoluteLine(cell.y()))},
                                {cell.x(), int(absoluteLine(cell.y()))}});
        return;
    }
    int start = cell.x();
    while (start > 0
           && (isWordCharacter(cells[size_t(start - 1)].ch) || cells[size_t(start - 1)].width == 0))
        --start;
    int end = cell.x();
    while (end + 1 < size
           && (isWordCharacter(cells[size_t(end + 1)].ch) || cells[size_t(end + 1)].width == 0))
        ++end;
    const int line = int(absoluteLine(cell.y()));
    setSelection(Selection {{start, line}, {end, line}});
    copySelectionToPrimary();
}

void TerminalView::selectLineAt(int line)
{
    const int absolute = int(absoluteLine(line));
    setSelection(Selection {{0, absolute}, {m_model->gridSize().width() - 1, absolute}});
    copySelectionToPrimary();
}

void TerminalView::copySelectionToPrimary()
{
    QClipboard *clipboard = QGuiApplication::clipboard();
    if (clipboard->supportsSelection() && hasSelection())
        clipboard->setText(selectedText(), QClipboard::Selection);
}

void TerminalView::copy()
{
    if (hasSelection())
        QGuiApplication::clipboard()->setText(selectedText());
}

void TerminalView::setPasteHandler(std::function<void(const QString &)> handler)
{
    m_pasteHandler = std::move(handler);
}

void TerminalView::paste()
{
    const QString text = QGuiApplication::clipboard()->text();
    if (text.isEmpty())
        return;
    if (m_pasteHandler)
        m_pasteHandler(text);
    else
        m_model->paste(text);
    scrollToBottom();
}

void TerminalView::mousePressEvent(QMouseEvent *event)
{
    const QPoint cell = cellAt(event->position());
    if (event->button() == Qt::MiddleButton) {
        QClipboard *clipboard = QGuiApplication::clipboard();
        const QString text
            = clipboard->supportsSelection() ? clipboard->text(QClipboard::Selection) : QString();
        if (!text.isEmpty() && m_pasteHandler)
            m_pasteHandler(text);
        else if (!text.isEmpty())
            m_model->paste(text);
        return;
    }
    if (event->button() != Qt::LeftButton) {
        QAbstractScrollArea::mousePressEvent(event);
        return;
    }
    // A press soon after a double click at the same place is the third click of a triple click.
    if (m_sinceDoubleClick.isValid() && cell == m_doubleClickCell
        && m_sinceDoubleClick.elapsed() < QApplication::doubleClickInterval()) {
        m_sinceDoubleClick.invalidate();
        selectLineAt(cell.y());
        return;
    }
    clearSelection();
    m_selecting = true;
    // The press only anchors; it becomes a selection once the mouse moves to another cell.
    m_pressCell = QPoint(cell.x(), int(absoluteLine(cell.y())));
}

void TerminalView::mouseMoveEvent(QMouseEvent *event)
{
    if (!m_selecting || !(event->buttons() & Qt::LeftButton))
        return;
    // Dragging past an edge of the grid scrolls.
    const QRect grid = gridRect();
    if (event->position().y() < 0)
        verticalScrollBar()->setValue(topLine() - 1);
    else if (event->position().y() > grid.bottom())
        verticalScrollBar()->setValue(topLine() + 1);
    if (event->position().x() < 0)
        horizontalScrollBar()->setValue(firstColumn() - 1);
    else if (event->position().x() > viewport()->width())
        horizontalScrollBar()->setValue(firstColumn() + 1);
    const QPoint cell = cellAt(event->position());
    const QPoint absolute(cell.x(), int(absoluteLine(cell.y())));
    if (!m_selection && absolute == m_pressCell)
        return;
    setSelection(Selection {m_selection ? m_selection->anchor : m_pressCell, absolute});
}

void TerminalView::mouseReleaseEvent(QMouseEvent *event)
{
    if (event->button() == Qt::LeftButton && m_selecting) {
        m_selecting = false;
        copySelectionToPrimary();
    }
}

void TerminalView::mouseDoubleClickEvent(QMouseEvent *event)
{
    if (event->button() != Qt::LeftButton)
        return;
    const QPoint cell = cellAt(event->position());
    m_selecting = false;
    selectWordAt(cell);
    m_doubleClickCell = cell;
    m_sinceDoubleClick.start();
}

} // namespace CloudConsole::Viewer
