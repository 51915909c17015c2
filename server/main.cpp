// cloud-console: shares one VM console with any number of WebSocket clients and a web page.

#include "consoleregistry.h"
#include "httpfrontend.h"
#include "options.h"
#include "signalwatcher.h"
#include "sourcespec.h"

#include <QCoreApplication>
#include <QLoggingCategory>
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
    const ServerOptions &options = parsed.options;
    raiseDescriptorLimit();

    ConsoleRegistry consoles;
    for (const ConsoleOptions &console : options.consoles) {
        QString error;
        if (!probeSource(console.source, &error))
            return fail(options.consoles.size() > 1
                            ? QStringLiteral("console \"%1\": %2").arg(console.name, error)
                            : error);
        ConsoleSettings settings;
        settings.name = console.name;
        settings.historySize = console.historySize;
        settings.logPath = console.logPath;
        settings.markers = console.markers;
        settings.maxClients
            = console.maxClients > 0 ? console.maxClients : options.limits.maxClientsPerConsole;
        settings.limits = options.limits;
        consoles.add(std::make_unique<Console>(settings, createSource(console.source)));
    }

    FrontendSettings frontendSettings;
    frontendSettings.maxClients = options.maxClients;
    frontendSettings.webRoot = options.webRoot;
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

    // One line per console. A single console is also at "/"; several have an index there.
    const bool single = options.consoles.size() == 1;
    const QString base
        = QStringLiteral("http://%1:%2/").arg(urlHost(options.address)).arg(frontend.port());
    for (const ConsoleOptions &console : options.consoles) {
        std::printf("cloud-console: serving console \"%s\" at %s\n", qPrintable(console.name),
                    qPrintable(single ? base : base + QStringLiteral("c/") + console.name + u'/'));
    }
    if (!single)
        std::printf("cloud-console: index of %d consoles at %s\n", int(options.consoles.size()),
                    qPrintable(base));
    std::fflush(stdout);

    SignalWatcher signalWatcher({SIGINT, SIGTERM, SIGHUP});
    QObject::connect(&signalWatcher, &SignalWatcher::received, &app, [&](int signal) {
        if (signal == SIGHUP) {
            for (Console *console : consoles.consoles())
                console->reopenLog();
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
