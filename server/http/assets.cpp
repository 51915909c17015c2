#include "assets.h"

#include "responses.h"

#include <QFile>
#include <QFileInfo>

#include <utility>

namespace CloudConsole {

namespace {

QByteArray mimeTypeFor(const QString &name)
{
    static const std::pair<const char *, const char *> types[] = {
        {".html", "text/html; charset=utf-8"},
        {".js", "text/javascript; charset=utf-8"},
        {".css", "text/css; charset=utf-8"},
        {".json", "application/json"},
        {".map", "application/json"},
        {".svg", "image/svg+xml"},
        {".png", "image/png"},
        {".ico", "image/x-icon"},
        {".woff2", "font/woff2"},
        {".txt", "text/plain; charset=utf-8"},
    };
    for (const auto &[suffix, type] : types) {
        if (name.endsWith(QLatin1String(suffix)))
            return type;
    }
    return "application/octet-stream";
}

} // namespace

QHttpServerResponse assetResponse(const QString &webRoot, const QString &name)
{
    const QString notFound = QStringLiteral("not found: %1").arg(name.left(128));
    if (name.isEmpty() || name.startsWith(QLatin1Char('.')) || name.contains(QLatin1Char('/')))
        return textResponse(notFound, StatusCode::NotFound);
    const QString path
        = webRoot.isEmpty() ? QStringLiteral(":/web/") + name : webRoot + QLatin1Char('/') + name;
    QFile file(path);
    if (!QFileInfo(path).isFile() || !file.open(QIODevice::ReadOnly))
        return textResponse(notFound, StatusCode::NotFound);
    QHttpServerResponse response(mimeTypeFor(name), file.readAll());
    // The page changes with the server; let browsers check instead of guessing.
    SecurityHeaders {"no-cache", true, {}}.addTo(response);
    return response;
}

} // namespace CloudConsole
