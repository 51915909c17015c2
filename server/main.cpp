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

    // One line per console; the default one (the first) is also at "/".
    const QString base
        = QStringLiteral("http://%1:%2/").arg(urlHost(options.address)).arg(frontend.port());
    for (const ConsoleOptions &console : options.consoles) {
        const bool isDefault = console.name == consoles.defaultConsole()->name();
        std::printf(
            "cloud-console: serving console \"%s\" at %s\n", qPrintable(console.name),
            qPrintable(isDefault ? base : base + QStringLiteral("c/") + console.name + u'/'));
    }
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
