#pragma once

// Small helpers of the soak: waiting on the event loop, percentiles, sizes and counts in text.
// They own nothing.

#include <QString>

#include <functional>
#include <vector>

namespace Soak {

// Runs the event loop until done() is true or timeoutMs pass; returns done().
bool waitUntil(const std::function<bool()> &done, int timeoutMs);
// Runs the event loop for ms.
void spin(int ms);

// Nearest-rank percentile of a copy of the values, p in [0, 100]; NaN when there are none.
double percentile(std::vector<double> values, double p);

// "12.3 MiB", "512.0 KiB", "100 B".
QString bytesText(qint64 bytes);
// "1,234,567".
QString countText(qint64 value);
// The number a server message starts with: "16 bytes of input refused: ..." gives 16.
qint64 leadingNumber(const QString &text);
// Parses "256K", "1M", "1000"; returns -1 when it does not parse.
qint64 parseSize(const QString &text);

} // namespace Soak
