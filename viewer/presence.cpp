#include "presence.h"

#include <algorithm>

namespace CloudConsole::Viewer {

namespace {

constexpr qsizetype NamesKept = 500;

} // namespace

Presence::Presence(QObject *parent) : QObject(parent)
{ }

void Presence::update(const Protocol::ClientsEvent &clients)
{
    m_state = clients;
    QHash<QString, int> counts;
    for (const Protocol::ClientInfo &client : clients.clients)
        ++counts[client.name];
    for (const Protocol::ClientInfo &client : clients.clients) {
        const QString name = counts.value(client.name) > 1
            ? QStringLiteral("%1 #%2").arg(client.name).arg(client.id)
            : client.name;
        m_nameOrder.removeOne(client.id);
        m_nameOrder.append(client.id);
        m_names.insert(client.id, name);
    }
    while (m_nameOrder.size() > NamesKept)
        m_names.remove(m_nameOrder.takeFirst());
    Q_EMIT changed();
}

void Presence::applyControl(const Protocol::ControlEvent &control)
{
    if (!m_state)
        return;
    const std::optional<qint64> previous = m_state->holder;
    m_state->holder = control.holder;
    const bool lost = previous && previous == you() && control.holder != you();
    const bool mine = control.by.has_value() && control.by == you();
    Q_EMIT controlChanged(controlNotice(control, previous), lost, mine);
    Q_EMIT changed();
}

void Presence::clear()
{
    if (!m_state)
        return;
    m_state.reset();
    Q_EMIT changed();
}

std::optional<qint64> Presence::you() const
{
    return m_state ? std::optional<qint64>(m_state->you) : std::nullopt;
}

bool Presence::isExclusive() const
{
    return m_state && m_state->input == QLatin1String("exclusive");
}

std::optional<qint64> Presence::holder() const
{
    return m_state ? m_state->holder : std::nullopt;
}

bool Presence::holdsKeyboard() const
{
    return isExclusive() && m_state->holder == m_state->you;
}

bool Presence::isOperator() const
{
    if (!m_state)
        return false;
    const auto me = std::find_if(m_state->clients.begin(), m_state->clients.end(),
                                 [this](const auto &client) { return client.id == m_state->you; });
    return me != m_state->clients.end() && me->role == QLatin1String("operator");
}

std::optional<QString> Presence::otherHolder() const
{
    if (!isExclusive() || !m_state->holder || *m_state->holder == m_state->you)
        return std::nullopt;
    return nameOf(*m_state->holder);
}

QString Presence::nameOf(qint64 id) const
{
    return m_names.value(id, tr("client #%1").arg(id));
}

QString Presence::keyboardText() const
{
    if (!isExclusive())
        return {};
    if (!m_state->holder)
        return tr("Nobody has the keyboard");
    if (*m_state->holder == m_state->you)
        return tr("You have the keyboard");
    return tr("%1 has the keyboard").arg(nameOf(*m_state->holder));
}

QString Presence::localTime(const QString &isoTime)
{
    const QDateTime at = QDateTime::fromString(isoTime, Qt::ISODateWithMs);
    return at.isValid() ? at.toLocalTime().toString(QStringLiteral("HH:mm:ss")) : isoTime;
}

QString Presence::typedText(const QString &isoTime, const QDateTime &now)
{
    if (isoTime.isEmpty())
        return tr("never typed");
    const QDateTime at = QDateTime::fromString(isoTime, Qt::ISODateWithMs);
    if (!at.isValid())
        return tr("typed %1").arg(isoTime);
    const qint64 ago = std::max<qint64>(0, at.msecsTo(now));
    if (ago < TypingMs)
        return tr("typing");
    if (ago < 60'000)
        return tr("typed %1 s ago").arg(ago / 1000);
    if (ago < 3'600'000)
        return tr("typed %1 min ago").arg(ago / 60'000);
    return tr("typed at %1").arg(at.toLocalTime().toString(QStringLiteral("HH:mm")));
}

QString Presence::controlNotice(const Protocol::ControlEvent &control,
                                std::optional<qint64> previous) const
{
    const std::optional<qint64> me = you();
    const auto name = [this, me](std::optional<qint64> id) {
        if (!id)
            return tr("Its holder");
        return id == me ? tr("You") : nameOf(*id);
    };
    if (control.reason == QLatin1String("taken")) {
        if (control.holder == me)
            return tr("You have the keyboard.");
        if (previous && previous == me)
            return tr("%1 took the keyboard: this viewer is read-only until you take it back.")
                .arg(name(control.holder));
        return tr("%1 took the keyboard.").arg(name(control.holder));
    }
    if (control.reason == QLatin1String("given")) {
        if (control.holder == me)
            return tr("%1 gave you the keyboard.").arg(name(control.by));
        return tr("%1 gave the keyboard to %2.")
            .arg(name(control.by), control.holder ? nameOf(*control.holder) : tr("nobody"));
    }
    if (control.reason == QLatin1String("released"))
        return tr("%1 released the keyboard: the next operator to type takes it.")
            .arg(name(control.by));
    if (control.reason == QLatin1String("idle")) {
        if (previous && previous == me)
            return tr("You were idle: the keyboard is free again.");
        return tr("%1 was idle: the keyboard is free again.").arg(name(previous));
    }
    if (control.reason == QLatin1String("left"))
        return tr("%1 left: the keyboard is free again.").arg(name(previous));
    return tr("The keyboard changed hands (%1).").arg(control.reason);
}

} // namespace CloudConsole::Viewer
