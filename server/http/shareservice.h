#pragma once

// ShareService answers the HTTP requests about read-only links (ShareLinks): opening one
// (GET share/TOKEN shows what it opens, POST share/TOKEN opens it: the session cookie, then the
// console's page), and an operator's making, listing and revoking of a console's links
// (/c/NAME/shares). It logs every use of a link and counts it by result for /metrics, never
// with the token. Requests that act with a browser's cookie must come from this server's own
// page (against CSRF), as LoginService's forms must.
//
// It owns nothing: the links, the registry, the login service (for its same-origin check) and
// the settings are the front end's, and outlive it. Routes identifies the caller and hands it
// in; this knows nothing of sockets.

#include "authenticator.h"
#include "frontendsettings.h"
#include "sharelinks.h"

#include <QHttpServerRequest>
#include <QHttpServerResponse>

#include <functional>

namespace CloudConsole {

class ConsoleRegistry;
class LoginService;

class ShareService
{
public:
    ShareService(ShareLinks &links, ConsoleRegistry &consoles, const LoginService &login,
                 const FrontendSettings &settings);

    // Called after a link is revoked here, so that its open WebSockets close at once.
    void onRevoked(std::function<void()> revoked) { m_onRevoked = std::move(revoked); }
    ShareLinks &links() { return m_links; }

    // GET share/TOKEN: the landing page, or why the link cannot be opened.
    QHttpServerResponse landing(const QString &token, const QHttpServerRequest &request);
    // POST share/TOKEN: opens the link (uses up a single-use one), sets the session cookie and
    // sends the browser to the console's page.
    QHttpServerResponse open(const QString &token, const QHttpServerRequest &request);

    // /c/NAME/shares, for an operator of the console (caller as Routes identified it).
    QHttpServerResponse list(const QString &console, const Principal &caller);
    QHttpServerResponse create(const QString &console, const Principal &caller,
                               const QHttpServerRequest &request);
    QHttpServerResponse revoke(const QString &console, const QString &id, const Principal &caller,
                               const QHttpServerRequest &request);

    // A browser whose share session ended asks for a page: why. A page loaded by the browser
    // itself (not the page's script checking on its connection) also clears the cookie, so that
    // the next one is what the browser would see without the link (its login, say).
    QHttpServerResponse endedPage(const Authenticator::Result &caller,
                                  const QHttpServerRequest &request) const;
    // A share session asks for another console's page.
    QHttpServerResponse wrongConsolePage(const Principal &caller, const QString &console,
                                         const QHttpServerRequest &request);

private:
    // Why caller may not manage the console's links, or nothing.
    std::optional<QHttpServerResponse> refuseManager(const QString &console,
                                                     const Principal &caller,
                                                     const QHttpServerRequest *change) const;
    QHttpServerResponse refused(const ShareLinks::Check &check, const QHttpServerRequest &request);
    QByteArray cookie(const QString &value, qint64 maxAgeSeconds) const;
    // Where a link is opened: public-url's, else this request's Host's share/TOKEN.
    QString linkUrl(const QString &token, const QHttpServerRequest &request) const;

    ShareLinks &m_links;
    ConsoleRegistry &m_consoles;
    const LoginService &m_login;
    const FrontendSettings &m_settings;
    std::function<void()> m_onRevoked;
};

} // namespace CloudConsole
