#include "presenceindicator.h"

#include "presence.h"

#include <QDateTime>
#include <QLabel>
#include <QMenu>
#include <QWidgetAction>

namespace CloudConsole::Viewer {

PresenceIndicator::PresenceIndicator(const Presence *presence, QWidget *parent)
    : QToolButton(parent)
    , m_presence(presence)
    , m_menu(new QMenu(this))
    , m_giveMenu(new QMenu(tr("&Give Keyboard To"), this))
    , m_takeAction(new QAction(tr("&Take Keyboard"), this))
    , m_releaseAction(new QAction(tr("Re&lease Keyboard"), this))
{
    setObjectName(QStringLiteral("presenceIndicator"));
    setAutoRaise(true);
    setToolButtonStyle(Qt::ToolButtonTextOnly);
    setPopupMode(QToolButton::InstantPopup);
    setMenu(m_menu);
    m_takeAction->setToolTip(tr("Type on this exclusive console (asks first when someone else "
                                "has the keyboard)"));
    m_releaseAction->setToolTip(tr("Let go of the keyboard: the next operator to type takes it"));
    connect(m_takeAction, &QAction::triggered, this, &PresenceIndicator::takeRequested);
    connect(m_releaseAction, &QAction::triggered, this, &PresenceIndicator::releaseRequested);
    connect(m_menu, &QMenu::aboutToShow, this, &PresenceIndicator::fillMenu);
    connect(m_giveMenu, &QMenu::aboutToShow, this, &PresenceIndicator::fillGiveMenu);
    connect(presence, &Presence::changed, this, &PresenceIndicator::render);
    render();
}

QStringList PresenceIndicator::clientLines() const
{
    QStringList lines;
    const auto &state = m_presence->state();
    if (!state)
        return lines;
    const QDateTime now = QDateTime::currentDateTimeUtc();
    for (const auto &client : state->clients) {
        QString name = m_presence->nameOf(client.id);
        if (client.id == state->you)
            name += tr(" (you)");
        if (m_presence->isExclusive() && state->holder == client.id)
            name += tr(" \u2328 has the keyboard");
        lines << tr("%1 \u2014 %2 \u00b7 %3 \u00b7 %4 \u00b7 joined %5 \u00b7 %6")
                     .arg(name, client.role, client.kind, client.address,
                          Presence::localTime(client.joined),
                          Presence::typedText(client.typed, now));
    }
    return lines;
}

void PresenceIndicator::render()
{
    setVisible(m_presence->isKnown());
    const bool exclusive = m_presence->isExclusive();
    QString text = tr("%n here", nullptr, m_presence->count());
    if (exclusive)
        text += QStringLiteral(" \u00b7 ") + m_presence->keyboardText();
    setText(text);
    setToolTip((m_presence->count() == 1
                    ? tr("1 client is attached to this console.")
                    : tr("%1 clients are attached to this console.").arg(m_presence->count()))
               + QLatin1Char(' ') + tr("Click for who, and for the keyboard."));
    const bool holds = m_presence->holdsKeyboard();
    const bool other = m_presence->otherHolder().has_value();
    setProperty("keyboard",
                !exclusive  ? QStringLiteral("shared")
                    : holds ? QStringLiteral("you")
                    : other ? QStringLiteral("other")
                            : QStringLiteral("none"));
    if (other)
        setStyleSheet(QStringLiteral("QToolButton { background: #f2b43c; color: #2b1d00; "
                                     "font-weight: bold; border-radius: 3px; padding: 1px 6px; }"));
    else if (holds)
        setStyleSheet(QStringLiteral("QToolButton { background: #1e7b34; color: white; "
                                     "font-weight: bold; border-radius: 3px; padding: 1px 6px; }"));
    else
        setStyleSheet(QString());

    const bool operatorHere = m_presence->isOperator();
    m_takeAction->setVisible(exclusive);
    m_takeAction->setEnabled(exclusive && operatorHere && !holds);
    m_releaseAction->setVisible(exclusive);
    m_releaseAction->setEnabled(holds);
    m_giveMenu->menuAction()->setVisible(exclusive);
    m_giveMenu->setEnabled(holds);
}

void PresenceIndicator::fillMenu()
{
    m_menu->clear();
    const auto &state = m_presence->state();
    if (!state)
        return;
    QAction *heading = m_menu->addAction(
        m_presence->isExclusive()
            ? tr("Here now (%1): one operator at a time has the keyboard").arg(m_presence->count())
            : tr("Here now (%1): every operator can type").arg(m_presence->count()));
    heading->setEnabled(false);
    m_menu->addSeparator();
    const QDateTime now = QDateTime::currentDateTimeUtc();
    for (const auto &client : state->clients) {
        // A label rather than an action: the list is to read, not to choose from.
        QString marks;
        if (client.id == state->you)
            marks += tr(" <small>(you)</small>");
        if (m_presence->isExclusive() && state->holder == client.id)
            marks += tr(" <small>\u2328 has the keyboard</small>");
        const QString typed = Presence::typedText(client.typed, now);
        auto *label = new QLabel(
            tr("<b>%1</b>%2 &nbsp; <small>%3</small><br><small>%4 \u00b7 %5 \u00b7 %6 \u00b7 "
               "joined %7</small>")
                .arg(m_presence->nameOf(client.id).toHtmlEscaped(), marks, typed.toHtmlEscaped(),
                     client.role.toHtmlEscaped(), client.kind.toHtmlEscaped(),
                     client.address.toHtmlEscaped(), Presence::localTime(client.joined)),
            m_menu);
        label->setTextFormat(Qt::RichText);
        label->setContentsMargins(12, 3, 12, 3);
        auto *item = new QWidgetAction(m_menu);
        item->setDefaultWidget(label);
        m_menu->addAction(item);
    }
    if (m_presence->isExclusive()) {
        m_menu->addSeparator();
        m_menu->addAction(m_takeAction);
        m_menu->addAction(m_releaseAction);
        m_menu->addMenu(m_giveMenu);
    }
}

// The operators this viewer may give the keyboard to: everyone else who may type.
void PresenceIndicator::fillGiveMenu()
{
    m_giveMenu->clear();
    const auto &state = m_presence->state();
    if (!state)
        return;
    for (const auto &client : state->clients) {
        if (client.id == state->you || client.role != QLatin1String("operator"))
            continue;
        const qint64 id = client.id;
        QAction *action = m_giveMenu->addAction(
            tr("%1 (%2, %3)").arg(m_presence->nameOf(id), client.kind, client.address));
        connect(action, &QAction::triggered, this, [this, id]() { Q_EMIT giveRequested(id); });
    }
    if (m_giveMenu->isEmpty())
        m_giveMenu->addAction(tr("No other operator is here"))->setEnabled(false);
}

} // namespace CloudConsole::Viewer
