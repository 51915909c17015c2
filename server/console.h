#pragma once

// Console is one VM console shared by many clients: a source, its history, its log, its clients.
//
// Bytes read from the source are appended to the HistoryRing, written to the log, and offered
// to every ClientSession, each of which sends from its own cursor. Input from the sessions is
// drained into the source in turn, a bounded amount at a time, so every writer's bytes arrive
// in order and none can starve the others. The console keeps its history and clients while the
// source is down and tells the clients when it goes and comes back. An alert that its rules raise
// (ConsoleAlerts, beside the screen) goes to every client, sets the console's state, is counted
// and logged. Operators share the keyboard or, on an exclusive console, take turns (Keyboard);
// pastes are fed at the console's pace (PasteFeeder); every client is told who is here. What
// happens to the console (alerts, the source, clients, resizes, BREAKs) is kept
// in a bounded list of events. It owns the source, the ring, the log writer, the screen (a terminal
// model that answers the guest's queries), the alert matcher and the sessions; it knows nothing
// about HTTP or where sockets come from.

#include "accesssettings.h"
#include "clientsession.h"
#include "consolealerts.h"
#include "consoleevents.h"
#include "consolerecorder.h"
#include "consolescreen.h"
#include "consolesource.h"
#include "historyring.h"
#include "keyboard.h"
#include "limitsettings.h"
#include "logwriter.h"
#include "pastefeeder.h"
#include "sharingsettings.h"

#include <QElapsedTimer>
#include <QObject>
#include <QTimer>

#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <vector>

namespace CloudConsole {

struct ConsoleSettings
{
    QString name = QStringLiteral("default");
    qsizetype historySize = 1024 * 1024;
    QString logPath; // empty: no log
    // Lines such as "-- console down 12:03:14: end of file --" in the stream and the log, so
    // readers of either see when the source went and came back.
    bool markers = true;
    QString sourceSpec; // what the source was made from, to tell a reconfigured console apart
    // Clients of this console at once; HttpFrontend refuses more.
    int maxClients = LimitSettings().maxClientsPerConsole;
    // The console's size at the start: its screen's, and its source's where the source takes
    // one. Operators change it with resize() where the source takes a size (see size()).
    QSize size {80, 24};
    int scrollbackLines = 1000; // kept by the screen, and sent in snapshots
    bool screen = true; // off: no screen (byte replay only, queries answered by nobody)
    bool syslog = false; // on: every line to the journal (ConsoleJournal)
    LimitSettings limits; // per client: input rate, pings, idle timeout
    // The server's alert rules; those whose consoles name this one apply (none by default: the
    // server passes the configuration's, built-in ones included).
    AlertRules alertRules;
    // Who may type (shared or exclusive input) and how pastes are fed (server/sharing/).
    SharingSettings sharing;
    // record = on and the rest: asciicast recordings (server/recording/).
    RecordingSettings recording;
};

// Running totals for /metrics: plain integers, since everything runs on one thread. Sessions come
// and go; what they did stays counted here.
struct ConsoleCounters
{
    qint64 sourceBytesRead = 0; // the guest's output, without lifecycle markers
    qint64 inputBytesWritten = 0; // clients' input taken by the source
    qint64 sourceUps = 0; // every one after the first is a reconnect
    qint64 clientBytesSent = 0; // output sent to clients, summed over clients
    qint64 gaps = 0; // a client fell behind the history, or resumed from before it
    qint64 gapBytes = 0; // bytes those clients never got
};

// Alerts of one rule at one severity on a console, for /metrics.
struct AlertTally
{
    qint64 count = 0;
    qint64 lastTimeMs = 0; // ms since the epoch
};

class Console : public QObject
{
    Q_OBJECT
public:
    Console(ConsoleSettings settings, std::unique_ptr<ConsoleSource> source,
            QObject *parent = nullptr);
    ~Console() override;

    // Opens the log and starts the source; an error is the caller's to report.
    bool start(QString *error);

    QString name() const { return m_settings.name; }
    const ConsoleSettings &settings() const { return m_settings; }
    // Limits may change while clients stay (a reloaded configuration); the rest of the settings
    // make a different console.
    void setLimits(int maxClients, const LimitSettings &limits)
    {
        m_settings.maxClients = maxClients;
        m_settings.limits = limits;
    }
    QString epoch() const { return m_epoch; }
    const HistoryRing &history() const { return m_history; }
    const ConsoleScreen &screen() const { return *m_screen; }
    ConsoleScreen &screen() { return *m_screen; }
    // The console's size now: the configured one, or the last operator's resize.
    QSize size() const { return m_size; }
    ConsoleSource &source() const { return *m_source; }
    LogWriter *log() const { return m_log.get(); }
    int clientCount() const { return int(m_clients.size()); }
    const std::vector<ClientSession *> &clients() const { return m_clients; }

    const ConsoleCounters &counters() const { return m_counters; }

    // The console's state as its alert rules last set it: "booting" until one sets another
    // ("ready" at the login prompt, "failed" at a panic, or a rule's own).
    QString state() const { return m_state; }
    // A reloaded configuration's rules; the console keeps its state and tallies.
    void setAlertRules(const AlertRules &rules);
    // syslog = on or off, at once.
    void setSyslog(bool on);
    const ConsoleAlerts &alerts() const { return *m_alerts; }
    // By rule name, then severity name.
    const std::map<std::pair<QString, QString>, AlertTally> &alertTallies() const
    {
        return m_alertTallies;
    }
    // Times the source came up again after being down.
    qint64 sourceReconnects() const { return std::max<qint64>(0, m_counters.sourceUps - 1); }
    // Milliseconds since the source last sent output; nothing while it never has.
    std::optional<qint64> lastOutputAgeMs() const;
    // A session reports what it sent and what it skipped.
    void countSent(qint64 bytes) { m_counters.clientBytesSent += bytes; }
    void countGap(qint64 bytes)
    {
        ++m_counters.gaps;
        m_counters.gapBytes += bytes;
    }

    // Takes ownership of a connected WebSocket and makes it a client of this console. transport
    // is the socket under it, when the caller knows it (see ClientSession).
    // user: who the credential names, for the log and the events (empty without access control);
    // kind: what the client is ("page", "viewer", "script"), for the others to see.
    // screenFirst: start from the current screen, not the history (ClientSession::start).
    ClientSession *addClient(QWebSocket *socket, ClientSession::Mode mode,
                             std::optional<qint64> resumeFrom, bool writable = true,
                             QTcpSocket *transport = nullptr, const QString &user = {},
                             const QString &kind = {}, bool screenFirst = false);
    void closeAllClients(QWebSocketProtocol::CloseCode code, const QString &reason);

    Protocol::Hello hello(qint64 offset, bool writable) const;
    // An output frame of up to maxBytes from offset, shared by the clients that ask for the same
    // one (they all send the same bytes, so the copy is made once).
    QByteArray frameAt(qint64 offset, qsizetype maxBytes);

    // A session queued input; the console drains it into the source.
    void drainInput();
    // An operator's resize; the last one wins. Only a source that takes a size makes the
    // console change it; every client is told the new size. by: the client that asked, if any.
    void resize(int cols, int rows, const ClientSession *by = nullptr);
    bool sendBreak(const ClientSession *by = nullptr);

    // Recording (record = on, ...) as a reloaded configuration says; the time index stays.
    void setRecording(const RecordingSettings &recording);
    const ConsoleRecorder &recorder() const { return *m_recorder; }

    // Working together (server/sharing/). Presence: the clients event for one of them.
    Protocol::ClientsEvent presence(const ClientSession &you) const;
    // Why an operator may not type now (an exclusive console's keyboard is someone else's), or
    // an empty string when it may. With `take`, on an exclusive console nobody holds, it takes
    // the keyboard: its input was accepted.
    QString mayType(ClientSession &client, bool take);
    // A control message of an operator, or a piece of its paste; an empty string when done,
    // else why not.
    QString control(ClientSession &client, const Protocol::Control &request);
    QString paste(ClientSession &client, const Protocol::Paste &piece);
    void cancelPaste(ClientSession &client);
    // A reloaded configuration's sharing settings, at once.
    void setSharing(const SharingSettings &sharing);
    const Keyboard &keyboard() const { return m_keyboard; }
    const PasteFeeder &pasteFeeder() const { return m_paste; }

    // What happened to the console lately (GET /c/NAME/events).
    const ConsoleEvents &events() const { return m_events; }

    // Flushes the log, blocking until the file has it, at most LogWriter::FlushTimeout (a console
    // that goes finishes its log by itself); reopens it without waiting for the file (SIGHUP).
    void flushLog();
    void reopenLog();

Q_SIGNALS:
    // An alert of this console's rules, after the clients, the state, the tallies and the log
    // have it: for what the server does beyond the console (webhooks).
    void alertRaised(const CloudConsole::Alert &alert);

private:
    void drainInputOnce();
    void onSourceData(QByteArrayView data);
    void onData(QByteArrayView data);
    void onSourceUp(const QString &what);
    void onSourceDown(const QString &reason);
    void appendMarker(const QString &event, const QString &detail);
    void removeClient(ClientSession *session);
    void broadcast(const Protocol::ServerMessage &message);
    // Answers from the screen to the guest's queries: written ahead of the clients' input.
    void queueReplies(const QByteArray &bytes);
    void onAlert(const Alert &alert);
    ClientSession *clientById(qint64 id) const;
    QString describe(const ClientSession &client) const; // "alice (10.0.0.7:51472)"
    // Every client's presence now, or within withinMs (typing is told at most once a second).
    void broadcastPresence();
    void schedulePresence(int withinMs);
    void onKeyboardChanged(const Protocol::ControlEvent &event);
    void onPasteProgress(const Protocol::PasteEvent &event);
    // Writes what the paste may write now; false while it runs (everyone else's input waits).
    bool drainPaste();
    // An event, in the events and the recording (and a time in the log's index).
    void recordEvent(const QString &type, qint64 offset, QJsonObject detail = {});
    void recordEvent(const QString &type, qint64 offset, qint64 timeMs, QJsonObject detail);

    ConsoleSettings m_settings;
    QString m_epoch;
    HistoryRing m_history;
    std::unique_ptr<ConsoleSource> m_source;
    std::unique_ptr<LogWriter> m_log;
    QSize m_size;
    std::unique_ptr<ConsoleScreen> m_screen;
    QByteArray m_replies; // answers to queries waiting for the source; bounded (MaxReplies)
    qint64 m_repliesDropped = 0;
    std::vector<ClientSession *> m_clients; // children of this console
    size_t m_nextInputClient = 0; // round-robin position for drainInput()
    bool m_draining = false;
    bool m_drainAgain = false;
    qint64 m_frameOffset = -1;
    QByteArray m_frame;
    ConsoleCounters m_counters;
    QElapsedTimer m_lastOutput; // invalid until the first output
    std::unique_ptr<ConsoleAlerts> m_alerts;
    QString m_state = QStringLiteral("booting");
    std::map<std::pair<QString, QString>, AlertTally> m_alertTallies;
    ConsoleEvents m_events;
    qint64 m_nextClientId = 1;
    Keyboard m_keyboard;
    PasteFeeder m_paste;
    QTimer m_presenceTimer;
    std::unique_ptr<ConsoleRecorder> m_recorder; // the time index's times and the recording
};

} // namespace CloudConsole
