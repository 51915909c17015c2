#pragma once

// The command line's share links: `cloud-console --config FILE --share CONSOLE [--ttl 1h]
// [--single-use]` prints a new link's URL (public-url's, else the server's listen address), and
// `--shares [CONSOLE]` and `--revoke ID` list and revoke, all in the state directory the server
// reads (ShareLinks), so that a running server sees them at once. It runs in place of the
// server and returns the exit status; it knows nothing of a running server.

#include "options.h"

#include <cstdio>

namespace CloudConsole {

// What main() runs for ParsedOptions::Outcome::Share: 0, or 1 with a line on err.
int runShareCommand(const ParsedOptions &parsed, std::FILE *out, std::FILE *err);

} // namespace CloudConsole
