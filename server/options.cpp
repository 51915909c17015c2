#include "options.h"

#include "configfile.h"
#include "settingtable.h"
#include "sharelinks.h"

#include <QCommandLineParser>

namespace CloudConsole {

namespace {

ParsedOptions error(const QString &text)
{
    ParsedOptions parsed;
    parsed.outcome = ParsedOptions::Outcome::Error;
    parsed.text = text;
    return parsed;
}

QString flagName(const Setting &setting)
{
    return QStringLiteral("--") + QLatin1String(setting.flag);
}

// --share CONSOLE [--ttl D] [--single-use], --shares [CONSOLE], --revoke ID: with --config (for
// --share, whose consoles and address it needs) or without (--state-dir, or the default).
ParsedOptions parseShareCommand(const QCommandLineParser &parser, const ConfigReader &readConfig)
{
    const auto isSet = [&](const char *flag) { return parser.isSet(QString::fromLatin1(flag)); };
    const auto value = [&](const char *flag) { return parser.value(QString::fromLatin1(flag)); };
    if (int(isSet("share")) + int(isSet("shares")) + int(isSet("revoke")) > 1)
        return error(QStringLiteral("give one of --share, --shares and --revoke"));
    if (!isSet("share") && (isSet("ttl") || isSet("single-use")))
        return error(QStringLiteral("--ttl and --single-use go with --share"));
    const QStringList positional = parser.positionalArguments();
    if (positional.size() > (isSet("shares") ? 1 : 0))
        return error(QStringLiteral("unexpected argument \"%1\"").arg(positional.constLast()));

    ParsedOptions parsed;
    parsed.outcome = ParsedOptions::Outcome::Share;
    ServerOptions &o = parsed.options;
    if (isSet("config")) {
        o.configPath = value("config");
        QString text;
        QString why;
        if (!readConfig(o.configPath, &text, &why) || !parseConfig(text, o.configPath, &o, &why))
            return error(why);
    } else if (isSet("share")) {
        return error(QStringLiteral("--share needs --config FILE: the server's consoles and "
                                    "address are there"));
    }
    // The server's flags (--state-dir, --listen, --tls-cert) override the file, as they do
    // for the server.
    ConsoleOptions unused;
    for (const Setting &setting : allSettings()) {
        if (setting.scope != Setting::Scope::Server || !setting.takesValue()
            || !parser.isSet(QString::fromLatin1(setting.flag)))
            continue;
        if (const QString why = setting.apply(o, unused, value(setting.flag)); !why.isEmpty())
            return error(flagName(setting) + QStringLiteral(": ") + why);
    }

    ShareCommand &command = parsed.share;
    if (isSet("revoke")) {
        command.action = ShareCommand::Action::Revoke;
        command.id = value("revoke").trimmed();
        return parsed;
    }
    if (isSet("shares")) {
        command.action = ShareCommand::Action::List;
        command.console = positional.value(0);
        return parsed;
    }
    command.action = ShareCommand::Action::Create;
    command.console = value("share");
    QStringList known;
    for (const ConsoleOptions &console : o.consoles)
        known.append(console.name);
    if (!known.contains(command.console))
        return error(QStringLiteral("--share: %1 has no console named \"%2\" (its consoles: %3)")
                         .arg(o.configPath, command.console.left(64), known.join(u", ")));
    command.lifetime = ShareLinks::DefaultLifetime;
    if (isSet("ttl")) {
        if (const QString why = parseDuration(value("ttl"), &command.lifetime); !why.isEmpty())
            return error(QStringLiteral("--ttl: ") + why);
        if (command.lifetime.count() < 1 || command.lifetime > ShareLinks::MaxLifetime)
            return error(QStringLiteral("--ttl: a link works for 1 second to 24 hours, not %1")
                             .arg(value("ttl")));
    }
    command.singleUse = isSet("single-use");
    return parsed;
}

} // namespace

QString helpText()
{
    return QStringLiteral(
               "Usage: cloud-console [options] <source> [<bind_ip> <bind_port> [<log_file>]]\n"
               "       cloud-console [options] --exec COMMAND\n"
               "       cloud-console [options] --config FILE\n"
               "\n"
               "Shares a VM console with any number of WebSocket clients and a web page, keeping "
               "its\nhistory and logging every byte.\n"
               "\n"
               "The console <source> is one of:\n"
               "  /dev/pts/3, pty:PATH   a pty path, or a symlink to one (a bare path means pty:)\n"
               "  exec:COMMAND           COMMAND run by /bin/sh in a new pty (like --exec)\n"
               "  unix:PATH              a unix socket (e.g. a VMM's --serial socket=PATH)\n"
               "  tcp:HOST:PORT          a TCP connection carrying raw console bytes\n"
               "  telnet:HOST:PORT       a TCP connection speaking telnet\n"
               "  serial:DEVICE?baud=N   a serial line (keys baud, parity, data, stop, flow)\n"
               "  ch:API_SOCKET          the pty Cloud-Hypervisor's API names; followed across "
               "reboots\n"
               "  qmp:QMP_SOCKET         the pty QEMU's QMP names (?chardev=NAME, default "
               "serial0)\n"
               "pty:, ch: and qmp: take ?device=console for a virtio-console (hvc) pty.\n"
               "Sources that go away are connected to again, with a backoff of up to 5 s.\n"
               "\n"
               "Options:\n")
        + optionsHelp()
        + QStringLiteral(
               "\n"
               "Without [user] or [token] sections in --config there is no access control: the "
               "server\nthen listens on loopback only, unless --insecure is given.\n"
               "\n"
               "The URL to open is printed on standard output once the server listens.\n");
}

ParsedOptions parseCommandLine(const QStringList &arguments, const ConfigReader &readConfig)
{
    QCommandLineParser parser;
    parser.setSingleDashWordOptionMode(QCommandLineParser::ParseAsLongOptions);
    for (const Setting &setting : allSettings()) {
        if (!setting.flag)
            continue;
        QStringList names {QString::fromLatin1(setting.flag)};
        if (setting.shortFlag)
            names.prepend(QString::fromLatin1(setting.shortFlag));
        parser.addOption(QCommandLineOption(
            names, QString(),
            setting.valueName ? QString::fromLatin1(setting.valueName) : QString()));
    }
    if (!parser.parse(arguments))
        return error(parser.errorText());
    // Whether a flag is given, and its value: nothing for a setting only in the file.
    const auto isSet
        = [&](const char *flag) { return flag && parser.isSet(QString::fromLatin1(flag)); };
    const auto value = [&](const char *flag) { return parser.value(QString::fromLatin1(flag)); };

    ParsedOptions parsed;
    if (isSet("help")) {
        parsed.outcome = ParsedOptions::Outcome::ShowText;
        parsed.text = helpText();
        return parsed;
    }
    if (isSet("version")) {
        parsed.outcome = ParsedOptions::Outcome::ShowText;
        parsed.text = QStringLiteral("cloud-console " CLOUD_CONSOLE_VERSION "\n");
        return parsed;
    }
    if (isSet("hash-password") || isSet("new-token")) {
        parsed.outcome = isSet("hash-password") ? ParsedOptions::Outcome::HashPassword
                                                : ParsedOptions::Outcome::NewToken;
        return parsed;
    }
    for (const Setting &setting : allSettings()) {
        if (setting.takesValue() && parser.values(QString::fromLatin1(setting.flag)).size() > 1)
            return error(QStringLiteral("%1 given more than once").arg(flagName(setting)));
    }
    if (isSet("share") || isSet("shares") || isSet("revoke") || isSet("ttl") || isSet("single-use"))
        return parseShareCommand(parser, readConfig);

    ServerOptions &o = parsed.options;
    ConsoleOptions console;
    const QStringList positional = parser.positionalArguments();
    const bool withConfig = isSet("config");
    if (withConfig) {
        // The file declares the consoles; the command line may only adjust the server.
        if (!positional.isEmpty())
            return error(QStringLiteral("give consoles either in --config or on the command "
                                        "line, not both"));
        for (const Setting &setting : allSettings()) {
            if (setting.scope == Setting::Scope::Console && setting.takesValue()
                && isSet(setting.flag))
                return error(QStringLiteral("%1 belongs in a [console NAME] section of the "
                                            "--config file")
                                 .arg(flagName(setting)));
        }
        o.configPath = value("config");
        QString text;
        QString why;
        if (!readConfig(o.configPath, &text, &why) || !parseConfig(text, o.configPath, &o, &why))
            return error(why);
    } else if (positional.size() == 2 || positional.size() > 4) {
        return error(QStringLiteral("expected <source> [<bind_ip> <bind_port> [<log_file>]], got "
                                    "%1 arguments")
                         .arg(positional.size()));
    }
    if (!withConfig && !positional.isEmpty()) {
        o.source = positional[0];
        QString why;
        const auto spec = parseSourceSpec(o.source, &why);
        if (!spec)
            return error(why);
        console.source = *spec;
    }
    if (positional.size() >= 3) {
        if (isSet("listen"))
            return error(QStringLiteral("give the address either as <bind_ip> <bind_port> or "
                                        "with --listen, not both"));
        if (!parseAddress(positional[1], &o.address))
            return error(QStringLiteral("invalid bind address: %1").arg(positional[1]));
        if (!parsePort(positional[2], &o.port))
            return error(
                QStringLiteral("invalid port: %1 (expected 0 to 65535)").arg(positional[2]));
    }
    if (positional.size() == 4) {
        if (isSet("log"))
            return error(QStringLiteral("give the log file either as <log_file> or with --log, "
                                        "not both"));
        console.logPath = positional[3];
    }
    if (isSet("exec")) {
        if (!o.source.isEmpty())
            return error(QStringLiteral("give either a console source or --exec, not both"));
        o.execCommand = value("exec");
    } else if (o.source.isEmpty() && !withConfig) {
        return error(QStringLiteral("no console given: name a pty path or a source, use "
                                    "--exec COMMAND, or --config FILE"));
    }

    // The flags, in the table's order (a restart policy after the command it applies to).
    for (const Setting &setting : allSettings()) {
        if (setting.scope == Setting::Scope::Command || !isSet(setting.flag))
            continue;
        const QString given
            = setting.takesValue() ? value(setting.flag) : QString::fromLatin1(setting.switchValue);
        QString why;
        if (setting.scope == Setting::Scope::Console && withConfig) {
            // A console's switch given with --config applies to every console of the file.
            for (ConsoleOptions &declared : o.consoles) {
                if (why.isEmpty())
                    why = setting.apply(o, declared, given);
            }
        } else {
            why = setting.apply(o, console, given);
        }
        if (!why.isEmpty())
            return error(flagName(setting) + QStringLiteral(": ") + why);
    }
    if (o.tls.certificatePath.isEmpty() != o.tls.keyPath.isEmpty())
        return error(QStringLiteral("TLS needs both --tls-cert and --tls-key"));

    if (!withConfig) {
        for (const Setting &setting : allSettings()) {
            if (setting.inherit && !isSet(setting.flag))
                setting.inherit(o, console);
        }
        o.sourceSpec = console.source;
        o.name = console.name;
        o.historySize = console.historySize;
        o.logPath = console.logPath;
        o.consoles = {console};
    }
    return parsed;
}

ParsedOptions parseOptions(const QStringList &arguments)
{
    return parseCommandLine(arguments, &readConfigText);
}

} // namespace CloudConsole
