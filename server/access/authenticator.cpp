#include "authenticator.h"

#include "secrethash.h"
#include "sharelinks.h"

#include <QCryptographicHash>
#include <QLoggingCategory>
#include <QUrl>

#include <algorithm>

Q_LOGGING_CATEGORY(lcAccess, "cloudconsole.access")

namespace CloudConsole {

namespace {

QString ticketKey(const QString &ticket)
{
    return QString::fromLatin1(
        QCryptographicHash::hash(ticket.toLatin1(), QCryptographicHash::Sha256).toHex());
}

} // namespace

Authenticator::Authenticator(AccessSettings settings) : m_settings(std::move(settings))
{
    preparePasswordChecks();
}

void Authenticator::setSettings(AccessSettings settings)
{
    const QMutexLocker lock(&m_mutex);
    m_settings = std::move(settings);
    preparePasswordChecks();
}

void Authenticator::preparePasswordChecks()
{
    int most = 0;
    for (const Credential &credential : m_settings.credentials) {
        if (credential.kind == Credential::Kind::User)
            most = std::max(most, SecretHash::passwordIterations(credential.hash));
    }
    m_passwordWork = most > 0 ? most : SecretHash::DefaultIterations;
    // Random bytes only: the decoy costs its derivation at each check, on the checking thread.
    m_decoyHash = SecretHash::decoyPasswordHash(m_passwordWork);
}

const Credential *Authenticator::find(Credential::Kind kind, const QString &name) const
{
    for (const Credential &credential : m_settings.credentials) {
        if (credential.kind == kind && credential.name == name)
            return &credential;
    }
    return nullptr;
}

Principal Authenticator::principalOf(const Credential &credential)
{
    return {credential.name, credential.role, credential.consoles};
}

QString Authenticator::ticketFrom(QByteArrayView cookies)
{
    return cookieValue(cookies, CookieName);
}

QString Authenticator::cookieValue(QByteArrayView cookies, QByteArrayView name)
{
    const QByteArray prefix = name.toByteArray() + '=';
    for (QByteArrayView part : QByteArray(cookies.toByteArray()).split(';')) {
        const QByteArrayView trimmed = part.trimmed();
        if (trimmed.startsWith(prefix))
            return QString::fromLatin1(trimmed.sliced(prefix.size()));
    }
    return {};
}

bool Authenticator::checks(QByteArrayView cookies) const
{
    const QMutexLocker lock(&m_mutex);
    return m_settings.enabled()
        || (m_shares && !cookieValue(cookies, ShareLinks::CookieName).isEmpty());
}

Authenticator::Result Authenticator::authenticate(const Presented &request)
{
    const QByteArrayView authorization = request.authorization;
    const QByteArrayView cookies = request.cookies;
    const QMutexLocker lock(&m_mutex);
    using Outcome = Result::Outcome;
    Result result;
    const QByteArray header = authorization.trimmed().toByteArray();
    if (!header.isEmpty()) {
        if (!header.startsWith("Bearer ")) {
            result.outcome = Outcome::Invalid;
            result.reason = QStringLiteral("only Bearer tokens are accepted in Authorization");
            return result;
        }
        const QString token = QString::fromLatin1(header.sliced(7).trimmed());
        for (const Credential &credential : m_settings.credentials) {
            if (credential.kind == Credential::Kind::Token
                && SecretHash::verifyToken(token, credential.hash)) {
                result.outcome = Outcome::Allowed;
                result.principal = principalOf(credential);
                return result;
            }
        }
        result.outcome = Outcome::Invalid;
        result.reason = QStringLiteral("unknown token");
        return result;
    }
    // Single sign-on: the user a trusted proxy names, with the configuration's role for them.
    const ProxyTrust::Answer proxy = ProxyTrust::judge(m_settings.proxyTrust, request.peer,
                                                       request.proxyUser.value_or(QByteArray()),
                                                       request.proxyUser.has_value());
    result.proxy = proxy.verdict == ProxyTrust::Verdict::User
        || proxy.verdict == ProxyTrust::Verdict::Malformed;
    switch (proxy.verdict) {
    case ProxyTrust::Verdict::User:
        if (const Credential *user = find(Credential::Kind::User, proxy.user)) {
            result.outcome = Outcome::Allowed;
            result.principal = principalOf(*user);
        } else {
            result.outcome = Outcome::Invalid;
            result.reason = QStringLiteral("user \"%1\", named by the trusted proxy, has no "
                                           "[user %1] in this server's configuration")
                                .arg(proxy.user.left(128));
        }
        return result;
    case ProxyTrust::Verdict::Malformed:
        result.outcome = Outcome::Invalid;
        result.reason = proxy.reason;
        return result;
    case ProxyTrust::Verdict::Untrusted: {
        // Ignored: anyone may send the header. Said in the log, so a proxy left out of
        // trusted-proxy (or someone trying) is seen.
        qint64 heldBack = 0;
        if (m_untrustedHeaderLog.allow(&heldBack))
            qCWarning(lcAccess).noquote()
                << proxy.reason
                << (heldBack > 0 ? QStringLiteral("(and %1 more not logged)").arg(heldBack)
                                 : QString());
        break;
    }
    case ProxyTrust::Verdict::NoHeader:
        break;
    }
    result = sessionOf(ticketFrom(cookies));
    const QString share = cookieValue(cookies, ShareLinks::CookieName);
    if (result.outcome == Outcome::Allowed || !m_shares || share.isEmpty())
        return result;
    // A share link's session: checked against the links as they are now (a revocation from the
    // command line applies at once).
    const ShareLinks::Check check = m_shares->session(share);
    if (check.verdict == ShareLinks::Verdict::Valid) {
        result.outcome = Outcome::Allowed;
        result.principal = ShareLinks::principalOf(check.link);
        result.reason.clear();
        return result;
    }
    result.outcome
        = check.verdict == ShareLinks::Verdict::Expired ? Outcome::Expired : Outcome::Invalid;
    result.principal = {};
    result.reason = ShareLinks::verdictText(check);
    result.shareEnded = ShareLinks::verdictName(check.verdict);
    return result;
}

Authenticator::Result Authenticator::sessionOf(const QString &ticket)
{
    using Outcome = Result::Outcome;
    Result result;
    if (ticket.isEmpty()) {
        result.reason = QStringLiteral("log in, or send Authorization: Bearer TOKEN");
        return result;
    }
    const auto session = m_sessions.constFind(ticketKey(ticket));
    if (session == m_sessions.constEnd()) {
        result.outcome = Outcome::Invalid;
        result.reason = QStringLiteral("unknown session; log in again");
        return result;
    }
    if (session->expires <= Clock::now()) {
        m_sessions.erase(session);
        result.outcome = Outcome::Expired;
        result.reason = QStringLiteral("the session expired; log in again");
        return result;
    }
    const Credential *user = find(Credential::Kind::User, session->user);
    if (!user || user->hash != session->hash) {
        result.outcome = Outcome::Invalid;
        result.reason = QStringLiteral("the user's password changed or the user is gone; log in "
                                       "again");
        return result;
    }
    result.outcome = Outcome::Allowed;
    result.principal = principalOf(*user);
    return result;
}

std::optional<QString> Authenticator::checkPassword(const QString &user, const QString &password)
{
    bool known = false;
    QString hash;
    int work = 0;
    {
        const QMutexLocker lock(&m_mutex);
        const Credential *credential = find(Credential::Kind::User, user);
        // A user without a password (single sign-on only) is checked as an unknown one is.
        known = credential != nullptr && !credential->hash.isEmpty();
        hash = known ? credential->hash : m_decoyHash;
        work = m_passwordWork;
    }
    // Unlocked: requests on the event loop must not wait for the derivation. The decoy is
    // checked as a real hash would be; an unknown user is refused whatever it answers.
    const bool matches = SecretHash::verifyPassword(password, hash, work);
    if (!known || !matches)
        return std::nullopt;
    return startSession(user, hash);
}

std::optional<QString> Authenticator::startSession(const QString &user, const QString &hash)
{
    const QMutexLocker lock(&m_mutex);
    const Credential *credential = find(Credential::Kind::User, user);
    if (!credential || credential->hash != hash)
        return std::nullopt;
    purgeExpired();
    if (m_sessions.size() >= MaxSessions) {
        const auto oldest = std::min_element(
            m_sessions.begin(), m_sessions.end(),
            [](const Session &a, const Session &b) { return a.expires < b.expires; });
        m_sessions.erase(oldest);
    }
    const QString ticket = SecretHash::newToken();
    m_sessions.insert(ticketKey(ticket),
                      {user, credential->hash, Clock::now() + m_settings.sessionLifetime});
    return ticket;
}

void Authenticator::logout(QByteArrayView cookies)
{
    const QMutexLocker lock(&m_mutex);
    const QString ticket = ticketFrom(cookies);
    if (!ticket.isEmpty())
        m_sessions.remove(ticketKey(ticket));
}

void Authenticator::purgeExpired()
{
    const auto now = Clock::now();
    m_sessions.removeIf([now](const auto &entry) { return entry.value().expires <= now; });
}

bool originAllowed(QByteArrayView origin, QByteArrayView host, const QStringList &allowedOrigins)
{
    if (origin.isEmpty())
        return true;
    const QString text = QString::fromLatin1(origin).toLower();
    if (std::any_of(allowedOrigins.begin(), allowedOrigins.end(),
                    [&](const QString &allowed) { return allowed.toLower() == text; }))
        return true;
    const QUrl url(text);
    if (!url.isValid() || url.host().isEmpty() || host.isEmpty())
        return false;
    // Host is "name", "name:port", "[v6]" or "[v6]:port".
    const QUrl own(QStringLiteral("//") + QString::fromLatin1(host).toLower());
    if (!own.isValid() || own.host() != url.host())
        return false;
    if (own.port() < 0)
        return true;
    const int defaultPort = url.scheme() == QLatin1String("https") ? 443 : 80;
    return url.port(defaultPort) == own.port();
}

} // namespace CloudConsole
