#pragma once

// ConsoleEvents is a console's recent history of what happened to it, as opposed to what it
// printed: alerts, the source going down and coming up, clients joining and leaving, resizes and
// BREAKs. GET /c/NAME/events answers from it, so an operator who was not watching can see what
// happened and when, and where in the output (each event carries the console's offset then).
//
// It is bounded (MaxEvents): the oldest event goes first, and how many went is counted, so a
// reader knows the list is not complete. Each event gets an id that only grows, for a reader that
// polls with ?since=ID. It owns the events; it knows nothing of where they come from, of HTTP or
// of access (Console records, Routes serves).

#include <QByteArray>
#include <QJsonObject>
#include <QString>
#include <QStringList>

#include <deque>
#include <optional>

namespace CloudConsole {

struct ConsoleEvent
{
    qint64 id = 0;
    qint64 timeMs = 0; // ms since the epoch
    qint64 offset = 0; // the console's output offset when it happened
    QString type; // "alert", "source-up", "source-down", "client-join", ...
    QJsonObject detail; // what else the type says: fields of the event object
};

class ConsoleEvents
{
public:
    static constexpr qsizetype MaxEvents = 1000;

    // Every type record() is given, for a reader's filter.
    static const QStringList &knownTypes();

    // Appends an event of now; the oldest goes when the list is full.
    void record(QString type, qint64 offset, QJsonObject detail = {});
    // The same, with a given time (an alert's is when its line was read).
    void record(QString type, qint64 offset, qint64 timeMs, QJsonObject detail);

    const std::deque<ConsoleEvent> &events() const { return m_events; }
    qint64 forgotten() const { return m_forgotten; } // events dropped to keep the bound

    struct Query
    {
        qint64 since = 0; // events with an id above this
        QStringList types; // empty: every type
        qsizetype limit = MaxEvents; // the newest this many of those
    };
    // GET /c/NAME/events?since=&type=&limit=, or *error says which parameter is wrong.
    static std::optional<Query> parseQuery(const QString &query, QString *error);

    // {"console", "events": [{"id", "time", "offset", "type", ...detail}], "forgotten",
    //  "next": the id to pass as since next time}, oldest first.
    QByteArray json(const QString &console, const Query &query) const;

private:
    std::deque<ConsoleEvent> m_events;
    qint64 m_nextId = 1;
    qint64 m_forgotten = 0;
};

} // namespace CloudConsole
