#pragma once

// The answers of the HTTP front end that more than one of its parts writes, each written once:
// a plain-text answer, the "no console named" and "you may not use console" answers, the
// 401 that asks for a credential, the 426 of a WebSocket endpoint reached without an upgrade,
// the security headers of every page, and the refusal written straight to a socket before
// QHttpServer or QWebSocketServer has seen the request.
//
// It owns nothing and knows nothing of routes, consoles or credentials.

#include <QByteArray>
#include <QHttpServerResponse>
#include <QString>

class QTcpSocket;

namespace CloudConsole {

using StatusCode = QHttpServerResponder::StatusCode;

// Browsers that reached this server over TLS must never come back without it.
inline constexpr char StrictTransportSecurity[] = "max-age=31536000";

QHttpServerResponse textResponse(const QString &text, StatusCode status);

// The sentence and the 404 for a console name that the registry does not hold.
QString noConsoleNamed(const QString &name);
QHttpServerResponse noConsoleResponse(const QString &name);
// The 403 for a credential whose consoles do not include this one.
QHttpServerResponse consoleForbidden(const QString &name);
// The 401 for a request without a valid credential, when access control is on.
QHttpServerResponse unauthorized();
// The 426 of a WebSocket endpoint asked for with a plain request.
QHttpServerResponse notWebSocket();

// The headers that keep a browser from reading a response as something else, or from leaking
// where it came from. Every page and document this server renders gets them from here.
struct SecurityHeaders
{
    QByteArray cacheControl = "no-store";
    bool noReferrer = false; // Referrer-Policy: no-referrer
    QByteArray contentSecurityPolicy; // none when empty

    void addTo(QHttpServerResponse &response) const;
};

// A request refused before anything else read it: an HTTP status, a sentence for the body, and
// any headers the status calls for ("Name: value\r\n" each).
struct Refusal
{
    int status = 400;
    QString reason;
    QByteArray extraHeaders;
};

enum class Transport { Plain, Tls };

// Writes the refusal to the socket and closes it (deleted once closed, or after 5 seconds if
// the peer never reads its answer). A 503 says when to come back.
void refuse(QTcpSocket *socket, const Refusal &refusal, Transport transport);

} // namespace CloudConsole
