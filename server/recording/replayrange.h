#pragma once

// ReplayRange is what the replay page plays: a time range of a console, read from its asciicast
// recordings (or, for a console that keeps a log but no recordings, from the log and its time
// index), as events with their times, plus the screens that let a player seek without playing
// everything before: the screen as it stood when the range starts, and one again after every
// KeyframeEvery bytes of output, each made by a TerminalModel of its own (the server's libvterm
// model) and written by ScreenSerializer as the bytes that draw it.
//
// The screen at the start is made from at most Window bytes of output before it (and the size
// then): a range never costs more than that, however long the console ran before it. A screen
// drawn once and then only changed in place for longer than that (a full-screen program idle
// for hours) may show less than it did; the page says the start screen is "from the last N KiB".
//
// The same range is also written for download: as an asciicast v2 file that starts with the
// screen at its start (so it plays on its own), or as plain text, one line per line of output
// with the time it started, escape sequences removed (LineText).
//
// It reads files on a worker thread and keeps nothing; it knows nothing of consoles, HTTP or
// access: whether recorded input is included is the caller's decision (withInput).

#include <QByteArray>
#include <QSize>
#include <QString>
#include <QStringList>

#include <optional>
#include <vector>

namespace CloudConsole {

struct ReplayQuery
{
    static constexpr qint64 MaxSpanMs = 7LL * 24 * 3600 * 1000; // a longer range gets 400
    static constexpr qint64 DefaultSpanMs = 3600 * 1000; // without from: the hour before to

    enum class Format { Json, Cast, Text };

    qint64 fromMs = 0;
    qint64 toMs = 0;
    Format format = Format::Json;

    // [from=TIME][&to=TIME][&format=cast|text] (format only where `download`), already taken
    // from the URL; TIME as search takes it (ISO 8601, or seconds since the epoch). Without
    // to: now; without from: DefaultSpanMs before to. *error says what is wrong: not a time,
    // from after to, longer than MaxSpanMs, an unknown format or key.
    static std::optional<ReplayQuery> parse(const QString &query, bool download, qint64 nowMs,
                                            QString *error);
};

struct ReplayEvent
{
    qint64 ms = 0; // since the epoch
    char code = 'o'; // 'o', 'r', 'm', 'i'
    QString data;
};

struct ReplayScreen
{
    qint64 ms = 0; // the screen as it stood at this time
    qsizetype event = 0; // the events before it are drawn in it (indexes into events)
    QSize size;
    QByteArray data; // terminal output that draws it (ScreenSerializer)
};

struct ReplayRangeData
{
    QString source; // "recording", "log" or "" (nothing recorded in that range)
    QSize startSize {80, 24};
    std::vector<ReplayScreen> screens; // the first at the range's start
    std::vector<ReplayEvent> events; // in order, within the range
    bool truncated = false; // cut at MaxOutput: endMs says where it stops
    qint64 endMs = 0;
    qint64 windowBytes = 0; // output before the start that made its screen
    QStringList files; // read, oldest first
    QString warning; // a damaged file or index, said to the page
};

namespace ReplayRange {

inline constexpr qint64 Window = 1024 * 1024; // output before the start that makes its screen
inline constexpr qint64 KeyframeEvery = 512 * 1024; // output between two screens
inline constexpr qint64 MaxOutput = 16 * 1024 * 1024; // events of one answer; beyond: truncated
inline constexpr int ScrollbackLines = 500; // of the screens

struct Sources
{
    QString console;
    QString recordDir; // empty: no recordings
    QString logPath; // empty: no log
    QSize size {80, 24}; // the console's size now: what a range from the log is drawn at
};

// The range [fromMs, toMs] from the recordings when any covers it, else from the log.
ReplayRangeData read(const Sources &sources, qint64 fromMs, qint64 toMs, bool withInput,
                     qint64 maxOutput = MaxOutput);

// {"console", "source", "from", "to", "fromMs", "toMs", "endMs", "truncated", "input", "cols",
//  "rows", "windowBytes", "files", "warning", "screens": [{"t", "event", "cols", "rows",
//  "data"}], "events": [[t, "o", "data"], ...]}: t in ms since fromMs.
QByteArray json(const QString &console, const ReplayQuery &query, const ReplayRangeData &range,
                bool withInput);
// asciicast v2: the header (the size at the start, timestamp = from), the start screen as an
// "o" event at 0, then the events.
QByteArray cast(const QString &console, const ReplayQuery &query, const ReplayRangeData &range);
// "2024-05-01T03:12:44.120Z  LINE" for each line of output (by the time it started), and
// "2024-05-01T03:12:44.120Z  -- MARKER --" for each marker; no input.
QByteArray text(const ReplayRangeData &range);

// The time a recording's name says it started ("NAME-YYYYMMDD-HHMMSS-mmm.cast", UTC).
std::optional<qint64> startOfFile(const QString &console, const QString &fileName);

} // namespace ReplayRange

} // namespace CloudConsole
