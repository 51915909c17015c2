#include "alertindicator.h"

#include <QApplication>
#include <QClipboard>
#include <QDateTime>
#include <QMenu>
#include <QStringList>

#include <algorithm>

namespace CloudConsole::Viewer {

namespace {

const QStringList &severities()
{
    // quietest first
    static const QStringList known {QStringLiteral("info"), QStringLiteral("warning"),
                                    QStringLiteral("critical")};
    return known;
}

// The line on one line: runs of blanks (tabs, the kernel's padded timestamps) as one space.
QString oneLine(const QString &text)
{
    return text.simplified();
}

} // namespace

AlertIndicator::AlertIndicator(QWidget *parent) : QToolButton(parent), m_menu(new QMenu(this))
{
    setObjectName(QStringLiteral("alertIndicator"));
    setAutoRaise(true);
    setToolButtonStyle(Qt::ToolButtonTextOnly);
    setPopupMode(QToolButton::InstantPopup);
    // It takes the room the status bar has, down to its minimum, and elides the text to fit.
    setSizePolicy(QSizePolicy::Preferred, QSizePolicy::Fixed);
    m_menu->setToolTipsVisible(true);
    setMenu(m_menu);
    connect(m_menu, &QMenu::aboutToShow, this, &AlertIndicator::fillMenu);
    connect(m_menu, &QMenu::aboutToShow, this, &AlertIndicator::markSeen);
    setVisible(false);
}

QString AlertIndicator::severityOf(const Protocol::AlertEvent &alert)
{
    return severities().contains(alert.severity) ? alert.severity : QStringLiteral("warning");
}

QString AlertIndicator::timeOf(const QString &isoTime)
{
    const QDateTime at = QDateTime::fromString(isoTime, Qt::ISODateWithMs);
    return at.isValid() ? at.toLocalTime().toString(QStringLiteral("HH:mm:ss")) : isoTime;
}

QString AlertIndicator::describe(const Protocol::AlertEvent &alert)
{
    return tr("%1 (%2) at %3: %4")
        .arg(alert.rule, severityOf(alert), timeOf(alert.time), oneLine(alert.line));
}

void AlertIndicator::add(const Protocol::AlertEvent &alert)
{
    m_alerts.push_back({alert, severityOf(alert), false});
    while (m_alerts.size() > size_t(Kept))
        m_alerts.pop_front();
    render();
}

void AlertIndicator::markSeen()
{
    for (Entry &entry : m_alerts)
        entry.seen = true;
    render();
}

int AlertIndicator::unseen() const
{
    return int(std::count_if(m_alerts.begin(), m_alerts.end(),
                             [](const Entry &entry) { return !entry.seen; }));
}

QString AlertIndicator::highestUnseen() const
{
    qsizetype highest = -1;
    for (const Entry &entry : m_alerts) {
        if (!entry.seen)
            highest = std::max(highest, severities().indexOf(entry.severity));
    }
    return highest < 0 ? QString() : severities().at(highest);
}

void AlertIndicator::render()
{
    setVisible(!m_alerts.empty());
    if (m_alerts.empty())
        return;
    const Entry &latest = m_alerts.back();
    const int fresh = unseen();
    m_fullText = fresh > 0
        ? tr("%n new", nullptr, fresh) + QStringLiteral(" \u00b7 ") + describe(latest.alert)
        : describe(latest.alert);
    updateGeometry();
    elide();
    setToolTip(
        tr("%1\n\n%n alert(s) kept, %2 not yet seen. Click for the recent ones.", nullptr, count())
            .arg(describe(latest.alert))
            .arg(fresh));

    // Critical and warning alerts not yet seen stand out; seen ones and info alerts do not.
    const QString severity = highestUnseen();
    setProperty("severity", severity);
    if (severity == QLatin1String("critical"))
        setStyleSheet(QStringLiteral("QToolButton { background: #b3261e; color: white; "
                                     "font-weight: bold; border-radius: 3px; padding: 1px 6px; }"));
    else if (severity == QLatin1String("warning"))
        setStyleSheet(QStringLiteral("QToolButton { background: #f2b43c; color: #2b1d00; "
                                     "font-weight: bold; border-radius: 3px; padding: 1px 6px; }"));
    else
        setStyleSheet(QString());
}

// The frame, the style sheet's padding and the menu's arrow around the text.
int AlertIndicator::padding() const
{
    return QToolButton::sizeHint().width() - fontMetrics().horizontalAdvance(text());
}

QSize AlertIndicator::sizeHint() const
{
    const int text = std::min(fontMetrics().horizontalAdvance(m_fullText), MaximumTextWidth);
    return {text + padding(), QToolButton::sizeHint().height()};
}

QSize AlertIndicator::minimumSizeHint() const
{
    return {MinimumTextWidth + padding(), QToolButton::minimumSizeHint().height()};
}

void AlertIndicator::resizeEvent(QResizeEvent *event)
{
    QToolButton::resizeEvent(event);
    elide();
}

// The text as it fits the width the status bar gave.
void AlertIndicator::elide()
{
    const int room = std::clamp(width() - padding(), MinimumTextWidth, MaximumTextWidth);
    const QString shown = fontMetrics().elidedText(m_fullText, Qt::ElideRight, room);
    if (shown != text())
        setText(shown);
}

// Newest first; choosing one copies its line.
void AlertIndicator::fillMenu()
{
    m_menu->clear();
    QAction *heading
        = m_menu->addAction(tr("Recent alerts (%1): choose one to copy its line").arg(count()));
    heading->setEnabled(false);
    m_menu->addSeparator();
    for (auto entry = m_alerts.rbegin(); entry != m_alerts.rend(); ++entry) {
        const Protocol::AlertEvent &alert = entry->alert;
        const QString text
            = tr("%1  %2  %3: %4")
                  .arg(timeOf(alert.time), entry->severity, alert.rule, oneLine(alert.line));
        QAction *action = m_menu->addAction(
            m_menu->fontMetrics().elidedText(text, Qt::ElideRight, 2 * MaximumTextWidth));
        action->setToolTip(describe(alert)
                           + tr("\nOffset %1 in the console's output.").arg(alert.offset));
        const QString line = alert.line;
        connect(action, &QAction::triggered, this,
                [line]() { QApplication::clipboard()->setText(line); });
    }
}

} // namespace CloudConsole::Viewer
