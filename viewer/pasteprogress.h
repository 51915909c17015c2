#pragma once

// PasteProgress is the status bar's part for pastes under way: this viewer's ("Pasting 40%", a
// bar and Cancel; the bytes in its tooltip) or someone else's ("alice is pasting 40%"); hidden
// while none runs.
//
// It owns its label, bar and button, and shows what a PasteSender reports; Cancel asks the
// sender to stop.

#include <QWidget>

class QLabel;
class QProgressBar;
class QToolButton;

namespace CloudConsole::Viewer {

class PasteSender;

class PasteProgress : public QWidget
{
    Q_OBJECT

public:
    explicit PasteProgress(PasteSender *pastes, QWidget *parent = nullptr);

    QString text() const;
    int percent() const;
    QToolButton *cancelButton() const { return m_cancel; }

private:
    void render();

    PasteSender *m_pastes;
    QLabel *m_text;
    QProgressBar *m_bar;
    QToolButton *m_cancel;
};

} // namespace CloudConsole::Viewer
