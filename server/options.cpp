#include "options.h"

#include "configfile.h"
#include "consoleregistry.h"
#include "protocol.h"

#include <QCommandLineParser>
#include <QRegularExpression>

#include <limits>

namespace CloudConsole {

namespace {

constexpr qint64 MinHistory = 4 * 1024;
constexpr qint64 MaxHistory = 1024 * 1024 * 1024;

ParsedOptions error(const QString &text)
{
    ParsedOptions parsed;
    parsed.outcome = ParsedOptions::Outcome::Error;
    parsed.text = text;
    return parsed;
}

bool parseAddress(const QString &text, QHostAddress *address)
{
    if (text == QLatin1String("localhost")) {
        *address = QHostAddress(QHostAddress::LocalHost);
        return true;
    }
    return address->setAddress(text);
}

bool parsePort(const QString &text, quint16 *port)
{
    static const QRegularExpression digits(QStringLiteral("^[0-9]{1,5}$"));
    if (!digits.match(text).hasMatch())
        return false;
    const int value = text.toInt();
    if (value > 65535)
        return false;
    *port = quint16(value);
    return true;
}

} // namespace

qint64 parseSize(const QString &text)
{
    static const QRegularExpression pattern(
        QStringLiteral("^([0-9]{1,12})\\s*(|[kK]|[kK]i?B|[mM]|[mM]i?B|[gG]|[gG]i?B)$"));
    const auto match = pattern.match(text.trimmed());
    if (!match.hasMatch())
        return -1;
    const qint64 value = match.captured(1).toLongLong();
    const QChar unit = match.captured(2).isEmpty() ? QChar() : match.captured(2).at(0).toLower();
    qint64 multiplier = 1;
    if (unit == QLatin1Char('k'))
        multiplier = qint64(1) << 10;
    else if (unit == QLatin1Char('m'))
        multiplier = qint64(1) << 20;
    else if (unit == QLatin1Char('g'))
        multiplier = qint64(1) << 30;
    // Too large to count is invalid, not a wrapped-around small size.
    if (value > std::numeric_limits<qint64>::max() / multiplier)
        return -1;
    return value * multiplier;
}

QString parseListen(const QString &text, QHostAddress *address, quint16 *port)
{
    static const QRegularExpression form(QStringLiteral("^(\\[([^\\]]+)\\]|([^:]+)):([^:]+)$"));
    const auto match = form.match(text);
    if (!match.hasMatch())
        return QStringLiteral("expected ADDR:PORT (IPv6 as [ADDR]:PORT), got \"%1\"").arg(text);
    const QString host = match.captured(2).isEmpty() ? match.captured(3) : match.captured(2);
    if (!parseAddress(host, address))
        return QStringLiteral("invalid address %1").arg(host);
    if (!parsePort(match.captured(4), port))
        return QStringLiteral("invalid port %1 (expected 0 to 65535)").arg(match.captured(4));
    return {};
}

QString parseHistorySize(const QString &text, qsizetype *size)
{
    const qint64 value = parseSize(text);
    if (value < MinHistory || value > MaxHistory)
        return QStringLiteral("\"%1\" is not a size from 4K to 1G").arg(text);
    *size = qsizetype(value);
    return {};
}

QString parseConsoleSize(const QString &text, QSize *size)
{
    static const QRegularExpression pattern(QStringLiteral("^([0-9]{1,4})[xX]([0-9]{1,4})$"));
    const QRegularExpressionMatch match = pattern.match(text.trimmed());
    const int cols = match.hasMatch() ? match.captured(1).toInt() : 0;
    const int rows = match.hasMatch() ? match.captured(2).toInt() : 0;
    if (cols < 1 || cols > Protocol::MaxCols || rows < 1 || rows > Protocol::MaxRows)
        return QStringLiteral("\"%1\" is not COLSxROWS with each from 1 to 1000 (such as 80x24)")
            .arg(text.left(64));
    *size = QSize(cols, rows);
    return {};
}

QString parseScrollback(const QString &text, int *lines)
{
    bool ok = false;
    const int value = text.trimmed().toInt(&ok);
    if (!ok || value < 0 || value > 100'000)
        return QStringLiteral("\"%1\" is not a number of lines from 0 to 100000")
            .arg(text.left(64));
    *lines = value;
    return {};
}

QString parseMaxClients(const QString &text, int *count)
{
    bool ok = false;
    const int value = text.toInt(&ok);
    if (!ok || value < 1 || value > 100000)
        return QStringLiteral("\"%1\" is not a number from 1 to 100000").arg(text);
    *count = value;
    return {};
}

QString parseRestart(const QString &text, SourceSpec *spec)
{
    if (spec->kind != SourceSpec::Kind::Exec)
        return QStringLiteral("applies to a command's console (exec:), not to %1")
            .arg(spec->toString());
    if (text == QLatin1String("never"))
        spec->restart = ExecSource::RestartPolicy::Never;
    else if (text == QLatin1String("on-failure"))
        spec->restart = ExecSource::RestartPolicy::OnFailure;
    else if (text == QLatin1String("always"))
        spec->restart = ExecSource::RestartPolicy::Always;
    else
        return QStringLiteral("\"%1\" is not never, on-failure or always").arg(text);
    return {};
}

QString parseDuration(const QString &text, std::chrono::seconds *duration)
{
    static const QRegularExpression pattern(QStringLiteral("^([0-9]{1,9})\\s*(s|m|h|d|)$"));
    const auto match = pattern.match(text.trimmed());
    if (!match.hasMatch())
        return QStringLiteral("\"%1\" is not a duration (like 90s, 30m, 8h, 2d)").arg(text);
    const qint64 value = match.captured(1).toLongLong();
    const QString unit = match.captured(2);
    const qint64 scale = unit == QLatin1String("m") ? 60
        : unit == QLatin1String("h")                ? 3600
        : unit == QLatin1String("d")                ? 86400
                                                    : 1;
    *duration = std::chrono::seconds(value * scale);
    return {};
}

QString helpText()
{
    return QStringLiteral(
        "Usage: cloud-console [options] <source> [<bind_ip> <bind_port> [<log_file>]]\n"
        "       cloud-console [options] --exec COMMAND\n"
        "       cloud-console [options] --config FILE\n"
        "\n"
        "Shares a VM console with any number of WebSocket clients and a web page, keeping its\n"
        "history and logging every byte.\n"
        "\n"
        "The console <source> is one of:\n"
        "  /dev/pts/3, pty:PATH   a pty path, or a symlink to one (a bare path means pty:)\n"
        "  exec:COMMAND           COMMAND run by /bin/sh in a new pty (like --exec)\n"
        "  unix:PATH              a unix socket (e.g. a VMM's --serial socket=PATH)\n"
        "  tcp:HOST:PORT          a TCP connection carrying raw console bytes\n"
        "  telnet:HOST:PORT       a TCP connection speaking telnet\n"
        "  serial:DEVICE?baud=N   a serial line (keys baud, parity, data, stop, flow)\n"
        "  ch:API_SOCKET          the pty Cloud-Hypervisor's API names; followed across reboots\n"
        "  qmp:QMP_SOCKET         the pty QEMU's QMP names (?chardev=NAME, default serial0)\n"
        "pty:, ch: and qmp: take ?device=console for a virtio-console (hvc) pty.\n"
        "Sources that go away are connected to again, with a backoff of up to 5 s.\n"
        "\n"
        "Options:\n"
        "  --config FILE          serve the consoles declared in FILE (see docs/config.md);\n"
        "                         --listen, --max-clients, --web-root, --no-markers still apply\n"
        "  --listen ADDR:PORT     where to listen (default 127.0.0.1:8080; port 0 picks one;\n"
        "                         IPv6 as [::1]:8080)\n"
        "  --exec COMMAND         run COMMAND with /bin/sh in a new pty and serve that console\n"
        "  --restart POLICY       when the command ends: never (default), on-failure, always\n"
        "  --name NAME            console name, used in URLs /c/NAME/ (default \"default\")\n"
        "  --history-size SIZE    bytes of history kept per console (default 1M; 4K to 1G;\n"
        "                         suffixes K, M, G, KiB, MiB, GiB)\n"
        "  --log FILE             append every byte of console output to FILE (SIGHUP reopens)\n"
        "  --size COLSxROWS       the console's size (default 80x24): its screen, and what a\n"
        "                         program started with --exec is told; operators may resize\n"
        "                         consoles whose source takes a size\n"
        "  --scrollback LINES     lines above the screen that late clients get (default 1000)\n"
        "  --no-screen            keep no screen of the consoles: no snapshots for late\n"
        "                         clients, and nobody answers the guests' terminal queries\n"
        "  --no-markers           do not write \"-- console up/down TIME: WHY --\" lines into\n"
        "                         the stream and the log when the source comes and goes\n"
        "  --max-clients N        WebSocket clients allowed at once (default 1024)\n"
        "  --web-root DIR         serve the web page from DIR instead of the built-in copy\n"
        "  --tls-cert FILE        serve HTTPS and WSS with this PEM certificate (chain)\n"
        "  --tls-key FILE         the certificate's PEM private key (RSA or EC, unencrypted)\n"
        "  --insecure             allow a non-loopback --listen without access control\n"
        "  --hash-password        read a password on standard input and print the\n"
        "                         password-hash line for a [user NAME] section\n"
        "  --new-token            print a new random token and the token-hash line for a\n"
        "                         [token NAME] section\n"
        "  -h, --help             show this help\n"
        "  -V, --version          show the version\n"
        "\n"
        "Without [user] or [token] sections in --config there is no access control: the server\n"
        "then listens on loopback only, unless --insecure is given.\n"
        "\n"
        "The URL to open is printed on standard output once the server listens.\n");
}

ParsedOptions parseOptions(const QStringList &arguments)
{
    QCommandLineParser parser;
    parser.setSingleDashWordOptionMode(QCommandLineParser::ParseAsLongOptions);
    const QCommandLineOption help({QStringLiteral("h"), QStringLiteral("help")}, QString());
    const QCommandLineOption version({QStringLiteral("V"), QStringLiteral("version")}, QString());
    const QCommandLineOption listen(QStringLiteral("listen"), QString(), QStringLiteral("a"));
    const QCommandLineOption exec(QStringLiteral("exec"), QString(), QStringLiteral("c"));
    const QCommandLineOption name(QStringLiteral("name"), QString(), QStringLiteral("n"));
    const QCommandLineOption history(QStringLiteral("history-size"), QString(),
                                     QStringLiteral("s"));
    const QCommandLineOption log(QStringLiteral("log"), QString(), QStringLiteral("f"));
    const QCommandLineOption maxClients(QStringLiteral("max-clients"), QString(),
                                        QStringLiteral("n"));
    const QCommandLineOption webRoot(QStringLiteral("web-root"), QString(), QStringLiteral("d"));
    const QCommandLineOption restart(QStringLiteral("restart"), QString(), QStringLiteral("p"));
    const QCommandLineOption noMarkers(QStringLiteral("no-markers"), QString());
    const QCommandLineOption size(QStringLiteral("size"), QString(), QStringLiteral("s"));
    const QCommandLineOption noScreen(QStringLiteral("no-screen"), QString());
    const QCommandLineOption scrollback(QStringLiteral("scrollback"), QString(),
                                        QStringLiteral("n"));
    const QCommandLineOption config(QStringLiteral("config"), QString(), QStringLiteral("f"));
    const QCommandLineOption tlsCert(QStringLiteral("tls-cert"), QString(), QStringLiteral("f"));
    const QCommandLineOption tlsKey(QStringLiteral("tls-key"), QString(), QStringLiteral("f"));
    const QCommandLineOption insecure(QStringLiteral("insecure"), QString());
    const QCommandLineOption hashPassword(QStringLiteral("hash-password"), QString());
    const QCommandLineOption newToken(QStringLiteral("new-token"), QString());
    parser.addOptions({help,       version, listen,  exec,      name,         history,    log,
                       maxClients, webRoot, restart, noMarkers, size,         scrollback, noScreen,
                       config,     tlsCert, tlsKey,  insecure,  hashPassword, newToken});
    if (!parser.parse(arguments))
        return error(parser.errorText());

    ParsedOptions parsed;
    if (parser.isSet(help)) {
        parsed.outcome = ParsedOptions::Outcome::ShowText;
        parsed.text = helpText();
        return parsed;
    }
    if (parser.isSet(version)) {
        parsed.outcome = ParsedOptions::Outcome::ShowText;
        parsed.text = QStringLiteral("cloud-console " CLOUD_CONSOLE_VERSION "\n");
        return parsed;
    }
    if (parser.isSet(hashPassword) || parser.isSet(newToken)) {
        parsed.outcome = parser.isSet(hashPassword) ? ParsedOptions::Outcome::HashPassword
                                                    : ParsedOptions::Outcome::NewToken;
        return parsed;
    }
    for (const QCommandLineOption &option : {listen, exec, name, history, log, maxClients, webRoot,
                                             restart, size, scrollback, config, tlsCert, tlsKey}) {
        if (parser.values(option).size() > 1)
            return error(QStringLiteral("--%1 given more than once").arg(option.names().first()));
    }

    ServerOptions &o = parsed.options;
    const QStringList positional = parser.positionalArguments();
    if (parser.isSet(config)) {
        // The file declares the consoles; the command line may only adjust the server.
        if (!positional.isEmpty())
            return error(QStringLiteral("give consoles either in --config or on the command "
                                        "line, not both"));
        for (const QCommandLineOption &option :
             {exec, name, history, log, restart, size, scrollback}) {
            if (parser.isSet(option))
                return error(QStringLiteral("--%1 belongs in a [console NAME] section of the "
                                            "--config file")
                                 .arg(option.names().first()));
        }
        o.configPath = parser.value(config);
        QString why;
        if (!readConfigFile(o.configPath, &o, &why))
            return error(why);
    } else if (positional.size() == 2 || positional.size() > 4)
        return error(QStringLiteral("expected <source> [<bind_ip> <bind_port> [<log_file>]], got "
                                    "%1 arguments")
                         .arg(positional.size()));
    if (o.configPath.isEmpty() && !positional.isEmpty()) {
        o.source = positional[0];
        QString why;
        const auto spec = parseSourceSpec(o.source, &why);
        if (!spec)
            return error(why);
        o.sourceSpec = *spec;
    }
    if (positional.size() >= 3) {
        if (parser.isSet(listen))
            return error(QStringLiteral("give the address either as <bind_ip> <bind_port> or "
                                        "with --listen, not both"));
        if (!parseAddress(positional[1], &o.address))
            return error(QStringLiteral("invalid bind address: %1").arg(positional[1]));
        if (!parsePort(positional[2], &o.port))
            return error(
                QStringLiteral("invalid port: %1 (expected 0 to 65535)").arg(positional[2]));
    }
    if (positional.size() == 4) {
        if (parser.isSet(log))
            return error(QStringLiteral("give the log file either as <log_file> or with --log, "
                                        "not both"));
        o.logPath = positional[3];
    }

    if (parser.isSet(exec)) {
        if (!o.source.isEmpty())
            return error(QStringLiteral("give either a console source or --exec, not both"));
        o.execCommand = parser.value(exec);
        if (o.execCommand.trimmed().isEmpty())
            return error(QStringLiteral("--exec needs a command"));
        o.sourceSpec.kind = SourceSpec::Kind::Exec;
        o.sourceSpec.target = o.execCommand;
    } else if (o.source.isEmpty() && o.configPath.isEmpty()) {
        return error(QStringLiteral("no console given: name a pty path or a source, use "
                                    "--exec COMMAND, or --config FILE"));
    }

    if (parser.isSet(listen)) {
        if (const QString why = parseListen(parser.value(listen), &o.address, &o.port);
            !why.isEmpty())
            return error(QStringLiteral("--listen: ") + why);
    }
    if (parser.isSet(name)) {
        o.name = parser.value(name);
        if (!ConsoleRegistry::isValidName(o.name))
            return error(QStringLiteral("invalid console name \"%1\": use 1 to 64 of A-Z a-z 0-9 "
                                        ". _ -, not starting with a dot")
                             .arg(o.name));
    }
    if (parser.isSet(history)) {
        if (const QString why = parseHistorySize(parser.value(history), &o.historySize);
            !why.isEmpty())
            return error(QStringLiteral("invalid --history-size: ") + why);
    }
    if (parser.isSet(log)) {
        o.logPath = parser.value(log);
        if (o.logPath.isEmpty())
            return error(QStringLiteral("--log needs a file name"));
    }
    if (parser.isSet(maxClients)) {
        if (const QString why = parseMaxClients(parser.value(maxClients), &o.maxClients);
            !why.isEmpty())
            return error(QStringLiteral("invalid --max-clients: ") + why);
    }
    if (parser.isSet(restart)) {
        if (const QString why = parseRestart(parser.value(restart), &o.sourceSpec); !why.isEmpty())
            return error(QStringLiteral("--restart: ") + why);
    }
    if (parser.isSet(noMarkers))
        o.markers = false;
    if (parser.isSet(noScreen))
        o.screen = false;
    if (parser.isSet(size)) {
        if (const QString why = parseConsoleSize(parser.value(size), &o.size); !why.isEmpty())
            return error(QStringLiteral("invalid --size: ") + why);
    }
    if (parser.isSet(scrollback)) {
        if (const QString why = parseScrollback(parser.value(scrollback), &o.scrollbackLines);
            !why.isEmpty())
            return error(QStringLiteral("invalid --scrollback: ") + why);
    }
    if (parser.isSet(tlsCert))
        o.tls.certificatePath = parser.value(tlsCert);
    if (parser.isSet(tlsKey))
        o.tls.keyPath = parser.value(tlsKey);
    if (o.tls.certificatePath.isEmpty() != o.tls.keyPath.isEmpty())
        return error(QStringLiteral("TLS needs both --tls-cert and --tls-key"));
    if (parser.isSet(insecure))
        o.access.insecure = true;
    if (parser.isSet(webRoot)) {
        o.webRoot = parser.value(webRoot);
        if (o.webRoot.isEmpty())
            return error(QStringLiteral("--web-root needs a directory"));
    }
    if (o.configPath.isEmpty()) {
        o.consoles = {ConsoleOptions {o.name, o.sourceSpec, o.historySize, o.logPath, o.markers, 0,
                                      o.size, o.scrollbackLines, o.screen}};
    } else {
        // Flags given with --config apply to every console of the file.
        for (ConsoleOptions &console : o.consoles) {
            if (parser.isSet(noMarkers))
                console.markers = false;
            if (parser.isSet(noScreen))
                console.screen = false;
        }
    }
    return parsed;
}

} // namespace CloudConsole
