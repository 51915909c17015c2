#include "configfile.h"

#include "alertrule.h"
#include "consoleregistry.h"
#include "secrethash.h"
#include "settingtable.h"
#include "values.h"
#include "webhooksettings.h"

#include <QFile>
#include <QRegularExpression>

#include <functional>
#include <map>
#include <memory>

namespace CloudConsole {

namespace {

// One key of a section: applies a value, or says what is wrong with it.
using Setter = std::function<QString(const QString &value)>;

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

// An [alert NAME] section: a rule, checked once the whole file is in.
struct PendingAlert
{
    int line = 0;
    AlertRule rule;
    bool hasPattern = false;
    QStringList consoleNames; // as written, checked against the consoles at the end
};

std::map<QString, Setter> alertKeys(PendingAlert *p)
{
    AlertRule *rule = &p->rule;
    return {
        {QStringLiteral("pattern"),
         [p, rule](const QString &v) {
             QString why;
             const auto pattern = compileAlertPattern(v, &why);
             if (!pattern)
                 return why;
             rule->pattern = *pattern;
             p->hasPattern = true;
             return QString();
         }},
        {QStringLiteral("clear"),
         [rule](const QString &v) {
             QString why;
             const auto clear = compileAlertPattern(v, &why);
             if (!clear)
                 return why;
             rule->clear = *clear;
             return QString();
         }},
        {QStringLiteral("consoles"),
         [p, rule](const QString &v) {
             rule->consoles.clear();
             if (v == QLatin1String("*"))
                 return QString();
             for (const QString &item : v.split(u',', Qt::SkipEmptyParts))
                 rule->consoles.append(item.trimmed());
             p->consoleNames = rule->consoles;
             return rule->consoles.isEmpty()
                 ? QStringLiteral("name the consoles, or * for every console")
                 : QString();
         }},
        {QStringLiteral("severity"),
         [rule](const QString &v) {
             const auto severity = severityFrom(v);
             if (!severity)
                 return QStringLiteral("\"%1\" is not info, warning or critical").arg(v);
             rule->severity = *severity;
             return QString();
         }},
        {QStringLiteral("debounce"),
         [rule](const QString &v) { return parseDuration(v, &rule->debounce); }},
        {QStringLiteral("state"),
         [rule](const QString &v) {
             if (!isValidAlertState(v))
                 return QStringLiteral("\"%1\" is not a state: 1 to 32 of a-z 0-9 -, starting "
                                       "with a letter")
                     .arg(v);
             rule->state = v;
             return QString();
         }},
    };
}

// A [webhook NAME] section: a webhook, checked once the whole file is in.
struct PendingWebhook
{
    int line = 0;
    WebhookSettings webhook;
    bool hasUrl = false;
};

// A comma-separated list of names, or * for every one (an empty list).
QString parseNames(const QString &value, QStringList *names, const char *what)
{
    names->clear();
    if (value == QLatin1String("*"))
        return QString();
    for (const QString &item : value.split(u',', Qt::SkipEmptyParts)) {
        if (!item.trimmed().isEmpty())
            names->append(item.trimmed());
    }
    return names->isEmpty() ? QStringLiteral("name the %1, or * for every one").arg(what)
                            : QString();
}

std::map<QString, Setter> webhookKeys(PendingWebhook *p)
{
    WebhookSettings *w = &p->webhook;
    return {
        {QStringLiteral("url"),
         [p, w](const QString &v) {
             const QString why = parseWebhookUrl(v, &w->url);
             p->hasUrl = why.isEmpty();
             return why;
         }},
        {QStringLiteral("secret"),
         [w](const QString &v) {
             if (v.isEmpty())
                 return QStringLiteral("needs the key the signatures are made with");
             w->secret = v;
             return QString();
         }},
        {QStringLiteral("secret-file"),
         [w](const QString &v) { return parsePath(v, &w->secretFile, "a file name"); }},
        {QStringLiteral("rules"),
         [w](const QString &v) { return parseNames(v, &w->rules, "rules"); }},
        {QStringLiteral("consoles"),
         [w](const QString &v) { return parseNames(v, &w->consoles, "consoles"); }},
        {QStringLiteral("ca"),
         [w](const QString &v) { return parsePath(v, &w->caFile, "a PEM file"); }},
        {QStringLiteral("timeout"),
         [w](const QString &v) {
             const QString why = parseDuration(v, &w->timeout);
             if (why.isEmpty() && (w->timeout.count() < 1 || w->timeout.count() > 300))
                 return QStringLiteral("\"%1\" is not from 1s to 5m").arg(v);
             return why;
         }},
        {QStringLiteral("retry-for"),
         [w](const QString &v) {
             const QString why = parseDuration(v, &w->retryFor);
             if (why.isEmpty() && w->retryFor.count() > 86400)
                 return QStringLiteral("\"%1\" is more than 1d").arg(v);
             return why;
         }},
    };
}

// A [console NAME] section as read, checked once the whole file is in.
struct PendingConsole
{
    int line = 0;
    ConsoleOptions options;
    QSet<QString> seen; // the keys the section sets
    std::vector<std::pair<const Setting *, QString>> afterSource; // restart, once source is in
    // Key and value as written: a section without a source overrides a discovered console.
    std::vector<std::pair<QString, QString>> assignments;
};

QString knownKeys(const std::map<QString, Setter> &keys)
{
    QStringList names;
    for (const auto &[name, setter] : keys)
        names.append(name);
    return names.join(u", ");
}

// A [server] or [console NAME] section's keys: the setting table's.
std::map<QString, Setter> settingKeys(Setting::Scope scope, ServerOptions *options,
                                      PendingConsole *console)
{
    std::map<QString, Setter> keys;
    for (const QString &key : keysOf(scope)) {
        const Setting *setting = findKey(scope, key);
        keys[key] = [setting, options, console](const QString &value) {
            if (setting->afterSource) {
                console->afterSource.emplace_back(setting, value);
                return QString();
            }
            return console ? setting->applyConsole(console->options, value)
                           : setting->applyServer(*options, value);
        };
    }
    return keys;
}

// A [discover libvirt] or [discover ch] section: the discovery's own keys, and the keys of
// [console NAME] (but source and restart) as the defaults of the consoles it finds.
struct PendingDiscovery
{
    int line = 0;
    DiscoverySettings settings;
    PendingConsole console; // the console keys, checked on a console of their own
};

std::map<QString, Setter> discoveryKeys(PendingDiscovery *p, ServerOptions *options)
{
    std::map<QString, Setter> keys;
    for (auto &[key, setter] : settingKeys(Setting::Scope::Console, options, &p->console)) {
        if (key == QLatin1String("source") || key == QLatin1String("restart"))
            continue; // the VM is the source; it is no program to restart
        keys[key] = [p, key = key, setter = setter](const QString &value) {
            if (key == QLatin1String("log") && !value.contains(QLatin1String(NamePlaceholder)))
                return QStringLiteral("needs %1 in it, so that each VM has a file of its own "
                                      "(as /var/log/cloud-console/%1.log)")
                    .arg(QLatin1String(NamePlaceholder));
            const QString why = setter(value);
            if (why.isEmpty())
                p->settings.consoleKeys.emplace_back(key, value);
            return why;
        };
    }
    for (const QString &key : CloudConsole::discoveryKeys(p->settings.kind)) {
        keys[key]
            = [p, key](const QString &value) { return applyDiscoveryKey(p->settings, key, value); };
    }
    return keys;
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
        PendingConsole *console = nullptr; // a [console NAME] section's console
    };
    // Consoles are collected apart so a console's defaults ([server] markers) apply whatever the
    // order of the sections.
    std::vector<std::unique_ptr<PendingConsole>> consoles;
    std::vector<std::unique_ptr<PendingCredential>> credentials;
    std::vector<std::unique_ptr<PendingAlert>> alerts;
    std::vector<std::unique_ptr<PendingWebhook>> webhooks;
    std::vector<std::unique_ptr<PendingDiscovery>> discoveries;
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
                section = Section {
                    lineNumber, settingKeys(Setting::Scope::Server, options, nullptr), {}, nullptr};
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
                section = Section {lineNumber,
                                   settingKeys(Setting::Scope::Console, options, pending.get()),
                                   {},
                                   pending.get()};
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
                section = Section {lineNumber, credentialKeys(pending.get()), {}, nullptr};
                credentials.push_back(std::move(pending));
                continue;
            }
            if (kind == QLatin1String("alert")) {
                if (!ConsoleRegistry::isValidName(name))
                    return fail(lineNumber,
                                QStringLiteral("[alert NAME] needs a name of 1 to 64 of A-Z a-z "
                                               "0-9 . _ -, not starting with a dot, got \"%1\"")
                                    .arg(name));
                for (const auto &other : alerts) {
                    if (other->rule.name == name)
                        return fail(lineNumber,
                                    QStringLiteral("alert \"%1\" is already declared on line %2")
                                        .arg(name)
                                        .arg(other->line));
                }
                auto pending = std::make_unique<PendingAlert>();
                pending->line = lineNumber;
                pending->rule.name = name;
                section = Section {lineNumber, alertKeys(pending.get()), {}, nullptr};
                alerts.push_back(std::move(pending));
                continue;
            }
            if (kind == QLatin1String("webhook")) {
                if (!ConsoleRegistry::isValidName(name))
                    return fail(lineNumber,
                                QStringLiteral("[webhook NAME] needs a name of 1 to 64 of A-Z a-z "
                                               "0-9 . _ -, not starting with a dot, got \"%1\"")
                                    .arg(name));
                for (const auto &other : webhooks) {
                    if (other->webhook.name == name)
                        return fail(lineNumber,
                                    QStringLiteral("webhook \"%1\" is already declared on line %2")
                                        .arg(name)
                                        .arg(other->line));
                }
                auto pending = std::make_unique<PendingWebhook>();
                pending->line = lineNumber;
                pending->webhook.name = name;
                section = Section {lineNumber, webhookKeys(pending.get()), {}, nullptr};
                webhooks.push_back(std::move(pending));
                continue;
            }
            if (kind == QLatin1String("discover")) {
                const bool libvirt = name == QLatin1String("libvirt");
                if (!libvirt && name != QLatin1String("ch"))
                    return fail(lineNumber,
                                QStringLiteral("[discover KIND] is [discover libvirt] or [discover "
                                               "ch], got \"%1\"")
                                    .arg(line.left(64)));
                for (const auto &other : discoveries) {
                    if (other->settings.kindName() == name)
                        return fail(lineNumber,
                                    QStringLiteral("[discover %1] appears twice (first on line %2)")
                                        .arg(name)
                                        .arg(other->line));
                }
                auto pending = std::make_unique<PendingDiscovery>();
                pending->line = lineNumber;
                pending->settings.kind
                    = libvirt ? DiscoverySettings::Kind::Libvirt : DiscoverySettings::Kind::Ch;
                section = Section {lineNumber, discoveryKeys(pending.get(), options), {}, nullptr};
                discoveries.push_back(std::move(pending));
                continue;
            }
            return fail(lineNumber,
                        QStringLiteral("unknown section \"%1\" (expected [server], [console "
                                       "NAME], [user NAME], [token NAME], [alert NAME], "
                                       "[webhook NAME] or [discover libvirt|ch])")
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
        if (section->console) {
            section->console->seen.insert(key);
            section->console->assignments.emplace_back(key, value);
        }
        if (const QString why = setter->second(value); !why.isEmpty())
            return fail(lineNumber, QStringLiteral("%1: %2").arg(key, why));
    }

    // Discovery: a [discover] section needs where to look; a [console NAME] without a source is
    // the override of a console it may find.
    options->discovery = DiscoveryOptions();
    for (const auto &pending : discoveries) {
        if (pending->settings.kind == DiscoverySettings::Kind::Ch
            && pending->settings.sockets.isEmpty())
            return fail(pending->line,
                        QStringLiteral("[discover ch] has no sockets (a glob of Cloud-Hypervisor "
                                       "API sockets, such as /run/cloud-hypervisor/*.sock)"));
        options->discovery.sections.push_back(pending->settings);
    }
    const bool discovering = options->discovery.enabled();
    for (const auto &pending : consoles) {
        if (!discovering || pending->seen.contains(QStringLiteral("source")))
            continue;
        if (!pending->afterSource.empty())
            return fail(pending->line,
                        QStringLiteral("console \"%1\" has no source, so it is a discovered "
                                       "console's settings: restart is only for exec: sources")
                            .arg(pending->options.name));
        options->discovery.overrides[pending->options.name] = pending->assignments;
    }
    consoles.erase(std::remove_if(consoles.begin(), consoles.end(),
                                  [&](const auto &c) {
                                      return options->discovery.overrides.count(c->options.name);
                                  }),
                   consoles.end());
    // Names a credential, rule or webhook may give: the consoles declared, those that discovery
    // may find, and patterns (kvm-*), which name consoles discovery may find later: none need
    // exist now.
    const auto knownConsole = [&](const QString &name) {
        return isConsolePattern(name) || options->discovery.mayDiscover(name)
            || std::any_of(consoles.begin(), consoles.end(),
                           [&](const auto &c) { return c->options.name == name; });
    };

    if (consoles.empty() && !discovering)
        return fail(lineNumber,
                    QStringLiteral("no consoles: declare at least one [console NAME] "
                                   "with a source, or a [discover libvirt] or [discover ch] "
                                   "section"));
    options->consoles.clear();
    for (const auto &pending : consoles) {
        ConsoleOptions &console = pending->options;
        for (const Setting &setting : allSettings()) {
            if (setting.scope != Setting::Scope::Console || !setting.key
                || pending->seen.contains(QLatin1String(setting.key)))
                continue;
            if (setting.required)
                return fail(pending->line,
                            QStringLiteral("console \"%1\" has no %2")
                                .arg(console.name, QLatin1String(setting.key)));
            // Defaults such as [server] markers apply whatever the order of the sections.
            if (setting.inherit)
                setting.inherit(*options, console);
        }
        for (const auto &[setting, value] : pending->afterSource) {
            if (const QString why = setting->apply(*options, console, value); !why.isEmpty())
                return fail(pending->line,
                            QStringLiteral("console \"%1\": %2: %3")
                                .arg(console.name, QLatin1String(setting->key), why));
        }
        options->consoles.push_back(console);
    }
    options->access.credentials.clear();
    for (const auto &pending : credentials) {
        const QString kind = pending->credential.kind == Credential::Kind::User
            ? QStringLiteral("user")
            : QStringLiteral("token");
        // A user of single sign-on only logs in through the trusted proxy, with no password.
        const bool proxyUser = pending->credential.kind == Credential::Kind::User
            && options->access.proxyTrust.enabled();
        if (pending->credential.hash.isEmpty() && !proxyUser)
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
            const bool known = knownConsole(console);
            if (!known)
                return fail(pending->line,
                            QStringLiteral("%1 \"%2\" names console \"%3\", which "
                                           "is not declared")
                                .arg(kind, pending->credential.name, console));
        }
        options->access.credentials.push_back(pending->credential);
    }
    options->alerts.rules.clear();
    for (const auto &pending : alerts) {
        const QString &name = pending->rule.name;
        if (!pending->hasPattern)
            return fail(pending->line, QStringLiteral("alert \"%1\" has no pattern").arg(name));
        for (const QString &console : pending->consoleNames) {
            const bool known = knownConsole(console);
            if (!known)
                return fail(pending->line,
                            QStringLiteral("alert \"%1\" names console \"%2\", which is not "
                                           "declared")
                                .arg(name, console));
        }
        options->alerts.rules.push_back(pending->rule);
    }
    options->webhooks.clear();
    const AlertRules rules = options->alerts.effective();
    for (const auto &pending : webhooks) {
        const WebhookSettings &webhook = pending->webhook;
        const auto refuse = [&](const QString &why) {
            return fail(pending->line, QStringLiteral("webhook \"%1\" %2").arg(webhook.name, why));
        };
        if (!pending->hasUrl)
            return refuse(QStringLiteral("has no url"));
        if (webhook.secret.isEmpty() == webhook.secretFile.isEmpty())
            return refuse(webhook.secret.isEmpty()
                              ? QStringLiteral("has no secret (secret or secret-file)")
                              : QStringLiteral("has both secret and secret-file: keep one"));
        if (!webhook.caFile.isEmpty() && webhook.url.scheme() != QLatin1String("https"))
            return refuse(QStringLiteral("has a ca, which needs an https:// url"));
        for (const QString &console : webhook.consoles) {
            const bool known = knownConsole(console);
            if (!known)
                return refuse(
                    QStringLiteral("names console \"%1\", which is not declared").arg(console));
        }
        for (const QString &rule : webhook.rules) {
            const bool known = std::any_of(rules.begin(), rules.end(),
                                           [&](const AlertRule &r) { return r.name == rule; });
            if (!known)
                return refuse(QStringLiteral("names rule \"%1\", which is neither an [alert NAME] "
                                             "nor a built-in rule in effect")
                                  .arg(rule));
        }
        options->webhooks.push_back(webhook);
    }
    return true;
}

bool readConfigText(const QString &path, QString *text, QString *error)
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
    *text = QString::fromUtf8(bytes);
    if (text->contains(QChar::ReplacementCharacter) || bytes.contains('\0')) {
        *error = QStringLiteral("%1: not a UTF-8 text file").arg(path);
        return false;
    }
    return true;
}

bool readConfigFile(const QString &path, ServerOptions *options, QString *error)
{
    QString text;
    return readConfigText(path, &text, error) && parseConfig(text, path, options, error);
}

} // namespace CloudConsole
