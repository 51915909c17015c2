#pragma once

// AlertIndicator is the status bar's part for alerts: the latest alert (rule, severity, time and
// line, elided) with the number not yet seen, coloured by the highest severity among those
// (critical red, warning amber; info alerts, such as the login prompt of every boot, stay
// plain), and a menu of the recent ones, where choosing one copies its line. Opening the menu
// sees them all.
//
// It owns the last 50 alerts and the menu. It knows nothing of the connection: the window hands
// it each alert.

#include "protocol.h"

#include <QToolButton>

#include <deque>

class QMenu;

namespace CloudConsole::Viewer {

class AlertIndicator : public QToolButton
{
    Q_OBJECT

public:
    static constexpr int Kept = 50;
    // Pixels of text at most, and at least when the status bar is short of room; the rest of
    // the line is elided, and in the tooltip.
    static constexpr int MaximumTextWidth = 520;
    static constexpr int MinimumTextWidth = 90;

    explicit AlertIndicator(QWidget *parent = nullptr);

    void add(const Protocol::AlertEvent &alert);
    // Every alert kept counts as seen.
    void markSeen();

    int count() const { return int(m_alerts.size()); }
    int unseen() const;
    // The highest severity among the alerts not yet seen, or empty when all are seen.
    QString highestUnseen() const;
    // The whole text the button shows elided: "2 new · kernel-panic (critical) at 03:12:44: …".
    QString fullText() const { return m_fullText; }

    // "kernel-panic (critical) at 03:12:44: [ 31.004503] Kernel panic - not syncing: ..."
    static QString describe(const Protocol::AlertEvent &alert);
    // The alert's severity, a known one: one the viewer does not know counts as a warning.
    static QString severityOf(const Protocol::AlertEvent &alert);
    // When the line was read (ISO 8601 from the server) as local time, "03:12:44"; the text as
    // it came when it is not a time.
    static QString timeOf(const QString &isoTime);

    QSize sizeHint() const override;
    QSize minimumSizeHint() const override;

protected:
    void resizeEvent(QResizeEvent *event) override;

private:
    struct Entry
    {
        Protocol::AlertEvent alert;
        QString severity;
        bool seen = false;
    };

    void render();
    void elide();
    void fillMenu();
    int padding() const;

    std::deque<Entry> m_alerts; // oldest first, at most Kept
    QMenu *m_menu;
    QString m_fullText;
};

} // namespace CloudConsole::Viewer
