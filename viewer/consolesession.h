#pragma once

// ConsoleSession joins a TerminalModel to a ConsoleConnection: console output into the model,
// keys from the model to the console, pastes as paste messages (PasteSender), a marked line
// where output was lost, the server's screen in place of the model's when one comes, the
// console's size, and who is attached and has the keyboard (Presence).
//
// The model is always the console's size (from the hello and size events), never the window's:
// the console has one size, whatever the clients' windows. The window only asks for a size
// (requestSize()), which is sent when the console can take it and this client may change it.
// Terminal queries in the console's output are never answered here: the server answers each
// one once (docs/protocol.md, "Terminal queries"); only keys and pastes reach the console.
//
// Keys typed while another operator has the keyboard of an exclusive console are not sent
// (inputRefused() says so), as the server would refuse them.
//
// It owns all four (as QObject children). It is the "host" of the terminal; it knows nothing
// about widgets, so the end-to-end tests drive it without a window.

#include "consoleconnection.h"
#include "pastesender.h"
#include "terminal.h"

#include <QObject>
#include <QSize>

namespace CloudConsole::Viewer {

class Presence;

class ConsoleSession : public QObject
{
    Q_OBJECT

public:
    explicit ConsoleSession(QObject *parent = nullptr);

    TerminalModel *model() const { return m_model; }
    ConsoleConnection *connection() const { return m_connection; }
    Presence *presence() const { return m_presence; }
    PasteSender *pastes() const { return m_pastes; }

    // Connects to a console; the size last requested is asked of it once connected.
    void open(const QUrl &url);
    // The size the user's window fits, once per change (TerminalView::preferredSizeChanged).
    // Sent as a resize when connected to a console that takes a size (capabilities.resize) as a
    // client that may write, and differs from the console's size; a request made while
    // disconnected goes out once connected. Never sent in answer to the console's own size
    // changes, so two windows cannot resize each other back and forth.
    void requestSize(QSize gridSize);
    bool sendBreak();
    // Sends a paste (bracketed when the guest asked for it) as paste messages.
    PasteSender::Result paste(const QString &text);
    // The keyboard of an exclusive console.
    bool takeKeyboard();
    bool releaseKeyboard();
    bool giveKeyboard(qint64 to);

    // The console's size, as the server last said (80x24 before the first hello).
    QSize consoleSize() const { return m_model->gridSize(); }
    // The server's last screen was marked incomplete (its model skipped output in a flood),
    // and the model has not been wholly redrawn since.
    bool isScreenIncomplete() const { return m_screenIncomplete; }

    // Input dropped because the console was read-only or the connection was down.
    qint64 inputDropped() const { return m_inputDropped; }

    static QString gapText(qint64 bytes);

Q_SIGNALS:
    void inputDroppedChanged();
    // Keys were not sent: `why` says so ("alice has the keyboard").
    void inputRefused(const QString &why);
    // The model was replaced by the server's screen: what was shown, and any selection in it,
    // is gone.
    void screenReplaced();
    void screenIncompleteChanged(bool incomplete);

private:
    void onOutput(const QByteArray &bytes);
    void onSkipped(qint64 bytes);
    void onRestarted();
    void onHello(const Protocol::Hello &hello, bool resumed);
    void onScreen(const Protocol::Screen &screen);
    void onModelInput(const QByteArray &bytes);
    void sendRequestedSize();
    void setScreenIncomplete(bool incomplete);
    void checkScreenRedrawn();

    TerminalModel *m_model;
    ConsoleConnection *m_connection;
    Presence *m_presence;
    PasteSender *m_pastes;
    QSize m_requestedSize; // invalid: the window never asked
    bool m_requestPending = false;
    qint64 m_inputDropped = 0;
    bool m_screenIncomplete = false;
    // The model's counters when the incomplete screen came; once every visible cell was written
    // again (an erase of the whole screen, or a screenful of lines scrolled off) it is whole.
    qint64 m_erasesAtScreen = 0;
    qint64 m_scrolledAtScreen = 0;
};

} // namespace CloudConsole::Viewer
