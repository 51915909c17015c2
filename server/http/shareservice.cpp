#include "shareservice.h"

#include "consoleregistry.h"
#include "httplog.h"
#include "loginservice.h"
#include "responses.h"
#include "sharepage.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

namespace CloudConsole {

namespace {

QHttpServerResponse htmlPage(const QByteArray &html, StatusCode status)
{
    QHttpServerResponse response("text/html; charset=utf-8", html, status);
    // Its own inline style and one form that posts to itself: nothing else.
    SecurityHeaders {"no-store", true,
                     "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; "
                     "form-action 'self'; base-uri 'none'"}
        .addTo(response);
    return response;
}

QHttpServerResponse jsonResponse(const QJsonObject &object, StatusCode status = StatusCode::Ok)
{
    QHttpServerResponse response("application/json",
                                 QJsonDocument(object).toJson(QJsonDocument::Compact), status);
    SecurityHeaders {"no-store"}.addTo(response);
    return response;
}

QString utc(const QDateTime &time)
{
    return time.isValid() ? time.toUTC().toString(Qt::ISODate) : QString();
}

QJsonObject linkJson(const ShareLink &link)
{
    static const char *const states[] = {"live", "expired", "revoked", "used"};
    QJsonObject object {{QLatin1String("id"), link.id},
                        {QLatin1String("console"), link.console},
                        {QLatin1String("created"), utc(link.created)},
                        {QLatin1String("expires"), utc(link.expires)},
                        {QLatin1String("singleUse"), link.singleUse},
                        {QLatin1String("createdBy"), link.createdBy},
                        {QLatin1String("revoked"), link.revoked},
                        {QLatin1String("state"),
                         QLatin1String(states[int(link.state(QDateTime::currentDateTimeUtc()))])}};
    if (link.usedAt.isValid())
        object.insert(QLatin1String("usedAt"), utc(link.usedAt));
    return object;
}

StatusCode statusOf(ShareLinks::Verdict verdict)
{
    switch (verdict) {
    case ShareLinks::Verdict::Expired:
    case ShareLinks::Verdict::Revoked:
    case ShareLinks::Verdict::Used:
    case ShareLinks::Verdict::Unknown:
        return StatusCode::Gone;
    case ShareLinks::Verdict::Unavailable:
        return StatusCode::ServiceUnavailable;
    case ShareLinks::Verdict::Invalid:
    case ShareLinks::Verdict::Valid:
        break;
    }
    return StatusCode::Forbidden;
}

QString peerOf(const QHttpServerRequest &request)
{
    return request.remoteAddress().toString();
}

} // namespace

ShareService::ShareService(ShareLinks &links, ConsoleRegistry &consoles, const LoginService &login,
                           const FrontendSettings &settings)
    : m_links(links), m_consoles(consoles), m_login(login), m_settings(settings)
{ }

QByteArray ShareService::cookie(const QString &value, qint64 maxAgeSeconds) const
{
    // Path=/ rather than the console's path: the server may be below a reverse proxy's prefix
    // it does not know. The session names its one console; Routes refuses the others.
    QByteArray text = QByteArray(ShareLinks::CookieName) + '=' + value.toLatin1()
        + "; Path=/; HttpOnly; SameSite=Strict; Max-Age=" + QByteArray::number(maxAgeSeconds);
    if (m_settings.tls.enabled())
        text += "; Secure";
    return text;
}

QString ShareService::linkUrl(const QString &token, const QHttpServerRequest &request) const
{
    const QString path = QStringLiteral("share/") + token;
    if (!m_settings.publicUrl.isEmpty())
        return m_settings.publicUrl.resolved(QUrl(path)).toString();
    // The Host the caller reached this server by (a reverse proxy's prefix is not known here:
    // the page builds the URL from its own address and `path` instead).
    const QString scheme
        = m_settings.tls.enabled() ? QStringLiteral("https") : QStringLiteral("http");
    return scheme + QStringLiteral("://") + QString::fromLatin1(request.value("Host").left(256))
        + u'/' + path;
}

QHttpServerResponse ShareService::refused(const ShareLinks::Check &check,
                                          const QHttpServerRequest &request)
{
    const QString result = ShareLinks::verdictName(check.verdict);
    m_links.count(result);
    // Never the token: only what its signature vouches for (nothing, when it is not this
    // server's).
    const QString which = check.verdict == ShareLinks::Verdict::Invalid
        ? QStringLiteral("a link this server did not sign (tampered, cut, or another server's)")
        : QStringLiteral("link %1 for console \"%2\"").arg(check.link.id, check.link.console);
    qCInfo(lcHttp).noquote()
        << QStringLiteral("share link refused from %1: %2, %3").arg(peerOf(request), result, which);
    if (check.verdict == ShareLinks::Verdict::Unavailable)
        qCWarning(lcHttp).noquote() << "share links are unavailable:" << check.error;
    return htmlPage(
        shareRefusedPage(shareRefusedTitle(check.verdict), ShareLinks::verdictText(check)),
        statusOf(check.verdict));
}

QHttpServerResponse ShareService::landing(const QString &token, const QHttpServerRequest &request)
{
    const ShareLinks::Check check = m_links.check(token);
    if (check.verdict != ShareLinks::Verdict::Valid)
        return refused(check, request);
    if (!m_consoles.find(check.link.console)) {
        m_links.count(QStringLiteral("no-console"));
        return htmlPage(shareRefusedPage(QStringLiteral("This console is gone"),
                                         QStringLiteral("Console \"%1\" is no longer served "
                                                        "here.")
                                             .arg(check.link.console)),
                        StatusCode::Gone);
    }
    return htmlPage(shareLandingPage(check.link), StatusCode::Ok);
}

QHttpServerResponse ShareService::open(const QString &token, const QHttpServerRequest &request)
{
    if (!m_login.formFromOwnPage(request))
        return htmlPage(shareRefusedPage(QStringLiteral("Open the link itself"),
                                         QStringLiteral("A shared link opens from its own page, "
                                                        "not from another site's.")),
                        StatusCode::Forbidden);
    // Checked before it is used up: a link for a console that is gone stays unused.
    const ShareLinks::Check first = m_links.check(token);
    if (first.verdict != ShareLinks::Verdict::Valid)
        return refused(first, request);
    if (!m_consoles.find(first.link.console))
        return landing(token, request);
    const ShareLinks::Check check = m_links.open(token);
    if (check.verdict != ShareLinks::Verdict::Valid)
        return refused(check, request);
    const QString session = m_links.sessionValue(check.link);
    m_links.count(QStringLiteral("opened"));
    qCInfo(lcHttp).noquote() << QStringLiteral("share link %1 for console %2 opened from %3%4")
                                    .arg(check.link.id, check.link.console, peerOf(request),
                                         check.link.singleUse
                                             ? QStringLiteral(" (single-use: now used)")
                                             : QString());
    QHttpServerResponse response(StatusCode::SeeOther);
    // Relative to share/TOKEN, so that a reverse proxy's prefix is kept.
    response.addHeader("Location", QStringLiteral("../c/%1/").arg(check.link.console).toUtf8());
    const qint64 left
        = std::max<qint64>(1, QDateTime::currentDateTimeUtc().secsTo(check.link.expires));
    response.addHeader("Set-Cookie", cookie(session, left));
    response.addHeader("Cache-Control", "no-store");
    response.addHeader("Referrer-Policy", "no-referrer");
    return response;
}

std::optional<QHttpServerResponse> ShareService::refuseManager(
    const QString &console, const Principal &caller, const QHttpServerRequest *change) const
{
    if (!m_consoles.find(console))
        return noConsoleResponse(console);
    if (!caller.allows(console))
        return consoleForbidden(console);
    if (caller.role != Role::Operator)
        return textResponse(
            QStringLiteral("only an operator of console \"%1\" may share it").arg(console),
            StatusCode::Forbidden);
    // A browser's cookie goes with requests from any site: changes with one must come from this
    // server's own page. A token (Authorization) is sent only by its holder.
    if (change && change->value("Authorization").isEmpty() && !m_login.formFromOwnPage(*change))
        return textResponse(QStringLiteral("share links are made and revoked from this server's "
                                           "own page"),
                            StatusCode::Forbidden);
    return std::nullopt;
}

QHttpServerResponse ShareService::list(const QString &console, const Principal &caller)
{
    if (std::optional<QHttpServerResponse> refusal = refuseManager(console, caller, nullptr))
        return std::move(*refusal);
    QString error;
    const std::vector<ShareLink> links = m_links.list(console, &error);
    if (!error.isEmpty()) {
        qCWarning(lcHttp).noquote() << "share links are unavailable:" << error;
        return textResponse(error, StatusCode::InternalServerError);
    }
    QJsonArray array;
    for (const ShareLink &link : links)
        array.append(linkJson(link));
    return jsonResponse({{QLatin1String("console"), console}, {QLatin1String("links"), array}});
}

QHttpServerResponse ShareService::create(const QString &console, const Principal &caller,
                                         const QHttpServerRequest &request)
{
    if (std::optional<QHttpServerResponse> refusal = refuseManager(console, caller, &request))
        return std::move(*refusal);
    qint64 ttl = ShareLinks::DefaultLifetime.count();
    bool singleUse = false;
    const QByteArray body = request.body().trimmed();
    if (!body.isEmpty()) {
        const QJsonDocument document = QJsonDocument::fromJson(body);
        if (!document.isObject())
            return textResponse(QStringLiteral("the body must be a JSON object such as "
                                               "{\"ttl\":3600,\"singleUse\":false}"),
                                StatusCode::BadRequest);
        const QJsonObject object = document.object();
        const QJsonValue ttlValue = object.value(QLatin1String("ttl"));
        if (!ttlValue.isUndefined()) {
            const double seconds = ttlValue.toDouble(-1);
            if (!ttlValue.isDouble() || seconds != double(qint64(seconds)) || seconds < 1
                || seconds > double(ShareLinks::MaxLifetime.count()))
                return textResponse(QStringLiteral("ttl must be a whole number of seconds from 1 "
                                                   "to 86400 (24 hours)"),
                                    StatusCode::BadRequest);
            ttl = qint64(seconds);
        }
        const QJsonValue singleValue = object.value(QLatin1String("singleUse"));
        if (!singleValue.isUndefined() && !singleValue.isBool())
            return textResponse(QStringLiteral("singleUse must be true or false"),
                                StatusCode::BadRequest);
        singleUse = singleValue.toBool(false);
    }
    QString error;
    const std::optional<ShareLinks::Issued> issued
        = m_links.create(console, std::chrono::seconds(ttl), singleUse, caller.name, &error);
    if (!issued) {
        qCWarning(lcHttp).noquote()
            << QStringLiteral("cannot make a share link for console %1: %2").arg(console, error);
        return textResponse(QStringLiteral("cannot make a share link: ") + error,
                            StatusCode::InternalServerError);
    }
    qCInfo(lcHttp).noquote() << QStringLiteral("share link %1 for console %2 made by %3 from %4, "
                                               "expires %5%6")
                                    .arg(issued->link.id, console, caller.name, peerOf(request),
                                         utc(issued->link.expires),
                                         singleUse ? QStringLiteral(", single-use") : QString());
    QJsonObject object = linkJson(issued->link);
    object.insert(QLatin1String("url"), linkUrl(issued->token, request));
    object.insert(QLatin1String("path"), QStringLiteral("share/") + issued->token);
    return jsonResponse(object, StatusCode::Created);
}

QHttpServerResponse ShareService::revoke(const QString &console, const QString &id,
                                         const Principal &caller, const QHttpServerRequest &request)
{
    if (std::optional<QHttpServerResponse> refusal = refuseManager(console, caller, &request))
        return std::move(*refusal);
    QString error;
    const std::vector<ShareLink> links = m_links.list(console, &error);
    const bool ours = std::any_of(links.begin(), links.end(),
                                  [&id](const ShareLink &link) { return link.id == id; });
    if (!ours)
        return textResponse(
            QStringLiteral("console \"%1\" has no share link \"%2\"").arg(console, id.left(64)),
            StatusCode::NotFound);
    ShareLink revoked;
    if (!m_links.revoke(id, &revoked, &error))
        return textResponse(error, StatusCode::InternalServerError);
    qCInfo(lcHttp).noquote() << QStringLiteral("share link %1 for console %2 revoked by %3 from %4")
                                    .arg(id, console, caller.name, peerOf(request));
    if (m_onRevoked)
        m_onRevoked();
    return jsonResponse(linkJson(revoked));
}

QHttpServerResponse ShareService::endedPage(const Authenticator::Result &caller,
                                            const QHttpServerRequest &request) const
{
    static const QStringList gone {QStringLiteral("expired"), QStringLiteral("revoked"),
                                   QStringLiteral("used"), QStringLiteral("unknown")};
    QHttpServerResponse response
        = htmlPage(shareRefusedPage(QStringLiteral("This shared view has ended"), caller.reason),
                   gone.contains(caller.shareEnded) ? StatusCode::Gone : StatusCode::Forbidden);
    // The browser goes back to what it was before the link (its login, if any), once it has
    // shown this page: not when the console's page fetches its own address to learn why its
    // connection closed (Sec-Fetch-Mode "cors" or "same-origin"), which would otherwise turn the
    // next load into a login form that says nothing of the link.
    const QByteArray mode = request.value("Sec-Fetch-Mode");
    if (mode.isEmpty() || mode == "navigate")
        response.addHeader("Set-Cookie", cookie(QString(), 0));
    return response;
}

QHttpServerResponse ShareService::wrongConsolePage(const Principal &caller, const QString &console,
                                                   const QHttpServerRequest &request)
{
    m_links.count(QStringLiteral("wrong-console"));
    qCInfo(lcHttp).noquote() << QStringLiteral("share link %1 refused from %2: wrong-console, "
                                               "asked for console %3")
                                    .arg(caller.shareId, peerOf(request), console.left(64));
    return htmlPage(shareRefusedPage(QStringLiteral("Not part of this shared view"),
                                     QStringLiteral("This browser was given a read-only view of "
                                                    "console \"%1\" alone, not of \"%2\".")
                                         .arg(caller.consoles.value(0), console.left(64))),
                    StatusCode::Forbidden);
}

} // namespace CloudConsole
