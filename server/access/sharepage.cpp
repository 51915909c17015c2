#include "sharepage.h"

namespace CloudConsole {

namespace {

QString page(const QString &title, const QString &body)
{
    return QStringLiteral(R"(<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<meta name="robots" content="noindex">
<title>%1 — cloud-console</title>
<style>
  body { background: #1e1e1e; color: #d4d4d4; font: 15px/1.5 system-ui, sans-serif;
         display: grid; place-items: center; min-height: 90vh; margin: 0; }
  main { background: #252526; padding: 2em 2.5em; border-radius: 8px; max-width: 30em; }
  h1 { font-size: 1.3em; margin: 0 0 .8em; }
  p { margin: .5em 0; }
  .meta { color: #9da5b4; font-size: .9em; }
  button { margin-top: 1.2em; width: 100%; padding: .55em; font: inherit; color: #fff;
           background: #0e639c; border: 0; border-radius: 4px; cursor: pointer; }
  button:focus { outline: 2px solid #3794ff; outline-offset: 2px; }
</style>
</head>
<body>
<main>
%2
</main>
</body>
</html>
)")
        .arg(title.toHtmlEscaped(), body);
}

QString utc(const QDateTime &time)
{
    return time.toUTC().toString(QStringLiteral("yyyy-MM-dd HH:mm:ss 'UTC'"));
}

} // namespace

QByteArray shareLandingPage(const ShareLink &link)
{
    const QString console = link.console.toHtmlEscaped();
    // A button rather than opening at once: a chat's link preview fetches the link too, and must
    // not use up a single-use link. The form posts to this very URL (an empty action).
    const QString body
        = QStringLiteral("<h1>Console %1, read-only</h1>\n"
                         "<p>You were given a link to watch console <strong>%1</strong>. You can "
                         "see its screen; you cannot type into it.</p>\n"
                         "<p class=\"meta\">Shared by %2. The link works until %3%4.</p>\n"
                         "<form method=\"post\" action=\"\">\n"
                         "<button type=\"submit\" autofocus>Open console %1</button>\n"
                         "</form>")
              .arg(console, link.createdBy.toHtmlEscaped(), utc(link.expires),
                   link.singleUse ? QStringLiteral(", and opens in one browser only") : QString());
    return page(QStringLiteral("Console %1, read-only").arg(link.console), body).toUtf8();
}

QByteArray shareRefusedPage(const QString &title, const QString &text)
{
    return page(title,
                QStringLiteral("<h1>%1</h1>\n<p role=\"alert\">%2</p>")
                    .arg(title.toHtmlEscaped(), text.toHtmlEscaped()))
        .toUtf8();
}

QString shareRefusedTitle(ShareLinks::Verdict verdict)
{
    switch (verdict) {
    case ShareLinks::Verdict::Expired:
        return QStringLiteral("This link has expired");
    case ShareLinks::Verdict::Revoked:
        return QStringLiteral("This link was revoked");
    case ShareLinks::Verdict::Used:
        return QStringLiteral("This link was already used");
    case ShareLinks::Verdict::Unknown:
        return QStringLiteral("This link is no longer known");
    case ShareLinks::Verdict::Unavailable:
        return QStringLiteral("Shared links are unavailable");
    case ShareLinks::Verdict::Invalid:
    case ShareLinks::Verdict::Valid:
        break;
    }
    return QStringLiteral("This link is not valid");
}

} // namespace CloudConsole
