#include "consolesession.h"

#include "logging.h"

namespace CloudConsole::Viewer {

ConsoleSession::ConsoleSession(QObject *parent)
    : QObject(parent)
    , m_model(new TerminalModel(QSize(80, 24), this))
    , m_connection(new ConsoleConnection(this))
{
    m_size = m_model->gridSize();
    connect(m_connection, &ConsoleConnection::outputReceived, this, &ConsoleSession::onOutput);
    connect(m_connection, &ConsoleConnection::outputSkipped, this, &ConsoleSession::onSkipped);
    connect(m_connection, &ConsoleConnection::consoleRestarted, this, &ConsoleSession::onRestarted);
    connect(m_connection, &ConsoleConnection::helloReceived, this, &ConsoleSession::onHello);
    connect(m_model, &TerminalModel::inputReady, this, &ConsoleSession::onModelInput);
}

void ConsoleSession::open(const QUrl &url)
{
    m_connection->open(url);
}

QString ConsoleSession::gapText(qint64 bytes)
{
    // The same words the server uses for a gap in raw mode.
    return QStringLiteral("[cloud-console: %1 bytes skipped]").arg(bytes);
}

void ConsoleSession::onOutput(const QByteArray &bytes, bool replay)
{
    m_model->setRepliesEnabled(!replay);
    m_model->write(bytes);
    m_model->setRepliesEnabled(true);
}

void ConsoleSession::onSkipped(qint64 bytes)
{
    m_model->markLine(gapText(bytes));
}

void ConsoleSession::onRestarted()
{
    m_model->markLine(QStringLiteral("[cloud-console: the server restarted; output starts again]"));
}

void ConsoleSession::onHello(const Protocol::Hello &hello, bool resumed)
{
    qCInfo(lcWindow) << (resumed ? "resumed" : "connected to") << "console" << hello.console
                     << "at offset" << hello.offset;
    if (hello.canResize)
        m_connection->sendResize(m_size);
}

void ConsoleSession::setTerminalSize(QSize gridSize)
{
    if (gridSize == m_size)
        return;
    m_size = gridSize;
    const auto &hello = m_connection->hello();
    if (m_connection->state() == ConsoleConnection::State::Connected && hello && hello->canResize)
        m_connection->sendResize(gridSize);
}

bool ConsoleSession::sendBreak()
{
    return m_connection->canBreak() && m_connection->sendBreak();
}

void ConsoleSession::onModelInput(const QByteArray &bytes)
{
    // A read-only client's input would only come back as "read-only" errors.
    if (!m_connection->isWritable() || !m_connection->sendInput(bytes)) {
        m_inputDropped += bytes.size();
        Q_EMIT inputDroppedChanged();
    }
}

} // namespace CloudConsole::Viewer
