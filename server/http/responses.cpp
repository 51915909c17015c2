#include "responses.h"

#include "httplog.h"

#include <QHostAddress>
#include <QTcpSocket>
#include <QTimer>

Q_LOGGING_CATEGORY(lcHttp, "cloudconsole.http")

namespace CloudConsole {

namespace {

QByteArray reasonPhrase(int status)
{
    switch (status) {
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 426:
        return "Upgrade Required";
    case 413:
        return "Content Too Large";
    case 431:
        return "Request Header Fields Too Large";
    case 503:
        return "Service Unavailable";
    default:
        return "Error";
    }
}

} // namespace

QHttpServerResponse textResponse(const QString &text, StatusCode status)
{
    return QHttpServerResponse("text/plain; charset=utf-8", text.toUtf8() + '\n', status);
}

QString noConsoleNamed(const QString &name)
{
    return QStringLiteral("no console named \"%1\"").arg(name.left(64));
}

QHttpServerResponse noConsoleResponse(const QString &name)
{
    return textResponse(noConsoleNamed(name), StatusCode::NotFound);
}

QHttpServerResponse consoleForbidden(const QString &name)
{
    return textResponse(QStringLiteral("you may not use console \"%1\"").arg(name.left(64)),
                        StatusCode::Forbidden);
}

QHttpServerResponse unauthorized()
{
    QHttpServerResponse response = textResponse(
        QStringLiteral("log in, or send Authorization: Bearer TOKEN"), StatusCode::Unauthorized);
    response.addHeader("WWW-Authenticate", "Bearer realm=\"cloud-console\"");
    return response;
}

QHttpServerResponse notWebSocket()
{
    QHttpServerResponse response = textResponse(
        QStringLiteral("this URL is a WebSocket endpoint; connect with a WebSocket client"),
        StatusCode::UpgradeRequired);
    response.addHeader("Upgrade", "websocket");
    return response;
}

void SecurityHeaders::addTo(QHttpServerResponse &response) const
{
    response.addHeader("Cache-Control", cacheControl);
    response.addHeader("X-Content-Type-Options", "nosniff");
    if (noReferrer)
        response.addHeader("Referrer-Policy", "no-referrer");
    if (!contentSecurityPolicy.isEmpty())
        response.addHeader("Content-Security-Policy", contentSecurityPolicy);
}

void refuse(QTcpSocket *socket, const Refusal &refusal, Transport transport)
{
    qCInfo(lcHttp).noquote() << "refused a request from" << socket->peerAddress().toString()
                             << "with" << refusal.status << ":" << refusal.reason;
    const QByteArray body = refusal.reason.toUtf8() + '\n';
    QByteArray response = "HTTP/1.1 " + QByteArray::number(refusal.status) + ' '
        + reasonPhrase(refusal.status)
        + "\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: "
        + QByteArray::number(body.size()) + "\r\nConnection: close\r\n";
    if (refusal.status == 503)
        response += "Retry-After: 5\r\n";
    if (transport == Transport::Tls)
        response += QByteArray("Strict-Transport-Security: ") + StrictTransportSecurity + "\r\n";
    response += refusal.extraHeaders;
    response += "\r\n" + body;
    socket->write(response);
    QObject::connect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
    socket->disconnectFromHost();
    // A peer that never reads its answer must not keep the socket forever.
    QTimer::singleShot(5000, socket, [socket] {
        socket->abort();
        socket->deleteLater();
    });
}

} // namespace CloudConsole
