#pragma once

// LoginService serves a browser's way in and out when access control is on: the login form
// (GET /login), the password check behind it (POST /login), which opens a session and sets its
// cookie, and logout (POST /logout), which ends the session and clears the cookie. Forms are
// taken only from this server's own page (against CSRF).
//
// Password checks are slow on purpose, so they run on a pool of worker threads, at most
// MaxPasswordChecksInFlight at once over all clients and within LoginThrottle's rates (per user
// name, per address, per server); more are answered 429 at once.
//
// It owns the throttle and the worker threads, and drains them before it goes. It reads the
// authenticator and the front end's current access and TLS settings through references to
// them, which must outlive it; it knows nothing of sockets, consoles or other routes.

#include "accesssettings.h"
#include "authenticator.h"
#include "loginthrottle.h"

#include <QFuture>
#include <QHttpServerRequest>
#include <QHttpServerResponse>
#include <QThreadPool>

#include <atomic>

namespace CloudConsole {

class LoginService
{
public:
    // Password checks at once over all clients; more get 429.
    static constexpr int MaxPasswordChecksInFlight = 4;

    LoginService(Authenticator &auth, const AccessSettings &access, const TlsSettings &tls);
    ~LoginService();
    LoginService(const LoginService &) = delete;
    LoginService &operator=(const LoginService &) = delete;

    // GET /login: the form, which returns to ?next= once logged in.
    QHttpServerResponse form(const QHttpServerRequest &request) const;
    // POST /login: the answer comes once the password has been checked on a worker thread.
    QFuture<QHttpServerResponse> login(const QHttpServerRequest &request);
    // POST /logout.
    QHttpServerResponse logout(const QHttpServerRequest &request);
    // Where a browser without a session is sent to log in, to come back to next (a console's
    // page "c/NAME/", or empty for the root).
    static QHttpServerResponse loginRedirect(const QString &next);
    // Whether a login or logout form comes from this server's own page (against CSRF); also
    // ShareService's check of the requests that open, make and revoke share links.
    bool formFromOwnPage(const QHttpServerRequest &request) const;

private:
    QByteArray cookie(const QString &value, qint64 maxAgeSeconds) const;

    Authenticator &m_auth;
    const AccessSettings &m_access;
    const TlsSettings &m_tls;
    LoginThrottle m_throttle;
    // Password checks started and not yet finished (queued or running); worker threads end them.
    std::atomic<int> m_checksInFlight {0};
    // Its jobs use the authenticator; drained in the destructor.
    QThreadPool m_passwordChecks;
};

} // namespace CloudConsole
