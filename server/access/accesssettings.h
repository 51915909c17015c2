#pragma once

// What an operator configures about who may use the server: credentials with roles, the origins
// allowed to open WebSockets, TLS. Plain data, filled by the configuration file and the command
// line, read by HttpFrontend and the sessions. The per-client limits are limitsettings.h's.

#include "consolelist.h"
#include "proxytrust.h"

#include <QSslCertificate>
#include <QSslKey>
#include <QString>
#include <QStringList>

#include <chrono>
#include <vector>

namespace CloudConsole {

enum class Role {
    Viewer, // reads the console; its input, resize and BREAK are refused
    Operator, // reads and types
};

// One credential: a user who logs in with a password (the browser), or a token for scripts and
// the viewer (`Authorization: Bearer`). Only the secret's hash is kept.
struct Credential
{
    enum class Kind { User, Token };
    Kind kind = Kind::User;
    QString name;
    QString hash; // "pbkdf2-sha256$ITERATIONS$SALT$KEY" for users, "sha256$HEX" for tokens
    Role role = Role::Viewer;
    QStringList consoles; // the consoles it may use; empty means every console

    bool allows(const QString &console) const { return consoleListAllows(consoles, console); }
};

struct AccessSettings
{
    std::vector<Credential> credentials;
    // Origins besides the server's own that may open WebSockets ("https://ops.example.com").
    QStringList allowedOrigins;
    std::chrono::seconds sessionLifetime {8 * 3600};
    // Listen on a non-loopback address without credentials (--insecure).
    bool insecure = false;
    // trusted-proxy, user-header: single sign-on through a reverse proxy (ProxyTrust).
    ProxyTrustSettings proxyTrust;
    // state-dir: where share links' key and list are kept (ShareLinks); empty: the default
    // (ShareLinks::defaultStateDir(), which depends on the environment).
    QString stateDir;

    bool enabled() const { return !credentials.empty(); }
};

struct TlsSettings
{
    QString certificatePath;
    QString keyPath;
    // Loaded at start-up (and on reload) from the paths.
    QList<QSslCertificate> certificateChain;
    QSslKey key;

    bool enabled() const { return !certificatePath.isEmpty(); }
    // Reads the PEM files; false and *error if they cannot be used.
    bool load(QString *error);
};

} // namespace CloudConsole
