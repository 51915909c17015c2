#pragma once

// The login form a browser gets when access control is on and it has no session: a plain HTML
// form that posts the user name and password to "login" (relative, so it works below a reverse
// proxy's sub-path) and carries the page to return to. No script, no external resources.

#include <QByteArray>
#include <QString>

namespace CloudConsole {

// user fills the user field again after a wrong password.
QByteArray loginPage(const QString &next, const QString &message, const QString &user = {});
// A path to return to after logging in, if it is a safe relative one ("c/vm1/"); else "".
QString safeNext(const QString &next);

} // namespace CloudConsole
