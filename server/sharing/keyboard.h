#pragma once

// Keyboard is the rule of who may type on one console. A shared console lets every operator
// type (the default). An exclusive one has at most one holder: the other operators are read-only
// until they take it, which they always may; the holder may give it to another operator or
// release it; a holder who types nothing for the idle time, or leaves, loses it. When nobody
// holds it, the first operator to type takes it, so an exclusive console with one operator works
// as a shared one does. Viewers never type: that is their role's rule, checked before this one.
//
// Every change of holder is told through changed(), with who made it and why, for Console to
// announce and log. It owns the holder's id and the idle timer; it knows nothing of sessions,
// roles, names or the protocol's transport: clients are ids, and Console says which exist.

#include "protocol.h"
#include "sharingsettings.h"

#include <QObject>
#include <QTimer>

#include <optional>

namespace CloudConsole {

class Keyboard : public QObject
{
    Q_OBJECT
public:
    explicit Keyboard(QObject *parent = nullptr);

    // A reloaded configuration: a console made shared drops its holder.
    void setSettings(SharingSettings::Input input, std::chrono::seconds idle);
    bool isExclusive() const { return m_input == SharingSettings::Input::Exclusive; }
    std::optional<qint64> holder() const { return m_holder; }

    // Whether operator `id` may type now. On an exclusive console nobody holds, it may, and with
    // `take` it takes the keyboard (its input was accepted).
    bool mayType(qint64 id, bool take);
    // Operator `id` typed (its input reached the console): the holder's idle time starts again.
    void typed(qint64 id);

    // An operator's request; an empty string when done, else why not (for an error).
    QString take(qint64 id);
    QString release(qint64 id);
    // `to` must be an operator attached to the console: the caller checks.
    QString give(qint64 from, qint64 to);
    // Client `id` is gone.
    void left(qint64 id);

Q_SIGNALS:
    void changed(const CloudConsole::Protocol::ControlEvent &event);

private:
    void setHolder(std::optional<qint64> holder, std::optional<qint64> by, const QString &reason);
    QString sharedRefusal() const;

    SharingSettings::Input m_input = SharingSettings::Input::Shared;
    std::chrono::seconds m_idle {0};
    std::optional<qint64> m_holder;
    QTimer m_idleTimer;
};

} // namespace CloudConsole
