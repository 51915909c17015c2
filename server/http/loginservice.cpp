#include "loginservice.h"

#include "httplog.h"
#include "loginpage.h"
#include "responses.h"
#include "sharelinks.h"

#include <QScopeGuard>
#include <QUrl>
#include <QUrlQuery>
#include <QtConcurrent/QtConcurrentRun>

namespace CloudConsole {

LoginService::LoginService(Authenticator &auth, const AccessSettings &access,
                           const TlsSettings &tls)
    : m_auth(auth), m_access(access), m_tls(tls)
{ }

LoginService::~LoginService()
{
    // Password checks refer to the authenticator: none may outlive this service's owner.
    m_passwordChecks.clear();
    m_passwordChecks.waitForDone();
}

QHttpServerResponse LoginService::form(const QHttpServerRequest &request) const
{
    const QString next = QUrlQuery(request.url()).queryItemValue(QStringLiteral("next"));
    return QHttpServerResponse("text/html; charset=utf-8", loginPage(next, QString()));
}

QHttpServerResponse LoginService::loginRedirect(const QString &next)
{
    // Relative to where the browser is, so that a reverse proxy's sub-path is kept. next comes
    // from the request's path: only a plain console path goes into the header.
    const QString safe = safeNext(next);
    const QString up = next.isEmpty() ? QString() : QStringLiteral("../../");
    QHttpServerResponse response(StatusCode::SeeOther);
    response.addHeader("Location",
                       (up + QStringLiteral("login")
                        + (safe.isEmpty() ? QString() : QStringLiteral("?next=") + safe))
                           .toUtf8());
    response.addHeader("Cache-Control", "no-store");
    return response;
}

QByteArray LoginService::cookie(const QString &value, qint64 maxAgeSeconds) const
{
    QByteArray text = QByteArray(Authenticator::CookieName) + '=' + value.toLatin1()
        + "; Path=/; HttpOnly; SameSite=Strict; Max-Age=" + QByteArray::number(maxAgeSeconds);
    if (m_tls.enabled())
        text += "; Secure";
    return text;
}

QFuture<QHttpServerResponse> LoginService::login(const QHttpServerRequest &request)
{
    QByteArray body = request.body();
    body.replace('+', "%20"); // form encoding writes spaces as +
    const QUrlQuery form(QString::fromLatin1(body));
    const auto field = [&form](const char *name) {
        return form.queryItemValue(QLatin1String(name), QUrl::FullyDecoded);
    };
    const QString next = safeNext(field("next"));
    const QString user = field("user");
    const auto again = [next, user](const QString &message, StatusCode status) {
        QHttpServerResponse response("text/html; charset=utf-8", loginPage(next, message, user),
                                     status);
        response.addHeader("Cache-Control", "no-store");
        return response;
    };
    if (!formFromOwnPage(request))
        return QtFuture::makeReadyFuture(
            again(QStringLiteral("log in from this server's own page"), StatusCode::Forbidden));
    if (!m_auth.enabled())
        return QtFuture::makeReadyFuture(
            again(QStringLiteral("this server has no users; open the console directly"),
                  StatusCode::NotFound));
    // A check costs a worker thread tens of milliseconds by design; bound how many a flood of
    // guesses may start, and let it cost only its own target (see LoginThrottle).
    const auto busy = [&again] {
        return QtFuture::makeReadyFuture(
            again(QStringLiteral("too many login attempts; try again in a moment"),
                  StatusCode::TooManyRequests));
    };
    if (m_checksInFlight >= MaxPasswordChecksInFlight)
        return busy();
    if (m_throttle.allow(request.remoteAddress(), user) != LoginThrottle::Verdict::Allowed)
        return busy();
    const QString peer = request.remoteAddress().toString();
    // The whole check runs on a worker thread, so consoles do not wait for it (the authenticator
    // is thread-safe; the cookie is made from values taken now).
    const QByteArray cookieTail = cookie(QStringLiteral("%1"), m_access.sessionLifetime.count());
    ++m_checksInFlight;
    return QtConcurrent::run(
        &m_passwordChecks,
        [this, again, next, user, peer, cookieTail, password = field("password")] {
            // The check is over once this job returns, whatever it answers.
            const auto done = qScopeGuard([this] { --m_checksInFlight; });
            const std::optional<QString> ticket = m_auth.checkPassword(user, password);
            if (!ticket) {
                qCInfo(lcHttp).noquote() << "failed login for" << user.left(64) << "from" << peer;
                return again(QStringLiteral("wrong user or password"), StatusCode::Unauthorized);
            }
            qCInfo(lcHttp).noquote() << user << "logged in from" << peer;
            // The form is posted to "login" beside the root, so next is relative to the root.
            QHttpServerResponse response(StatusCode::SeeOther);
            response.addHeader("Location", next.isEmpty() ? QByteArray("./") : next.toUtf8());
            response.addHeader("Set-Cookie",
                               QString::fromLatin1(cookieTail).arg(*ticket).toLatin1());
            response.addHeader("Cache-Control", "no-store");
            return response;
        });
}

bool LoginService::formFromOwnPage(const QHttpServerRequest &request) const
{
    // Browsers say where a form was posted from: Sec-Fetch-Site, and Origin (which is "null"
    // under the pages' no-referrer policy, so it alone cannot vouch for them).
    const QByteArray site = request.value("Sec-Fetch-Site");
    const QByteArray origin = request.value("Origin");
    if (site == "same-origin" || site == "none")
        return true;
    // Another site (or a sibling one) posted it: only an allowed origin, named, may.
    if (!site.isEmpty())
        return !origin.isEmpty() && origin != "null"
            && originAllowed(origin, request.value("Host"), m_access.allowedOrigins);
    if (!origin.isEmpty() && origin != "null")
        return originAllowed(origin, request.value("Host"), m_access.allowedOrigins);
    return true;
}

QHttpServerResponse LoginService::logout(const QHttpServerRequest &request)
{
    if (!formFromOwnPage(request))
        return textResponse(QStringLiteral("log out from this server's own page"),
                            StatusCode::Forbidden);
    m_auth.logout(request.value("Cookie"));
    QHttpServerResponse response(StatusCode::SeeOther);
    response.addHeader("Location", "login");
    response.addHeader("Set-Cookie", cookie(QString(), 0));
    // A share link's session ends too (ShareLinks): Log out leaves a shared view.
    const QByteArray endShare = QByteArray(ShareLinks::CookieName)
        + "=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0" + (m_tls.enabled() ? "; Secure" : "");
    response.addHeader("Set-Cookie", endShare);
    return response;
}

} // namespace CloudConsole
