// cloud-console: shares one VM console with any number of WebSocket clients and a web page.

#include "consoleregistry.h"
#include "httpfrontend.h"
#include "logratelimit.h"
#include "options.h"
#include "secrethash.h"
#include "signalwatcher.h"
#include "sourcespec.h"

#include <QCoreApplication>
#include <QLoggingCategory>
#include <QTextStream>
#include <QTimer>

#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdio>

using namespace CloudConsole;

Q_LOGGING_CATEGORY(lcMain, "cloudconsole.server")

namespace {

int fail(const QString &message, int code = 1)
{
    std::fprintf(stderr, "cloud-console: %s\n", qPrintable(message));
    return code;
}

// Every client is a socket: allow as many descriptors as the hard limit does.
void raiseDescriptorLimit()
{
    rlimit limit {};
    if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        ::setrlimit(RLIMIT_NOFILE, &limit);
    }
}

// The source spec with what only the command line or configuration adds (the restart policy).
QString specKey(const SourceSpec &spec)
{
    return spec.toString() + QStringLiteral(" restart=%1").arg(int(spec.restart));
}

ConsoleSettings consoleSettings(const ServerOptions &options, const ConsoleOptions &console)
{
    ConsoleSettings settings;
    settings.sourceSpec = specKey(console.source);
    settings.name = console.name;
    settings.historySize = console.historySize;
    settings.logPath = console.logPath;
    settings.markers = console.markers;
    settings.size = console.size;
    settings.scrollbackLines = console.scrollbackLines;
    settings.screen = console.screen;
    // The command line's one console may have every client the server takes (--max-clients).
    settings.maxClients = console.maxClients > 0 ? console.maxClients
        : options.configPath.isEmpty()           ? options.maxClients
                                                 : options.limits.maxClientsPerConsole;
    settings.limits = options.limits;
    return settings;
}

// Whether a running console is what a reloaded configuration declares (limits aside).
bool sameConsole(const Console &running, const ConsoleOptions &declared)
{
    const ConsoleSettings &s = running.settings();
    return s.historySize == declared.historySize && s.logPath == declared.logPath
        && s.markers == declared.markers && s.sourceSpec == specKey(declared.source)
        && s.size == declared.size && s.scrollbackLines == declared.scrollbackLines
        && s.screen == declared.screen;
}

bool checkAccess(const ServerOptions &options, QString *error)
{
    if (options.access.enabled() || options.access.insecure || options.address.isLoopback())
        return true;
    *error = QStringLiteral("refusing to listen on %1 without access control: declare [user NAME] "
                            "or [token NAME] sections in --config, or pass --insecure")
                 .arg(options.address.toString());
    return false;
}

// Whether stderr is the stream into the journal that systemd gave us: $JOURNAL_STREAM names it by
// device and inode (a child of ours may inherit the variable with stderr sent elsewhere).
bool stderrIsJournal()
{
    const QByteArray stream = qgetenv("JOURNAL_STREAM");
    const qsizetype colon = stream.indexOf(':');
    bool deviceOk = false;
    bool inodeOk = false;
    const qulonglong device = stream.left(colon).toULongLong(&deviceOk);
    const qulonglong inode = stream.mid(colon + 1).toULongLong(&inodeOk);
    struct stat info;
    return colon > 0 && deviceOk && inodeOk && ::fstat(STDERR_FILENO, &info) == 0
        && info.st_dev == device && info.st_ino == inode;
}

QString urlHost(const QHostAddress &address)
{
    if (address.protocol() == QAbstractSocket::IPv6Protocol)
        return QLatin1Char('[') + address.toString() + QLatin1Char(']');
    return address.toString();
}

} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("cloud-console"));
    QCoreApplication::setApplicationVersion(QStringLiteral(CLOUD_CONSOLE_VERSION));
    // In the journal, each line starts with its syslog priority, which journald takes off and
    // keeps as the entry's priority: "<4>cloudconsole.log: cannot write ...". Elsewhere Qt's
    // default, "cloudconsole.log: cannot write ...". QT_MESSAGE_PATTERN overrides either.
    if (stderrIsJournal())
        qSetMessagePattern(
            QStringLiteral("%{if-debug}<7>%{endif}%{if-info}<6>%{endif}%{if-warning}<4>%{endif}"
                           "%{if-critical}<3>%{endif}%{if-fatal}<2>%{endif}"
                           "%{if-category}%{category}: %{endif}%{message}"));
    // Debug lines are for whoever debugs: off unless QT_LOGGING_RULES (which takes precedence
    // over these rules) turns them on, e.g. QT_LOGGING_RULES='cloudconsole.*.debug=true'.
    QLoggingCategory::setFilterRules(QStringLiteral("cloudconsole.*.debug=false"));
    // Peers can provoke log lines; whatever they do, the log takes at most this (a burst of 500
    // lines, then 50 a second), and says how many it held back.
    LogRateLimit::install(50, 500);
    QTimer heldBackReport;
    QObject::connect(&heldBackReport, &QTimer::timeout, &LogRateLimit::reportHeldBack);
    heldBackReport.start(10'000);
    // A client that vanishes mid-write must not kill the server.
    ::signal(SIGPIPE, SIG_IGN);

    const ParsedOptions parsed = parseOptions(QCoreApplication::arguments());
    if (parsed.outcome == ParsedOptions::Outcome::ShowText) {
        std::fputs(qPrintable(parsed.text), stdout);
        return 0;
    }
    if (parsed.outcome == ParsedOptions::Outcome::Error) {
        fail(parsed.text);
        std::fputs("Try 'cloud-console --help' for more information.\n", stderr);
        return 2;
    }
    if (parsed.outcome == ParsedOptions::Outcome::NewToken) {
        const QString token = SecretHash::newToken();
        std::printf("token: %s\ntoken-hash = %s\n", qPrintable(token),
                    qPrintable(SecretHash::hashToken(token)));
        return 0;
    }
    if (parsed.outcome == ParsedOptions::Outcome::HashPassword) {
        // One line from standard input (a terminal echoes it; pipe it in from a password manager).
        QTextStream in(stdin);
        const QString password = in.readLine();
        if (password.isEmpty())
            return fail(QStringLiteral("no password on standard input"));
        std::printf("password-hash = %s\n", qPrintable(SecretHash::hashPassword(password)));
        return 0;
    }
    ServerOptions options = parsed.options;
    raiseDescriptorLimit();
    {
        QString error;
        if (!checkAccess(options, &error) || !options.tls.load(&error))
            return fail(error);
    }

    ConsoleRegistry consoles;
    for (const ConsoleOptions &console : options.consoles) {
        QString error;
        if (!probeSource(console.source, &error))
            return fail(options.consoles.size() > 1
                            ? QStringLiteral("console \"%1\": %2").arg(console.name, error)
                            : error);
        consoles.add(std::make_unique<Console>(consoleSettings(options, console),
                                               createSource(console.source)));
    }

    FrontendSettings frontendSettings;
    frontendSettings.maxClients = options.maxClients;
    frontendSettings.webRoot = options.webRoot;
    frontendSettings.access = options.access;
    frontendSettings.tls = options.tls;
    HttpFrontend frontend(consoles, frontendSettings);
    QString error;
    if (!frontend.listen(options.address, options.port, &error))
        return fail(QStringLiteral("cannot listen on %1:%2: %3")
                        .arg(urlHost(options.address))
                        .arg(options.port)
                        .arg(error));

    // Started after listen() succeeded, so a busy port does not spawn an --exec program.
    for (Console *console : consoles.consoles()) {
        if (!console->start(&error))
            return fail(error);
    }

    if (!options.access.enabled())
        std::fprintf(stderr, "cloud-console: no access control configured: %s\n",
                     options.address.isLoopback()
                         ? "listening on loopback only"
                         : "anyone who can reach this address can use the consoles (--insecure)");
    // One line per console. A single console is also at "/"; several have an index there.
    const bool single = options.consoles.size() == 1;
    const QString base
        = QStringLiteral("%1://%2:%3/")
              .arg(options.tls.enabled() ? QStringLiteral("https") : QStringLiteral("http"),
                   urlHost(options.address))
              .arg(frontend.port());
    for (const ConsoleOptions &console : options.consoles) {
        std::printf("cloud-console: serving console \"%s\" at %s\n", qPrintable(console.name),
                    qPrintable(single ? base : base + QStringLiteral("c/") + console.name + u'/'));
    }
    if (!single)
        std::printf("cloud-console: index of %d consoles at %s\n", int(options.consoles.size()),
                    qPrintable(base));
    std::fflush(stdout);

    // SIGHUP re-reads the configuration: added consoles appear, removed ones close, unchanged
    // ones keep their clients; credentials, origins, limits and certificates apply at once. A
    // configuration with a mistake changes nothing. Logs are reopened either way.
    const auto reload = [&] {
        for (Console *console : consoles.consoles())
            console->reopenLog();
        if (options.configPath.isEmpty())
            return;
        const ParsedOptions again = parseOptions(QCoreApplication::arguments());
        ServerOptions next = again.options;
        // The socket stays where it is: check access against the address actually served.
        const bool listenChanged = next.address != options.address || next.port != options.port;
        next.address = options.address;
        next.port = options.port;
        QString why;
        if (again.outcome != ParsedOptions::Outcome::Run || !checkAccess(next, &why)
            || !next.tls.load(&why)) {
            qCWarning(lcMain).noquote()
                << "keeping the running configuration:" << (why.isEmpty() ? again.text : why);
            return;
        }
        if (listenChanged)
            qCWarning(lcMain) << "a new listen address applies at the next start";
        for (Console *running : consoles.consoles()) {
            const auto declared
                = std::find_if(next.consoles.begin(), next.consoles.end(),
                               [&](const ConsoleOptions &c) { return c.name == running->name(); });
            if (declared != next.consoles.end() && sameConsole(*running, *declared)) {
                const ConsoleSettings settings = consoleSettings(next, *declared);
                running->setLimits(settings.maxClients, settings.limits);
                continue;
            }
            const QString name = running->name();
            qCInfo(lcMain).noquote()
                << "closing console" << name
                << (declared == next.consoles.end() ? "(removed)" : "(changed)");
            running->closeAllClients(QWebSocketProtocol::CloseCodeGoingAway,
                                     declared == next.consoles.end()
                                         ? QStringLiteral("console removed")
                                         : QStringLiteral("console reconfigured"));
            // Deleted once its close frames are on their way.
            std::unique_ptr<Console> gone = consoles.take(name);
            gone->setParent(nullptr);
            QTimer::singleShot(200, gone.release(), &QObject::deleteLater);
        }
        for (const ConsoleOptions &declared : next.consoles) {
            if (consoles.find(declared.name))
                continue;
            QString error;
            if (!probeSource(declared.source, &error)) {
                qCWarning(lcMain).noquote() << "console" << declared.name << ":" << error;
                continue;
            }
            auto console = std::make_unique<Console>(consoleSettings(next, declared),
                                                     createSource(declared.source));
            if (!console->start(&error)) {
                qCWarning(lcMain).noquote() << "console" << declared.name << ":" << error;
                continue;
            }
            qCInfo(lcMain).noquote() << "added console" << declared.name;
            consoles.add(std::move(console));
        }
        if (!next.consoles.empty() && consoles.find(next.consoles.front().name))
            consoles.setDefault(next.consoles.front().name);
        frontend.setAccess(next.access, next.tls);
        options = std::move(next);
        qCInfo(lcMain) << "configuration reloaded:" << consoles.consoles().size() << "consoles";
    };

    SignalWatcher signalWatcher({SIGINT, SIGTERM, SIGHUP});
    QObject::connect(&signalWatcher, &SignalWatcher::received, &app, [&](int signal) {
        if (signal == SIGHUP) {
            reload();
            return;
        }
        qCInfo(lcMain) << "shutting down on signal" << signal;
        for (Console *console : consoles.consoles())
            console->closeAllClients(QWebSocketProtocol::CloseCodeGoingAway,
                                     QStringLiteral("server shutting down"));
        // Let the close frames go out, then stop.
        QTimer::singleShot(200, &app, &QCoreApplication::quit);
    });

    const int code = QCoreApplication::exec();
    consoles.clear(); // flushes the logs and ends spawned programs
    return code;
}
