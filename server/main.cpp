// cloud-console: shares one VM console with any number of WebSocket clients and a web page.

#include "logratelimit.h"
#include "options.h"
#include "secrethash.h"
#include "server.h"
#include "sharecommand.h"
#include "signalwatcher.h"

#include <QCoreApplication>
#include <QLoggingCategory>
#include <QTextStream>
#include <QTimer>

#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

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
    if (parsed.outcome == ParsedOptions::Outcome::Share)
        return runShareCommand(parsed, stdout, stderr); // --share, --shares, --revoke
    raiseDescriptorLimit();
    Server server(parsed.options, QCoreApplication::arguments());
    if (QString error; !server.start(&error))
        return fail(error);

    const ServerOptions &options = server.options();
    if (!options.access.enabled())
        std::fprintf(stderr, "cloud-console: no access control configured: %s\n",
                     options.address.isLoopback()
                         ? "listening on loopback only"
                         : "anyone who can reach this address can use the consoles (--insecure)");
    // One line per console. A single console is also at "/"; several have an index there.
    // With discovery (server/discovery/) consoles come and go: "/" is always the index.
    const bool single = options.consoles.size() == 1 && !options.discovery.enabled();
    const QString base = server.baseUrl();
    for (const ConsoleOptions &console : options.consoles) {
        std::printf("cloud-console: serving console \"%s\" at %s\n", qPrintable(console.name),
                    qPrintable(single ? base : base + QStringLiteral("c/") + console.name + u'/'));
    }
    if (options.discovery.enabled())
        std::printf("cloud-console: index of %d declared consoles and those discovery finds at "
                    "%s\n",
                    int(options.consoles.size()), qPrintable(base));
    else if (!single)
        std::printf("cloud-console: index of %d consoles at %s\n", int(options.consoles.size()),
                    qPrintable(base));
    std::fflush(stdout);

    // SIGHUP reloads (Server::reload); SIGINT and SIGTERM close every client and stop.
    SignalWatcher signalWatcher({SIGINT, SIGTERM, SIGHUP});
    QObject::connect(&signalWatcher, &SignalWatcher::received, &app, [&](int signal) {
        if (signal == SIGHUP) {
            server.reload();
            return;
        }
        qCInfo(lcMain) << "shutting down on signal" << signal;
        server.closeAllClients(QStringLiteral("server shutting down"));
        // Let the close frames go out, then stop.
        QTimer::singleShot(200, &app, &QCoreApplication::quit);
    });

    const int code = QCoreApplication::exec();
    server.consoles().clear(); // flushes the logs and ends spawned programs
    return code;
}
