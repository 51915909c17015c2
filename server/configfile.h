#pragma once

// The configuration file: the server's settings and any number of consoles, for an operator who
// runs one server for all the VMs of a host. `cloud-console --config FILE` reads it; the
// positional command line still serves one console. The syntax, documented with a complete
// example in docs/config.md:
//
//   # comment (a line starting with # or ;)
//   [server]
//   listen = 127.0.0.1:8080
//
//   [console vm1]
//   source = ch:/run/vm1/api.sock
//   history-size = 4M
//   log = /var/log/cloud-console/vm1.log
//
// A value is the rest of its line with the blanks around it removed (a command may hold #).
// Every mistake is an error naming the file and line: unknown sections and keys, repeated keys
// and console names, bad values. The [server] and [console NAME] keys are the setting table's
// (settingtable.h); [user NAME] and [token NAME] declare credentials, [alert NAME] an alert rule
// (alertrule.h), [webhook NAME] where alerts are sent (webhooksettings.h: the files a webhook
// names are read by Server, not here). Parsing is pure; readConfigText() reads the file, and
// readConfigFile() does both.

#include "options.h"

namespace CloudConsole {

// Fills options->consoles and the [server] settings from text; false and *error ("FILE:LINE:
// what") on the first mistake.
bool parseConfig(const QString &text, const QString &fileName, ServerOptions *options,
                 QString *error);
// The file's text, refusing what cannot be a configuration (over 1 MiB, not UTF-8 text).
bool readConfigText(const QString &path, QString *text, QString *error);
bool readConfigFile(const QString &path, ServerOptions *options, QString *error);

} // namespace CloudConsole
