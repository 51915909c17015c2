#include "pastesender.h"

#include "logging.h"
#include "presence.h"

namespace CloudConsole::Viewer {

namespace {

int percent(qint64 sent, qint64 total)
{
    return total > 0 ? int(sent * 100 / total) : 100;
}

} // namespace

PasteSender::PasteSender(ConsoleConnection *connection, const Presence *presence, QObject *parent)
    : QObject(parent), m_connection(connection), m_presence(presence)
{
    connect(connection, &ConsoleConnection::pasteReceived, this, &PasteSender::onPaste);
    connect(connection, &ConsoleConnection::serverError, this, &PasteSender::onServerError);
    connect(connection, &ConsoleConnection::stateChanged, this, &PasteSender::onStateChanged);
    connect(presence, &Presence::changed, this, &PasteSender::onPresenceChanged);
}

QByteArray PasteSender::pasteBytes(const QString &text, bool bracketed)
{
    QString body = text;
    body.replace(QLatin1String("\r\n"), QLatin1String("\r"));
    body.replace(QLatin1Char('\n'), QLatin1Char('\r'));
    // A pasted end marker would let the rest of the paste run as typed commands.
    body.remove(QLatin1String("\x1b[201~"));
    if (body.isEmpty())
        return {};
    QByteArray bytes = body.toUtf8();
    if (bracketed)
        bytes = "\x1b[200~" + bytes + "\x1b[201~";
    return bytes;
}

QString PasteSender::byteText(qint64 bytes)
{
    if (bytes < 1024)
        return bytes == 1 ? tr("1 byte") : tr("%1 bytes").arg(bytes);
    if (bytes < 1024 * 1024)
        return tr("%1 KiB").arg(double(bytes) / 1024, 0, 'f', bytes < 10 * 1024 ? 1 : 0);
    return tr("%1 MiB").arg(double(bytes) / (1024 * 1024), 0, 'f', 1);
}

PasteSender::Result PasteSender::send(const QString &text, bool bracketed)
{
    if (m_mine)
        return Result::Busy;
    const QByteArray bytes = pasteBytes(text, bracketed);
    if (bytes.isEmpty())
        return Result::Empty;
    if (m_connection->state() != ConsoleConnection::State::Connected)
        return Result::NotConnected;
    if (!m_connection->isWritable())
        return Result::ReadOnly;
    if (m_presence->otherHolder())
        return Result::KeyboardHeld;
    const qint64 id = m_nextId;
    if (!m_connection->sendPaste(id, bytes))
        return Result::NotConnected;
    ++m_nextId;
    qCDebug(lcConnection) << "paste" << id << "of" << bytes.size() << "bytes sent";
    Progress progress;
    progress.id = id;
    progress.by = m_presence->you().value_or(-1);
    progress.total = bytes.size();
    progress.mine = true;
    m_mine = progress;
    Q_EMIT progressChanged();
    return Result::Sent;
}

bool PasteSender::cancel()
{
    if (!m_mine || !m_connection->sendPasteCancel())
        return false;
    m_mine->cancelling = true;
    Q_EMIT progressChanged();
    return true;
}

std::optional<PasteSender::Progress> PasteSender::shown() const
{
    if (m_mine)
        return m_mine;
    if (!m_others.empty())
        return m_others.begin()->second;
    return std::nullopt;
}

QString PasteSender::statusText() const
{
    const std::optional<Progress> paste = shown();
    if (!paste)
        return {};
    const int done = percent(paste->sent, paste->total);
    if (paste->mine)
        return tr("Pasting %1% (%2 of %3)")
            .arg(done)
            .arg(byteText(paste->sent), byteText(paste->total));
    return tr("%1 is pasting %2%").arg(m_presence->nameOf(paste->by)).arg(done);
}

void PasteSender::onPaste(const Protocol::PasteEvent &paste)
{
    const bool running = paste.state == QLatin1String("running");
    if (paste.by == m_presence->you()) {
        if (!m_mine || paste.id != m_mine->id)
            return; // a paste of an earlier connection: over
        m_mine->sent = paste.sent;
        m_mine->total = paste.total;
        m_mine->confirmed = true;
        if (running) {
            Q_EMIT progressChanged();
            return;
        }
        m_mine.reset();
        const QString why
            = paste.message.isEmpty() ? QString() : QStringLiteral(": ") + paste.message;
        Q_EMIT progressChanged();
        if (paste.state == QLatin1String("done"))
            Q_EMIT finished(tr("Pasted %1.").arg(byteText(paste.total)), false);
        else if (paste.state == QLatin1String("cancelled"))
            Q_EMIT finished(tr("Paste cancelled after %1 of %2%3.")
                                .arg(byteText(paste.sent), byteText(paste.total), why),
                            true);
        else
            Q_EMIT finished(tr("Paste failed after %1 of %2%3.")
                                .arg(byteText(paste.sent), byteText(paste.total), why),
                            true);
        return;
    }
    if (running) {
        Progress progress;
        progress.id = paste.id;
        progress.by = paste.by;
        progress.sent = paste.sent;
        progress.total = paste.total;
        progress.confirmed = true;
        m_others[paste.by] = progress;
    } else {
        m_others.erase(paste.by);
    }
    Q_EMIT progressChanged();
}

void PasteSender::onServerError(const Protocol::Error &error)
{
    // A refused paste never started.
    if (error.code != QLatin1String(Protocol::ErrorCode::PasteRefused) || !m_mine
        || m_mine->confirmed)
        return;
    m_mine.reset();
    Q_EMIT progressChanged();
    Q_EMIT finished(tr("Paste refused: %1").arg(error.message), true);
}

void PasteSender::onStateChanged(ConsoleConnection::State state)
{
    if (state == ConsoleConnection::State::Connected)
        return;
    const bool hadMine = m_mine.has_value();
    if (!hadMine && m_others.empty())
        return;
    m_mine.reset();
    m_others.clear();
    Q_EMIT progressChanged();
    if (hadMine)
        Q_EMIT finished(tr("The connection dropped during the paste: part of it may have reached "
                           "the console."),
                        true);
}

void PasteSender::onPresenceChanged()
{
    // A paste of someone who left is over.
    const auto &state = m_presence->state();
    if (!state)
        return;
    bool dropped = false;
    for (auto it = m_others.begin(); it != m_others.end();) {
        const bool here
            = std::any_of(state->clients.begin(), state->clients.end(),
                          [by = it->first](const auto &client) { return client.id == by; });
        if (here) {
            ++it;
        } else {
            it = m_others.erase(it);
            dropped = true;
        }
    }
    if (dropped)
        Q_EMIT progressChanged();
}

} // namespace CloudConsole::Viewer
