#pragma once

// Small helpers for pty descriptors shared by the pty and exec sources.

#include "uniquefd.h"

#include <QList>
#include <QString>

namespace CloudConsole::Pty {

// Opens a terminal path for non-blocking I/O without making it our controlling terminal.
// Returns an invalid fd and sets *error on failure (including "not a terminal").
UniqueFd openTerminal(const QString &path, QString *error);
// Puts a terminal into raw mode: no line buffering, no echo, no character translation.
bool makeRaw(int fd, QString *error);
bool setNonBlocking(int fd);
// Processes other than this one that have the terminal at canonicalPath open, by /proc.
QList<qint64> otherHolders(const QString &canonicalPath);

} // namespace CloudConsole::Pty
