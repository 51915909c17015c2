#pragma once

// The upgrade policy decides whether a WebSocket upgrade request becomes a console's client,
// from its head and the server's current settings and counts alone: accept (which console,
// from which offset, whether it may type, and the credential it came with), or refuse with an
// HTTP status and a sentence. The checks, in order: a GET over HTTP/1.1 with a well-formed
// Sec-WebSocket-Key and version 13; who it is (before any console name is told); its Origin;
// its path and console (/ws is the default console, /c/NAME/ws another) and ?offset= (with
// ?epoch=); whether the credential may use that console; the subprotocol (cloud-console.v1, or
// none for raw mode); the limit per address (not for loopback addresses: a reverse proxy on the
// same host brings every user from one of them), then the server's client limit, then the
// console's. Handshakes in flight are counted as clients by whoever fills in the counts, so that
// a burst cannot slip past a limit.
//
// It is a function of its arguments: it touches no socket and keeps nothing. The consoles are
// looked up through the context, so it knows nothing of the registry either.

#include "authenticator.h"
#include "responses.h"

#include <QByteArray>
#include <QHostAddress>
#include <QPointer>
#include <QString>
#include <QStringList>

#include <functional>
#include <optional>

namespace CloudConsole {

class Console;
struct RequestHead;

// One console as an upgrade sees it.
struct UpgradeConsole
{
    QPointer<Console> console; // carried through to the decision; may be null in tests
    QString name;
    QString epoch; // offsets from another epoch are ignored
    int clients = 0; // its clients, and its handshakes in flight
    int maxClients = 0;
};

struct UpgradeContext
{
    // Checks the credential; null or disabled: no access control, anyone may type.
    Authenticator *auth = nullptr;
    QStringList allowedOrigins;
    // The console called name; a null name is the default console. nullopt when there is none.
    std::function<std::optional<UpgradeConsole>(const QString &name)> findConsole;
    int clients = 0; // over the server, with handshakes in flight
    int maxClients = 0;
    QHostAddress peer; // where the request came from
    int peerClients = 0; // clients and handshakes in flight from that address, over the server
    int maxClientsPerAddress = 0; // 0: no limit
};

struct UpgradeDecision
{
    std::optional<Refusal> refusal; // set when refused; nothing below is then
    QPointer<Console> console;
    QString consoleName;
    std::optional<qint64> resumeFrom;
    bool screenFirst = false; // ?start=screen: the current screen first, not the history
    bool writable = false; // the credential's role lets it type
    // What the client is, for the others to see: ?client= ("page", "viewer", or its own word),
    // else "browser" for a User-Agent that is one, else "script".
    QString clientKind;
    // The credential it came with, to be checked again when the handshake completes.
    QByteArray authorization;
    QByteArray cookie;
    std::optional<QByteArray> proxyUser; // the user header, when it has one (Authenticator)

    bool accepted() const { return !refusal; }
};

UpgradeDecision decideUpgrade(const RequestHead &head, const UpgradeContext &context);

} // namespace CloudConsole
