#include "configfile.h"

#include "consoleregistry.h"
#include "secrethash.h"

#include <QFile>
#include <QRegularExpression>

#include <functional>
#include <map>

namespace CloudConsole {

namespace {

// One key of a section: applies a value, or says what is wrong with it.
using Setter = std::function<QString(const QString &value)>;

QString parseBool(const QString &value, bool *out)
{
    static const QStringList yes {QStringLiteral("on"), QStringLiteral("yes"),
                                  QStringLiteral("true"), QStringLiteral("1")};
    static const QStringList no {QStringLiteral("off"), QStringLiteral("no"),
                                 QStringLiteral("false"), QStringLiteral("0")};
    if (yes.contains(value)) {
        *out = true;
        return {};
    }
    if (no.contains(value)) {
        *out = false;
        return {};
    }
    return QStringLiteral("expected on or off, got \"%1\"").arg(value);
}

std::map<QString, Setter> serverKeys(ServerOptions *o)
{
    return {
        {QStringLiteral("listen"),
         [o](const QString &v) { return parseListen(v, &o->address, &o->port); }},
        {QStringLiteral("max-clients"),
         [o](const QString &v) { return parseMaxClients(v, &o->maxClients); }},
        {QStringLiteral("web-root"),
         [o](const QString &v) {
             o->webRoot = v;
             return v.isEmpty() ? QStringLiteral("needs a directory") : QString();
         }},
        {QStringLiteral("markers"), [o](const QString &v) { return parseBool(v, &o->markers); }},
        {QStringLiteral("tls-cert"),
         [o](const QString &v) {
             o->tls.certificatePath = v;
             return v.isEmpty() ? QStringLiteral("needs a PEM file") : QString();
         }},
        {QStringLiteral("tls-key"),
         [o](const QString &v) {
             o->tls.keyPath = v;
             return v.isEmpty() ? QStringLiteral("needs a PEM file") : QString();
         }},
        {QStringLiteral("allowed-origins"),
         [o](const QString &v) {
             o->access.allowedOrigins.clear();
             static const QRegularExpression origin(
                 QStringLiteral("^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?$|^https?://"
                                "\\[[0-9a-fA-F:.]+\\](:[0-9]{1,5})?$"));
             for (const QString &item : v.split(u',', Qt::SkipEmptyParts)) {
                 const QString trimmed = item.trimmed();
                 if (!origin.match(trimmed).hasMatch())
                     return QStringLiteral("\"%1\" is not an origin like https://ops.example.com "
                                           "(scheme, host and port only)")
                         .arg(trimmed);
                 o->access.allowedOrigins.append(trimmed);
             }
             return QString();
         }},
        {QStringLiteral("session-lifetime"),
         [o](const QString &v) {
             const QString why = parseDuration(v, &o->access.sessionLifetime);
             if (why.isEmpty() && o->access.sessionLifetime.count() < 1)
                 return QStringLiteral("must be at least 1s");
             return why;
         }},
        {QStringLiteral("insecure"),
         [o](const QString &v) { return parseBool(v, &o->access.insecure); }},
        {QStringLiteral("max-clients-per-console"),
         [o](const QString &v) { return parseMaxClients(v, &o->limits.maxClientsPerConsole); }},
        {QStringLiteral("input-rate"),
         [o](const QString &v) {
             const qint64 rate = v == QLatin1String("0") ? 0 : parseSize(v);
             if (rate < 0 || (rate > 0 && rate < 1024))
                 return QStringLiteral("\"%1\" is not 0 (no limit) or a size of at least 1K per "
                                       "second")
                     .arg(v);
             o->limits.inputBytesPerSecond = rate;
             return QString();
         }},
        {QStringLiteral("ping-interval"),
         [o](const QString &v) { return parseDuration(v, &o->limits.pingInterval); }},
        {QStringLiteral("idle-timeout"),
         [o](const QString &v) { return parseDuration(v, &o->limits.idleTimeout); }},
    };
}

// A [user NAME] or [token NAME] section: a credential, checked once the whole file is in.
struct PendingCredential
{
    int line = 0;
    Credential credential;
    QStringList consoleNames; // as written, checked against the consoles at the end
    bool hasRole = false;
};

std::map<QString, Setter> credentialKeys(PendingCredential *p)
{
    Credential *c = &p->credential;
    QStringList *consoleNames = &p->consoleNames;
    const bool user = c->kind == Credential::Kind::User;
    std::map<QString, Setter> keys {
        {QStringLiteral("role"),
         [c, p](const QString &v) {
             p->hasRole = true;
             if (v == QLatin1String("operator"))
                 c->role = Role::Operator;
             else if (v == QLatin1String("viewer"))
                 c->role = Role::Viewer;
             else
                 return QStringLiteral("\"%1\" is not operator or viewer").arg(v);
             return QString();
         }},
        {QStringLiteral("consoles"),
         [c, consoleNames](const QString &v) {
             c->consoles.clear();
             if (v == QLatin1String("*"))
                 return QString();
             for (const QString &item : v.split(u',', Qt::SkipEmptyParts))
                 c->consoles.append(item.trimmed());
             *consoleNames = c->consoles;
             return c->consoles.isEmpty()
                 ? QStringLiteral("name the consoles, or * for every console")
                 : QString();
         }},
    };
    keys[user ? QStringLiteral("password-hash") : QStringLiteral("token-hash")]
        = [c, user](const QString &v) {
              QString why;
              if (user ? !SecretHash::isPasswordHash(v, &why) : !SecretHash::isTokenHash(v, &why))
                  return why;
              c->hash = v;
              return QString();
          };
    return keys;
}

// A [console NAME] section as read, checked once the whole file is in.
struct PendingConsole
{
    int line = 0;
    ConsoleOptions options;
    bool hasSource = false;
    std::optional<QString> restart;
    std::optional<bool> markers; // default: [server] markers
};

std::map<QString, Setter> consoleKeys(PendingConsole *p)
{
    return {
        {QStringLiteral("source"),
         [p](const QString &v) {
             QString why;
             const auto spec = parseSourceSpec(v, &why);
             if (spec)
                 p->options.source = *spec;
             p->hasSource = true;
             return why;
         }},
        {QStringLiteral("history-size"),
         [p](const QString &v) { return parseHistorySize(v, &p->options.historySize); }},
        {QStringLiteral("log"),
         [p](const QString &v) {
             p->options.logPath = v;
             return v.isEmpty() ? QStringLiteral("needs a file name") : QString();
         }},
        {QStringLiteral("restart"),
         [p](const QString &v) {
             p->restart = v;
             return QString();
         }},
        {QStringLiteral("markers"),
         [p](const QString &v) {
             bool on = true;
             const QString why = parseBool(v, &on);
             p->markers = on;
             return why;
         }},
        {QStringLiteral("max-clients"),
         [p](const QString &v) { return parseMaxClients(v, &p->options.maxClients); }},
        {QStringLiteral("size"),
         [p](const QString &v) { return parseConsoleSize(v, &p->options.size); }},
        {QStringLiteral("scrollback"),
         [p](const QString &v) { return parseScrollback(v, &p->options.scrollbackLines); }},
        {QStringLiteral("screen"),
         [p](const QString &v) { return parseBool(v, &p->options.screen); }},
    };
}

QString knownKeys(const std::map<QString, Setter> &keys)
{
    QStringList names;
    for (const auto &[name, setter] : keys)
        names.append(name);
    return names.join(u", ");
}

} // namespace

bool parseConfig(const QString &text, const QString &fileName, ServerOptions *options,
                 QString *error)
{
    struct Section
    {
        int line = 0;
        std::map<QString, Setter> keys;
        QSet<QString> seen;
    };
    // Consoles are collected apart so a console's defaults ([server] markers) apply whatever the
    // order of the sections.
    std::vector<std::unique_ptr<PendingConsole>> consoles;
    std::vector<std::unique_ptr<PendingCredential>> credentials;
    std::optional<Section> section;
    bool seenServer = false;
    int lineNumber = 0;
    const auto fail = [&](int line, const QString &what) {
        *error = QStringLiteral("%1:%2: %3").arg(fileName).arg(line).arg(what);
        return false;
    };
    static const QRegularExpression header(
        QStringLiteral("^\\[\\s*([a-z]+)(?:\\s+(\\S+))?\\s*\\]$"));
    static const QRegularExpression assignment(
        QStringLiteral("^([A-Za-z][A-Za-z0-9-]*)\\s*=(.*)$"));

    for (const QString &raw : text.split(u'\n')) {
        ++lineNumber;
        const QString line = raw.trimmed();
        if (line.isEmpty() || line.startsWith(u'#') || line.startsWith(u';'))
            continue;
        if (const auto match = header.match(line); match.hasMatch()) {
            const QString kind = match.captured(1);
            const QString name = match.captured(2);
            if (kind == QLatin1String("server") && name.isEmpty()) {
                if (seenServer)
                    return fail(lineNumber, QStringLiteral("[server] appears twice"));
                seenServer = true;
                section = Section {lineNumber, serverKeys(options), {}};
                continue;
            }
            if (kind == QLatin1String("console")) {
                if (!ConsoleRegistry::isValidName(name))
                    return fail(lineNumber,
                                QStringLiteral("[console NAME] needs a name of 1 to 64 of A-Z a-z "
                                               "0-9 . _ -, not starting with a dot, got \"%1\"")
                                    .arg(name));
                for (const auto &other : consoles) {
                    if (other->options.name == name)
                        return fail(lineNumber,
                                    QStringLiteral("console \"%1\" is already "
                                                   "declared on line %2")
                                        .arg(name)
                                        .arg(other->line));
                }
                auto pending = std::make_unique<PendingConsole>();
                pending->line = lineNumber;
                pending->options.name = name;
                section = Section {lineNumber, consoleKeys(pending.get()), {}};
                consoles.push_back(std::move(pending));
                continue;
            }
            if (kind == QLatin1String("user") || kind == QLatin1String("token")) {
                static const QRegularExpression validName(
                    QStringLiteral("^[A-Za-z0-9_][A-Za-z0-9._@-]{0,63}$"));
                if (!validName.match(name).hasMatch())
                    return fail(lineNumber,
                                QStringLiteral("[%1 NAME] needs a name of 1 to 64 of "
                                               "A-Z a-z 0-9 . _ @ -, got \"%2\"")
                                    .arg(kind, name));
                const auto credentialKind = kind == QLatin1String("user") ? Credential::Kind::User
                                                                          : Credential::Kind::Token;
                for (const auto &other : credentials) {
                    if (other->credential.kind == credentialKind && other->credential.name == name)
                        return fail(lineNumber,
                                    QStringLiteral("%1 \"%2\" is already declared on "
                                                   "line %3")
                                        .arg(kind, name)
                                        .arg(other->line));
                }
                auto pending = std::make_unique<PendingCredential>();
                pending->line = lineNumber;
                pending->credential.kind = credentialKind;
                pending->credential.name = name;
                section = Section {lineNumber, credentialKeys(pending.get()), {}};
                credentials.push_back(std::move(pending));
                continue;
            }
            return fail(lineNumber,
                        QStringLiteral("unknown section \"%1\" (expected [server], [console "
                                       "NAME], [user NAME] or [token NAME])")
                            .arg(line.left(64)));
        }
        const auto match = assignment.match(line);
        if (!match.hasMatch())
            return fail(lineNumber,
                        QStringLiteral("expected \"key = value\", a [section] or a "
                                       "# comment, got \"%1\"")
                            .arg(line.left(64)));
        if (!section)
            return fail(lineNumber,
                        QStringLiteral("\"%1\" comes before any [server] or [console "
                                       "NAME] section")
                            .arg(match.captured(1)));
        const QString key = match.captured(1);
        const QString value = match.captured(2).trimmed();
        const auto setter = section->keys.find(key);
        if (setter == section->keys.end())
            return fail(lineNumber,
                        QStringLiteral("unknown key \"%1\" (known here: %2)")
                            .arg(key, knownKeys(section->keys)));
        if (section->seen.contains(key))
            return fail(lineNumber, QStringLiteral("\"%1\" is set twice in this section").arg(key));
        section->seen.insert(key);
        if (const QString why = setter->second(value); !why.isEmpty())
            return fail(lineNumber, QStringLiteral("%1: %2").arg(key, why));
    }

    if (consoles.empty())
        return fail(lineNumber,
                    QStringLiteral("no consoles: declare at least one [console NAME] "
                                   "with a source"));
    options->consoles.clear();
    for (const auto &pending : consoles) {
        if (!pending->hasSource)
            return fail(pending->line,
                        QStringLiteral("console \"%1\" has no source").arg(pending->options.name));
        pending->options.markers = pending->markers.value_or(options->markers);
        if (pending->restart) {
            const QString why = parseRestart(*pending->restart, &pending->options.source);
            if (!why.isEmpty())
                return fail(
                    pending->line,
                    QStringLiteral("console \"%1\": restart: %2").arg(pending->options.name, why));
        }
        options->consoles.push_back(pending->options);
    }
    options->access.credentials.clear();
    for (const auto &pending : credentials) {
        const QString kind = pending->credential.kind == Credential::Kind::User
            ? QStringLiteral("user")
            : QStringLiteral("token");
        if (pending->credential.hash.isEmpty())
            return fail(pending->line,
                        QStringLiteral("%1 \"%2\" has no %3")
                            .arg(kind, pending->credential.name,
                                 kind == QLatin1String("user") ? QStringLiteral("password-hash")
                                                               : QStringLiteral("token-hash")));
        if (!pending->hasRole)
            return fail(pending->line,
                        QStringLiteral("%1 \"%2\" has no role (operator or viewer)")
                            .arg(kind, pending->credential.name));
        for (const QString &console : pending->consoleNames) {
            const bool known = std::any_of(consoles.begin(), consoles.end(), [&](const auto &c) {
                return c->options.name == console;
            });
            if (!known)
                return fail(pending->line,
                            QStringLiteral("%1 \"%2\" names console \"%3\", which "
                                           "is not declared")
                                .arg(kind, pending->credential.name, console));
        }
        options->access.credentials.push_back(pending->credential);
    }
    return true;
}

bool readConfigFile(const QString &path, ServerOptions *options, QString *error)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        *error
            = QStringLiteral("cannot read the configuration %1: %2").arg(path, file.errorString());
        return false;
    }
    // Refuse what cannot be a configuration before reading it whole.
    constexpr qint64 MaxSize = 1024 * 1024;
    if (file.size() > MaxSize) {
        *error = QStringLiteral("%1: larger than 1 MiB; is it the right file?").arg(path);
        return false;
    }
    const QByteArray bytes = file.read(MaxSize + 1);
    const QString text = QString::fromUtf8(bytes);
    if (text.contains(QChar::ReplacementCharacter) || bytes.contains('\0')) {
        *error = QStringLiteral("%1: not a UTF-8 text file").arg(path);
        return false;
    }
    return parseConfig(text, path, options, error);
}

} // namespace CloudConsole
