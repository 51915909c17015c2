#include "settingtable.h"

#include "console.h"
#include "consoleregistry.h"
#include "frontendsettings.h"
#include "values.h"

#include <algorithm>
#include <iterator>

namespace CloudConsole {

namespace {

using Scope = Setting::Scope;

// A recording's size limit: 0 (none), or at least 4K.
QString parseRecordingSize(const QString &text, qint64 *bytes)
{
    const qint64 value = parseSize(text);
    if (value < 0 || (value > 0 && value < 4096))
        return QStringLiteral("must be 0 (no limit) or a size of at least 4K, such as 64M");
    *bytes = value;
    return {};
}

constexpr Setting declared(Scope scope, Setting::ServerApply server = nullptr,
                           Setting::ConsoleApply console = nullptr)
{
    return Setting()
        .with(&Setting::scope, scope)
        .with(&Setting::applyServer, server)
        .with(&Setting::applyConsole, console);
}

constexpr Setting server(Setting::ServerApply apply)
{
    return declared(Scope::Server, apply);
}

constexpr Setting console(Setting::ConsoleApply apply)
{
    return declared(Scope::Console, nullptr, apply);
}

constexpr Setting command()
{
    return declared(Scope::Command);
}

// In the order of --help; the settings only in the file come last.
constexpr Setting Table[] = {
    command()
        .onCommandLine("config", "FILE")
        .doing("serve the consoles declared in FILE (see docs/config.md); the flags of the "
               "server, --no-markers and --no-screen still apply"),
    server([](ServerOptions &o, const QString &v) { return parseListen(v, &o.address, &o.port); })
        .onCommandLine("listen", "ADDR:PORT")
        .inFile("listen")
        .byDefault([] { return QStringLiteral("127.0.0.1:8080"); }) // no struct keeps this one
        .accepting("port 0 picks one; IPv6 as [::1]:8080")
        .doing("where to listen"),
    console([](ConsoleOptions &c, const QString &v) {
        if (v.trimmed().isEmpty())
            return QStringLiteral("needs a command");
        c.source = SourceSpec();
        c.source.kind = SourceSpec::Kind::Exec;
        c.source.target = v;
        return QString();
    })
        .onCommandLine("exec", "COMMAND")
        .doing("run COMMAND with /bin/sh in a new pty and serve that console"),
    console([](ConsoleOptions &c, const QString &v) { return parseRestart(v, &c.source); })
        .onCommandLine("restart", "POLICY")
        .inFile("restart")
        .byDefault([] { return restartText(SourceSpec().restart); })
        .accepting("never, on-failure or always")
        .doing("when the command ends, whether to start it again")
        .onceTheSourceIsKnown(),
    console([](ConsoleOptions &c, const QString &v) {
        if (!ConsoleRegistry::isValidName(v))
            return QStringLiteral("invalid console name \"%1\": use 1 to 64 of A-Z a-z 0-9 . _ -, "
                                  "not starting with a dot")
                .arg(v);
        c.name = v;
        return QString();
    })
        .onCommandLine("name", "NAME")
        .byDefault([] { return ConsoleSettings().name; })
        .doing("console name, used in URLs /c/NAME/"),
    console([](ConsoleOptions &c, const QString &v) { return parseHistorySize(v, &c.historySize); })
        .onCommandLine("history-size", "SIZE")
        .inFile("history-size")
        .byDefault([] { return sizeText(ConsoleSettings().historySize); })
        .accepting("4K to 1G; suffixes K, M, G, KiB, MiB, GiB")
        .doing("bytes of history kept per console"),
    console(
        [](ConsoleOptions &c, const QString &v) { return parsePath(v, &c.logPath, "a file name"); })
        .onCommandLine("log", "FILE")
        .inFile("log")
        .doing("append every byte of console output to FILE (SIGHUP reopens)"),
    console([](ConsoleOptions &c, const QString &v) { return parseConsoleSize(v, &c.size); })
        .onCommandLine("size", "COLSxROWS")
        .inFile("size")
        .byDefault([] { return consoleSizeText(ConsoleSettings().size); })
        .accepting("1 to 1000 each")
        .doing("the console's size: its screen, and what a program started with --exec is told; "
               "operators may resize consoles whose source takes a size"),
    console(
        [](ConsoleOptions &c, const QString &v) { return parseScrollback(v, &c.scrollbackLines); })
        .onCommandLine("scrollback", "LINES")
        .inFile("scrollback")
        .byDefault([] { return QString::number(ConsoleSettings().scrollbackLines); })
        .accepting("0 to 100000")
        .doing("lines above the screen that late clients get"),
    console([](ConsoleOptions &c, const QString &v) { return parseBool(v, &c.screen); })
        .asSwitch("no-screen", "off")
        .inFile("screen")
        .byDefault([] { return boolText(ConsoleSettings().screen); })
        .doing("keep no screen of the consoles: no snapshots for late clients, and nobody "
               "answers the guests' terminal queries"),
    console([](ConsoleOptions &c, const QString &v) { return parseInputMode(v, &c.sharing.input); })
        .inFile("input")
        .byDefault([] { return inputModeText(SharingSettings().input); })
        .accepting("shared or exclusive")
        .doing("shared: every operator types; exclusive: one operator holds the keyboard and "
               "the others take it to type"),
    console([](ConsoleOptions &c, const QString &v) {
        return parseDuration(v, &c.sharing.controlIdle);
    })
        .inFile("control-idle")
        .byDefault([] { return durationText(SharingSettings().controlIdle); })
        .doing("an exclusive console's holder who types nothing for this long loses the "
               "keyboard; 0: never"),
    console(
        [](ConsoleOptions &c, const QString &v) { return parsePasteRate(v, &c.sharing.pasteRate); })
        .inFile("paste-rate")
        .byDefault([] { return pasteRateText(SharingSettings().pasteRate); })
        .accepting("characters per second, unlimited or auto")
        .doing("how fast a paste is fed to the console; auto: unlimited for exec:, 1000 for a "
               "guest's console"),
    console([](ConsoleOptions &c, const QString &v) {
        return parseMilliseconds(v, &c.sharing.pasteLineDelay);
    })
        .inFile("paste-line-delay")
        .byDefault([] { return QStringLiteral("0"); })
        .accepting("0 to 60s, like 250ms")
        .doing("a pause after each line of a paste"),
    console(
        [](ConsoleOptions &c, const QString &v) { return parsePasteMode(v, &c.sharing.pasteMode); })
        .inFile("paste-mode")
        .byDefault([] { return pasteModeText(SharingSettings().pasteMode); })
        .accepting("paced or echo")
        .doing("echo: after each line of a paste, wait for the console to echo a line end (at "
               "most 2 s) before the next"),
    console(
        [](ConsoleOptions &c, const QString &v) { return parsePasteMax(v, &c.sharing.pasteMax); })
        .inFile("paste-max")
        .byDefault([] { return sizeText(SharingSettings().pasteMax); })
        .accepting("1 byte to 64M")
        .doing("the largest paste; larger ones are refused"),
    console([](ConsoleOptions &c, const QString &v) { return parseBool(v, &c.syslog); })
        .asSwitch("syslog", "on")
        .inFile("syslog")
        .byDefault([] { return boolText(ConsoleSettings().syslog); })
        .doing("send every line of the console to the journal, with the console's name as its "
               "identifier and an alert's severity as its priority"),
    console([](ConsoleOptions &c, const QString &v) { return parseBool(v, &c.markers); })
        .asSwitch("no-markers", "off")
        .inFile("markers")
        .following("[server] markers",
                   [](const ServerOptions &o, ConsoleOptions &c) { c.markers = o.markers; })
        .doing("do not write \"-- console up/down TIME: WHY --\" lines into the stream and the "
               "log when the source comes and goes"),
    console([](ConsoleOptions &c, const QString &v) { return parseBool(v, &c.recording.enabled); })
        .asSwitch("record", "on")
        .inFile("record")
        .byDefault([] { return boolText(RecordingSettings().enabled); })
        .doing("record every console as asciicast v2 files (docs/recording.md), in --record-dir "
               "or the log file's folder"),
    console([](ConsoleOptions &c, const QString &v) {
        return parsePath(v, &c.recording.dir, "a directory");
    })
        .onCommandLine("record-dir", "DIR")
        .inFile("record-dir")
        .doing("where recordings go (default: the folder of the log file)"),
    server([](ServerOptions &o, const QString &v) { return parseMaxClients(v, &o.maxClients); })
        .onCommandLine("max-clients", "N")
        .inFile("max-clients")
        .byDefault([] { return QString::number(FrontendSettings().maxClients); })
        .accepting("1 to 100000")
        .doing("WebSocket clients allowed at once"),
    server(
        [](ServerOptions &o, const QString &v) { return parsePath(v, &o.webRoot, "a directory"); })
        .onCommandLine("web-root", "DIR")
        .inFile("web-root")
        .doing("serve the web page from DIR instead of the built-in copy"),
    server([](ServerOptions &o, const QString &v) {
        return parsePath(v, &o.tls.certificatePath, "a PEM file");
    })
        .onCommandLine("tls-cert", "FILE")
        .inFile("tls-cert")
        .doing("serve HTTPS and WSS with this PEM certificate (chain)"),
    server([](ServerOptions &o, const QString &v) {
        return parsePath(v, &o.tls.keyPath, "a PEM file");
    })
        .onCommandLine("tls-key", "FILE")
        .inFile("tls-key")
        .doing("the certificate's PEM private key (RSA or EC, unencrypted)"),
    server([](ServerOptions &o, const QString &v) { return parseBool(v, &o.access.insecure); })
        .asSwitch("insecure", "on")
        .inFile("insecure")
        .byDefault([] { return boolText(AccessSettings().insecure); })
        .doing("allow a non-loopback --listen without access control"),
    command()
        .onCommandLine("hash-password")
        .doing(
            "read a password on standard input and print the password-hash line for a [user NAME] "
            "section"),
    command()
        .onCommandLine("new-token")
        .doing("print a new random token and the token-hash line for a [token NAME] section"),
    // Share links (server/access/sharelinks.h, sharecommand.h).
    server([](ServerOptions &o, const QString &v) {
        return parsePath(v, &o.access.stateDir, "a directory");
    })
        .onCommandLine("state-dir", "DIR")
        .inFile("state-dir")
        .doing("keep the share links' key and list in DIR, made 0700 on first use (default: "
               "$STATE_DIRECTORY, else /var/lib/cloud-console for root, else "
               "$XDG_STATE_HOME/cloud-console or ~/.local/state/cloud-console)"),
    command()
        .onCommandLine("share", "CONSOLE")
        .doing("print a read-only link to CONSOLE of the --config file's server, and exit"),
    command()
        .onCommandLine("ttl", "DURATION")
        .doing("how long --share's link works: 90s, 30m, 8h (1h unless given; at most 24h)"),
    command().onCommandLine("single-use").doing("--share's link opens in one browser only"),
    command().onCommandLine("shares").doing(
        "list the share links (those of the console named after it, if one is) and exit"),
    command().onCommandLine("revoke", "ID").doing("revoke the share link ID and exit"),
    command().onCommandLine("help").alsoShort("h").doing("show this help"),
    command().onCommandLine("version").alsoShort("V").doing("show the version"),

    // Only in the file.
    server([](ServerOptions &o, const QString &v) { return parseBool(v, &o.markers); })
        .inFile("markers")
        .byDefault([] { return boolText(ConsoleSettings().markers); }),
    server([](ServerOptions &o, const QString &v) {
        return parseMaxClients(v, &o.limits.maxClientsPerConsole);
    })
        .inFile("max-clients-per-console")
        .byDefault([] { return QString::number(LimitSettings().maxClientsPerConsole); }),
    server([](ServerOptions &o, const QString &v) {
        return parseInputRate(v, &o.limits.inputBytesPerSecond);
    })
        .inFile("input-rate")
        .byDefault([] { return sizeText(LimitSettings().inputBytesPerSecond); }),
    server(
        [](ServerOptions &o, const QString &v) { return parseDuration(v, &o.limits.pingInterval); })
        .inFile("ping-interval")
        .byDefault([] { return durationText(LimitSettings().pingInterval); }),
    server(
        [](ServerOptions &o, const QString &v) { return parseDuration(v, &o.limits.idleTimeout); })
        .inFile("idle-timeout")
        .byDefault([] { return durationText(LimitSettings().idleTimeout); }),
    server([](ServerOptions &o, const QString &v) {
        return parseOrigins(v, &o.access.allowedOrigins);
    }).inFile("allowed-origins"),
    server([](ServerOptions &o, const QString &v) { return parseBool(v, &o.alerts.builtin); })
        .asSwitch("no-builtin-alerts", "off")
        .inFile("builtin-alerts")
        .byDefault([] { return boolText(AlertSettings().builtin); })
        .doing("drop the built-in alert rules (panics, lockups, OOM kills, emergency mode, the "
               "login prompt, cloud-init); [alert NAME] rules still apply"),
    server([](ServerOptions &o, const QString &v) {
        return parsePublicUrl(v, &o.publicUrl);
    }).inFile("public-url"),
    server([](ServerOptions &o, const QString &v) {
        return parseTrustedProxies(v, &o.access.proxyTrust.networks);
    }).inFile("trusted-proxy"),
    server([](ServerOptions &o, const QString &v) {
        return parseUserHeader(v, &o.access.proxyTrust.userHeader);
    })
        .inFile("user-header")
        .byDefault([] { return QString::fromLatin1(ProxyTrustSettings().userHeader); }),
    server([](ServerOptions &o, const QString &v) {
        return parseFleet(v, &o.fleet.hosts);
    }).inFile("fleet"),
    server([](ServerOptions &o, const QString &v) {
        return parseFleetName(v, &o.fleet.self);
    }).inFile("fleet-name"),
    server([](ServerOptions &o, const QString &v) {
        const QString why = parseDuration(v, &o.access.sessionLifetime);
        if (why.isEmpty() && o.access.sessionLifetime.count() < 1)
            return QStringLiteral("must be at least 1s");
        return why;
    })
        .inFile("session-lifetime")
        .byDefault([] { return durationText(AccessSettings().sessionLifetime); }),
    console([](ConsoleOptions &c, const QString &v) {
        QString why;
        if (const auto spec = parseSourceSpec(v, &why))
            c.source = *spec;
        return why;
    })
        .inFile("source")
        .mandatory(),
    console([](ConsoleOptions &c, const QString &v) { return parseBool(v, &c.recording.input); })
        .inFile("record-input")
        .byDefault([] { return boolText(RecordingSettings().input); }),
    console([](ConsoleOptions &c, const QString &v) {
        return parseBool(v, &c.recording.inputForViewers);
    })
        .inFile("record-input-viewers")
        .byDefault([] { return boolText(RecordingSettings().inputForViewers); }),
    console([](ConsoleOptions &c, const QString &v) {
        return parseRecordingSize(v, &c.recording.rotateSize);
    })
        .inFile("record-rotate-size")
        .byDefault([] { return sizeText(RecordingSettings().rotateSize); }),
    console([](ConsoleOptions &c, const QString &v) {
        return parseDuration(v, &c.recording.rotateAge);
    })
        .inFile("record-rotate-age")
        .byDefault([] { return durationText(RecordingSettings().rotateAge); }),
    console([](ConsoleOptions &c, const QString &v) {
        return parseRecordingSize(v, &c.recording.keepSize);
    })
        .inFile("record-keep-size")
        .byDefault([] { return sizeText(RecordingSettings().keepSize); }),
    console(
        [](ConsoleOptions &c, const QString &v) { return parseDuration(v, &c.recording.keepAge); })
        .inFile("record-keep-age")
        .byDefault([] { return durationText(RecordingSettings().keepAge); }),
    // 0 stands for the server's value until the console is made (Server).
    console([](ConsoleOptions &c, const QString &v) { return parseMaxClients(v, &c.maxClients); })
        .inFile("max-clients")
        .following("[server] max-clients-per-console", nullptr),
};

// Every declared default of a scope, applied to a fresh model. A default that does not parse is
// a mistake in the table, which tst_settings catches. A restart policy needs a command, and a
// default that follows the server is resolved by the readers.
template<typename Apply> void applyDefaults(Scope scope, Apply apply)
{
    for (const Setting &setting : Table) {
        if (setting.scope == scope && setting.defaultOf && !setting.followsServer
            && !setting.afterSource)
            apply(setting, setting.defaultOf());
    }
}

// The words of text in lines of at most width columns, each but the first indented by indent.
QString wrap(const QString &text, int indent, int width)
{
    QString out;
    int column = indent;
    for (const QString &word : text.split(u' ', Qt::SkipEmptyParts)) {
        if (column > indent && column + 1 + word.size() > width) {
            out += u'\n' + QString(indent, u' ');
            column = indent;
        } else if (column > indent) {
            out += u' ';
            ++column;
        }
        out += word;
        column += int(word.size());
    }
    return out;
}

} // namespace

ConsoleOptions::ConsoleOptions()
{
    applyDefaults(Scope::Console, [this](const Setting &setting, const QString &value) {
        setting.applyConsole(*this, value);
    });
    markers = ConsoleSettings().markers; // until it follows [server] markers
}

ServerOptions::ServerOptions()
{
    applyDefaults(Scope::Server, [this](const Setting &setting, const QString &value) {
        setting.applyServer(*this, value);
    });
}

QString Setting::apply(ServerOptions &options, ConsoleOptions &console, const QString &value) const
{
    if (scope == Scope::Server && applyServer)
        return applyServer(options, value);
    if (scope == Scope::Console && applyConsole)
        return applyConsole(console, value);
    return {};
}

QString Setting::defaultText() const
{
    if (followsServer)
        return QString::fromLatin1(followed);
    return defaultOf ? defaultOf() : QString();
}

SettingList allSettings()
{
    return {std::begin(Table), std::end(Table)};
}

const Setting *findKey(Setting::Scope scope, const QString &key)
{
    for (const Setting &setting : Table) {
        if (setting.scope == scope && setting.key && key == QLatin1String(setting.key))
            return &setting;
    }
    return nullptr;
}

QStringList keysOf(Setting::Scope scope)
{
    QStringList keys;
    for (const Setting &setting : Table) {
        if (setting.scope == scope && setting.key)
            keys.append(QString::fromLatin1(setting.key));
    }
    keys.sort();
    return keys;
}

QString optionsHelp()
{
    constexpr int DocColumn = 25;
    constexpr int Width = 88;
    QString help;
    for (const Setting &setting : Table) {
        if (!setting.flag)
            continue;
        QString label = QStringLiteral("  ");
        if (setting.shortFlag)
            label += QStringLiteral("-%1, ").arg(QLatin1String(setting.shortFlag));
        label += QStringLiteral("--") + QLatin1String(setting.flag);
        if (setting.valueName)
            label += u' ' + QLatin1String(setting.valueName);
        // A switch says what it does; a flag with a value also says its default and range.
        QStringList notes;
        if (setting.takesValue() && setting.defaultOf && !setting.followsServer) {
            const QString value = setting.defaultText();
            const bool word
                = std::all_of(value.begin(), value.end(), [](QChar c) { return c.isLetter(); });
            notes.append(QStringLiteral("default ")
                         + (word ? QStringLiteral("\"%1\"").arg(value) : value));
        }
        if (setting.takesValue() && setting.range)
            notes.append(QString::fromLatin1(setting.range));
        QString doc = QString::fromLatin1(setting.doc);
        if (!notes.isEmpty())
            doc += QStringLiteral(" (") + notes.join(QStringLiteral("; ")) + u')';
        if (label.size() >= DocColumn - 1)
            help += label + u'\n' + QString(DocColumn, u' ');
        else
            help += label.leftJustified(DocColumn);
        help += wrap(doc, DocColumn, Width) + u'\n';
    }
    return help;
}

} // namespace CloudConsole
