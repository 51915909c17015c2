#pragma once

// The command line of the cloud-console server, read into the settings model (serveroptions.h)
// through the setting table (settingtable.h).
//
// The earlier tool's positional form `cloud-console <pty> <bind_ip> <bind_port> [<log_file>]`
// keeps working; flags add the rest. parseCommandLine() is pure (no I/O, no exit): the text of a
// --config file comes from the reader it is given. parseOptions() is the same with the file read
// from disk. main prints the outcome.

#include "serveroptions.h"
#include "values.h"

#include <QStringList>

#include <chrono>
#include <functional>

namespace CloudConsole {

// --share, --shares, --revoke: what to do with the share links of the state directory
// (sharecommand.h runs it).
struct ShareCommand
{
    enum class Action { Create, List, Revoke };
    Action action = Action::Create;
    QString console; // Create: the console; List: only its links (empty: all)
    std::chrono::seconds lifetime {0}; // Create: --ttl
    bool singleUse = false; // Create: --single-use
    QString id; // Revoke
};

struct ParsedOptions
{
    enum class Outcome { Run, ShowText, Error, HashPassword, NewToken, Share };
    Outcome outcome = Outcome::Run;
    ServerOptions options;
    QString text; // help or version for ShowText, one line for Error
    ShareCommand share; // for Share
};

// Gives the text of the configuration file at path, or false and *error.
using ConfigReader = std::function<bool(const QString &path, QString *text, QString *error)>;

ParsedOptions parseCommandLine(const QStringList &arguments, const ConfigReader &readConfig);
// parseCommandLine() with --config's file read from disk (readConfigText()).
ParsedOptions parseOptions(const QStringList &arguments);
QString helpText();

} // namespace CloudConsole
