#include "recordinghttp.h"

#include "castformat.h"
#include "castrecorder.h"
#include "console.h"
#include "logsearch.h"
#include "replayrange.h"
#include "responses.h"

#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLoggingCategory>
#include <QtConcurrent>

#include <atomic>

Q_LOGGING_CATEGORY(lcSearch, "cloudconsole.search")

namespace CloudConsole::RecordingHttp {

namespace {

std::atomic<int> searches {0};
std::atomic<int> replays {0};

QFuture<QHttpServerResponse> ready(QHttpServerResponse response)
{
    return QtFuture::makeReadyFuture(std::move(response));
}

QFuture<QHttpServerResponse> text(const QString &body, StatusCode status)
{
    return ready(textResponse(body, status));
}

// Recorded input is an operator's to see, or every viewer's with record-input-viewers = on; a
// share link's visitor (someone from outside, "share:ID") never sees it.
bool seesInput(const Console &console, const Caller &caller)
{
    if (caller.isOperator)
        return true;
    return console.settings().recording.inputForViewers
        && !caller.name.startsWith(QLatin1String("share:"));
}

QString whoAsked(const Caller &caller)
{
    const QString role = caller.isOperator ? QStringLiteral("operator") : QStringLiteral("viewer");
    return (caller.name.isEmpty() ? role : QStringLiteral("%1 (%2)").arg(caller.name, role))
        + QStringLiteral(" from ") + caller.address;
}

QFuture<QHttpServerResponse> search(const Console &console, const QUrl &url, const Caller &caller)
{
    const QString logPath = console.settings().logPath;
    if (logPath.isEmpty())
        return text(QStringLiteral("console \"%1\" keeps no log to search (log = FILE)")
                        .arg(console.name()),
                    StatusCode::NotFound);
    QString why;
    std::optional<SearchQuery> query = SearchQuery::parse(url.query(QUrl::FullyEncoded), &why);
    if (!query)
        return text(why, StatusCode::BadRequest);
    if (searches.fetch_add(1) >= MaxSearches) {
        --searches;
        return text(QStringLiteral("%1 searches are running; try again shortly").arg(MaxSearches),
                    StatusCode::ServiceUnavailable);
    }
    const QString name = console.name();
    const QString who = whoAsked(caller);
    qCInfo(lcSearch).noquote() << name << "searched by" << who << ":"
                               << (query->regex ? "regex" : "text") << query->text.left(200);
    return QtConcurrent::run([name, who, logPath, query = std::move(*query)] {
        const SearchOutcome outcome = LogSearch::run(query, logPath);
        --searches;
        qCInfo(lcSearch).noquote()
            << name << "search by" << who << "found" << outcome.results.size() << "lines in"
            << outcome.bytesScanned << "bytes," << outcome.elapsedMs << "ms"
            << (outcome.stoppedBy.isEmpty()
                    ? QString()
                    : QStringLiteral("(stopped: %1)").arg(outcome.stoppedBy));
        QHttpServerResponse response("application/json", LogSearch::json(name, query, outcome));
        SecurityHeaders {"no-store"}.addTo(response);
        return response;
    });
}

QString directoryOf(const Console &console)
{
    return ConsoleRecorder::directory(console.settings().recording, console.settings().logPath);
}

QFuture<QHttpServerResponse> list(const Console &console, const Caller &caller)
{
    const QString dir = directoryOf(console);
    const QString name = console.name();
    const bool recording = console.settings().recording.enabled;
    const bool input = seesInput(console, caller) && console.settings().recording.input;
    const QString current = console.recorder().cast()
        ? QFileInfo(console.recorder().cast()->currentFile()).fileName()
        : QString();
    return QtConcurrent::run([dir, name, recording, input, current] {
        QJsonArray files;
        if (!dir.isEmpty()) {
            for (const QFileInfo &file : CastRecorder::files(dir, name))
                files.append(QJsonObject {{QLatin1String("name"), file.fileName()},
                                          {QLatin1String("bytes"), file.size()},
                                          {QLatin1String("modified"),
                                           file.lastModified().toUTC().toString(Qt::ISODateWithMs)},
                                          {QLatin1String("current"), file.fileName() == current}});
        }
        const QJsonObject document {{QLatin1String("console"), name},
                                    {QLatin1String("recording"), recording},
                                    {QLatin1String("input"), input},
                                    {QLatin1String("files"), files}};
        QHttpServerResponse response("application/json",
                                     QJsonDocument(document).toJson(QJsonDocument::Compact));
        SecurityHeaders {"no-store"}.addTo(response);
        return response;
    });
}

QFuture<QHttpServerResponse> file(const Console &console, const QString &fileName,
                                  const Caller &caller)
{
    const QString dir = directoryOf(console);
    const QString name = console.name();
    if (dir.isEmpty() || !CastRecorder::isRecordingName(name, fileName))
        return text(
            QStringLiteral("console \"%1\" has no recording \"%2\"").arg(name, fileName.left(100)),
            StatusCode::NotFound);
    const QString path = QDir(dir).filePath(fileName);
    const QString who = whoAsked(caller);
    const bool withInput = seesInput(console, caller);
    qCInfo(lcSearch).noquote() << name << "recording" << fileName << "read by" << who
                               << (withInput ? "" : "(without input)");
    return QtConcurrent::run([path, fileName, name, withInput] {
        QFile file(path);
        if (!file.open(QIODevice::ReadOnly))
            return textResponse(
                QStringLiteral("console \"%1\" has no recording \"%2\"").arg(name, fileName),
                StatusCode::NotFound);
        if (file.size() > MaxServedFile)
            return textResponse(QStringLiteral("the recording is %1 bytes, more than the %2 served "
                                               "at once: lower record-rotate-size")
                                    .arg(file.size())
                                    .arg(MaxServedFile),
                                StatusCode::PayloadTooLarge);
        QByteArray cast = file.readAll();
        // The file being written may end in the middle of a line: up to its last whole one.
        cast.truncate(cast.lastIndexOf('\n') + 1);
        if (!withInput)
            cast = withoutInput(cast);
        QHttpServerResponse response("application/x-asciicast", cast);
        SecurityHeaders {"no-store"}.addTo(response);
        response.addHeader("Content-Disposition",
                           QByteArray("attachment; filename=\"") + fileName.toLatin1() + '"');
        return response;
    });
}

// GET /c/NAME/replay/events and /c/NAME/replay/download: a time range, read on a worker.
QFuture<QHttpServerResponse> replay(const Console &console, const QUrl &url, bool download,
                                    const Caller &caller)
{
    QString why;
    const std::optional<ReplayQuery> query = ReplayQuery::parse(
        url.query(QUrl::FullyEncoded), download, QDateTime::currentMSecsSinceEpoch(), &why);
    if (!query)
        return text(why, StatusCode::BadRequest);
    const ReplayRange::Sources sources {console.name(), directoryOf(console),
                                        console.settings().logPath, console.screen().size()};
    if (sources.recordDir.isEmpty() && sources.logPath.isEmpty())
        return text(QStringLiteral("console \"%1\" keeps neither a log nor recordings to replay")
                        .arg(console.name()),
                    StatusCode::NotFound);
    if (replays.fetch_add(1) >= MaxReplays) {
        --replays;
        return text(QStringLiteral("%1 replays are being read; try again shortly").arg(MaxReplays),
                    StatusCode::ServiceUnavailable);
    }
    const bool withInput = seesInput(console, caller);
    const QString name = console.name();
    const QString who = whoAsked(caller);
    const QString span
        = QStringLiteral("%1 to %2")
              .arg(QDateTime::fromMSecsSinceEpoch(query->fromMs, Qt::UTC).toString(Qt::ISODate),
                   QDateTime::fromMSecsSinceEpoch(query->toMs, Qt::UTC).toString(Qt::ISODate));
    const char *what = !download                     ? "replayed"
        : query->format == ReplayQuery::Format::Cast ? "downloaded as .cast"
                                                     : "downloaded as text";
    qCInfo(lcSearch).noquote() << name << span << what << "by" << who
                               << (withInput ? "" : "(without input)");
    return QtConcurrent::run([sources, query = *query, withInput, download, name] {
        const ReplayRangeData range
            = ReplayRange::read(sources, query.fromMs, query.toMs, withInput,
                                download ? RecordingHttp::MaxDownload : ReplayRange::MaxOutput);
        --replays;
        if (download && range.truncated)
            return textResponse(QStringLiteral("the range holds more than %1 MiB of output; "
                                               "download a shorter one")
                                    .arg(RecordingHttp::MaxDownload / (1024 * 1024)),
                                StatusCode::PayloadTooLarge);
        const QString stamp = QDateTime::fromMSecsSinceEpoch(query.fromMs, Qt::UTC)
                                  .toString(QStringLiteral("yyyyMMdd-HHmmss"));
        QHttpServerResponse response = [&] {
            if (!download)
                return QHttpServerResponse("application/json",
                                           ReplayRange::json(name, query, range, withInput));
            if (query.format == ReplayQuery::Format::Cast)
                return QHttpServerResponse("application/x-asciicast",
                                           ReplayRange::cast(name, query, range));
            return QHttpServerResponse("text/plain; charset=utf-8", ReplayRange::text(range));
        }();
        SecurityHeaders {"no-store"}.addTo(response);
        if (download)
            response.addHeader("Content-Disposition",
                               QStringLiteral("attachment; filename=\"%1-%2.%3\"")
                                   .arg(name, stamp,
                                        query.format == ReplayQuery::Format::Cast
                                            ? QStringLiteral("cast")
                                            : QStringLiteral("txt"))
                                   .toLatin1());
        return response;
    });
}

} // namespace

QFuture<QHttpServerResponse> answer(const Console &console, What what, const QUrl &url,
                                    const QString &file, const Caller &caller)
{
    switch (what) {
    case What::Search:
        return search(console, url, caller);
    case What::List:
        return list(console, caller);
    case What::File:
        break;
    case What::Replay:
    case What::Download:
        return replay(console, url, what == What::Download, caller);
    }
    return RecordingHttp::file(console, file, caller);
}

} // namespace CloudConsole::RecordingHttp
