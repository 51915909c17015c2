#include "httpfrontend.h"

#include "consoleregistry.h"
#include "httplog.h"
#include "protocol.h"
#include "requesthead.h"
#include "responses.h"

#include <QTcpSocket>
#include <QWebSocket>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

namespace CloudConsole {

HttpFrontend::HttpFrontend(ConsoleRegistry &consoles, FrontendSettings settings, QObject *parent)
    : QObject(parent)
    , m_consoles(consoles)
    , m_settings(std::move(settings))
    , m_auth(m_settings.access)
    , m_handoff(RequestHeadTimeoutMs,
                [this](QWebSocket *socket, QTcpSocket *transport, const UpgradeDecision &decision) {
                    return makeClient(socket, transport, decision);
                })
    , m_intake(m_settings, m_auth, m_http,
               [this](QTcpSocket *socket, const RequestHead &head, qsizetype headSize) {
                   upgrade(socket, head, headSize);
               })
    , m_login(m_auth, m_settings.access, m_settings.tls)
    , m_shareLinks(m_settings.access.stateDir)
    , m_shares(m_shareLinks, m_consoles, m_login, m_settings)
    , m_routes(m_consoles, m_auth, m_login, m_settings)
{
    m_auth.setShareLinks(&m_shareLinks);
    m_shares.onRevoked([this] { closeEndedShares(); });
    connect(&m_shareSweep, &QTimer::timeout, this, &HttpFrontend::closeEndedShares);
    m_shareSweep.start(1000);
    m_routes.setShares(&m_shares);
    m_routes.install(m_http);
}

HttpFrontend::~HttpFrontend()
{
    m_auth.setShareLinks(nullptr);
}

bool HttpFrontend::listen(const QHostAddress &address, quint16 port, QString *error)
{
    return m_intake.listen(address, port, error);
}

void HttpFrontend::setAccess(AccessSettings access, TlsSettings tls)
{
    m_settings.access = access;
    m_settings.tls = std::move(tls);
    m_shareLinks.setStateDir(access.stateDir);
    m_auth.setSettings(std::move(access));
    closeRevokedClients();
}

void HttpFrontend::closeEndedShares()
{
    const QByteArray shareCookie = QByteArray(ShareLinks::CookieName) + '=';
    for (Console *console : m_consoles.consoles()) {
        for (ClientSession *session : console->clients()) {
            const ClientSession::Credential &credential = session->credential();
            if (!credential.cookie.contains(shareCookie))
                continue;
            const Authenticator::Result result
                = m_auth.authenticate({credential.authorization, credential.cookie, credential.peer,
                                       credential.proxyUser});
            if (result.outcome == Authenticator::Result::Outcome::Allowed
                && result.principal.allows(console->name()))
                continue;
            qCInfo(lcHttp).noquote()
                << QStringLiteral("closing %1 on %2 (its shared link's "
                                  "session ended: %3)")
                       .arg(session->peer(), console->name(),
                            result.shareEnded.isEmpty() ? result.reason : result.shareEnded);
            session->revoke(result.reason);
        }
    }
}

void HttpFrontend::closeRevokedClients()
{
    if (!m_auth.enabled())
        return;
    for (Console *console : m_consoles.consoles()) {
        for (ClientSession *session : console->clients()) {
            const ClientSession::Credential &credential = session->credential();
            const Authenticator::Result result
                = m_auth.authenticate({credential.authorization, credential.cookie, credential.peer,
                                       credential.proxyUser});
            // A credential removed, given another secret, other consoles or another role.
            const bool same = result.outcome == Authenticator::Result::Outcome::Allowed
                && result.principal.allows(console->name())
                && (result.principal.role == Role::Operator) == session->isWritable();
            if (same)
                continue;
            qCInfo(lcHttp).noquote() << "closing" << session->peer() << "on" << console->name()
                                     << "(its credential changed in the reloaded configuration)";
            session->revoke(QStringLiteral("the credential this client used was removed or "
                                           "changed by a reload of the configuration; log in "
                                           "again"));
        }
    }
}

void HttpFrontend::upgrade(QTcpSocket *socket, const RequestHead &head, qsizetype headSize)
{
    UpgradeContext context;
    context.auth = &m_auth;
    context.allowedOrigins = m_settings.access.allowedOrigins;
    // Handshakes in flight count as clients, so that a burst cannot slip past a limit.
    context.findConsole = [this](const QString &name) -> std::optional<UpgradeConsole> {
        Console *console = name.isNull() ? m_consoles.defaultConsole() : m_consoles.find(name);
        if (!console)
            return std::nullopt;
        return UpgradeConsole {console, console->name(), console->epoch(),
                               console->clientCount() + m_handoff.inFlightFor(console->name()),
                               console->settings().maxClients};
    };
    context.clients = m_consoles.totalClients() + m_handoff.inFlight();
    context.maxClients = m_settings.maxClients;
    context.peer = socket->peerAddress();
    context.peerClients
        = m_consoles.clientsFrom(context.peer) + m_handoff.inFlightFrom(context.peer);
    context.maxClientsPerAddress = MaxClientsPerAddress;
    UpgradeDecision decision = decideUpgrade(head, context);
    if (!decision.accepted()) {
        m_intake.refuse(socket, *decision.refusal);
        return;
    }
    m_handoff.handOver(socket, head, headSize, std::move(decision));
}

bool HttpFrontend::makeClient(QWebSocket *socket, QTcpSocket *transport,
                              const UpgradeDecision &decision)
{
    Console *const console = decision.console;
    if (!console) {
        // The console went away during the handshake.
        socket->close(QWebSocketProtocol::CloseCodeGoingAway, noConsoleNamed(decision.consoleName));
        socket->deleteLater();
        return false;
    }
    bool writable = decision.writable;
    QString user;
    // The credential is checked again now that the client is made: it may have logged out, or
    // been removed by a reload, since its request arrived. (A share link's session is checked
    // even without access control.)
    if (m_auth.checks(decision.cookie)) {
        const Authenticator::Result result = m_auth.authenticate(
            {decision.authorization, decision.cookie,
             transport ? transport->peerAddress() : QHostAddress(), decision.proxyUser});
        if (result.outcome != Authenticator::Result::Outcome::Allowed
            || !result.principal.allows(console->name())) {
            qCInfo(lcHttp).noquote()
                << "closing a WebSocket whose credential went away during its handshake";
            socket->close(QWebSocketProtocol::CloseCodePolicyViolated,
                          QStringLiteral("the credential is no longer valid; log in again"));
            socket->deleteLater();
            return false;
        }
        writable = result.principal.role == Role::Operator;
        user = result.principal.name;
    }
    // Keep the kernel's queue of unsent bytes as shallow as our own, so a keystroke's echo does
    // not wait behind megabytes of output; data in flight may still grow with the connection's
    // bandwidth-delay product.
    const int lowWater = int(ClientSession::SendHighWater);
    ::setsockopt(int(transport->socketDescriptor()), IPPROTO_TCP, TCP_NOTSENT_LOWAT, &lowWater,
                 sizeof lowWater);
    const bool v1 = socket->subprotocol() == QLatin1String(Protocol::Subprotocol);
    ClientSession *session = console->addClient(
        socket, v1 ? ClientSession::Mode::V1 : ClientSession::Mode::Raw, decision.resumeFrom,
        writable, transport, user, decision.clientKind, decision.screenFirst);
    if (session)
        session->setCredential({decision.authorization, decision.cookie,
                                transport ? transport->peerAddress() : QHostAddress(),
                                decision.proxyUser});
    return true;
}

} // namespace CloudConsole
