#pragma once

// PresenceIndicator is the status bar's part for who is attached: "3 here", and on an exclusive
// console who has the keyboard ("3 here · alice has the keyboard", amber while someone else has
// it, green while this viewer does). Its menu lists the clients (name, "you", the keyboard's
// holder, role, kind, address, when each joined and last typed) and holds Take Keyboard,
// Release Keyboard and Give Keyboard To, which the window also puts in its Console menu.
//
// It owns its menu and actions. It shows a Presence and asks for changes through its signals;
// it sends nothing and asks no questions (the window confirms a take).

#include <QToolButton>

class QAction;
class QMenu;

namespace CloudConsole::Viewer {

class Presence;

class PresenceIndicator : public QToolButton
{
    Q_OBJECT

public:
    explicit PresenceIndicator(const Presence *presence, QWidget *parent = nullptr);

    QAction *takeAction() const { return m_takeAction; }
    QAction *releaseAction() const { return m_releaseAction; }
    QMenu *giveMenu() const { return m_giveMenu; }
    // One line per client as the menu shows it, for tests and the tooltip.
    QStringList clientLines() const;

Q_SIGNALS:
    void takeRequested();
    void releaseRequested();
    void giveRequested(qint64 to);

private:
    void render();
    void fillMenu();
    void fillGiveMenu();

    const Presence *m_presence;
    QMenu *m_menu;
    QMenu *m_giveMenu;
    QAction *m_takeAction;
    QAction *m_releaseAction;
};

} // namespace CloudConsole::Viewer
