#pragma once

// ViewerWindow is the desktop window around one console: a TerminalView, menus, a status bar
// (connection, pastes under way, who is here and has the keyboard, alerts, console size, bytes),
// the dialogs that explain a failed connection, and the question before taking the keyboard
// from someone.
//
// It owns the ConsoleSession and the view (as children). It decides nothing about the protocol
// or emulation; it shows what the session and connection report and forwards the user's
// commands (reconnect, BREAK, save, copy all).

#include "consoleconnection.h"

#include <QMainWindow>
#include <QTimer>

#include <functional>

class QAction;
class QLabel;

namespace CloudConsole::Viewer {

class AlertIndicator;
class ConsoleSession;
class PasteProgress;
class PresenceIndicator;
class TerminalView;

class ViewerWindow : public QMainWindow
{
    Q_OBJECT

public:
    explicit ViewerWindow(QWidget *parent = nullptr);

    ConsoleSession *session() const { return m_session; }
    TerminalView *view() const { return m_view; }
    AlertIndicator *alertIndicator() const { return m_alertIndicator; }
    PresenceIndicator *presenceIndicator() const { return m_presenceIndicator; }
    PasteProgress *pasteProgress() const { return m_pasteProgress; }
    QAction *cancelPasteAction() const { return m_cancelPasteAction; }

    // Asked before taking the keyboard from `holder` (a name); by default a question box. Tests
    // answer it themselves.
    void setTakeConfirmation(std::function<bool(const QString &holder)> confirm);
    // Take Keyboard: at once when nobody has it, after the confirmation when someone does.
    void takeKeyboard();
    // Pastes `text` as a paste message, saying in the status bar why not when it cannot.
    void paste(const QString &text);

    void openConsole(const QUrl &url);
    // Asks for an address; returns false if the user cancelled.
    bool showConnectDialog();

    // Writes the scrollback and screen as plain text.
    bool saveOutput(const QString &fileName, QString *error);

private:
    void createActions();
    void updateStatus();
    void updateBytes();
    void updateTitle();
    void updateSize();
    void onScreenReplaced();
    void fitWindowToConsole();
    void onAttemptFailed(ConsoleConnection::Failure failure, const QString &message,
                         bool willRetry);
    void onHello();
    void onSaveOutput();
    void onCopyAll();
    void onSendBreak();
    void onServerError(const Protocol::Error &error);
    void updatePasteActions();

    ConsoleSession *m_session;
    TerminalView *m_view;
    QLabel *m_stateLabel;
    QLabel *m_consoleLabel;
    QLabel *m_bytesLabel;
    QLabel *m_accessLabel;
    QLabel *m_sizeLabel;
    QLabel *m_incompleteLabel;
    AlertIndicator *m_alertIndicator;
    PresenceIndicator *m_presenceIndicator;
    PasteProgress *m_pasteProgress;
    QAction *m_reconnectAction = nullptr;
    QAction *m_breakAction = nullptr;
    QAction *m_cancelPasteAction = nullptr;
    std::function<bool(const QString &)> m_confirmTake;
    QTimer m_bytesTimer; // the byte count changes per frame; the label needs a few updates a second
};

} // namespace CloudConsole::Viewer
