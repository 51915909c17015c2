#include "upgradepolicy.h"

#include "console.h"
#include "protocol.h"
#include "requesthead.h"

#include <QRegularExpression>
#include <QUrl>
#include <QUrlQuery>

namespace CloudConsole {

namespace {

UpgradeDecision refused(int status, const QString &reason, const QByteArray &extraHeaders = {})
{
    UpgradeDecision decision;
    decision.refusal = Refusal {status, reason, extraHeaders};
    return decision;
}

// Where the request is going: its console and the offset to resume from. Fills the decision's
// console fields, or refuses.
UpgradeDecision resolveTarget(const QByteArray &target, const UpgradeContext &context,
                              UpgradeConsole *found)
{
    const QUrl url = QUrl::fromEncoded(target);
    const QString path = url.path();
    static const QRegularExpression consolePath(QStringLiteral("^/c/([^/]+)/ws$"));
    QString name;
    if (path != QLatin1String("/ws")) {
        const auto match = consolePath.match(path);
        if (!match.hasMatch())
            return refused(404, QStringLiteral("no WebSocket endpoint at %1").arg(path));
        name = match.captured(1);
    }
    const std::optional<UpgradeConsole> console
        = context.findConsole ? context.findConsole(name) : std::nullopt;
    if (!console)
        return refused(404, noConsoleNamed(name));
    *found = *console;

    UpgradeDecision decision;
    decision.console = console->console;
    decision.consoleName = console->name;
    const QUrlQuery query(url);
    if (query.hasQueryItem(QStringLiteral("client"))) {
        static const QRegularExpression word(QStringLiteral("^[A-Za-z0-9._-]{1,32}\\z"));
        const QString kind = query.queryItemValue(QStringLiteral("client"));
        if (!word.match(kind).hasMatch())
            return refused(400, QStringLiteral("client must be 1 to 32 of A-Z a-z 0-9 . _ -"));
        decision.clientKind = kind;
    }
    if (query.hasQueryItem(QStringLiteral("start"))) {
        const QString start = query.queryItemValue(QStringLiteral("start"));
        if (start != QLatin1String("screen") && start != QLatin1String("history"))
            return refused(400, QStringLiteral("start must be screen or history"));
        decision.screenFirst = start == QLatin1String("screen");
    }
    if (query.hasQueryItem(QStringLiteral("offset"))) {
        static const QRegularExpression digits(QStringLiteral("^[0-9]{1,16}$"));
        const QString text = query.queryItemValue(QStringLiteral("offset"));
        const qint64 offset = digits.match(text).hasMatch() ? text.toLongLong() : -1;
        if (offset < 0 || offset > Protocol::MaxOffset)
            return refused(400, QStringLiteral("offset must be a whole number from 0 to 2^53-1"));
        // An offset from another epoch (the server restarted) means nothing here.
        const QString epoch = query.queryItemValue(QStringLiteral("epoch"));
        if (epoch.isEmpty() || epoch == console->epoch)
            decision.resumeFrom = offset;
    }
    return decision;
}

// A trusted proxy's user header; nginx and HAProxy leave an empty one out.
std::optional<QByteArray> proxyUserOf(const RequestHead &head, const QByteArray &header)
{
    const QByteArray value = head.value(header);
    return value.isEmpty() ? std::nullopt : std::optional(value);
}

} // namespace

UpgradeDecision decideUpgrade(const RequestHead &head, const UpgradeContext &context)
{
    if (head.method != "GET")
        return refused(405, QStringLiteral("a WebSocket upgrade must be a GET"));
    if (head.version != "HTTP/1.1")
        return refused(400, QStringLiteral("a WebSocket upgrade needs HTTP/1.1"));
    // QWebSocketServer drops a bad handshake without an answer; say what is wrong instead.
    if (QByteArray::fromBase64(head.value("Sec-WebSocket-Key")).size() != 16)
        return refused(400, QStringLiteral("missing or malformed Sec-WebSocket-Key"));
    if (head.value("Sec-WebSocket-Version") != "13")
        return refused(426, QStringLiteral("unsupported WebSocket version; this server speaks 13"),
                       "Sec-WebSocket-Version: 13\r\n");
    // Who it is comes first, so that console names are not told to strangers.
    // A share link's session is a viewer of one console even without access control.
    const bool accessControl = context.auth && context.auth->checks(head.value("Cookie"));
    Principal principal;
    if (accessControl) {
        const Authenticator::Result result = context.auth->authenticate(
            {head.value("Authorization"), head.value("Cookie"), context.peer,
             proxyUserOf(head, context.auth->userHeader())});
        if (result.outcome != Authenticator::Result::Outcome::Allowed)
            return refused(401, result.reason,
                           "WWW-Authenticate: Bearer realm=\"cloud-console\"\r\n");
        principal = result.principal;
    }
    if (!originAllowed(head.value("Origin"), head.value("Host"), context.allowedOrigins))
        return refused(
            403,
            QStringLiteral("a page from %1 may not open consoles here (see allowed-origins)")
                .arg(QString::fromLatin1(head.value("Origin").left(128))));
    UpgradeConsole console;
    UpgradeDecision decision = resolveTarget(head.target, context, &console);
    if (!decision.accepted())
        return decision;
    if (accessControl && !principal.allows(console.name))
        return refused(
            403, QStringLiteral("%1 may not use console \"%2\"").arg(principal.name, console.name));
    if (!head.value("Sec-WebSocket-Protocol").isEmpty()
        && !head.hasToken("Sec-WebSocket-Protocol", Protocol::Subprotocol))
        return refused(400,
                       QStringLiteral("unsupported WebSocket subprotocol; this server speaks %1 "
                                      "(or none, for raw mode)")
                           .arg(QLatin1String(Protocol::Subprotocol)));
    if (context.maxClientsPerAddress > 0 && !context.peer.isLoopback()
        && context.peerClients >= context.maxClientsPerAddress)
        return refused(429,
                       QStringLiteral("%1 already has %2 clients on this server, the limit for "
                                      "one address")
                           .arg(context.peer.toString())
                           .arg(context.maxClientsPerAddress));
    if (context.clients >= context.maxClients)
        return refused(503,
                       QStringLiteral("this server already has %1 clients, its limit")
                           .arg(context.maxClients));
    if (console.clients >= console.maxClients)
        return refused(503,
                       QStringLiteral("console \"%1\" already has %2 clients, its limit")
                           .arg(console.name)
                           .arg(console.maxClients));
    decision.writable = !accessControl || principal.role == Role::Operator;
    if (decision.clientKind.isEmpty())
        decision.clientKind = head.value("User-Agent").startsWith("Mozilla/")
            ? QStringLiteral("browser")
            : QStringLiteral("script");
    decision.authorization = head.value("Authorization");
    decision.cookie = head.value("Cookie");
    if (context.auth)
        decision.proxyUser = proxyUserOf(head, context.auth->userHeader());
    return decision;
}

} // namespace CloudConsole
