#pragma once

// The parsers of setting values, shared by the command line and the configuration file through
// the setting table (settingtable.h). Each returns what is wrong with the value, as a phrase the
// reader prefixes with the flag or key, or an empty string and the value stored. The formatters
// at the end write a value the way the parsers read it, for the defaults that --help and the
// docs show.

#include "sharingsettings.h"
#include "sourcespec.h"

#include <QHostAddress>
#include <QSize>
#include <QString>
#include <QStringList>

#include <chrono>

namespace CloudConsole {

// "1M", "64KiB", "80000": a byte count, or -1.
qint64 parseSize(const QString &text);
// Sharing (server/sharing/): input = shared|exclusive; paste-rate = CHARS per second, 0 or
// unlimited, or auto; paste-line-delay = 250ms, 1s, 0; paste-mode = paced|echo; paste-max.
QString parseInputMode(const QString &text, SharingSettings::Input *input);
QString parsePasteRate(const QString &text, int *rate);
QString parseMilliseconds(const QString &text, std::chrono::milliseconds *duration);
QString parsePasteMode(const QString &text, SharingSettings::PasteMode *mode);
QString parsePasteMax(const QString &text, qint64 *bytes);
QString inputModeText(SharingSettings::Input input);
QString pasteRateText(int rate);
QString pasteModeText(SharingSettings::PasteMode mode);
// "127.0.0.1", "::1" or "localhost".
bool parseAddress(const QString &text, QHostAddress *address);
// 0 to 65535, digits only.
bool parsePort(const QString &text, quint16 *port);

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
// on, yes, true, 1 or off, no, false, 0.
QString parseBool(const QString &text, bool *value);
// 0 (no limit) or a size of at least 1K.
QString parseInputRate(const QString &text, qint64 *bytesPerSecond);
// A comma-separated list of origins such as https://ops.example.com.
QString parseOrigins(const QString &text, QStringList *origins);
// A file or directory name: anything but empty. `what` names it ("a file name").
QString parsePath(const QString &text, QString *path, const char *what);

// "1M", "64K", "0": in the largest unit that divides it, as parseSize reads it.
QString sizeText(qint64 bytes);
// "30s", "8h", "0": in the largest unit that divides it, as parseDuration reads it.
QString durationText(std::chrono::seconds duration);
// "on" or "off".
QString boolText(bool value);
// "80x24".
QString consoleSizeText(QSize size);
// "never", "on-failure" or "always".
QString restartText(ExecSource::RestartPolicy policy);

} // namespace CloudConsole
