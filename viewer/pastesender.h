#pragma once

// PasteSender sends this viewer's pastes as `paste` messages, which the server feeds to the
// console at the console's pace (a serial line drops what comes faster than it reads), never as
// keystrokes; and follows the progress the server reports of this viewer's paste and of anyone
// else's, for the status bar.
//
// A paste is what a terminal sends for it: line ends as CR, between ESC [ 200 ~ and ESC [ 201 ~
// when the guest turned bracketed paste on (the caller says, from the model's modes), with no
// end marker inside. One paste of this viewer runs at a time; keys typed meanwhile wait behind it
// on the server.
//
// It owns the state of the pastes under way; it knows the connection (to send and to hear) and
// the Presence (who this client is, whether another operator has the keyboard, names). No
// widgets: PasteProgress shows it.

#include "consoleconnection.h"

#include <QObject>

#include <map>
#include <optional>

namespace CloudConsole::Viewer {

class Presence;

class PasteSender : public QObject
{
    Q_OBJECT

public:
    enum class Result { Sent, Empty, NotConnected, ReadOnly, KeyboardHeld, Busy };
    Q_ENUM(Result)

    struct Progress
    {
        qint64 id = 0;
        qint64 by = 0;
        qint64 sent = 0;
        qint64 total = 0;
        bool mine = false;
        bool confirmed = false; // the server reported on it
        bool cancelling = false;
    };

    PasteSender(ConsoleConnection *connection, const Presence *presence, QObject *parent = nullptr);

    // The bytes a paste of `text` sends.
    static QByteArray pasteBytes(const QString &text, bool bracketed);
    // "8.0 KiB", "20 KiB", "1.0 MiB", "12 bytes".
    static QString byteText(qint64 bytes);

    Result send(const QString &text, bool bracketed);
    // Stops this viewer's running paste; what the console got stays.
    bool cancel();

    bool isRunning() const { return m_mine.has_value(); }
    // The paste the status bar shows: this viewer's, else someone else's; nothing when none runs.
    std::optional<Progress> shown() const;
    // "Pasting 40% (8.0 KiB of 20 KiB)" or "alice is pasting 40%"; empty when none runs.
    QString statusText() const;
    qint64 pastesSent() const { return m_nextId - 1; }

Q_SIGNALS:
    void progressChanged();
    // This viewer's paste ended (done, cancelled, failed or refused): `notice` says how.
    void finished(const QString &notice, bool problem);

private:
    void onPaste(const Protocol::PasteEvent &paste);
    void onServerError(const Protocol::Error &error);
    void onStateChanged(ConsoleConnection::State state);
    void onPresenceChanged();

    ConsoleConnection *m_connection;
    const Presence *m_presence;
    qint64 m_nextId = 1;
    std::optional<Progress> m_mine;
    std::map<qint64, Progress> m_others; // by sender: their running paste
};

} // namespace CloudConsole::Viewer
