// Tests of TerminalView offscreen: keys to bytes, resize coalescing, a grid smaller or larger
// than the window, selection, clipboard, zoom.

#include "consolesession.h"
#include "terminalview.h"
#include "testconsoleserver.h"

#include <QAction>
#include <QClipboard>
#include <QGuiApplication>
#include <QMainWindow>
#include <QScrollBar>
#include <QSignalSpy>
#include <QStyleHints>
#include <QTest>

using namespace CloudConsole::Viewer;

namespace {

QString printable(const QByteArray &bytes)
{
    QString out;
    for (const char c : bytes) {
        const auto u = static_cast<unsigned char>(c);
        out += u == 0x1b            ? QStringLiteral("\\e")
            : u < 0x20 || u >= 0x7f ? QStringLiteral("\\x%1").arg(u, 2, 16, QLatin1Char('0'))
                                    : QString(QLatin1Char(c));
    }
    return out;
}

QByteArray joined(const QSignalSpy &spy)
{
    QByteArray bytes;
    for (const QList<QVariant> &arguments : spy)
        bytes += arguments.at(0).toByteArray();
    return bytes;
}

// The centre of a cell, in viewport coordinates.
QPoint cellCentre(const TerminalView &view, int column, int viewportRow)
{
    const QSizeF cell = view.cellSize();
    return QPoint(int((column + 0.5) * cell.width()), int((viewportRow + 0.5) * cell.height()));
}

} // namespace

class tst_TerminalView : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void keyEventsProduceTheRightBytes_data();
    void keyEventsProduceTheRightBytes();
    void terminalKeysWinOverWindowShortcuts();
    void aBurstOfResizesIsAnnouncedOnce();
    void aBurstOfResizesSendsOneResizeMessage();
    void theConsoleResizingElsewhereSendsNoResizeBack();
    void aWindowResizeSendsNothingToAConsoleWithoutASize();
    void zoomChangesTheCellSizeAndTheWindowsGrid();
    void aGridSmallerThanTheWindowIsPaintedInAMargin();
    void aGridLargerThanTheWindowScrollsBothWays();
    void doubleClickSelectsAWordAndTripleClickTheLine();
    void draggingSelectsAcrossLines();
    void copyAndPasteGoThroughTheClipboard();
    void aScrolledBackViewStaysOnItsLinesWhileOutputArrives();
};

void tst_TerminalView::keyEventsProduceTheRightBytes_data()
{
    QTest::addColumn<QByteArray>("setup"); // written to the model first: modes the guest set
    QTest::addColumn<int>("key");
    QTest::addColumn<Qt::KeyboardModifiers>("modifiers");
    QTest::addColumn<QString>("text");
    QTest::addColumn<QByteArray>("expected");

    const Qt::KeyboardModifiers none = Qt::NoModifier;
    const Qt::KeyboardModifiers ctrl = Qt::ControlModifier;
    const Qt::KeyboardModifiers alt = Qt::AltModifier;
    const Qt::KeyboardModifiers shift = Qt::ShiftModifier;
    const Qt::KeyboardModifiers keypad = Qt::KeypadModifier;
    const QByteArray normal;
    const QString noText;

    QTest::newRow("a letter") << normal << int(Qt::Key_A) << none << "a" << QByteArray("a");
    QTest::newRow("a capital") << normal << int(Qt::Key_A) << shift << "A" << QByteArray("A");
    QTest::newRow("a non-ascii letter is utf-8")
        << normal << int(Qt::Key_Eacute) << none << QStringLiteral("é") << QByteArray("\xc3\xa9");
    QTest::newRow("return") << normal << int(Qt::Key_Return) << none << "\r" << QByteArray("\r");
    QTest::newRow("backspace is DEL")
        << normal << int(Qt::Key_Backspace) << none << "\b" << QByteArray("\x7f");
    QTest::newRow("tab") << normal << int(Qt::Key_Tab) << none << "\t" << QByteArray("\t");
    QTest::newRow("shift tab") << normal << int(Qt::Key_Backtab) << shift << noText
                               << QByteArray("\x1b[Z");
    QTest::newRow("escape") << normal << int(Qt::Key_Escape) << none << "\x1b"
                            << QByteArray("\x1b");
    QTest::newRow("up") << normal << int(Qt::Key_Up) << none << noText << QByteArray("\x1b[A");
    QTest::newRow("up in application cursor mode")
        << QByteArray("\x1b[?1h") << int(Qt::Key_Up) << none << noText << QByteArray("\x1bOA");
    QTest::newRow("ctrl up") << normal << int(Qt::Key_Up) << ctrl << noText
                             << QByteArray("\x1b[1;5A");
    QTest::newRow("shift right") << normal << int(Qt::Key_Right) << shift << noText
                                 << QByteArray("\x1b[1;2C");
    QTest::newRow("left") << normal << int(Qt::Key_Left) << none << noText << QByteArray("\x1b[D");
    QTest::newRow("home") << normal << int(Qt::Key_Home) << none << noText << QByteArray("\x1b[H");
    QTest::newRow("end") << normal << int(Qt::Key_End) << none << noText << QByteArray("\x1b[F");
    QTest::newRow("page up") << normal << int(Qt::Key_PageUp) << none << noText
                             << QByteArray("\x1b[5~");
    QTest::newRow("page down") << normal << int(Qt::Key_PageDown) << none << noText
                               << QByteArray("\x1b[6~");
    QTest::newRow("insert") << normal << int(Qt::Key_Insert) << none << noText
                            << QByteArray("\x1b[2~");
    QTest::newRow("delete") << normal << int(Qt::Key_Delete) << none << noText
                            << QByteArray("\x1b[3~");
    QTest::newRow("F1") << normal << int(Qt::Key_F1) << none << noText << QByteArray("\x1bOP");
    QTest::newRow("F4") << normal << int(Qt::Key_F4) << none << noText << QByteArray("\x1bOS");
    QTest::newRow("F5") << normal << int(Qt::Key_F5) << none << noText << QByteArray("\x1b[15~");
    QTest::newRow("F12") << normal << int(Qt::Key_F12) << none << noText << QByteArray("\x1b[24~");
    QTest::newRow("ctrl c") << normal << int(Qt::Key_C) << ctrl << "\x03" << QByteArray("\x03");
    QTest::newRow("ctrl a") << normal << int(Qt::Key_A) << ctrl << "\x01" << QByteArray("\x01");
    QTest::newRow("ctrl z") << normal << int(Qt::Key_Z) << ctrl << "\x1a" << QByteArray("\x1a");
    QTest::newRow("ctrl left bracket is ESC")
        << normal << int(Qt::Key_BracketLeft) << ctrl << "\x1b" << QByteArray("\x1b");
    QTest::newRow("ctrl space is NUL")
        << normal << int(Qt::Key_Space) << ctrl << noText << QByteArray(1, '\0');
    QTest::newRow("ctrl slash is US")
        << normal << int(Qt::Key_Slash) << ctrl << noText << QByteArray("\x1f");
    QTest::newRow("alt x is ESC x")
        << normal << int(Qt::Key_X) << alt << "x" << QByteArray("\x1bx");
    QTest::newRow("ctrl alt c") << normal << int(Qt::Key_C) << (ctrl | alt) << noText
                                << QByteArray("\x1b\x03");
    QTest::newRow("keypad 5") << normal << int(Qt::Key_5) << keypad << "5" << QByteArray("5");
    QTest::newRow("keypad 5 in application keypad mode")
        << QByteArray("\x1b=") << int(Qt::Key_5) << keypad << "5" << QByteArray("\x1bOu");
    QTest::newRow("keypad enter") << normal << int(Qt::Key_Enter) << keypad << "\r"
                                  << QByteArray("\r");
    QTest::newRow("keypad minus") << normal << int(Qt::Key_Minus) << keypad << "-"
                                  << QByteArray("-");
    QTest::newRow("ctrl shift c without a selection sends nothing")
        << normal << int(Qt::Key_C) << (ctrl | shift) << noText << QByteArray();
    QTest::newRow("shift page up scrolls the view")
        << normal << int(Qt::Key_PageUp) << shift << noText << QByteArray();
    QTest::newRow("a lone shift sends nothing")
        << normal << int(Qt::Key_Shift) << shift << noText << QByteArray();
}

void tst_TerminalView::keyEventsProduceTheRightBytes()
{
    QFETCH(QByteArray, setup);
    QFETCH(int, key);
    QFETCH(Qt::KeyboardModifiers, modifiers);
    QFETCH(QString, text);
    QFETCH(QByteArray, expected);

    TerminalModel model;
    model.write(setup);
    TerminalView view(&model);
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    view.setFocus();
    QSignalSpy spy(&model, &TerminalModel::inputReady);
    QTest::sendKeyEvent(QTest::Press, &view, Qt::Key(key), text, modifiers);
    QTest::sendKeyEvent(QTest::Release, &view, Qt::Key(key), text, modifiers);
    const QByteArray actual = joined(spy);
    QVERIFY2(actual == expected,
             qPrintable(QStringLiteral("sent \"%1\", expected \"%2\"")
                            .arg(printable(actual), printable(expected))));
}

void tst_TerminalView::terminalKeysWinOverWindowShortcuts()
{
    // A window action on Ctrl+W must not steal the guest's "delete word".
    TerminalModel model;
    QMainWindow window;
    auto *view = new TerminalView(&model, &window);
    window.setCentralWidget(view);
    QAction closeAction(QStringLiteral("Close"));
    closeAction.setShortcut(QKeySequence(Qt::CTRL | Qt::Key_W));
    window.addAction(&closeAction);
    QSignalSpy triggered(&closeAction, &QAction::triggered);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    view->setFocus();
    QSignalSpy spy(&model, &TerminalModel::inputReady);
    QTest::keyClick(view, Qt::Key_W, Qt::ControlModifier);
    QCOMPARE(joined(spy), QByteArray("\x17"));
    QCOMPARE(triggered.count(), 0);
}

void tst_TerminalView::aBurstOfResizesIsAnnouncedOnce()
{
    TerminalModel model;
    TerminalView view(&model);
    view.setResizeDelay(100);
    view.resize(400, 300);
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    QSignalSpy spy(&view, &TerminalView::preferredSizeChanged);
    QTRY_COMPARE(spy.count(), 1); // the initial size
    spy.clear();

    for (int step = 1; step <= 25; ++step) {
        view.resize(400 + 13 * step, 300 + 7 * step);
        QCoreApplication::processEvents();
    }
    // The grid the window fits without a horizontal scroll bar, which shows while the console
    // is wider than the window and must not make the window ask for fewer rows.
    const int scrollBar = view.verticalScrollBar()->width();
    const QSize expected = view.gridSizeFor(view.size() - QSize(scrollBar, 0));
    QCOMPARE(view.preferredSize(), expected);
    QCOMPARE(model.gridSize(), QSize(80, 24)); // the console's size, not the window's
    QTRY_COMPARE(spy.count(), 1);
    QCOMPARE(spy.at(0).at(0).toSize(), expected);
    // Nothing else trickles in after the burst.
    QTest::qWait(300);
    QCOMPARE(spy.count(), 1);
}

void tst_TerminalView::aBurstOfResizesSendsOneResizeMessage()
{
    TestConsoleServer server;
    QVERIFY(server.listen());
    ConsoleSession session;
    TerminalView view(session.model());
    // Far longer than the burst below takes, even on a loaded machine (at 100 ms, a burst slowed
    // by other processes was seen to send two).
    view.setResizeDelay(1000);
    connect(&view, &TerminalView::preferredSizeChanged, &session, &ConsoleSession::requestSize);
    view.resize(500, 300);
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    session.open(server.url());
    QTRY_COMPARE(session.connection()->state(), ConsoleConnection::State::Connected);
    QTRY_COMPARE(server.resizeCount(), 1); // the window's size, asked once connected
    QTRY_COMPARE(session.model()->gridSize(), view.preferredSize()); // the server said so
    QTest::qWait(300);
    QCOMPARE(server.resizeCount(), 1);

    for (int step = 1; step <= 20; ++step) {
        view.resize(500 + 9 * step, 300 + 11 * step);
        QCoreApplication::processEvents();
    }
    QTRY_COMPARE(server.resizeCount(), 2);
    QTest::qWait(300);
    QCOMPARE(server.resizeCount(), 2);
    const auto resize = std::get<CloudConsole::Protocol::Resize>(server.messages.last());
    QCOMPARE(QSize(resize.cols, resize.rows), view.preferredSize());
    QTRY_COMPARE(session.model()->gridSize(), view.preferredSize());
}

void tst_TerminalView::theConsoleResizingElsewhereSendsNoResizeBack()
{
    // Another operator's window is smaller; the last resize wins, and this window must not
    // take the console back.
    TestConsoleServer server;
    QVERIFY(server.listen());
    ConsoleSession session;
    TerminalView view(session.model());
    view.setResizeDelay(50);
    connect(&view, &TerminalView::preferredSizeChanged, &session, &ConsoleSession::requestSize);
    view.resize(600, 400);
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    session.open(server.url());
    QTRY_COMPARE(session.model()->gridSize(), view.preferredSize());
    QTest::qWait(200);
    const int before = server.resizeCount();

    server.setSize(QSize(40, 12));
    QTRY_COMPARE(session.model()->gridSize(), QSize(40, 12));
    QTest::qWait(300); // several resize delays
    QCOMPARE(server.resizeCount(), before);
    QCOMPARE(server.size, QSize(40, 12));
    QVERIFY(view.gridRect().width() < view.viewport()->width()); // shown in a margin
}

void tst_TerminalView::aWindowResizeSendsNothingToAConsoleWithoutASize()
{
    // A serial console (canResize false) keeps its size; so does any console for a viewer.
    for (const bool readOnly : {false, true}) {
        TestConsoleServer server;
        server.canResize = readOnly; // a read-only client of a console that could resize
        server.writable = !readOnly;
        server.size = QSize(100, 30);
        QVERIFY(server.listen());
        ConsoleSession session;
        TerminalView view(session.model());
        view.setResizeDelay(50);
        connect(&view, &TerminalView::preferredSizeChanged, &session, &ConsoleSession::requestSize);
        view.resize(500, 300);
        view.show();
        QVERIFY(QTest::qWaitForWindowExposed(&view));
        session.open(server.url());
        QTRY_COMPARE(session.model()->gridSize(), QSize(100, 30)); // the hello's size
        for (int step = 1; step <= 10; ++step) {
            view.resize(500 + 30 * step, 300 + 20 * step);
            QCoreApplication::processEvents();
        }
        QTest::qWait(300);
        QVERIFY2(server.resizeCount() == 0, readOnly ? "read-only" : "no capability");
        QCOMPARE(session.model()->gridSize(), QSize(100, 30));
    }
}

void tst_TerminalView::zoomChangesTheCellSizeAndTheWindowsGrid()
{
    TerminalModel model;
    TerminalView view(&model);
    view.setResizeDelay(50);
    view.resize(640, 400);
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    QSignalSpy announced(&view, &TerminalView::preferredSizeChanged);
    QTRY_COMPARE(announced.count(), 1);
    const QSizeF cell = view.cellSize();
    const QSize grid = view.preferredSize();
    view.zoomInAction()->trigger();
    view.zoomInAction()->trigger();
    QVERIFY2(view.cellSize().height() > cell.height(),
             qPrintable(
                 QStringLiteral("cell %1 -> %2").arg(cell.height()).arg(view.cellSize().height())));
    QVERIFY(view.preferredSize().width() < grid.width());
    QTRY_COMPARE(announced.count(), 2); // the window now fits fewer cells: ask for them
    QCOMPARE(announced.last().at(0).toSize(), view.preferredSize());
    view.resetZoomAction()->trigger();
    QCOMPARE(view.cellSize(), cell);
    QCOMPARE(view.preferredSize(), grid);
    view.zoomOutAction()->trigger();
    QVERIFY(view.preferredSize().width() > grid.width());
    QCOMPARE(model.gridSize(), QSize(80, 24)); // the console decides
}

void tst_TerminalView::aGridSmallerThanTheWindowIsPaintedInAMargin()
{
    TerminalModel model(QSize(20, 5));
    TerminalView view(&model);
    view.resize(640, 400);
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    model.write("\x1b[44m  \x1b[0m blue\r\nline two\r\nthree\r\nfour\r\nfive at the end");
    QTRY_VERIFY(!view.horizontalScrollBar()->isVisible());
    QCOMPARE(view.visibleRows(), 5);
    QCOMPARE(view.visibleColumns(), 20);
    const QSizeF cell = view.cellSize();
    const QRect grid = view.gridRect();
    QCOMPARE(grid.topLeft(), QPoint(0, 0));
    QVERIFY2(std::abs(grid.width() - 20 * cell.width()) <= 1,
             qPrintable(QStringLiteral("%1 wide").arg(grid.width())));
    QCOMPARE(grid.height(), int(5 * cell.height()));

    const QImage image = view.viewport()->grab().toImage();
    const qreal scale = image.devicePixelRatio();
    const auto pixel
        = [&](qreal x, qreal y) { return image.pixelColor(int(x * scale), int(y * scale)); };
    const QColor background(model.colors().background);
    QCOMPARE(pixel(cell.width() * 10, cell.height() * 3.5), background); // inside, blank
    QCOMPARE(pixel(cell.width() * 0.5, cell.height() * 0.5), QColor(model.colors().ansi[4]));
    const QColor right = pixel(grid.right() + 20, cell.height());
    const QColor below = pixel(cell.width(), grid.bottom() + 20);
    QVERIFY2(right != background && right == below,
             qPrintable(QStringLiteral("margin %1 and %2, background %3")
                            .arg(right.name(), below.name(), background.name())));

    // The text stays where it is while the window changes; the model does not follow it.
    view.resize(300, 200);
    QTRY_COMPARE(view.gridRect(), grid);
    QCOMPARE(model.gridSize(), QSize(20, 5));

    // A click in the margin below the grid is on the grid's last row; right of it, at the end
    // of that row's line.
    QWidget *viewport = view.viewport();
    QTest::mouseDClick(viewport, Qt::LeftButton, {},
                       QPoint(int(cell.width() * 6.5), grid.bottom() + 10));
    QCOMPARE(view.selectedText(), QStringLiteral("at"));
    QVERIFY(view.isAtBottom());
}

void tst_TerminalView::aGridLargerThanTheWindowScrollsBothWays()
{
    TerminalModel model(QSize(200, 60));
    TerminalView view(&model);
    view.resize(400, 300);
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    QByteArray rows;
    for (int row = 0; row < 60; ++row)
        rows += "\x1b[" + QByteArray::number(row + 1) + ";1Hrow" + QByteArray::number(row) + "\x1b["
            + QByteArray::number(row + 1) + ";150Hfar" + QByteArray::number(row);
    model.write(rows);
    QTRY_VERIFY(view.horizontalScrollBar()->isVisible());
    QTRY_VERIFY(view.isAtBottom());
    const int columns = view.visibleColumns();
    const int visible = view.visibleRows();
    QVERIFY2(columns < 200 && visible < 60,
             qPrintable(QStringLiteral("%1 x %2").arg(columns).arg(visible)));
    QCOMPARE(view.horizontalScrollBar()->maximum(), 200 - columns);
    QCOMPARE(view.verticalScrollBar()->maximum(), model.lineCount() - visible);
    QCOMPARE(view.gridRect().width(), view.viewport()->width());
    QCOMPARE(view.gridRect().height(), int(visible * view.cellSize().height()));
    // Following the output shows the screen's last rows.
    QCOMPARE(view.topLine(), model.lineCount() - visible);

    // The cursor goes to the top, as for a prompt after "clear": the view follows it.
    model.write("\x1b[H");
    QTRY_COMPARE(view.topLine(), model.scrollbackLines());
    QVERIFY(view.isAtBottom());
    model.write("\x1b[60;1H");
    QTRY_COMPARE(view.topLine(), model.lineCount() - visible);

    // Scrolled right to column 150 and up to the top, the first visible cell is "far0".
    view.horizontalScrollBar()->setValue(150);
    view.verticalScrollBar()->setValue(0);
    QCOMPARE(view.firstColumn(), 150);
    QWidget *viewport = view.viewport();
    QTest::mouseDClick(viewport, Qt::LeftButton, {}, cellCentre(view, 1, 0));
    QCOMPARE(view.selectedText(), QStringLiteral("far0"));
    // Zooming out until it fits hides the horizontal bar again.
    for (int i = 0; i < 12; ++i)
        view.zoomOutAction()->trigger();
    view.resize(1200, 800);
    QTRY_VERIFY(!view.horizontalScrollBar()->isVisible());
    QCOMPARE(view.firstColumn(), 0);
    QCOMPARE(view.visibleRows(), 60);
}

void tst_TerminalView::doubleClickSelectsAWordAndTripleClickTheLine()
{
    TerminalModel model;
    TerminalView view(&model);
    view.resize(view.sizeHint()); // the whole grid, no margin
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    model.write("ls -l /var/log/syslog.1 done");
    QWidget *viewport = view.viewport();

    QTest::mouseDClick(viewport, Qt::LeftButton, {}, cellCentre(view, 10, 0));
    QVERIFY(view.hasSelection());
    QCOMPARE(view.selectedText(), QStringLiteral("/var/log/syslog.1"));

    QTest::mousePress(viewport, Qt::LeftButton, {}, cellCentre(view, 10, 0));
    QTest::mouseRelease(viewport, Qt::LeftButton, {}, cellCentre(view, 10, 0));
    QCOMPARE(view.selectedText(), QStringLiteral("ls -l /var/log/syslog.1 done"));

    // A single click somewhere else clears it.
    QTest::qWait(QGuiApplication::styleHints()->mouseDoubleClickInterval() + 50);
    QTest::mouseClick(viewport, Qt::LeftButton, {}, cellCentre(view, 3, 1));
    QVERIFY(!view.hasSelection());
}

void tst_TerminalView::draggingSelectsAcrossLines()
{
    TerminalModel model;
    TerminalView view(&model);
    view.resize(view.sizeHint()); // the whole grid, no margin
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    model.write("first line\r\nsecond line\r\nthird");
    QWidget *viewport = view.viewport();
    QTest::mousePress(viewport, Qt::LeftButton, {}, cellCentre(view, 6, 0));
    QMouseEvent move(QEvent::MouseMove, cellCentre(view, 5, 1),
                     viewport->mapToGlobal(cellCentre(view, 5, 1)), Qt::NoButton, Qt::LeftButton,
                     Qt::NoModifier);
    QCoreApplication::sendEvent(viewport, &move);
    QTest::mouseRelease(viewport, Qt::LeftButton, {}, cellCentre(view, 5, 1));
    QCOMPARE(view.selectedText(), QStringLiteral("line\nsecond"));
}

void tst_TerminalView::copyAndPasteGoThroughTheClipboard()
{
    TerminalModel model;
    QMainWindow window;
    auto *view = new TerminalView(&model, &window);
    window.setCentralWidget(view);
    window.resize(640, 400);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    view->setFocus();
    model.write("\x1b[?2004hhello world");
    view->selectWordAt(QPoint(7, 0));
    QVERIFY(view->copyAction()->isEnabled());
    QTest::keyClick(view, Qt::Key_C, Qt::ControlModifier | Qt::ShiftModifier);
    QCOMPARE(QGuiApplication::clipboard()->text(), QStringLiteral("world"));

    QGuiApplication::clipboard()->setText(QStringLiteral("echo 1\necho 2"));
    QSignalSpy spy(&model, &TerminalModel::inputReady);
    QTest::keyClick(view, Qt::Key_V, Qt::ControlModifier | Qt::ShiftModifier);
    QCOMPARE(joined(spy), QByteArray("\x1b[200~echo 1\recho 2\x1b[201~"));

    // With a paste handler (the window's: a paste message), the clipboard's text goes there and
    // not to the model as keys.
    QStringList handled;
    view->setPasteHandler([&handled](const QString &text) { handled << text; });
    spy.clear();
    QTest::keyClick(view, Qt::Key_Insert, Qt::ShiftModifier);
    QCOMPARE(handled, QStringList {QStringLiteral("echo 1\necho 2")});
    QCOMPARE(spy.count(), 0);
}

void tst_TerminalView::aScrolledBackViewStaysOnItsLinesWhileOutputArrives()
{
    TerminalModel model(QSize(80, 24));
    model.setScrollbackCapacity(200);
    TerminalView view(&model);
    view.resize(view.sizeHint()); // the whole grid, no margin
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    QByteArray lines;
    for (int i = 0; i < 150; ++i)
        lines += "line " + QByteArray::number(i) + "\r\n";
    model.write(lines);
    QTRY_VERIFY2(view.isAtBottom() && view.topLine() == model.scrollbackLines(),
                 qPrintable(QStringLiteral("top %1 of %2, scrollback %3, %4 rows visible in %5")
                                .arg(view.topLine())
                                .arg(view.verticalScrollBar()->maximum())
                                .arg(model.scrollbackLines())
                                .arg(view.visibleRows())
                                .arg(view.viewport()->height())));

    view.verticalScrollBar()->setValue(10);
    const QString topText = model.lineText(view.topLine());
    QByteArray more;
    for (int i = 150; i < 300; ++i) // pushes the oldest lines out of the 200-line scrollback
        more += "line " + QByteArray::number(i) + "\r\n";
    model.write(more);
    QTRY_VERIFY(view.topLine() != 10 || model.lineText(10) == topText);
    QVERIFY2(model.lineText(view.topLine()) == topText || view.topLine() == 0,
             qPrintable(QStringLiteral("top line now shows \"%1\", was \"%2\"")
                            .arg(model.lineText(view.topLine()), topText)));
    QVERIFY(!view.isAtBottom());
}

QTEST_MAIN(tst_TerminalView)
#include "tst_terminalview.moc"
