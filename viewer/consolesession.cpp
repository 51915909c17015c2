#include "consolesession.h"

#include "logging.h"
#include "presence.h"

namespace CloudConsole::Viewer {

ConsoleSession::ConsoleSession(QObject *parent)
    : QObject(parent)
    , m_model(new TerminalModel(QSize(80, 24), this))
    , m_connection(new ConsoleConnection(this))
    , m_presence(new Presence(this))
    , m_pastes(new PasteSender(m_connection, m_presence, this))
{
    // The server answers the guest's queries (device attributes, cursor position, size, mode
    // reports) once, for every client; an answer from here would reach the guest a second time,
    // typed into whatever program asked. Keys and pastes are the model's input path, which
    // this does not silence (TerminalModel::onOutput).
    m_model->setRepliesEnabled(false);
    connect(m_connection, &ConsoleConnection::outputReceived, this, &ConsoleSession::onOutput);
    connect(m_connection, &ConsoleConnection::outputSkipped, this, &ConsoleSession::onSkipped);
    connect(m_connection, &ConsoleConnection::consoleRestarted, this, &ConsoleSession::onRestarted);
    connect(m_connection, &ConsoleConnection::helloReceived, this, &ConsoleSession::onHello);
    connect(m_connection, &ConsoleConnection::sizeChanged, m_model, &TerminalModel::resize);
    connect(m_connection, &ConsoleConnection::screenReceived, this, &ConsoleSession::onScreen);
    connect(m_model, &TerminalModel::inputReady, this, &ConsoleSession::onModelInput);
    connect(m_connection, &ConsoleConnection::clientsReceived, m_presence, &Presence::update);
    connect(m_connection, &ConsoleConnection::controlReceived, m_presence, &Presence::applyControl);
    connect(m_connection, &ConsoleConnection::stateChanged, m_presence,
            [presence = m_presence](ConsoleConnection::State state) {
                if (state != ConsoleConnection::State::Connected)
                    presence->clear();
            });
}

void ConsoleSession::open(const QUrl &url)
{
    // A console just opened is asked for the window's size once, as a window resize would.
    m_requestPending = m_requestedSize.isValid();
    m_connection->open(url);
}

QString ConsoleSession::gapText(qint64 bytes)
{
    // The same words the server uses for a gap in raw mode.
    return QStringLiteral("[cloud-console: %1 bytes skipped]").arg(bytes);
}

void ConsoleSession::onOutput(const QByteArray &bytes)
{
    m_model->write(bytes);
    if (m_screenIncomplete)
        checkScreenRedrawn();
}

void ConsoleSession::onSkipped(qint64 bytes)
{
    // When a screen follows (it stands for what was skipped), it replaces this line; the
    // status bar still counts the bytes.
    m_model->markLine(gapText(bytes));
}

void ConsoleSession::onRestarted()
{
    m_model->markLine(QStringLiteral("[cloud-console: the server restarted; output starts again]"));
}

void ConsoleSession::onHello(const Protocol::Hello &hello, bool resumed)
{
    qCInfo(lcWindow) << (resumed ? "resumed" : "connected to") << "console" << hello.console
                     << "at offset" << hello.offset << "size" << hello.cols << "x" << hello.rows;
    m_model->resize(QSize(hello.cols, hello.rows));
    sendRequestedSize();
}

void ConsoleSession::onScreen(const Protocol::Screen &screen)
{
    qCInfo(lcWindow) << "screen from the server at offset" << screen.offset << "size" << screen.cols
                     << "x" << screen.rows << (screen.complete ? "" : "(incomplete)");
    // The screen's data draws everything (scrollback, both buffers, modes, title) in a new
    // terminal of its size; what the model showed before is what it replaces.
    m_model->reset();
    m_model->resize(QSize(screen.cols, screen.rows));
    m_model->write(screen.data);
    m_erasesAtScreen = m_model->screenErases();
    m_scrolledAtScreen = m_model->linesScrolledOff();
    setScreenIncomplete(!screen.complete);
    Q_EMIT screenReplaced();
}

void ConsoleSession::checkScreenRedrawn()
{
    if (m_model->screenErases() > m_erasesAtScreen
        || m_model->linesScrolledOff() - m_scrolledAtScreen >= m_model->gridSize().height())
        setScreenIncomplete(false);
}

void ConsoleSession::setScreenIncomplete(bool incomplete)
{
    if (incomplete == m_screenIncomplete)
        return;
    m_screenIncomplete = incomplete;
    Q_EMIT screenIncompleteChanged(incomplete);
}

void ConsoleSession::requestSize(QSize gridSize)
{
    m_requestedSize = gridSize;
    m_requestPending = true;
    sendRequestedSize();
}

void ConsoleSession::sendRequestedSize()
{
    if (!m_requestPending || m_connection->state() != ConsoleConnection::State::Connected)
        return; // asked again once connected
    m_requestPending = false;
    const auto &hello = m_connection->hello();
    // A console without a size to set (a serial line, a socket) keeps its own, and a read-only
    // client would only get "read-only" back.
    if (!hello || !hello->canResize || !hello->writable)
        return;
    if (m_requestedSize == m_model->gridSize())
        return; // the console's size already
    qCDebug(lcWindow) << "asking for size" << m_requestedSize;
    m_connection->sendResize(m_requestedSize);
}

bool ConsoleSession::sendBreak()
{
    return m_connection->canBreak() && m_connection->sendBreak();
}

PasteSender::Result ConsoleSession::paste(const QString &text)
{
    return m_pastes->send(text, m_model->modes().bracketedPaste);
}

bool ConsoleSession::takeKeyboard()
{
    return m_connection->sendControl(Protocol::Control::Action::Take);
}

bool ConsoleSession::releaseKeyboard()
{
    return m_connection->sendControl(Protocol::Control::Action::Release);
}

bool ConsoleSession::giveKeyboard(qint64 to)
{
    return m_connection->sendControl(Protocol::Control::Action::Give, to);
}

void ConsoleSession::onModelInput(const QByteArray &bytes)
{
    // Another operator has the keyboard: the server would refuse these keys.
    if (const std::optional<QString> holder = m_presence->otherHolder()) {
        m_inputDropped += bytes.size();
        Q_EMIT inputDroppedChanged();
        Q_EMIT inputRefused(
            tr("%1 has the keyboard: Console > Take Keyboard to type.").arg(*holder));
        return;
    }
    // A read-only client's input would only come back as "read-only" errors.
    if (!m_connection->isWritable() || !m_connection->sendInput(bytes)) {
        m_inputDropped += bytes.size();
        Q_EMIT inputDroppedChanged();
    }
}

} // namespace CloudConsole::Viewer
