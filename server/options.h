#pragma once

// Command-line options of the cloud-console server, and their parser.
//
// The earlier tool's positional form `cloud-console <pty> <bind_ip> <bind_port> [<log_file>]`
// keeps working; flags add the rest. Parsing is pure (no I/O, no exit) so it can be tested; main
// prints the outcome.

#include "sourcespec.h"

#include <QHostAddress>
#include <QString>
#include <QStringList>

namespace CloudConsole {

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
};

struct ParsedOptions
{
    enum class Outcome { Run, ShowText, Error };
    Outcome outcome = Outcome::Run;
    ServerOptions options;
    QString text; // help or version for ShowText, one line for Error
};

ParsedOptions parseOptions(const QStringList &arguments);
// "1M", "64KiB", "80000": a byte count, or -1.
qint64 parseSize(const QString &text);
QString helpText();

} // namespace CloudConsole
