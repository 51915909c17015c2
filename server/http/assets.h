#pragma once

// The web page's files (index.html, its script, styles, fonts, icons), served from the copy
// embedded in the program as Qt resources under ":/web/", or from a directory given at start-up
// (for working on the page without rebuilding the server).
//
// It owns nothing and knows nothing of routes or credentials.

#include <QHttpServerResponse>
#include <QString>

namespace CloudConsole {

// The file called name (a plain name, nothing with a slash or a leading dot) from webRoot, or
// from the embedded copy when webRoot is empty; 404 when there is none.
QHttpServerResponse assetResponse(const QString &webRoot, const QString &name);

} // namespace CloudConsole
