#pragma once

// ProxyTrust decides whether a request's user header says who the request is: single sign-on
// through a reverse proxy (nginx with auth_request, oauth2-proxy, an SSO gateway) that
// authenticated the user and passes the name on in a header (`user-header`, X-Forwarded-User by
// default). The header counts only when the request's peer is one of the `trusted-proxy`
// addresses or networks: anyone else could set it. From another address it is ignored, and the
// caller logs that (Authenticator does, throttled).
//
// Plain rules and a pure decision; it owns the configured networks only. It knows nothing of
// users or roles (the configuration's [user NAME] sections give those, through Authenticator),
// nor of HTTP beyond a header's value.

#include <QByteArray>
#include <QByteArrayView>
#include <QHostAddress>
#include <QString>

#include <utility>
#include <vector>

namespace CloudConsole {

struct ProxyTrustSettings
{
    // trusted-proxy: addresses (a /32 or /128) and networks ("10.0.0.0/8", "fd00::/8").
    std::vector<std::pair<QHostAddress, int>> networks;
    QByteArray userHeader = "X-Forwarded-User"; // user-header

    bool enabled() const { return !networks.empty(); }
};

// "127.0.0.1, 10.0.0.0/8, ::1": what is wrong, or empty and *networks set.
QString parseTrustedProxies(const QString &text,
                            std::vector<std::pair<QHostAddress, int>> *networks);
QString trustedProxiesText(const std::vector<std::pair<QHostAddress, int>> &networks);
// An HTTP header name (RFC 9110 token); "Authorization" and "Cookie" are refused.
QString parseUserHeader(const QString &text, QByteArray *header);

class ProxyTrust
{
public:
    enum class Verdict {
        NoHeader, // the request does not carry the header: other credentials decide
        User, // from a trusted proxy, naming `user`
        Untrusted, // carries the header, but does not come from a trusted proxy: ignored
        Malformed, // from a trusted proxy, but not a user name: refused
    };
    struct Answer
    {
        Verdict verdict = Verdict::NoHeader;
        QString user; // Verdict::User
        QString reason; // Untrusted and Malformed: a sentence for the log and the refusal
    };

    static bool trusts(const ProxyTrustSettings &settings, const QHostAddress &peer);
    static Answer judge(const ProxyTrustSettings &settings, const QHostAddress &peer,
                        QByteArrayView headerValue, bool present);
};

} // namespace CloudConsole
