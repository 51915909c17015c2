#pragma once

// Authenticator decides who a request is, from its Authorization and Cookie headers, against the
// configured credentials: a Bearer token (scripts, the viewer), or a session ticket that the
// browser got as an HttpOnly cookie by logging in with a password. The ticket is random, lives
// for AccessSettings::sessionLifetime, and names its user, whose role and consoles are looked up
// again on every request, so a reloaded configuration applies to logged-in browsers at once.
// It owns the sessions; it knows nothing about HTTP beyond header values.
//
// A password check is the one slow member, on purpose, and is to be called on a worker thread:
// it is the only member that derives a key, so nothing the event loop calls (authenticate,
// setSettings, logout) ever does. Every check does the same work, whether the name is a user's
// or not and whatever the user's iteration count, so that its time tells no one which names exist.
//
// originAllowed() is the other check every WebSocket upgrade passes: a browser's page may open a
// console's WebSocket only from the server's own origin or one the configuration allows.

#include "accesssettings.h"
#include "ratelimit.h"

#include <QByteArrayView>
#include <QHash>
#include <QHostAddress>
#include <QMutex>

#include <chrono>
#include <optional>

namespace CloudConsole {

class ShareLinks;

struct Principal
{
    QString name;
    Role role = Role::Viewer;
    QStringList consoles; // empty: every console
    QString shareId; // a share link's session (ShareLinks): a viewer of one console

    bool allows(const QString &console) const { return consoleListAllows(consoles, console); }
};

class Authenticator
{
public:
    using Clock = std::chrono::steady_clock;
    static constexpr const char *CookieName = "cc_session";
    // Sessions kept at once; the oldest goes first.
    static constexpr int MaxSessions = 10000;

    struct Result
    {
        enum class Outcome { Allowed, Missing, Invalid, Expired };
        Outcome outcome = Outcome::Missing;
        Principal principal; // when Allowed
        QString reason; // when not
        // Refused for a share link's session that ended: how ("expired", "revoked", ...:
        // ShareLinks::verdictName), and reason says it in a sentence for its visitor.
        QString shareEnded;
        // A trusted proxy's user header decided (ProxyTrust): a refusal is the proxy's user
        // unknown here, which a login form cannot help with.
        bool proxy = false;
    };

    explicit Authenticator(AccessSettings settings = {});

    // Every member may be called from any thread: a login's password is checked on a worker.
    void setSettings(AccessSettings settings);
    bool enabled() const
    {
        const QMutexLocker lock(&m_mutex);
        return m_settings.enabled();
    }

    // What a request presents: its Authorization and Cookie headers, the address it came from,
    // and the value of its user header (AccessSettings::proxyTrust), if it carries one.
    struct Presented
    {
        // Copies (implicitly shared): a request's headers are often temporaries.
        QByteArray authorization;
        QByteArray cookies;
        QHostAddress peer;
        std::optional<QByteArray> proxyUser;
    };
    // A Bearer token first; then a trusted proxy's user header (ProxyTrust: the configuration's
    // [user NAME] of that name; the header from any other peer is ignored and logged); then a
    // session; then a share link's session (ShareLinks::CookieName), so that a browser logged
    // in keeps its own rights when it opens a link.
    Result authenticate(const Presented &request);
    // Without a peer and a user header: for a credential kept from a request that had none.
    Result authenticate(QByteArrayView authorization, QByteArrayView cookies)
    {
        return authenticate(
            Presented {authorization.toByteArray(), cookies.toByteArray(), {}, std::nullopt});
    }
    // The user header's name (user-header), for callers to read it from their requests.
    QByteArray userHeader() const
    {
        const QMutexLocker lock(&m_mutex);
        return m_settings.proxyTrust.userHeader;
    }
    // The share links whose sessions authenticate() takes; none by default. They must outlive
    // this object.
    void setShareLinks(ShareLinks *links)
    {
        const QMutexLocker lock(&m_mutex);
        m_shares = links;
    }
    // Whether a request with these headers is to be authenticated: access control is on, or it
    // carries a share link's session, which makes a viewer of one console even on a server
    // without access control (whose other requests anyone may make).
    bool checks(QByteArrayView cookies) const;
    // Checks a user's password on the calling thread, a worker's (it takes tens of milliseconds
    // or more by design; the lock is held only to look the user up and to open the session). On
    // success, a new session's ticket for the cookie. Every check derives as many PBKDF2
    // iterations as the configured user with the most: an unknown user's password is checked
    // against a decoy hash of that count, and a user with fewer has the difference derived after
    // its own check.
    std::optional<QString> checkPassword(const QString &user, const QString &password);
    void logout(QByteArrayView cookies);
    int sessionCount() const
    {
        const QMutexLocker lock(&m_mutex);
        return int(m_sessions.size());
    }

    // The ticket in a Cookie header, or empty.
    static QString ticketFrom(QByteArrayView cookies);
    // The value of the cookie called name in a Cookie header, or empty.
    static QString cookieValue(QByteArrayView cookies, QByteArrayView name);

private:
    struct Session
    {
        QString user;
        QString hash; // the password hash it was opened with: a new password ends it
        Clock::time_point expires;
    };
    // What a session ticket (from the cookie) is worth; m_mutex held.
    Result sessionOf(const QString &ticket);
    const Credential *find(Credential::Kind kind, const QString &name) const;
    static Principal principalOf(const Credential &credential);
    // Sets the work and the decoy of password checks from the settings: no key is derived.
    void preparePasswordChecks();
    // A new session for a user whose password was just checked against hash, if the user still
    // has it (the configuration may have been reloaded during the check).
    std::optional<QString> startSession(const QString &user, const QString &hash);
    void purgeExpired();

    mutable QMutex m_mutex; // guards everything below
    AccessSettings m_settings;
    int m_passwordWork = 0; // PBKDF2 iterations of every check: the most of any user
    QString m_decoyHash; // what an unknown user's password is checked against, at that count
    QHash<QString, Session> m_sessions; // by the ticket's SHA-256, so memory holds no ticket
    ShareLinks *m_shares = nullptr;
    LogThrottle m_untrustedHeaderLog {0.1, 5}; // user headers from peers that are not proxies
};

// Whether a WebSocket upgrade with this Origin header may proceed on a server reached as host
// (the Host header): no Origin (not a browser), an allowed origin, or the server's own: the
// origin's host and port are the Host header's. The scheme is not compared, since TLS may end
// at a reverse proxy; and a Host without a port (nginx's `proxy_set_header Host $host`) is
// compared by name alone (`$http_host` keeps the port, and so the stricter check).
bool originAllowed(QByteArrayView origin, QByteArrayView host, const QStringList &allowedOrigins);

} // namespace CloudConsole
