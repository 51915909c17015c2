#include "viewerwindow.h"

#include "alertindicator.h"
#include "connectdialog.h"
#include "consolesession.h"
#include "logging.h"
#include "pasteprogress.h"
#include "presence.h"
#include "presenceindicator.h"
#include "terminalview.h"

#include <QAction>
#include <QApplication>
#include <QClipboard>
#include <QFileDialog>
#include <QLabel>
#include <QLocale>
#include <QMenuBar>
#include <QMessageBox>
#include <QPushButton>
#include <QSaveFile>
#include <QStatusBar>

namespace CloudConsole::Viewer {

ViewerWindow::ViewerWindow(QWidget *parent)
    : QMainWindow(parent)
    , m_session(new ConsoleSession(this))
    , m_view(new TerminalView(m_session->model(), this))
    , m_stateLabel(new QLabel(this))
    , m_consoleLabel(new QLabel(this))
    , m_bytesLabel(new QLabel(this))
    , m_accessLabel(new QLabel(this))
    , m_sizeLabel(new QLabel(this))
    , m_incompleteLabel(new QLabel(this))
    , m_alertIndicator(new AlertIndicator(this))
    , m_presenceIndicator(new PresenceIndicator(m_session->presence(), this))
    , m_pasteProgress(new PasteProgress(m_session->pastes(), this))
{
    setCentralWidget(m_view);
    m_view->setFocus();
    statusBar()->addWidget(m_stateLabel);
    statusBar()->addWidget(m_consoleLabel);
    // Permanent, so that a passing message never hides a paste, the keyboard or an alert.
    statusBar()->addPermanentWidget(m_pasteProgress);
    statusBar()->addPermanentWidget(m_presenceIndicator);
    statusBar()->addPermanentWidget(m_alertIndicator);
    statusBar()->addPermanentWidget(m_incompleteLabel);
    statusBar()->addPermanentWidget(m_accessLabel);
    statusBar()->addPermanentWidget(m_sizeLabel);
    statusBar()->addPermanentWidget(m_bytesLabel);
    createActions();

    ConsoleConnection *connection = m_session->connection();
    // The window's size is a request; the console's size comes back from the server.
    connect(m_view, &TerminalView::preferredSizeChanged, m_session, &ConsoleSession::requestSize);
    connect(m_view, &TerminalView::preferredSizeChanged, this, &ViewerWindow::updateSize);
    connect(m_session->model(), &TerminalModel::gridSizeChanged, this, &ViewerWindow::updateSize);
    connect(m_session, &ConsoleSession::screenReplaced, this, &ViewerWindow::onScreenReplaced);
    m_incompleteLabel->setText(tr("Screen incomplete"));
    m_incompleteLabel->setToolTip(
        tr("The server's copy of the screen skipped output during a flood; something may be "
           "missing until the console redraws its screen."));
    m_incompleteLabel->setVisible(false);
    connect(m_session, &ConsoleSession::screenIncompleteChanged, m_incompleteLabel,
            &QLabel::setVisible);
    connect(connection, &ConsoleConnection::stateChanged, this, &ViewerWindow::updateStatus);
    connect(connection, &ConsoleConnection::sourceChanged, this, &ViewerWindow::updateStatus);
    connect(connection, &ConsoleConnection::helloReceived, this, &ViewerWindow::onHello);
    connect(connection, &ConsoleConnection::attemptFailed, this, &ViewerWindow::onAttemptFailed);
    connect(connection, &ConsoleConnection::serverError, this, &ViewerWindow::onServerError);
    connect(connection, &ConsoleConnection::alertReceived, m_alertIndicator, &AlertIndicator::add);

    // Pastes go as paste messages, at the console's pace; keys of someone without the keyboard
    // are not sent.
    m_view->setPasteHandler([this](const QString &text) { paste(text); });
    PasteSender *pastes = m_session->pastes();
    connect(pastes, &PasteSender::finished, this,
            [this](const QString &notice) { statusBar()->showMessage(notice, 6000); });
    connect(pastes, &PasteSender::progressChanged, this, &ViewerWindow::updatePasteActions);
    connect(m_session, &ConsoleSession::inputRefused, this,
            [this](const QString &why) { statusBar()->showMessage(why, 4000); });
    // What this viewer did itself shows in the indicator; what others did is said.
    connect(m_session->presence(), &Presence::controlChanged, this,
            [this](const QString &notice, bool, bool mine) {
                if (!mine)
                    statusBar()->showMessage(notice, 6000);
            });
    connect(m_presenceIndicator, &PresenceIndicator::takeRequested, this,
            &ViewerWindow::takeKeyboard);
    connect(m_presenceIndicator, &PresenceIndicator::releaseRequested, m_session,
            &ConsoleSession::releaseKeyboard);
    connect(m_presenceIndicator, &PresenceIndicator::giveRequested, m_session,
            &ConsoleSession::giveKeyboard);
    m_confirmTake = [this](const QString &holder) {
        return QMessageBox::question(
                   this, tr("Take the Keyboard"),
                   tr("%1 has the keyboard. Take it?\n\nThey cannot type until they take it back "
                      "or you give it to them.")
                       .arg(holder),
                   QMessageBox::Yes | QMessageBox::Cancel, QMessageBox::Cancel)
            == QMessageBox::Yes;
    };
    connect(m_session->model(), &TerminalModel::titleChanged, this, &ViewerWindow::updateTitle);
    connect(m_session->model(), &TerminalModel::bell, this, &QApplication::beep);
    m_bytesTimer.setInterval(250);
    connect(&m_bytesTimer, &QTimer::timeout, this, &ViewerWindow::updateBytes);
    m_bytesTimer.start();
    updateStatus();
    updateBytes();
    updateTitle();
    updateSize();
}

void ViewerWindow::createActions()
{
    QMenu *consoleMenu = menuBar()->addMenu(tr("&Console"));
    QAction *connectAction
        = consoleMenu->addAction(tr("&Connect..."), this, &ViewerWindow::showConnectDialog);
    connectAction->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_O));
    m_reconnectAction = consoleMenu->addAction(tr("&Reconnect"), m_session->connection(),
                                               &ConsoleConnection::reconnect);
    m_reconnectAction->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_R));
    m_breakAction = consoleMenu->addAction(tr("Send &BREAK"), this, &ViewerWindow::onSendBreak);
    m_breakAction->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_B));
    consoleMenu->addSeparator();
    QAction *saveAction
        = consoleMenu->addAction(tr("&Save Output..."), this, &ViewerWindow::onSaveOutput);
    saveAction->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_S));
    consoleMenu->addSeparator();
    // The keyboard of an exclusive console; shown only on one.
    consoleMenu->addAction(m_presenceIndicator->takeAction());
    consoleMenu->addAction(m_presenceIndicator->releaseAction());
    consoleMenu->addMenu(m_presenceIndicator->giveMenu());
    consoleMenu->addSeparator();
    QAction *quitAction = consoleMenu->addAction(tr("&Quit"), this, &QWidget::close);
    // Ctrl+Q is XON for the guest; the terminal convention is Ctrl+Shift+Q.
    quitAction->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_Q));
    quitAction->setMenuRole(QAction::QuitRole);

    QMenu *editMenu = menuBar()->addMenu(tr("&Edit"));
    editMenu->addAction(m_view->copyAction());
    editMenu->addAction(m_view->pasteAction());
    m_cancelPasteAction
        = editMenu->addAction(tr("Cancel Pa&ste"), m_session->pastes(), &PasteSender::cancel);
    m_cancelPasteAction->setEnabled(false);
    QAction *copyAllAction = editMenu->addAction(tr("Copy &All"), this, &ViewerWindow::onCopyAll);
    copyAllAction->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_A));

    QMenu *viewMenu = menuBar()->addMenu(tr("&View"));
    viewMenu->addAction(m_view->zoomInAction());
    viewMenu->addAction(m_view->zoomOutAction());
    viewMenu->addAction(m_view->resetZoomAction());
    viewMenu->addSeparator();
    QAction *fit = viewMenu->addAction(tr("Fit &Window to Console"), this,
                                       &ViewerWindow::fitWindowToConsole);
    fit->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_F));
    QAction *fullScreen = viewMenu->addAction(tr("&Full Screen"), this, [this](bool on) {
        setWindowState(on ? windowState() | Qt::WindowFullScreen
                          : windowState() & ~Qt::WindowFullScreen);
    });
    fullScreen->setCheckable(true);
    fullScreen->setShortcut(QKeySequence(Qt::Key_F11));

    QMenu *helpMenu = menuBar()->addMenu(tr("&Help"));
    helpMenu->addAction(tr("&About"), this, [this]() {
        QMessageBox::about(this, tr("About cloud-console-viewer"),
                           tr("<b>cloud-console-viewer</b> %1<br>A terminal for VM consoles "
                              "served by cloud-console (protocol v%2).")
                               .arg(QLatin1String(CLOUD_CONSOLE_VERSION))
                               .arg(Protocol::Version));
    });
}

void ViewerWindow::openConsole(const QUrl &url)
{
    m_session->open(url);
    updateStatus();
}

bool ViewerWindow::showConnectDialog()
{
    ConnectDialog dialog(this);
    if (!m_session->connection()->url().isEmpty())
        dialog.setAddress(m_session->connection()->url().toString());
    if (dialog.exec() != QDialog::Accepted)
        return false;
    openConsole(dialog.url());
    return true;
}

void ViewerWindow::onHello()
{
    ConnectDialog::rememberConnection(m_session->connection()->url());
    updateStatus();
    updateTitle();
    updateSize();
}

void ViewerWindow::updateStatus()
{
    const ConsoleConnection *connection = m_session->connection();
    const auto &hello = connection->hello();
    QString state;
    switch (connection->state()) {
    case ConsoleConnection::State::Idle:
        state = connection->url().isEmpty() ? tr("Not connected") : tr("Disconnected");
        break;
    case ConsoleConnection::State::Connecting:
        state = tr("Connecting...");
        break;
    case ConsoleConnection::State::Connected:
        state = hello && hello->source == Protocol::SourceState::Down
            ? tr("Connected (console down: %1)").arg(hello->sourceReason)
            : tr("Connected");
        break;
    case ConsoleConnection::State::WaitingToRetry:
        state = tr("Reconnecting (%1)").arg(connection->lastError());
        break;
    }
    m_stateLabel->setText(state);
    m_consoleLabel->setText(hello ? tr("Console: %1").arg(hello->console) : QString());
    m_accessLabel->setText(hello && !hello->writable ? tr("Read-only") : QString());
    m_reconnectAction->setEnabled(!connection->url().isEmpty());
    m_breakAction->setEnabled(connection->canBreak() && connection->isWritable());
    m_breakAction->setToolTip(connection->canBreak() ? QString()
                                                     : tr("This console cannot send a BREAK"));
}

void ViewerWindow::updateSize()
{
    const QSize console = m_session->consoleSize();
    const QSize window = m_view->preferredSize();
    m_sizeLabel->setText(tr("%1\u00d7%2").arg(console.width()).arg(console.height()));
    const auto &hello = m_session->connection()->hello();
    QString tip
        = tr("The console's size: %1 columns, %2 rows.").arg(console.width()).arg(console.height());
    if (window != console) {
        tip += QLatin1Char(' ')
            + (hello && hello->canResize && hello->writable
                   ? tr("The window fits %1\u00d7%2.")
                   : tr("The window fits %1\u00d7%2; this console keeps its own size."))
                  .arg(window.width())
                  .arg(window.height());
    }
    m_sizeLabel->setToolTip(tip);
}

void ViewerWindow::onScreenReplaced()
{
    // The lines a selection or a scrolled-back view pointed at are gone.
    m_view->clearSelection();
    m_view->scrollToBottom();
}

void ViewerWindow::fitWindowToConsole()
{
    if (windowState() & (Qt::WindowMaximized | Qt::WindowFullScreen))
        return;
    resize(size() + m_view->sizeHint() - m_view->size());
}

void ViewerWindow::updateBytes()
{
    const ConsoleConnection *connection = m_session->connection();
    QString text = tr("%1 received").arg(QLocale().formattedDataSize(connection->bytesReceived()));
    if (connection->bytesSkipped() > 0)
        text += tr(", %1 skipped").arg(QLocale().formattedDataSize(connection->bytesSkipped()));
    m_bytesLabel->setText(text);
}

void ViewerWindow::updateTitle()
{
    const auto &hello = m_session->connection()->hello();
    QString title = hello ? hello->console : tr("cloud-console-viewer");
    const QString terminalTitle = m_session->model()->title();
    if (!terminalTitle.isEmpty())
        title += QStringLiteral(" \u2014 ") + terminalTitle;
    setWindowTitle(title);
}

void ViewerWindow::onAttemptFailed(ConsoleConnection::Failure failure, const QString &message,
                                   bool willRetry)
{
    updateStatus();
    if (willRetry)
        return; // the status bar says so; a dialog every few seconds would be a nuisance
    QString title;
    switch (failure) {
    case ConsoleConnection::Failure::Unreachable:
        title = tr("Server Unreachable");
        break;
    case ConsoleConnection::Failure::Refused:
        title = tr("Connection Refused");
        break;
    case ConsoleConnection::Failure::Unauthorized:
        title = tr("Access Denied");
        break;
    case ConsoleConnection::Failure::NotFound:
        title = tr("No Such Console");
        break;
    case ConsoleConnection::Failure::PolicyClosed:
        title = tr("Disconnected");
        break;
    default:
        title = tr("Cannot Connect");
        break;
    }
    QMessageBox box(QMessageBox::Warning, title, ConsoleConnection::describe(failure),
                    QMessageBox::NoButton, this);
    box.setInformativeText(tr("Address: %1").arg(m_session->connection()->url().toString()));
    box.setDetailedText(message);
    QPushButton *retry = box.addButton(tr("&Retry"), QMessageBox::AcceptRole);
    QPushButton *change = box.addButton(tr("C&hange Address..."), QMessageBox::ActionRole);
    box.addButton(QMessageBox::Close);
    box.setDefaultButton(retry);
    box.exec();
    if (box.clickedButton() == retry)
        m_session->connection()->reconnect();
    else if (box.clickedButton() == change)
        showConnectDialog();
}

void ViewerWindow::onServerError(const Protocol::Error &error)
{
    statusBar()->showMessage(tr("Server: %1").arg(error.message), 5000);
}

void ViewerWindow::setTakeConfirmation(std::function<bool(const QString &)> confirm)
{
    m_confirmTake = std::move(confirm);
}

void ViewerWindow::takeKeyboard()
{
    const std::optional<QString> holder = m_session->presence()->otherHolder();
    if (holder && !m_confirmTake(*holder))
        return;
    if (!m_session->takeKeyboard())
        statusBar()->showMessage(tr("Not connected to the console."), 5000);
    m_view->setFocus();
}

void ViewerWindow::paste(const QString &text)
{
    QString why;
    switch (m_session->paste(text)) {
    case PasteSender::Result::Sent:
    case PasteSender::Result::Empty:
        return;
    case PasteSender::Result::NotConnected:
        why = tr("Not pasted: not connected to the console.");
        break;
    case PasteSender::Result::ReadOnly:
        why = tr("Not pasted: this viewer is read-only.");
        break;
    case PasteSender::Result::KeyboardHeld:
        why = tr("Not pasted: %1 has the keyboard (Console > Take Keyboard).")
                  .arg(m_session->presence()->otherHolder().value_or(QString()));
        break;
    case PasteSender::Result::Busy:
        why = tr("Not pasted: your last paste is still running (Edit > Cancel Paste, or wait).");
        break;
    }
    statusBar()->showMessage(why, 5000);
}

void ViewerWindow::updatePasteActions()
{
    m_cancelPasteAction->setEnabled(m_session->pastes()->isRunning());
}

void ViewerWindow::onSendBreak()
{
    if (!m_session->sendBreak())
        statusBar()->showMessage(tr("This console cannot send a BREAK."), 5000);
}

bool ViewerWindow::saveOutput(const QString &fileName, QString *error)
{
    QSaveFile file(fileName);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Text)) {
        *error = file.errorString();
        return false;
    }
    file.write(m_session->model()->allText().toUtf8());
    if (!file.commit()) {
        *error = file.errorString();
        return false;
    }
    return true;
}

void ViewerWindow::onSaveOutput()
{
    const auto &hello = m_session->connection()->hello();
    const QString suggested
        = (hello ? hello->console : QStringLiteral("console")) + QStringLiteral(".log");
    const QString fileName = QFileDialog::getSaveFileName(this, tr("Save Output"), suggested,
                                                          tr("Text files (*.log *.txt)"));
    if (fileName.isEmpty())
        return;
    QString error;
    if (!saveOutput(fileName, &error))
        QMessageBox::warning(this, tr("Save Output"),
                             tr("Cannot save to %1: %2").arg(fileName, error));
    else
        statusBar()->showMessage(tr("Saved to %1").arg(fileName), 5000);
}

void ViewerWindow::onCopyAll()
{
    QGuiApplication::clipboard()->setText(m_session->model()->allText());
    statusBar()->showMessage(tr("Copied the whole output."), 3000);
}

} // namespace CloudConsole::Viewer
