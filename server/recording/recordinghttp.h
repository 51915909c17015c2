#pragma once

// The HTTP answers of time travel, for Routes: GET /c/NAME/search (LogSearch, on a worker
// thread, at most MaxSearches at once, each logged with who asked), GET /c/NAME/recordings (the
// console's .cast files, JSON) and GET /c/NAME/recordings/FILE (one file; without the typed input
// and its attribution unless the caller is an operator), and the replay page's GET
// /c/NAME/replay/events and /c/NAME/replay/download (ReplayRange: a time range as events and
// screens, or as a .cast or text file; input only for operators; each logged with who asked).
// Routes has already checked that the caller may use the console; this decides what an operator
// sees that a viewer does not.
//
// It owns nothing; it reads the console's settings on the server's thread and files on workers.
// It knows nothing of credentials beyond the Caller it is given.

#include <QFuture>
#include <QHttpServerResponse>
#include <QString>
#include <QUrl>

namespace CloudConsole {

class Console;

namespace RecordingHttp {

inline constexpr int MaxSearches = 4; // at once, over the server; more get 503
inline constexpr qint64 MaxServedFile = 256 * 1024 * 1024; // a larger .cast gets 413
inline constexpr qint64 MaxDownload = 64 * 1024 * 1024; // output in one download; more: 413
inline constexpr int MaxReplays = 4; // ranges read at once, over the server; more get 503

enum class What { Search, List, File, Replay, Download };

struct Caller
{
    QString name; // empty without access control
    bool isOperator = false; // may see recorded input
    QString address;
};

QFuture<QHttpServerResponse> answer(const Console &console, What what, const QUrl &url,
                                    const QString &file, const Caller &caller);

} // namespace RecordingHttp

} // namespace CloudConsole
