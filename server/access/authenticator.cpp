#include "authenticator.h"

#include "secrethash.h"

#include <QCryptographicHash>
#include <QUrl>

#include <algorithm>

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
    const QByteArray prefix = QByteArray(CookieName) + '=';
    for (QByteArrayView part : QByteArray(cookies.toByteArray()).split(';')) {
        const QByteArrayView trimmed = part.trimmed();
        if (trimmed.startsWith(prefix))
            return QString::fromLatin1(trimmed.sliced(prefix.size()));
    }
    return {};
}

Authenticator::Result Authenticator::authenticate(QByteArrayView authorization,
                                                  QByteArrayView cookies)
{
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
    const QString ticket = ticketFrom(cookies);
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
        known = credential != nullptr;
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
