#include "values.h"

#include "protocol.h"

#include <QRegularExpression>

#include <limits>
#include <utility>

namespace CloudConsole {

namespace {

constexpr qint64 MinHistory = 4 * 1024;
constexpr qint64 MaxHistory = 1024 * 1024 * 1024;

constexpr std::pair<const char *, ExecSource::RestartPolicy> RestartPolicies[] = {
    {"never", ExecSource::RestartPolicy::Never},
    {"on-failure", ExecSource::RestartPolicy::OnFailure},
    {"always", ExecSource::RestartPolicy::Always},
};

// value in the largest of units (factor, suffix) that divides it; 0 as "0".
template<typename Units> QString inLargestUnit(qint64 value, const Units &units)
{
    for (const auto &[factor, suffix] : units) {
        if (value != 0 && value % factor == 0)
            return QString::number(value / factor) + QLatin1String(suffix);
    }
    return QString::number(value);
}

} // namespace

qint64 parseSize(const QString &text)
{
    static const QRegularExpression pattern(
        QStringLiteral("^([0-9]{1,12})\\s*(|[kK]|[kK]i?B|[mM]|[mM]i?B|[gG]|[gG]i?B)$"));
    const auto match = pattern.match(text.trimmed());
    if (!match.hasMatch())
        return -1;
    const qint64 value = match.captured(1).toLongLong();
    const QChar unit = match.captured(2).isEmpty() ? QChar() : match.captured(2).at(0).toLower();
    qint64 multiplier = 1;
    if (unit == QLatin1Char('k'))
        multiplier = qint64(1) << 10;
    else if (unit == QLatin1Char('m'))
        multiplier = qint64(1) << 20;
    else if (unit == QLatin1Char('g'))
        multiplier = qint64(1) << 30;
    // Too large to count is invalid, not a wrapped-around small size.
    if (value > std::numeric_limits<qint64>::max() / multiplier)
        return -1;
    return value * multiplier;
}

QString parseInputMode(const QString &text, SharingSettings::Input *input)
{
    if (text == QLatin1String("shared"))
        *input = SharingSettings::Input::Shared;
    else if (text == QLatin1String("exclusive"))
        *input = SharingSettings::Input::Exclusive;
    else
        return QStringLiteral("\"%1\" is not shared or exclusive").arg(text);
    return {};
}

QString parsePasteRate(const QString &text, int *rate)
{
    static const QRegularExpression digits(QStringLiteral("^[0-9]{1,7}$"));
    if (text == QLatin1String("auto"))
        *rate = SharingSettings::AutoPasteRate;
    else if (text == QLatin1String("unlimited"))
        *rate = 0;
    else if (digits.match(text).hasMatch() && text.toInt() <= 1000000)
        *rate = text.toInt();
    else
        return QStringLiteral("\"%1\" is not a number of characters per second (0 to 1000000), "
                              "unlimited or auto")
            .arg(text);
    return {};
}

QString parseMilliseconds(const QString &text, std::chrono::milliseconds *duration)
{
    static const QRegularExpression pattern(QStringLiteral("^([0-9]{1,6})\\s*(ms|s|)$"));
    const auto match = pattern.match(text.trimmed());
    const qint64 value = match.captured(1).toLongLong();
    const qint64 ms = match.captured(2) == QLatin1String("s") ? value * 1000 : value;
    if (!match.hasMatch() || (match.captured(2).isEmpty() && value != 0) || ms > 60000)
        return QStringLiteral("\"%1\" is not a duration of 0 to 60s (like 250ms or 1s)").arg(text);
    *duration = std::chrono::milliseconds(ms);
    return {};
}

QString parsePasteMode(const QString &text, SharingSettings::PasteMode *mode)
{
    if (text == QLatin1String("paced"))
        *mode = SharingSettings::PasteMode::Paced;
    else if (text == QLatin1String("echo"))
        *mode = SharingSettings::PasteMode::Echo;
    else
        return QStringLiteral("\"%1\" is not paced or echo").arg(text);
    return {};
}

QString parsePasteMax(const QString &text, qint64 *bytes)
{
    const qint64 size = parseSize(text);
    if (size < 1 || size > SharingSettings::MaxPasteMax)
        return QStringLiteral("\"%1\" is not a size from 1 byte to 64M").arg(text);
    *bytes = size;
    return {};
}

QString inputModeText(SharingSettings::Input input)
{
    return input == SharingSettings::Input::Exclusive ? QStringLiteral("exclusive")
                                                      : QStringLiteral("shared");
}

QString pasteRateText(int rate)
{
    if (rate == SharingSettings::AutoPasteRate)
        return QStringLiteral("auto");
    return rate == 0 ? QStringLiteral("unlimited") : QString::number(rate);
}

QString pasteModeText(SharingSettings::PasteMode mode)
{
    return mode == SharingSettings::PasteMode::Echo ? QStringLiteral("echo")
                                                    : QStringLiteral("paced");
}

bool parseAddress(const QString &text, QHostAddress *address)
{
    if (text == QLatin1String("localhost")) {
        *address = QHostAddress(QHostAddress::LocalHost);
        return true;
    }
    return address->setAddress(text);
}

bool parsePort(const QString &text, quint16 *port)
{
    static const QRegularExpression digits(QStringLiteral("^[0-9]{1,5}$"));
    if (!digits.match(text).hasMatch())
        return false;
    const int value = text.toInt();
    if (value > 65535)
        return false;
    *port = quint16(value);
    return true;
}

QString parseListen(const QString &text, QHostAddress *address, quint16 *port)
{
    static const QRegularExpression form(QStringLiteral("^(\\[([^\\]]+)\\]|([^:]+)):([^:]+)$"));
    const auto match = form.match(text);
    if (!match.hasMatch())
        return QStringLiteral("expected ADDR:PORT (IPv6 as [ADDR]:PORT), got \"%1\"").arg(text);
    const QString host = match.captured(2).isEmpty() ? match.captured(3) : match.captured(2);
    if (!parseAddress(host, address))
        return QStringLiteral("invalid address %1").arg(host);
    if (!parsePort(match.captured(4), port))
        return QStringLiteral("invalid port %1 (expected 0 to 65535)").arg(match.captured(4));
    return {};
}

QString parseHistorySize(const QString &text, qsizetype *size)
{
    const qint64 value = parseSize(text);
    if (value < MinHistory || value > MaxHistory)
        return QStringLiteral("\"%1\" is not a size from 4K to 1G").arg(text);
    *size = qsizetype(value);
    return {};
}

QString parseConsoleSize(const QString &text, QSize *size)
{
    static const QRegularExpression pattern(QStringLiteral("^([0-9]{1,4})[xX]([0-9]{1,4})$"));
    const QRegularExpressionMatch match = pattern.match(text.trimmed());
    const int cols = match.hasMatch() ? match.captured(1).toInt() : 0;
    const int rows = match.hasMatch() ? match.captured(2).toInt() : 0;
    if (cols < 1 || cols > Protocol::MaxCols || rows < 1 || rows > Protocol::MaxRows)
        return QStringLiteral("\"%1\" is not COLSxROWS with each from 1 to 1000 (such as 80x24)")
            .arg(text.left(64));
    *size = QSize(cols, rows);
    return {};
}

QString parseScrollback(const QString &text, int *lines)
{
    bool ok = false;
    const int value = text.trimmed().toInt(&ok);
    if (!ok || value < 0 || value > 100'000)
        return QStringLiteral("\"%1\" is not a number of lines from 0 to 100000")
            .arg(text.left(64));
    *lines = value;
    return {};
}

QString parseMaxClients(const QString &text, int *count)
{
    bool ok = false;
    const int value = text.toInt(&ok);
    if (!ok || value < 1 || value > 100000)
        return QStringLiteral("\"%1\" is not a number from 1 to 100000").arg(text);
    *count = value;
    return {};
}

QString parseRestart(const QString &text, SourceSpec *spec)
{
    if (spec->kind != SourceSpec::Kind::Exec)
        return QStringLiteral("applies to a command's console (exec:), not to %1")
            .arg(spec->toString());
    for (const auto &[name, policy] : RestartPolicies) {
        if (text == QLatin1String(name)) {
            spec->restart = policy;
            return {};
        }
    }
    return QStringLiteral("\"%1\" is not never, on-failure or always").arg(text);
}

QString parseDuration(const QString &text, std::chrono::seconds *duration)
{
    static const QRegularExpression pattern(QStringLiteral("^([0-9]{1,9})\\s*(s|m|h|d|)$"));
    const auto match = pattern.match(text.trimmed());
    if (!match.hasMatch())
        return QStringLiteral("\"%1\" is not a duration (like 90s, 30m, 8h, 2d)").arg(text);
    const qint64 value = match.captured(1).toLongLong();
    const QString unit = match.captured(2);
    const qint64 scale = unit == QLatin1String("m") ? 60
        : unit == QLatin1String("h")                ? 3600
        : unit == QLatin1String("d")                ? 86400
                                                    : 1;
    *duration = std::chrono::seconds(value * scale);
    return {};
}

QString parseBool(const QString &text, bool *value)
{
    static const QStringList yes {QStringLiteral("on"), QStringLiteral("yes"),
                                  QStringLiteral("true"), QStringLiteral("1")};
    static const QStringList no {QStringLiteral("off"), QStringLiteral("no"),
                                 QStringLiteral("false"), QStringLiteral("0")};
    if (yes.contains(text)) {
        *value = true;
        return {};
    }
    if (no.contains(text)) {
        *value = false;
        return {};
    }
    return QStringLiteral("expected on or off, got \"%1\"").arg(text);
}

QString parseInputRate(const QString &text, qint64 *bytesPerSecond)
{
    const qint64 rate = text == QLatin1String("0") ? 0 : parseSize(text);
    if (rate < 0 || (rate > 0 && rate < 1024))
        return QStringLiteral("\"%1\" is not 0 (no limit) or a size of at least 1K per second")
            .arg(text);
    *bytesPerSecond = rate;
    return {};
}

QString parseOrigins(const QString &text, QStringList *origins)
{
    static const QRegularExpression origin(
        QStringLiteral("^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?$|^https?://"
                       "\\[[0-9a-fA-F:.]+\\](:[0-9]{1,5})?$"));
    origins->clear();
    for (const QString &item : text.split(u',', Qt::SkipEmptyParts)) {
        const QString trimmed = item.trimmed();
        if (!origin.match(trimmed).hasMatch())
            return QStringLiteral("\"%1\" is not an origin like https://ops.example.com (scheme, "
                                  "host and port only)")
                .arg(trimmed);
        origins->append(trimmed);
    }
    return {};
}

QString parsePath(const QString &text, QString *path, const char *what)
{
    *path = text;
    return text.isEmpty() ? QStringLiteral("needs %1").arg(QLatin1String(what)) : QString();
}

QString sizeText(qint64 bytes)
{
    constexpr std::pair<qint64, const char *> Units[]
        = {{qint64(1) << 30, "G"}, {qint64(1) << 20, "M"}, {qint64(1) << 10, "K"}};
    return inLargestUnit(bytes, Units);
}

QString durationText(std::chrono::seconds duration)
{
    constexpr std::pair<qint64, const char *> Units[]
        = {{86400, "d"}, {3600, "h"}, {60, "m"}, {1, "s"}};
    return inLargestUnit(duration.count(), Units);
}

QString boolText(bool value)
{
    return value ? QStringLiteral("on") : QStringLiteral("off");
}

QString consoleSizeText(QSize size)
{
    return QStringLiteral("%1x%2").arg(size.width()).arg(size.height());
}

QString restartText(ExecSource::RestartPolicy policy)
{
    for (const auto &[name, each] : RestartPolicies) {
        if (each == policy)
            return QString::fromLatin1(name);
    }
    return {};
}

} // namespace CloudConsole
