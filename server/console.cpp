#include "console.h"

#include "presence.h"

#include <QDateTime>
#include <QJsonObject>
#include <QLoggingCategory>
#include <QRandomGenerator>

#include <algorithm>

Q_LOGGING_CATEGORY(lcConsole, "cloudconsole.console")

namespace CloudConsole {

namespace {
// How much of one client's input goes to the source before the next client's turn.
constexpr qsizetype InputTurn = 4096;
// Answers to queries waiting while the guest does not read its input; a guest that floods
// queries without reading the answers loses the newest ones, counted in the log.
constexpr qsizetype MaxReplies = 4096;
// Typing is told to the others at most this often, and joins and leaves within this (presence):
// every client gets the whole list, so a burst of clients that come or go is told once.
constexpr int PresenceDelayMs = 1000;
constexpr int PresenceChangeDelayMs = 250;

QString clientsText(size_t count)
{
    return count == 1 ? QStringLiteral("1 client") : QStringLiteral("%1 clients").arg(count);
}
// Who a client is, in an event: its address, role and (with access control) name.
QJsonObject clientDetail(const ClientSession &session)
{
    QJsonObject detail {
        {QLatin1String("address"), session.peer()},
        {QLatin1String("role"),
         session.isWritable() ? QLatin1String("operator") : QLatin1String("viewer")}};
    if (!session.user().isEmpty())
        detail.insert(QLatin1String("user"), session.user());
    return detail;
}

} // namespace

Console::Console(ConsoleSettings settings, std::unique_ptr<ConsoleSource> source, QObject *parent)
    : QObject(parent)
    , m_settings(std::move(settings))
    , m_epoch(QString::number(QRandomGenerator::system()->generate64(), 16)
                  .rightJustified(16, QLatin1Char('0')))
    , m_history(m_settings.historySize)
    , m_source(std::move(source))
    , m_size(m_settings.size)
    , m_screen(std::make_unique<ConsoleScreen>(m_settings.size, m_settings.scrollbackLines,
                                               m_settings.screen))
{
    m_recorder = std::make_unique<ConsoleRecorder>(m_settings.name, m_settings.size);
    connect(m_screen.get(), &ConsoleScreen::replies, this, &Console::queueReplies);
    m_alerts = std::make_unique<ConsoleAlerts>(m_settings.name);
    m_alerts->setRules(m_settings.alertRules);
    if (m_settings.syslog)
        m_alerts->setJournal(true);
    connect(m_alerts.get(), &ConsoleAlerts::alerted, this, &Console::onAlert);
    connect(m_source.get(), &ConsoleSource::dataRead, this, &Console::onSourceData);
    connect(m_source.get(), &ConsoleSource::up, this, &Console::onSourceUp);
    connect(m_source.get(), &ConsoleSource::down, this, &Console::onSourceDown);
    connect(m_source.get(), &ConsoleSource::writable, this, &Console::drainInput);
    setSharing(m_settings.sharing);
    m_presenceTimer.setSingleShot(true);
    connect(&m_presenceTimer, &QTimer::timeout, this, &Console::broadcastPresence);
    connect(&m_keyboard, &Keyboard::changed, this, &Console::onKeyboardChanged);
    connect(&m_paste, &PasteFeeder::progress, this, &Console::onPasteProgress);
    connect(&m_paste, &PasteFeeder::wantsDrain, this, &Console::drainInput);
    connect(&m_paste, &PasteFeeder::leftOpen, this, &Console::queueReplies);
}

Console::~Console()
{
    // Sessions refer to this console: they go first, while everything they use still exists.
    m_source->disconnect(this);
    const std::vector<ClientSession *> clients = std::exchange(m_clients, {});
    for (ClientSession *session : clients)
        delete session;
    // The log writer, destroyed with the members, finishes the log: without waiting for the file
    // while the event loop runs (a console removed by a reload), for a bounded time at shutdown.
}

bool Console::start(QString *error)
{
    if (!m_settings.logPath.isEmpty()) {
        m_log = std::make_unique<LogWriter>(m_settings.logPath, m_history);
        m_log->setIndex(m_recorder->indexFor(m_settings.logPath, m_epoch));
        QString why;
        if (!m_log->open(&why)) {
            *error = QStringLiteral("cannot open log file %1: %2").arg(m_settings.logPath, why);
            return false;
        }
    }
    if (!m_recorder->setRecording(m_settings.recording, m_settings.logPath, error))
        return false;
    if (m_source->canResize())
        m_source->resize(m_settings.size.width(), m_settings.size.height());
    m_source->start();
    return true;
}

ClientSession *Console::addClient(QWebSocket *socket, ClientSession::Mode mode,
                                  std::optional<qint64> resumeFrom, bool writable,
                                  QTcpSocket *transport, const QString &user, const QString &kind,
                                  bool screenFirst)
{
    if (socket->state() != QAbstractSocket::ConnectedState) {
        // It went away between the handshake and now; there is nobody to serve.
        socket->deleteLater();
        return nullptr;
    }
    auto *session = new ClientSession(*this, socket, transport, mode, writable, this);
    // Queued: a session may finish in the middle of a broadcast over m_clients.
    connect(session, &ClientSession::finished, this, &Console::removeClient, Qt::QueuedConnection);
    session->setIdentity(m_nextClientId++, user, kind);
    m_clients.push_back(session);
    recordEvent(QStringLiteral("client-join"), m_history.endOffset(), clientDetail(*session));
    qCInfo(lcConsole).noquote() << m_settings.name << "client" << session->peer()
                                << QStringLiteral("joined as %1 (%2)")
                                       .arg(writable ? QStringLiteral("an operator")
                                                     : QStringLiteral("a viewer"),
                                            clientsText(m_clients.size()));
    session->start(resumeFrom, screenFirst);
    schedulePresence(PresenceChangeDelayMs);
    return session;
}

void Console::removeClient(ClientSession *session)
{
    const auto it = std::find(m_clients.begin(), m_clients.end(), session);
    if (it == m_clients.end())
        return;
    m_clients.erase(it);
    recordEvent(QStringLiteral("client-leave"), m_history.endOffset(), clientDetail(*session));
    qCInfo(lcConsole).noquote() << m_settings.name << "client" << session->peer()
                                << QStringLiteral("left (%1)").arg(clientsText(m_clients.size()));
    if (m_paste.sender() == session->id())
        m_paste.cancel(QStringLiteral("its sender left"));
    m_keyboard.left(session->id());
    schedulePresence(PresenceChangeDelayMs);
    session->deleteLater();
}

void Console::closeAllClients(QWebSocketProtocol::CloseCode code, const QString &reason)
{
    for (ClientSession *session : m_clients)
        session->close(code, reason);
}

Protocol::Hello Console::hello(qint64 offset, bool writable) const
{
    Protocol::Hello hello;
    hello.console = m_settings.name;
    hello.offset = offset;
    hello.epoch = m_epoch;
    hello.historyStart = m_history.startOffset();
    hello.historyEnd = m_history.endOffset();
    hello.writable = writable;
    hello.source = m_source->isUp() ? Protocol::SourceState::Up : Protocol::SourceState::Down;
    hello.sourceReason = m_source->stateReason();
    hello.canResize = m_source->canResize();
    hello.canBreak = m_source->canBreak();
    hello.cols = m_size.width();
    hello.rows = m_size.height();
    hello.server = QStringLiteral("cloud-console/" CLOUD_CONSOLE_VERSION);
    return hello;
}

QByteArray Console::frameAt(qint64 offset, qsizetype maxBytes)
{
    // Bytes at an absolute offset never change while they are kept, so a frame cut for one
    // client is valid for every other client at the same offset.
    const qsizetype size = qsizetype(std::min<qint64>(maxBytes, m_history.endOffset() - offset));
    if (offset != m_frameOffset || m_frame.size() != size) {
        m_frame = m_history.copy(offset, size);
        m_frameOffset = offset;
    }
    return m_frame;
}

std::optional<qint64> Console::lastOutputAgeMs() const
{
    if (!m_lastOutput.isValid())
        return std::nullopt;
    return m_lastOutput.elapsed();
}

void Console::onSourceData(QByteArrayView data)
{
    m_counters.sourceBytesRead += data.size();
    m_lastOutput.start();
    onData(data);
}

void Console::onData(QByteArrayView data)
{
    m_history.append(data);
    m_screen->feed(m_history.endOffset() - data.size(), data);
    m_alerts->feed(m_history.endOffset() - data.size(), data);
    if (m_frameOffset >= 0 && m_frameOffset < m_history.startOffset()) {
        m_frame.clear();
        m_frameOffset = -1;
    }
    m_recorder->output(m_history.endOffset() - data.size(), data);
    if (m_log)
        m_log->write(data);
    m_paste.output(data);
    for (ClientSession *session : m_clients)
        session->pump();
}

void Console::drainInput()
{
    // A write may free the source's queue and report writable() at once, which calls this
    // again while a turn is half done (bytes written, not yet consumed): never run twice.
    if (m_draining) {
        m_drainAgain = true;
        return;
    }
    m_draining = true;
    do {
        m_drainAgain = false;
        drainInputOnce();
    } while (m_drainAgain);
    m_draining = false;
}

void Console::queueReplies(const QByteArray &bytes)
{
    if (!m_source->isUp())
        return; // asked of a guest that is gone; a new one asks again
    const qsizetype room = MaxReplies - m_replies.size();
    if (bytes.size() > room) {
        if (m_repliesDropped == 0)
            qCWarning(lcConsole).noquote()
                << m_settings.name
                << "the guest sends terminal queries without reading the answers; dropping some";
        m_repliesDropped += bytes.size();
        return;
    }
    m_replies += bytes;
    drainInput();
}

void Console::drainInputOnce()
{
    // The screen's answers first: the guest asked before whatever the clients type next.
    while (!m_replies.isEmpty() && m_source->isUp()) {
        const qsizetype taken = m_source->write(m_replies);
        if (taken == 0)
            return;
        m_replies.remove(0, taken);
    }
    // Then a paste, at its pace; keystrokes typed meanwhile wait behind it.
    if (!drainPaste())
        return;
    if (m_clients.empty() || !m_source->isUp())
        return;
    // Take turns, InputTurn bytes at a time, until everything is written or the source is full;
    // when it is full, the next turn starts with the client that was refused.
    bool progress = true;
    while (progress) {
        progress = false;
        const size_t count = m_clients.size();
        for (size_t i = 0; i < count; ++i) {
            const size_t index = (m_nextInputClient + i) % count;
            ClientSession *session = m_clients[index];
            const QByteArrayView pending = session->pendingInput();
            if (pending.isEmpty())
                continue;
            const qsizetype taken
                = m_source->write(pending.first(std::min(pending.size(), InputTurn)));
            if (taken == 0) {
                m_nextInputClient = index;
                return;
            }
            m_recorder->input(pending.first(taken), clientDetail(*session));
            session->consumeInput(taken);
            session->markTyped();
            m_keyboard.typed(session->id());
            schedulePresence(PresenceDelayMs);
            m_counters.inputBytesWritten += taken;
            progress = true;
        }
    }
}

void Console::resize(int cols, int rows, const ClientSession *by)
{
    // A serial line cannot tell its guest a size: the guest keeps the one it was configured
    // with (stty), and so does the console, whatever the clients' windows.
    if (!m_source->canResize())
        return;
    const QSize size(cols, rows);
    if (size == m_size)
        return;
    m_size = size;
    m_source->resize(cols, rows);
    m_screen->resize(size);
    broadcast(Protocol::SizeEvent {cols, rows});
    QJsonObject detail = by ? clientDetail(*by) : QJsonObject();
    detail.insert(QLatin1String("cols"), cols);
    detail.insert(QLatin1String("rows"), rows);
    recordEvent(QStringLiteral("resize"), m_history.endOffset(), std::move(detail));
}

bool Console::sendBreak(const ClientSession *by)
{
    if (!m_source->canBreak() || !m_source->sendBreak())
        return false;
    recordEvent(QStringLiteral("break"), m_history.endOffset(),
                by ? clientDetail(*by) : QJsonObject());
    return true;
}

void Console::flushLog()
{
    if (m_log)
        m_log->flush();
}

void Console::reopenLog()
{
    if (m_log)
        m_log->reopen();
}

void Console::onSourceUp(const QString &what)
{
    qCInfo(lcConsole).noquote() << m_settings.name << "source up:" << what;
    ++m_counters.sourceUps;
    recordEvent(QStringLiteral("source-up"), m_history.endOffset(),
                QJsonObject {{QLatin1String("detail"), what}});
    appendMarker(QStringLiteral("up"), what);
    broadcast(Protocol::SourceEvent {Protocol::SourceState::Up, what});
    drainInput();
}

void Console::onSourceDown(const QString &reason)
{
    m_replies.clear();
    qCInfo(lcConsole).noquote() << m_settings.name << "source down:" << reason;
    recordEvent(QStringLiteral("source-down"), m_history.endOffset(),
                QJsonObject {{QLatin1String("detail"), reason}});
    appendMarker(QStringLiteral("down"), reason);
    broadcast(Protocol::SourceEvent {Protocol::SourceState::Down, reason});
    m_paste.fail(QStringLiteral("the console went down (%1)").arg(reason));
    for (ClientSession *session : m_clients)
        session->dropInput(Protocol::ErrorCode::SourceDown,
                           QStringLiteral("the console went down (%1)").arg(reason));
}

void Console::appendMarker(const QString &event, const QString &detail)
{
    if (!m_settings.markers)
        return;
    // On a line of its own: after the guest's last line, or cutting into a partial one.
    QByteArray marker;
    if (m_history.endOffset() > m_history.startOffset()
        && m_history.copy(m_history.endOffset() - 1, 1) != "\n")
        marker += "\r\n";
    const QString time = QTime::currentTime().toString(QStringLiteral("HH:mm:ss"));
    // The detail comes from the source (a path, an error text): keep it on one line.
    QString shown = detail;
    shown.replace(QLatin1Char('\r'), QLatin1Char(' ')).replace(QLatin1Char('\n'), QLatin1Char(' '));
    marker += QStringLiteral("-- console %1 %2: %3 --\r\n").arg(event, time, shown).toUtf8();
    onData(marker);
}

void Console::setAlertRules(const AlertRules &rules)
{
    m_settings.alertRules = rules;
    m_alerts->setRules(rules);
}

void Console::setSyslog(bool on)
{
    m_settings.syslog = on;
    m_alerts->setJournal(on);
}

void Console::onAlert(const Alert &alert)
{
    const QString severity = toString(alert.severity);
    AlertTally &tally = m_alertTallies[{alert.rule, severity}];
    ++tally.count;
    tally.lastTimeMs = alert.timeMs;
    if (!alert.state.isEmpty())
        m_state = alert.state;
    // One line per alert, at the priority of its severity (journald shows it so); the matcher's
    // bucket bounds how many there are.
    const QString text = QStringLiteral("%1 alert %2 (%3) at offset %4: %5")
                             .arg(m_settings.name, alert.rule, severity)
                             .arg(alert.offset)
                             .arg(alert.line.left(200));
    switch (alert.severity) {
    case AlertSeverity::Info:
        qCInfo(lcAlert).noquote() << text;
        break;
    case AlertSeverity::Warning:
        qCWarning(lcAlert).noquote() << text;
        break;
    case AlertSeverity::Critical:
        qCCritical(lcAlert).noquote() << text;
        break;
    }
    broadcast(Protocol::AlertEvent {
        alert.rule, severity, alert.line,
        QDateTime::fromMSecsSinceEpoch(alert.timeMs, Qt::UTC).toString(Qt::ISODateWithMs),
        alert.offset});
    QJsonObject detail {{QLatin1String("rule"), alert.rule},
                        {QLatin1String("severity"), severity},
                        {QLatin1String("line"), alert.line}};
    if (!alert.state.isEmpty())
        detail.insert(QLatin1String("state"), alert.state);
    recordEvent(QStringLiteral("alert"), alert.offset, alert.timeMs, std::move(detail));
    Q_EMIT alertRaised(alert);
}

void Console::setRecording(const RecordingSettings &recording)
{
    QString why;
    if (!m_recorder->setRecording(recording, m_settings.logPath, &why)) {
        qCWarning(lcConsole).noquote()
            << m_settings.name << "keeps its recording as it was:" << why;
        return;
    }
    m_settings.recording = recording;
}

void Console::recordEvent(const QString &type, qint64 offset, QJsonObject detail)
{
    recordEvent(type, offset, QDateTime::currentMSecsSinceEpoch(), std::move(detail));
}

void Console::recordEvent(const QString &type, qint64 offset, qint64 timeMs, QJsonObject detail)
{
    m_recorder->event(type, offset, detail);
    m_events.record(type, offset, timeMs, std::move(detail));
}

bool Console::drainPaste()
{
    if (!m_paste.isRunning())
        return true;
    ClientSession *sender = clientById(*m_paste.sender());
    while (m_source->isUp()) {
        const QByteArrayView bytes = m_paste.ready(InputTurn);
        if (bytes.isEmpty())
            break;
        const qsizetype taken = m_source->write(bytes);
        if (taken == 0)
            break;
        m_counters.inputBytesWritten += taken;
        if (sender) {
            sender->markTyped();
            m_keyboard.typed(sender->id());
        }
        m_paste.consumed(taken); // may end the paste
    }
    if (sender)
        schedulePresence(PresenceDelayMs);
    return !m_paste.isRunning();
}

Protocol::ClientsEvent Console::presence(const ClientSession &you) const
{
    return CloudConsole::presence(m_clients, you, m_keyboard.isExclusive(), m_keyboard.holder());
}

namespace {

// A share link's session (ShareLinks names its principal "share:ID"): someone from outside.
bool isShareVisitor(const ClientSession &session)
{
    return session.user().startsWith(QLatin1String("share:"));
}

} // namespace

void Console::broadcastPresence()
{
    m_presenceTimer.stop();
    if (m_clients.empty())
        return;
    // Encoded once: the list is the same for everyone but for "you", the last key of its
    // canonical form ({...,"you":N}), which is written in per client.
    const auto encode = [this](bool hideAddresses) {
        Protocol::ClientsEvent event
            = CloudConsole::presence(m_clients, *m_clients.front(), m_keyboard.isExclusive(),
                                     m_keyboard.holder(), hideAddresses);
        event.you = 0;
        QByteArray encoded = Protocol::encode(Protocol::ServerMessage(std::move(event)));
        Q_ASSERT(encoded.endsWith("\"you\":0}"));
        encoded.chop(2);
        return encoded;
    };
    const QByteArray encoded = encode(false);
    // A share link's visitor is someone from outside: the others' addresses are not theirs to see.
    QByteArray hidden;
    for (ClientSession *session : m_clients) {
        if (!isShareVisitor(*session)) {
            session->sendPresence(encoded + QByteArray::number(session->id()) + '}');
            continue;
        }
        if (hidden.isEmpty())
            hidden = encode(true);
        session->sendPresence(hidden + QByteArray::number(session->id()) + '}');
    }
}

void Console::schedulePresence(int withinMs)
{
    if (!m_presenceTimer.isActive() || m_presenceTimer.remainingTime() > withinMs)
        m_presenceTimer.start(withinMs);
}

ClientSession *Console::clientById(qint64 id) const
{
    const auto it = std::find_if(m_clients.begin(), m_clients.end(),
                                 [id](const ClientSession *c) { return c->id() == id; });
    return it == m_clients.end() ? nullptr : *it;
}

QString Console::describe(const ClientSession &client) const
{
    return QStringLiteral("%1 (%2)").arg(
        client.user().isEmpty() ? QStringLiteral("client %1").arg(client.id()) : client.user(),
        client.peer());
}

QString Console::mayType(ClientSession &client, bool take)
{
    if (m_keyboard.mayType(client.id(), take))
        return {};
    const ClientSession *holder = clientById(m_keyboard.holder().value_or(-1));
    return QStringLiteral("%1 has the keyboard of this console (input = exclusive); take it to "
                          "type")
        .arg(holder ? describe(*holder) : QStringLiteral("another operator"));
}

QString Console::control(ClientSession &client, const Protocol::Control &request)
{
    switch (request.action) {
    case Protocol::Control::Action::Take:
        return m_keyboard.take(client.id());
    case Protocol::Control::Action::Release:
        return m_keyboard.release(client.id());
    case Protocol::Control::Action::Give:
        break;
    }
    const ClientSession *to = clientById(request.to);
    if (!to || !to->isWritable())
        return QStringLiteral("client %1 is not an operator attached to this console")
            .arg(request.to);
    return m_keyboard.give(client.id(), request.to);
}

QString Console::paste(ClientSession &client, const Protocol::Paste &piece)
{
    if (!m_source->isUp())
        return QStringLiteral("the console is down (%1)").arg(m_source->stateReason());
    const QString refusal = m_paste.add(client.id(), piece);
    if (refusal.isEmpty())
        m_keyboard.mayType(client.id(), true); // a paste taken is input accepted
    return refusal;
}

void Console::cancelPaste(ClientSession &client)
{
    // Its sender, or any operator: keystrokes wait behind a paste, and whoever waits may end it.
    if (m_paste.isRunning() && (m_paste.sender() == client.id() || client.isWritable()))
        m_paste.cancel(QStringLiteral("cancelled by %1").arg(describe(client)));
}

void Console::setSharing(const SharingSettings &sharing)
{
    const bool inputChanged = sharing.input != m_settings.sharing.input;
    m_settings.sharing = sharing;
    m_keyboard.setSettings(sharing.input, sharing.controlIdle);
    // A rate left to choose (a console made without the configuration): a guest's console.
    m_paste.setRules({sharing.effectivePasteRate(false), sharing.pasteLineDelay, sharing.pasteMode,
                      sharing.pasteMax});
    if (inputChanged)
        schedulePresence(0);
}

void Console::onKeyboardChanged(const Protocol::ControlEvent &event)
{
    const ClientSession *holder = event.holder ? clientById(*event.holder) : nullptr;
    const ClientSession *by = event.by ? clientById(*event.by) : nullptr;
    qCInfo(lcConsole).noquote() << m_settings.name << "keyboard" << event.reason
                                << (holder ? QStringLiteral("to %1").arg(describe(*holder))
                                           : QStringLiteral("(nobody has it)"))
                                << (by ? QStringLiteral("by %1").arg(describe(*by)) : QString());
    QJsonObject detail {{QLatin1String("reason"), event.reason}};
    if (holder)
        detail.insert(QLatin1String("holder"), clientDetail(*holder));
    if (by)
        detail.insert(QLatin1String("by"), clientDetail(*by));
    recordEvent(QStringLiteral("control"), m_history.endOffset(), std::move(detail));
    broadcast(event);
    // A paste goes on only while its sender holds the keyboard of an exclusive console, and
    // keystrokes still queued (behind a paste, or for a guest that reads slowly) only while
    // theirs does: what the new holder types must not follow the old holder's leftovers.
    // Dropped before the paste ends: its end lets the input that waited behind it go.
    if (m_keyboard.isExclusive() && event.holder) {
        const QString why
            = QStringLiteral("%1 has the keyboard now")
                  .arg(holder ? describe(*holder) : QStringLiteral("another operator"));
        for (ClientSession *session : m_clients) {
            if (session->id() != *event.holder)
                session->dropInput(Protocol::ErrorCode::ReadOnly, why);
        }
    }
    if (m_keyboard.isExclusive() && m_paste.isRunning() && m_paste.sender() != event.holder)
        m_paste.cancel(QStringLiteral("its sender no longer has the keyboard"));
    schedulePresence(0);
}

void Console::onPasteProgress(const Protocol::PasteEvent &event)
{
    if (event.state != QLatin1String("running") || event.sent == 0) {
        const ClientSession *by = clientById(event.by);
        qCInfo(lcConsole).noquote()
            << m_settings.name << "paste" << event.id << "of" << event.total << "bytes by"
            << (by ? describe(*by) : QStringLiteral("client %1").arg(event.by)) << event.state
            << QStringLiteral("(%1 written)").arg(event.sent) << event.message;
    }
    broadcast(event);
    if (event.state != QLatin1String("running"))
        drainInput(); // input held behind the paste goes now
}

void Console::broadcast(const Protocol::ServerMessage &message)
{
    for (ClientSession *session : m_clients)
        session->sendEvent(message);
}

} // namespace CloudConsole
