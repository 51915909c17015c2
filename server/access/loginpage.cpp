#include "loginpage.h"

#include <QRegularExpression>

namespace CloudConsole {

QString safeNext(const QString &next)
{
    // Only paths below the server's root, written relative: never another host ("//x", "x:"),
    // never upwards.
    static const QRegularExpression safe(
        QStringLiteral("^(c/[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}/)?$"));
    return safe.match(next).hasMatch() ? next : QString();
}

QByteArray loginPage(const QString &next, const QString &message, const QString &user)
{
    const QString page = QStringLiteral(R"(<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>Log in — cloud-console</title>
<style>
  body { background: #1e1e1e; color: #d4d4d4; font: 15px/1.5 system-ui, sans-serif;
         display: grid; place-items: center; min-height: 90vh; margin: 0; }
  form { background: #252526; padding: 2em 2.5em; border-radius: 8px; min-width: 18em; }
  h1 { font-size: 1.3em; margin: 0 0 1em; }
  label { display: block; margin: .8em 0 .3em; }
  input { width: 100%; box-sizing: border-box; padding: .45em; font: inherit;
          background: #1e1e1e; color: inherit; border: 1px solid #555; border-radius: 4px; }
  input:focus { outline: 2px solid #3794ff; }
  button { margin-top: 1.4em; width: 100%; padding: .55em; font: inherit; color: #fff;
           background: #0e639c; border: 0; border-radius: 4px; cursor: pointer; }
  .message { color: #f48771; margin: 0 0 .5em; }
</style>
</head>
<body>
<form method="post" action="login">
<h1>cloud-console%3</h1>
%1
<label for="user">User</label>
<input id="user" name="user" autocomplete="username" required %4value="%5">
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required%6>
<input type="hidden" name="next" value="%2">
<button type="submit">Log in</button>
</form>
</body>
</html>
)")
                             .arg(message.isEmpty() ? QString()
                                                    : QStringLiteral("<p class=\"message\" "
                                                                     "role=\"alert\">%1</p>")
                                                          .arg(message.toHtmlEscaped()),
                                  safeNext(next).toHtmlEscaped(),
                                  // Which console the login is for, when it is for one.
                                  safeNext(next).isEmpty() ? QString()
                                                           : QStringLiteral(": ")
                                          + safeNext(next).mid(2).chopped(1).toHtmlEscaped(),
                                  user.isEmpty() ? QStringLiteral("autofocus ") : QString(),
                                  user.left(64).toHtmlEscaped(),
                                  user.isEmpty() ? QString() : QStringLiteral(" autofocus"));
    return page.toUtf8();
}

} // namespace CloudConsole
