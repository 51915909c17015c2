#pragma once

// The pages a shared link's visitor sees: the landing page of a link that can be opened (which
// console, read-only, until when, and one button that opens it), and the page of a link or a
// share session that cannot be (expired, revoked, used, not this server's, for another
// console), saying which. Plain HTML with its own style: no script, no external resources.
// Nothing of the link's token goes into them: the landing page's form posts to its own URL.

#include "sharelinks.h"

#include <QByteArray>
#include <QString>

namespace CloudConsole {

QByteArray shareLandingPage(const ShareLink &link);
// title: one line ("This link has expired"); text: what happened and what to do.
QByteArray shareRefusedPage(const QString &title, const QString &text);
// The title of a refused link's page.
QString shareRefusedTitle(ShareLinks::Verdict verdict);

} // namespace CloudConsole
