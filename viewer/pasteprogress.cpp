#include "pasteprogress.h"

#include "pastesender.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QProgressBar>
#include <QToolButton>

namespace CloudConsole::Viewer {

PasteProgress::PasteProgress(PasteSender *pastes, QWidget *parent)
    : QWidget(parent)
    , m_pastes(pastes)
    , m_text(new QLabel(this))
    , m_bar(new QProgressBar(this))
    , m_cancel(new QToolButton(this))
{
    setObjectName(QStringLiteral("pasteProgress"));
    auto *layout = new QHBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(6);
    m_bar->setRange(0, 100);
    m_bar->setTextVisible(false);
    m_bar->setFixedWidth(90);
    m_bar->setMaximumHeight(12);
    // Room for the longest percentage from the start: the status bar does not shift as it grows.
    m_text->setMinimumWidth(m_text->fontMetrics().horizontalAdvance(tr("Pasting 100%")));
    m_cancel->setText(tr("Cancel"));
    m_cancel->setAutoRaise(true);
    m_cancel->setToolTip(tr("Stop the paste; what the console got stays"));
    layout->addWidget(m_text);
    layout->addWidget(m_bar);
    layout->addWidget(m_cancel);
    connect(m_cancel, &QToolButton::clicked, pastes, &PasteSender::cancel);
    connect(pastes, &PasteSender::progressChanged, this, &PasteProgress::render);
    render();
}

QString PasteProgress::text() const
{
    return m_text->text();
}

int PasteProgress::percent() const
{
    return m_bar->value();
}

void PasteProgress::render()
{
    const std::optional<PasteSender::Progress> paste = m_pastes->shown();
    setVisible(paste.has_value());
    if (!paste)
        return;
    const int done = paste->total > 0 ? int(paste->sent * 100 / paste->total) : 100;
    // The status bar is short of room: the percentage here, the bytes in the tooltip.
    m_text->setText(paste->mine ? tr("Pasting %1%").arg(done) : m_pastes->statusText());
    setToolTip(m_pastes->statusText());
    m_bar->setValue(done);
    m_cancel->setVisible(paste->mine);
    m_cancel->setEnabled(paste->mine && !paste->cancelling);
    m_cancel->setText(paste->cancelling ? tr("Cancelling\u2026") : tr("Cancel"));
}

} // namespace CloudConsole::Viewer
