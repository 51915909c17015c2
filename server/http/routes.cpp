#include "routes.h"

#include "assets.h"
#include "consoleregistry.h"
#include "loginservice.h"
#include "metrics.h"
#include "recordinghttp.h"
#include "responses.h"
#include "screenrenderer.h"
#include "shareservice.h"

#include <QUrl>
#include <QUrlQuery>

#include <algorithm>

namespace CloudConsole {

namespace {

bool allowed(const Authenticator::Result &result)
{
    return result.outcome == Authenticator::Result::Outcome::Allowed;
}

// A caller who may not come in: sent to log in, unless a login would not help because a trusted
// proxy named a user the configuration lacks (or a name that is none), who is told why.
QHttpServerResponse refusedCaller(const Authenticator::Result &caller)
{
    if (caller.proxy)
        return textResponse(caller.reason, StatusCode::Forbidden);
    return unauthorized();
}

} // namespace

Routes::Routes(ConsoleRegistry &consoles, Authenticator &auth, LoginService &login,
               const FrontendSettings &settings)
    : m_consoles(consoles), m_auth(auth), m_login(login), m_settings(settings)
{ }

Authenticator::Result Routes::identify(const QHttpServerRequest &request)
{
    // A share link's session is checked even without access control: it is one console's viewer.
    if (!m_auth.checks(request.value("Cookie"))) {
        Authenticator::Result anyone;
        anyone.outcome = Authenticator::Result::Outcome::Allowed; // a principal of every console
        anyone.principal.name = QStringLiteral("anonymous");
        anyone.principal.role = Role::Operator;
        return anyone;
    }
    Authenticator::Presented presented {request.value("Authorization"), request.value("Cookie"),
                                        request.remoteAddress(), std::nullopt};
    // nginx and HAProxy leave an empty header out: present means a value.
    if (const QByteArray user = request.value(m_auth.userHeader()); !user.isEmpty())
        presented.proxyUser = user;
    return m_auth.authenticate(presented);
}

void Routes::install(QHttpServer &http)
{
    using Method = QHttpServerRequest::Method;
    http.route("/healthz", [] { return textResponse(QStringLiteral("ok"), StatusCode::Ok); });
    installStatusRoutes(http);
    http.route("/login", Method::Get,
               [this](const QHttpServerRequest &request) { return m_login.form(request); });
    http.route("/login", Method::Post,
               [this](const QHttpServerRequest &request) { return m_login.login(request); });
    http.route("/logout", Method::Post,
               [this](const QHttpServerRequest &request) { return m_login.logout(request); });
    http.route("/", [this](const QHttpServerRequest &request) {
        const Authenticator::Result caller = identify(request);
        if (std::optional<QHttpServerResponse> refusal = sharePageRefusal(caller, {}, request))
            return std::move(*refusal);
        if (!allowed(caller))
            return caller.proxy ? refusedCaller(caller) : LoginService::loginRedirect(QString());
        // The default console's page while there is only one console, else the index.
        if (m_consoles.consoles().size() > 1 || !m_consoles.discoverers().empty())
            return indexPage(caller.principal);
        return page(QString());
    });
    http.route("/ws", [] { return notWebSocket(); });
    // The wall (resources/web/src/wall.js) and the other hosts it shows (server/http/fleet.h).
    http.route("/wall", [this](const QHttpServerRequest &request) {
        const Authenticator::Result caller = identify(request);
        if (!caller.principal.shareId.isEmpty())
            return textResponse(QStringLiteral("a shared link shows its console alone"),
                                StatusCode::Forbidden);
        if (!allowed(caller))
            return caller.proxy ? refusedCaller(caller) : LoginService::loginRedirect(QString());
        return asset(QStringLiteral("wall.html"));
    });
    http.route("/fleet.json", [this](const QHttpServerRequest &request) {
        const Authenticator::Result caller = identify(request);
        if (!allowed(caller) || !caller.principal.shareId.isEmpty())
            return refusedCaller(caller);
        QHttpServerResponse response("application/json", renderFleetJson(m_settings.fleet));
        SecurityHeaders {"no-store"}.addTo(response);
        return response;
    });
    http.route("/c/<arg>/", [this](const QString &name, const QHttpServerRequest &request) {
        const Authenticator::Result caller = identify(request);
        if (std::optional<QHttpServerResponse> refusal = sharePageRefusal(caller, name, request))
            return std::move(*refusal);
        if (!allowed(caller))
            return caller.proxy ? refusedCaller(caller)
                                : LoginService::loginRedirect(QStringLiteral("c/%1/").arg(name));
        if (!caller.principal.allows(name))
            return consoleForbidden(name);
        return page(name);
    });
    http.route("/c/<arg>", [this](const QString &name, const QHttpServerRequest &request) {
        if (std::optional<QHttpServerResponse> refusal = refuseConsole(name, request))
            return std::move(*refusal);
        // Relative, so that it also works below a reverse proxy's sub-path.
        QHttpServerResponse response(StatusCode::MovedPermanently);
        response.addHeader("Location", QUrl::toPercentEncoding(name) + '/');
        return response;
    });
    http.route("/c/<arg>/ws", [this](const QString &name, const QHttpServerRequest &request) {
        if (std::optional<QHttpServerResponse> refusal = refuseConsole(name, request))
            return std::move(*refusal);
        return notWebSocket();
    });
    // The screen, before the assets' pattern, which would take "screen" for a file name.
    http.route("/c/<arg>/screen", [this](const QString &name, const QHttpServerRequest &request) {
        return screenPage(name, request);
    });
    http.route("/screen", [this](const QHttpServerRequest &request) {
        return screenPage(QString(), request);
    });
    http.route("/c/<arg>/events", [this](const QString &name, const QHttpServerRequest &request) {
        return eventsPage(name, request);
    });
    // Search and recordings (server/recording/): the console's access rules, the work on a worker
    // thread; recorded input is an operator's to see.
    const auto timeTravel = [this](const QString &name, const QHttpServerRequest &request,
                                   RecordingHttp::What what, const QString &file) {
        if (std::optional<QHttpServerResponse> refusal = refuseConsole(name, request))
            return QtFuture::makeReadyFuture(std::move(*refusal));
        const Authenticator::Result caller = identify(request);
        const RecordingHttp::Caller who {caller.principal.name,
                                         caller.principal.role == Role::Operator,
                                         request.remoteAddress().toString()};
        return RecordingHttp::answer(*m_consoles.find(name), what, request.url(), file, who);
    };
    http.route("/c/<arg>/search", [timeTravel](const QString &name, const QHttpServerRequest &r) {
        return timeTravel(name, r, RecordingHttp::What::Search, {});
    });
    http.route("/c/<arg>/recordings",
               [timeTravel](const QString &name, const QHttpServerRequest &r) {
                   return timeTravel(name, r, RecordingHttp::What::List, {});
               });
    http.route("/c/<arg>/recordings/<arg>",
               [timeTravel](const QString &name, const QString &file, const QHttpServerRequest &r) {
                   return timeTravel(name, r, RecordingHttp::What::File, file);
               });
    // The replay page (server/recording/replayrange.h, resources/web/src/replay.js) and the time
    // ranges it plays and downloads, with the same rules as the console's page and recordings.
    http.route("/c/<arg>/replay", [this](const QString &name, const QHttpServerRequest &request) {
        const Authenticator::Result caller = identify(request);
        if (!allowed(caller))
            return caller.proxy
                ? refusedCaller(caller)
                : LoginService::loginRedirect(QStringLiteral("c/%1/replay").arg(name));
        if (!caller.principal.allows(name))
            return consoleForbidden(name);
        if (!m_consoles.find(name))
            return noConsoleResponse(name);
        return asset(QStringLiteral("replay.html"));
    });
    http.route("/c/<arg>/replay/", [](const QString &, const QHttpServerRequest &request) {
        // The page's relative links work without the slash only.
        QHttpServerResponse response(StatusCode::MovedPermanently);
        const QString query = request.url().query(QUrl::FullyEncoded);
        response.addHeader("Location",
                           "../replay" + (query.isEmpty() ? QByteArray() : '?' + query.toLatin1()));
        return response;
    });
    http.route("/c/<arg>/replay/events",
               [timeTravel](const QString &name, const QHttpServerRequest &r) {
                   return timeTravel(name, r, RecordingHttp::What::Replay, {});
               });
    http.route("/c/<arg>/replay/download",
               [timeTravel](const QString &name, const QHttpServerRequest &r) {
                   return timeTravel(name, r, RecordingHttp::What::Download, {});
               });
    installShareRoutes(http);
    http.route("/c/<arg>/<arg>",
               [this](const QString &name, const QString &file, const QHttpServerRequest &request) {
                   if (!allowed(identify(request)))
                       return unauthorized();
                   if (!m_consoles.find(name))
                       return noConsoleResponse(name);
                   return asset(file);
               });
    http.route("/<arg>", [this](const QString &file) { return asset(file); });
    http.afterRequest([this](QHttpServerResponse &&response) {
        if (m_settings.tls.enabled())
            response.addHeader("Strict-Transport-Security", StrictTransportSecurity);
        response.addHeader("Connection", "close");
        return std::move(response);
    });
}

void Routes::installStatusRoutes(QHttpServer &http)
{
    // With access control, only a credential sees these (any role, any consoles: the figures
    // are the server's); the index page shows each user the consoles it may open.
    http.route("/metrics", [this](const QHttpServerRequest &request) {
        const Authenticator::Result caller = identify(request);
        if (!allowed(caller))
            return refusedCaller(caller);
        // A shared link shows its console alone, not the server's figures.
        if (!caller.principal.shareId.isEmpty())
            return textResponse(QStringLiteral("a shared link shows its console alone"),
                                StatusCode::Forbidden);
        QHttpServerResponse response(
            Metrics::ContentType,
            Metrics::render(m_consoles, m_webhooks, m_shares ? &m_shares->links() : nullptr));
        response.addHeader("Cache-Control", "no-store");
        return response;
    });
    http.route("/consoles.json", [this](const QHttpServerRequest &request) {
        const Authenticator::Result caller = identify(request);
        if (!allowed(caller))
            return refusedCaller(caller);
        QHttpServerResponse response("application/json",
                                     renderConsolesJson(visibleStatuses(caller.principal)));
        SecurityHeaders {}.addTo(response);
        return response;
    });
}

// Share links (ShareService) --------------------------------------------------------------------

void Routes::installShareRoutes(QHttpServer &http)
{
    if (!m_shares)
        return;
    using Method = QHttpServerRequest::Method;
    http.route("/share/<arg>", Method::Get,
               [this](const QString &token, const QHttpServerRequest &request) {
                   return m_shares->landing(token, request);
               });
    http.route("/share/<arg>", Method::Post,
               [this](const QString &token, const QHttpServerRequest &request) {
                   return m_shares->open(token, request);
               });
    // An operator's, with the console's access rules; a refused caller learns no link.
    const auto manage = [this](const QHttpServerRequest &request, const auto &answer) {
        const Authenticator::Result caller = identify(request);
        if (!allowed(caller))
            return refusedCaller(caller);
        return answer(caller.principal);
    };
    http.route("/c/<arg>/shares", Method::Get,
               [this, manage](const QString &name, const QHttpServerRequest &request) {
                   return manage(request, [&](const Principal &caller) {
                       return m_shares->list(name, caller);
                   });
               });
    http.route("/c/<arg>/shares", Method::Post,
               [this, manage](const QString &name, const QHttpServerRequest &request) {
                   return manage(request, [&](const Principal &caller) {
                       return m_shares->create(name, caller, request);
                   });
               });
    http.route(
        "/c/<arg>/shares/<arg>", Method::Delete,
        [this, manage](const QString &name, const QString &id, const QHttpServerRequest &request) {
            return manage(request, [&](const Principal &caller) {
                return m_shares->revoke(name, id, caller, request);
            });
        });
}

std::optional<QHttpServerResponse> Routes::sharePageRefusal(const Authenticator::Result &caller,
                                                            const QString &console,
                                                            const QHttpServerRequest &request)
{
    if (!m_shares)
        return std::nullopt;
    if (!caller.shareEnded.isEmpty())
        return m_shares->endedPage(caller, request);
    if (!allowed(caller) || caller.principal.shareId.isEmpty())
        return std::nullopt;
    const QString own = caller.principal.consoles.value(0);
    // The root: the share's console's page (with more than one console, the index is not the
    // share's to see).
    if (console.isNull()) {
        if (m_consoles.consoles().size() <= 1 && m_consoles.defaultConsole()
            && m_consoles.defaultConsole()->name() == own)
            return std::nullopt;
        QHttpServerResponse response(StatusCode::SeeOther);
        response.addHeader("Location", QStringLiteral("c/%1/").arg(own).toUtf8());
        response.addHeader("Cache-Control", "no-store");
        return response;
    }
    if (console != own)
        return m_shares->wrongConsolePage(caller.principal, console, request);
    return std::nullopt;
}

QHttpServerResponse Routes::page(const QString &consoleName) const
{
    if (!consoleName.isNull() && !m_consoles.find(consoleName))
        return noConsoleResponse(consoleName);
    return asset(QStringLiteral("index.html"));
}

QHttpServerResponse Routes::asset(const QString &name) const
{
    return assetResponse(m_settings.webRoot, name);
}

std::vector<ConsoleStatus> Routes::visibleStatuses(const Principal &caller) const
{
    std::vector<ConsoleStatus> statuses = consoleStatuses(m_consoles);
    statuses.erase(std::remove_if(statuses.begin(), statuses.end(),
                                  [&caller](const ConsoleStatus &status) {
                                      return !caller.allows(status.name);
                                  }),
                   statuses.end());
    return statuses;
}

std::optional<QHttpServerResponse> Routes::refuseConsole(const QString &name,
                                                         const QHttpServerRequest &request)
{
    const Authenticator::Result caller = identify(request);
    if (!allowed(caller))
        return refusedCaller(caller);
    if (!m_consoles.find(name))
        return noConsoleResponse(name);
    if (!caller.principal.allows(name))
        return consoleForbidden(name);
    return std::nullopt;
}

QHttpServerResponse Routes::screenPage(const QString &name, const QHttpServerRequest &request)
{
    const Authenticator::Result caller = identify(request);
    if (!allowed(caller))
        return refusedCaller(caller);
    const Console *console = name.isNull() ? m_consoles.defaultConsole() : m_consoles.find(name);
    if (!console)
        return noConsoleResponse(name);
    // The same rule as the console's WebSocket; a viewer may read the screen.
    if (!caller.principal.allows(console->name()))
        return consoleForbidden(console->name());
    const QString format = QUrlQuery(request.url()).queryItemValue(QStringLiteral("format"));
    if (!console->screen().isEnabled())
        return textResponse(QStringLiteral("the server keeps no screen of console \"%1\" "
                                           "(screen = off, or --no-screen)")
                                .arg(console->name()),
                            StatusCode::NotFound);
    // As the screen's thread last published it: this thread never waits for the model.
    const ConsoleScreen::Text screen = console->screen().text();
    if (screen.offset < 0)
        return textResponse(QStringLiteral("the console's screen is not ready yet; try again"),
                            StatusCode::ServiceUnavailable);
    SecurityHeaders headers;
    QHttpServerResponse response = [&] {
        if (format.isEmpty() || format == QLatin1String("text"))
            return QHttpServerResponse("text/plain; charset=utf-8", ScreenRenderer::text(screen));
        if (format == QLatin1String("json"))
            return QHttpServerResponse("application/json",
                                       ScreenRenderer::json(console->name(), screen));
        if (format == QLatin1String("html")) {
            headers.contentSecurityPolicy
                = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'";
            return QHttpServerResponse("text/html; charset=utf-8",
                                       ScreenRenderer::html(console->name(), screen));
        }
        return textResponse(QStringLiteral("format must be text, json or html"),
                            StatusCode::BadRequest);
    }();
    headers.addTo(response);
    return response;
}

QHttpServerResponse Routes::eventsPage(const QString &name, const QHttpServerRequest &request)
{
    if (std::optional<QHttpServerResponse> refusal = refuseConsole(name, request))
        return std::move(*refusal);
    const Console *console = m_consoles.find(name);
    QString why;
    const std::optional<ConsoleEvents::Query> query
        = ConsoleEvents::parseQuery(request.url().query(QUrl::FullyEncoded), &why);
    if (!query)
        return textResponse(why, StatusCode::BadRequest);
    QHttpServerResponse response("application/json",
                                 console->events().json(console->name(), *query));
    SecurityHeaders {"no-store"}.addTo(response);
    return response;
}

QHttpServerResponse Routes::indexPage(const Principal &caller) const
{
    QHttpServerResponse response("text/html; charset=utf-8",
                                 renderIndexPage(visibleStatuses(caller)));
    // Nothing but its own inline style and icon: no script, no frames, no forms.
    SecurityHeaders {"no-store", true,
                     "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
                     "frame-ancestors 'none'; form-action 'none'; base-uri 'none'"}
        .addTo(response);
    return response;
}

} // namespace CloudConsole
