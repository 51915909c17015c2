#pragma once

// LogRateLimit bounds what the whole server writes to its log, whoever provokes it: at most a
// burst of lines, then a steady rate; the lines over it are counted, and a summary line says how
// many were held back (before the next line that passes, or from reportHeldBack(), which main
// calls every few seconds). Fatal and critical lines always pass. Per-client throttles
// (LogThrottle) keep one peer from using up this budget; this is the bound over all of them.
//
// It is a Qt message handler, installed once in main, around the handler that was there (which
// formats and writes). Messages come from any thread: its state is behind a mutex.

#include <QtGlobal>

namespace CloudConsole::LogRateLimit {

void install(double linesPerSecond, double burst);
// Writes "N log lines held back" if any were since the last line that passed.
void reportHeldBack();
// Lines held back since install().
qint64 heldBackTotal();

} // namespace CloudConsole::LogRateLimit
