#pragma once

// Lists of console names in the configuration: a credential's, an alert rule's, a webhook's.
// An empty list takes every console; an item is a name, or a pattern with * (any run of
// characters) for consoles that discovery names later, such as kvm-* (1 to 64 of A-Z a-z 0-9
// . _ - and *). Knows nothing of which consoles exist: the configuration file checks plain
// names against those.

#include <QString>
#include <QStringList>

namespace CloudConsole {

bool consoleListAllows(const QStringList &consoles, const QString &console);
bool isConsolePattern(const QString &item);

} // namespace CloudConsole
