#pragma once

// LogSearch answers GET /c/NAME/search: it looks for a text (or a regular expression) in
// everything a console's log still holds, its current file and the files logrotate moved aside
// that the time index names, and says for each line found where it is (the file and the position
// in it, and the console's output offset and epoch where the index knows them), when it arrived
// (from the index, to within a second), the line and the lines around it, all without escape
// sequences.
//
// A plain text is found with a fast byte search over the file (mapped into memory), then the
// line around each hit is cleaned (LineText) and checked again; lines holding an escape sequence
// are cleaned and checked too, so a word split by colour codes is still found. A regular
// expression is tried on every cleaned line. Either stops at the limit of results or at the time
// limit, and says which. It runs on a worker thread (never the server's), reads files and an
// index, and knows nothing of consoles, access or HTTP.

#include <QByteArray>
#include <QRegularExpression>
#include <QString>
#include <QStringList>

#include <chrono>
#include <optional>
#include <vector>

namespace CloudConsole {

struct SearchQuery
{
    static constexpr qsizetype MaxText = 1000; // characters of q
    static constexpr int MaxLimit = 1000;
    static constexpr int MaxContext = 10;

    QString text;
    bool regex = false;
    std::optional<qint64> fromMs; // ms since the epoch
    std::optional<qint64> toMs;
    int limit = 100;
    int context = 2; // lines before and after each result
    QRegularExpression pattern; // regex=1: compiled, checked

    // q=TEXT[&regex=1][&from=TIME&to=TIME][&limit=N][&context=N] (already percent-decoded by
    // the caller's QUrlQuery), or *error says what is wrong. TIME: ISO 8601 (UTC without a zone)
    // or seconds since the epoch.
    static std::optional<SearchQuery> parse(const QString &query, QString *error);
    static std::optional<qint64> parseTime(const QString &text);
};

struct SearchResult
{
    QString file; // its name in the log's folder
    qint64 position = 0; // of the line's first byte in that file
    std::optional<qint64> offset; // the console's output offset there, in epoch
    QString epoch;
    std::optional<qint64> timeMs; // arrived at or after this, within a second
    QByteArray line;
    std::vector<QByteArray> before;
    std::vector<QByteArray> after;
};

struct SearchOutcome
{
    std::vector<SearchResult> results;
    QString stoppedBy; // "limit", "time", or empty: everything was searched
    QStringList files; // searched, oldest first
    qint64 bytesScanned = 0;
    qint64 elapsedMs = 0;
    QString indexError; // the time index was damaged: times may be missing
};

namespace LogSearch {

inline constexpr std::chrono::milliseconds DefaultTimeLimit {5000};

// The files a search of this log reads, oldest first: the rotated ones the index names, then
// the log itself.
QStringList filesOf(const QString &logPath);

SearchOutcome run(const SearchQuery &query, const QString &logPath,
                  std::chrono::milliseconds timeLimit = DefaultTimeLimit);

// {"console", "query", "regex", "results": [{"file", "position", "offset", "epoch", "time",
//  "line", "before", "after"}], "truncated", "stoppedBy", "files", "scannedBytes", "elapsedMs",
//  "indexError"}
QByteArray json(const QString &console, const SearchQuery &query, const SearchOutcome &outcome);

} // namespace LogSearch

} // namespace CloudConsole
