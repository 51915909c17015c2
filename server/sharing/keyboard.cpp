#include "keyboard.h"

namespace CloudConsole {

Keyboard::Keyboard(QObject *parent) : QObject(parent)
{
    m_idleTimer.setSingleShot(true);
    connect(&m_idleTimer, &QTimer::timeout, this,
            [this] { setHolder(std::nullopt, std::nullopt, QStringLiteral("idle")); });
}

void Keyboard::setSettings(SharingSettings::Input input, std::chrono::seconds idle)
{
    if (input == m_input && idle == m_idle)
        return; // a reload that changed nothing here: the holder's idle time goes on
    m_input = input;
    m_idle = idle;
    if (!isExclusive() && m_holder)
        setHolder(std::nullopt, std::nullopt, QStringLiteral("released"));
    else if (m_holder)
        typed(*m_holder); // the idle time as it is now
}

bool Keyboard::mayType(qint64 id, bool take)
{
    if (!isExclusive())
        return true;
    if (!m_holder) {
        if (take)
            setHolder(id, id, QStringLiteral("taken"));
        return true;
    }
    return m_holder == id;
}

void Keyboard::typed(qint64 id)
{
    if (m_holder != id)
        return;
    if (m_idle.count() > 0)
        m_idleTimer.start(std::chrono::duration_cast<std::chrono::milliseconds>(m_idle));
    else
        m_idleTimer.stop();
}

QString Keyboard::take(qint64 id)
{
    if (!isExclusive())
        return sharedRefusal();
    if (m_holder != id)
        setHolder(id, id, QStringLiteral("taken"));
    return {};
}

QString Keyboard::release(qint64 id)
{
    if (!isExclusive())
        return sharedRefusal();
    if (m_holder != id)
        return QStringLiteral("only the holder of the keyboard may release it");
    setHolder(std::nullopt, id, QStringLiteral("released"));
    return {};
}

QString Keyboard::give(qint64 from, qint64 to)
{
    if (!isExclusive())
        return sharedRefusal();
    if (m_holder != from)
        return QStringLiteral("only the holder of the keyboard may give it; take it first");
    if (to != from)
        setHolder(to, from, QStringLiteral("given"));
    return {};
}

void Keyboard::left(qint64 id)
{
    if (m_holder == id)
        setHolder(std::nullopt, std::nullopt, QStringLiteral("left"));
}

void Keyboard::setHolder(std::optional<qint64> holder, std::optional<qint64> by,
                         const QString &reason)
{
    m_holder = holder;
    m_idleTimer.stop();
    if (m_holder)
        typed(*m_holder);
    Q_EMIT changed(Protocol::ControlEvent {m_holder, by, reason});
}

QString Keyboard::sharedRefusal() const
{
    return QStringLiteral("this console's input is shared: every operator types (input = "
                          "exclusive gives it one holder)");
}

} // namespace CloudConsole
