#pragma once

// Command-line options of the cloud-console server, and their parser.
//
// The earlier tool's positional form `cloud-console <pty> <bind_ip> <bind_port> [<log_file>]`
// keeps working; flags add the rest. Parsing is pure (no I/O, no exit) so it can be tested; main
// prints the outcome.

#include "accesssettings.h"
#include "sourcespec.h"

#include <QHostAddress>
#include <QSize>
#include <QString>
#include <QStringList>

#include <vector>

namespace CloudConsole {

// One console to serve, from the command line or a [console NAME] section.
struct ConsoleOptions
{
    QString name = QStringLiteral("default");
    SourceSpec source;
    qsizetype historySize = 1024 * 1024;
    QString logPath;
    bool markers = true;
    int maxClients = 0; // 0: the server's max-clients-per-console
    QSize size {80, 24}; // the console's size (see ConsoleSettings::size)
    int scrollbackLines = 1000; // lines the server's screen keeps
    bool screen = true; // screen = off
};

struct ServerOptions
{
    QString source; // the console source as given (a pty path or a source spec)
    QString execCommand; // --exec
    SourceSpec sourceSpec; // what either of them says
    QString name = QStringLiteral("default");
    QHostAddress address = QHostAddress(QHostAddress::LocalHost);
    quint16 port = 8080;
    qsizetype historySize = 1024 * 1024;
    QString logPath;
    QString webRoot;
    int maxClients = 1024;
    bool markers = true; // --no-markers turns them off
    QSize size {80, 24}; // --size
    int scrollbackLines = 1000; // --scrollback
    bool screen = true; // --no-screen turns every console's off
    AccessSettings access;
    TlsSettings tls;
    LimitSettings limits;
    QString configPath; // --config
    // What to serve: the command line's one console, or the configuration's consoles.
    std::vector<ConsoleOptions> consoles;
};

struct ParsedOptions
{
    enum class Outcome { Run, ShowText, Error, HashPassword, NewToken };
    Outcome outcome = Outcome::Run;
    ServerOptions options;
    QString text; // help or version for ShowText, one line for Error
};

ParsedOptions parseOptions(const QStringList &arguments);
// "1M", "64KiB", "80000": a byte count, or -1.
qint64 parseSize(const QString &text);
// Value parsers shared by the command line and the configuration file: each returns what is
// wrong with the value, or an empty string and the value stored.
QString parseListen(const QString &text, QHostAddress *address, quint16 *port);
QString parseHistorySize(const QString &text, qsizetype *size);
QString parseMaxClients(const QString &text, int *count);
// "80x24": columns and rows, each 1 to 1000.
QString parseConsoleSize(const QString &text, QSize *size);
// Lines of scrollback, 0 to 100000.
QString parseScrollback(const QString &text, int *lines);
QString parseRestart(const QString &text, SourceSpec *spec);
// "90s", "30m", "8h", "2d" or a number of seconds.
QString parseDuration(const QString &text, std::chrono::seconds *duration);
QString helpText();

} // namespace CloudConsole
