#pragma once

// Presence is what the viewer knows of who is attached to its console and of the keyboard of an
// exclusive console: the server's last `clients` event, kept current by the `control` events
// between two, and the names of clients seen on this connection (for "alice left" after she
// has gone from the list). It says it in words for the window: the count, who has the keyboard,
// when each client typed, a notice for every change of holder.
//
// It owns no widgets and sends nothing: ConsoleSession hands it the events and asks it whether
// this client may type; PresenceIndicator shows it.

#include "protocol.h"

#include <QDateTime>
#include <QHash>
#include <QObject>

#include <optional>

namespace CloudConsole::Viewer {

class Presence : public QObject
{
    Q_OBJECT

public:
    // A client seen typing this recently is "typing" (the server sends typing times at most
    // about once a second).
    static constexpr qint64 TypingMs = 5000;

    explicit Presence(QObject *parent = nullptr);

    void update(const Protocol::ClientsEvent &clients);
    void applyControl(const Protocol::ControlEvent &control);
    // The connection dropped: the list no longer holds.
    void clear();

    bool isKnown() const { return m_state.has_value(); }
    const std::optional<Protocol::ClientsEvent> &state() const { return m_state; }
    int count() const { return m_state ? int(m_state->clients.size()) : 0; }
    std::optional<qint64> you() const;
    bool isExclusive() const;
    std::optional<qint64> holder() const;
    bool holdsKeyboard() const;
    // This client is an operator (may type and take the keyboard).
    bool isOperator() const;
    // The name of another operator who has the keyboard of this exclusive console, or nothing
    // when this client may type (a shared console, nobody holding it, or this client).
    std::optional<QString> otherHolder() const;

    // "alice", or "anonymous #3" where two share a name; a stand-in for an id never seen.
    QString nameOf(qint64 id) const;
    // "alice has the keyboard", "You have the keyboard", "Nobody has the keyboard"; empty for a
    // shared console.
    QString keyboardText() const;
    // "typing", "typed 12 s ago", "typed 4 min ago", "typed at 14:02", "never typed".
    static QString typedText(const QString &isoTime, const QDateTime &now);
    // A server time (ISO 8601) as local time, "14:02:11"; the text itself when it is not a time.
    static QString localTime(const QString &isoTime);
    // The words for a change of holder, `previous` having had it.
    QString controlNotice(const Protocol::ControlEvent &control,
                          std::optional<qint64> previous) const;

Q_SIGNALS:
    void changed();
    // The keyboard changed hands; `notice` says how, `warning` when this client lost it, `mine`
    // when this client made the change (took, gave or released it).
    void controlChanged(const QString &notice, bool warning, bool mine);

private:
    std::optional<Protocol::ClientsEvent> m_state;
    QHash<qint64, QString> m_names; // also of clients that left, bounded
    QList<qint64> m_nameOrder; // oldest first, to bound m_names
};

} // namespace CloudConsole::Viewer
