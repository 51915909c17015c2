#pragma once

// Routes is the HTTP front end's table of plain requests, installed on a QHttpServer: the
// health check, the status documents (/metrics, /consoles.json), login and logout (through
// LoginService), the console pages, the index of consoles, each console's screen as text, JSON
// or HTML, each console's recent events, and the page's assets. WebSocket endpoints asked for
// without an upgrade get 426. Every response leaves with "Connection: close", and over TLS with
// Strict-Transport-Security.
//
// Each request is authenticated once, and its credential then decides which consoles it may
// see. It owns nothing: the consoles are the registry's, the credentials the authenticator's,
// and the settings (read as they are at each request) the front end's, all of which must
// outlive the server it is installed on. It knows nothing of sockets or WebSocket upgrades.

#include "authenticator.h"
#include "consolestatus.h"
#include "frontendsettings.h"

#include <QHttpServer>

#include <optional>
#include <vector>

namespace CloudConsole {

class ConsoleRegistry;
class LoginService;
class ShareService;
class WebhookDispatcher;

class Routes
{
public:
    Routes(ConsoleRegistry &consoles, Authenticator &auth, LoginService &login,
           const FrontendSettings &settings);

    // Adds every route to http; this object must outlive it.
    void install(QHttpServer &http);
    // The webhooks /metrics reports on; none by default.
    void setWebhooks(const WebhookDispatcher *webhooks) { m_webhooks = webhooks; }
    // The share links' requests (share/TOKEN, /c/NAME/shares); none unless set before install().
    void setShares(ShareService *shares) { m_shares = shares; }

private:
    // /metrics and /consoles.json, together so that an access check can wrap them.
    void installStatusRoutes(QHttpServer &http);
    // share/TOKEN and /c/NAME/shares (ShareService), before the assets' pattern.
    void installShareRoutes(QHttpServer &http);
    // The page for a browser whose share session ended, or that asks for another console than
    // its share's; nothing for any other caller.
    std::optional<QHttpServerResponse> sharePageRefusal(const Authenticator::Result &caller,
                                                        const QString &console,
                                                        const QHttpServerRequest &request);
    // Who sent the request: allowed, with every console, when access control is off.
    Authenticator::Result identify(const QHttpServerRequest &request);
    // "/" when the registry has more than one console: a table of those the caller may see.
    QHttpServerResponse indexPage(const Principal &caller) const;
    // The consoles a caller may see: all without access control, else its credential's.
    std::vector<ConsoleStatus> visibleStatuses(const Principal &caller) const;
    // Why a request about console `name` is refused (no credential, no such console, not the
    // caller's to see), or nothing when it may go on.
    std::optional<QHttpServerResponse> refuseConsole(const QString &name,
                                                     const QHttpServerRequest &request);
    // GET /c/NAME/screen (/screen: the default console): the visible screen as text, JSON or
    // HTML (?format=), with the console's access rules.
    QHttpServerResponse screenPage(const QString &name, const QHttpServerRequest &request);
    // GET /c/NAME/events: the console's recent events as JSON (ConsoleEvents), with its access
    // rules; ?since=ID&type=A,B&limit=N.
    QHttpServerResponse eventsPage(const QString &name, const QHttpServerRequest &request);
    // The console's page; a null name is the default console's.
    QHttpServerResponse page(const QString &consoleName) const;
    QHttpServerResponse asset(const QString &name) const;

    ConsoleRegistry &m_consoles;
    Authenticator &m_auth;
    LoginService &m_login;
    const FrontendSettings &m_settings;
    const WebhookDispatcher *m_webhooks = nullptr;
    ShareService *m_shares = nullptr;
};

} // namespace CloudConsole
