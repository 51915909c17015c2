#include "sourcespec.h"

#include "chapilocator.h"
#include "execsource.h"
#include "ptysource.h"
#include "qmplocator.h"

#include <QRegularExpression>

#include <map>

namespace CloudConsole {

namespace {

// Splits "PATH?key=value&key=value" for the pty-like specs; every key must be one it knows.
bool splitQuery(const QString &text, const QString &rest, const QStringList &known, QString *path,
                std::map<QString, QString> *query, QString *error)
{
    const qsizetype mark = rest.indexOf(u'?');
    *path = mark < 0 ? rest : rest.left(mark);
    if (path->trimmed().isEmpty()) {
        *error = QStringLiteral("%1 needs a path").arg(text);
        return false;
    }
    if (mark < 0)
        return true;
    for (const QString &pair : rest.sliced(mark + 1).split(u'&')) {
        const qsizetype equals = pair.indexOf(u'=');
        const QString key = equals < 0 ? pair : pair.left(equals);
        if (!known.contains(key)) {
            *error = QStringLiteral("%1: unknown key \"%2\" (known: %3)")
                         .arg(text, key.left(32), known.join(u", "));
            return false;
        }
        if (equals < 0 || equals == pair.size() - 1) {
            *error = QStringLiteral("%1: %2 needs a value").arg(text, key);
            return false;
        }
        if (query->count(key)) {
            *error = QStringLiteral("%1: %2 given twice").arg(text, key);
            return false;
        }
        (*query)[key] = pair.sliced(equals + 1);
    }
    return true;
}

bool parseDevice(const QString &text, const std::map<QString, QString> &query,
                 PtySource::Device *device, QString *error)
{
    const auto it = query.find(QStringLiteral("device"));
    if (it == query.end() || it->second == QLatin1String("serial")) {
        *device = PtySource::Device::Serial;
        return true;
    }
    if (it->second == QLatin1String("console")) {
        *device = PtySource::Device::VirtioConsole;
        return true;
    }
    *error = QStringLiteral("%1: device \"%2\" is not serial or console").arg(text, it->second);
    return false;
}

QString deviceQuery(PtySource::Device device)
{
    return device == PtySource::Device::VirtioConsole ? QStringLiteral("device=console")
                                                      : QString();
}

QString withQuery(const QString &base, const QStringList &pairs)
{
    QStringList present;
    for (const QString &pair : pairs) {
        if (!pair.isEmpty())
            present.append(pair);
    }
    return present.isEmpty() ? base : base + u'?' + present.join(u'&');
}

} // namespace

QString SourceSpec::toString() const
{
    switch (kind) {
    case Kind::Pty:
        // A bare path may hold a '?', which pty: would take for its query: such a path stands
        // for itself (only a bare path can hold one, so it is a serial pty).
        if (target.contains(u'?'))
            return target;
        return withQuery(QStringLiteral("pty:") + target, {deviceQuery(device)});
    case Kind::ChApi:
        return withQuery(QStringLiteral("ch:") + target, {deviceQuery(device)});
    case Kind::Qmp:
        return withQuery(
            QStringLiteral("qmp:") + target,
            {chardev == QLatin1String("serial0") ? QString() : QStringLiteral("chardev=") + chardev,
             deviceQuery(device)});
    case Kind::Exec:
        return QStringLiteral("exec:") + target;
    case Kind::Socket:
        return endpoint.toString();
    case Kind::Serial:
        return serial.toString();
    }
    return {};
}

std::optional<SourceSpec> parseSourceSpec(const QString &text, QString *error)
{
    SourceSpec spec;
    // The whole text, line breaks included: with '$' and a '.' that stops at them, "pty:/a\nb"
    // would be a bare path, and its canonical form "pty:pty:/a\nb" another one.
    static const QRegularExpression typed(QStringLiteral("^([a-z][a-z0-9+.-]*):(.*)\\z"),
                                          QRegularExpression::DotMatchesEverythingOption);
    const auto match = typed.match(text);
    // A path is a pty; so is anything that does not start with a type (a relative path).
    if (text.startsWith(QLatin1Char('/')) || text.startsWith(QLatin1Char('.'))
        || !match.hasMatch()) {
        // Blanks are no path either (and "pty:  " is refused as one).
        if (text.trimmed().isEmpty()) {
            *error = QStringLiteral("the console source is empty");
            return std::nullopt;
        }
        spec.target = text;
        return spec;
    }
    const QString type = match.captured(1);
    const QString rest = match.captured(2);
    if (type == QLatin1String("exec")) {
        if (rest.trimmed().isEmpty()) {
            *error = QStringLiteral("exec: needs a command");
            return std::nullopt;
        }
        spec.kind = SourceSpec::Kind::Exec;
        spec.target = rest;
        return spec;
    }
    // A pty named by path or by a VMM's API.
    static const std::map<QString, std::pair<SourceSpec::Kind, QStringList>> ptyTypes {
        {QStringLiteral("pty"), {SourceSpec::Kind::Pty, {QStringLiteral("device")}}},
        {QStringLiteral("ch"), {SourceSpec::Kind::ChApi, {QStringLiteral("device")}}},
        {QStringLiteral("qmp"),
         {SourceSpec::Kind::Qmp, {QStringLiteral("chardev"), QStringLiteral("device")}}},
    };
    if (const auto ptyType = ptyTypes.find(type); ptyType != ptyTypes.end()) {
        std::map<QString, QString> query;
        if (!splitQuery(text, rest, ptyType->second.second, &spec.target, &query, error)
            || !parseDevice(text, query, &spec.device, error))
            return std::nullopt;
        spec.kind = ptyType->second.first;
        if (const auto chardev = query.find(QStringLiteral("chardev")); chardev != query.end())
            spec.chardev = chardev->second;
        return spec;
    }
    if (type == QLatin1String("unix") || type == QLatin1String("tcp")
        || type == QLatin1String("telnet")) {
        QString why;
        const auto endpoint = StreamSocketSource::parseEndpoint(text, &why);
        if (!endpoint) {
            *error = QStringLiteral("%1: %2").arg(text, why);
            return std::nullopt;
        }
        spec.kind = SourceSpec::Kind::Socket;
        spec.endpoint = *endpoint;
        return spec;
    }
    if (type == QLatin1String("serial")) {
        // The message names the spec, the key and the values it takes.
        const auto serial = SerialSettings::parse(text, error);
        if (!serial)
            return std::nullopt;
        spec.kind = SourceSpec::Kind::Serial;
        spec.serial = *serial;
        return spec;
    }
    *error = QStringLiteral("unknown console source type \"%1\" (known: pty, exec, unix, tcp, "
                            "telnet, serial, ch, qmp; a path means pty)")
                 .arg(type.left(32));
    return std::nullopt;
}

bool probeSource(const SourceSpec &spec, QString *error)
{
    if (spec.kind == SourceSpec::Kind::Pty)
        return PtySource::probe(spec.target, error);
    return true;
}

std::unique_ptr<ConsoleSource> createSource(const SourceSpec &spec)
{
    switch (spec.kind) {
    case SourceSpec::Kind::Pty:
        return std::make_unique<PtySource>(spec.target, spec.device);
    case SourceSpec::Kind::ChApi:
        return std::make_unique<PtySource>(
            std::make_unique<ChApiLocator>(spec.target,
                                           spec.device == PtySource::Device::VirtioConsole
                                               ? ChApiLocator::Device::Console
                                               : ChApiLocator::Device::Serial),
            spec.device);
    case SourceSpec::Kind::Qmp:
        return std::make_unique<PtySource>(std::make_unique<QmpLocator>(spec.target, spec.chardev),
                                           spec.device);
    case SourceSpec::Kind::Exec: {
        auto source = std::make_unique<ExecSource>(spec.target);
        source->setRestartPolicy(spec.restart);
        return source;
    }
    case SourceSpec::Kind::Socket:
        return std::make_unique<StreamSocketSource>(spec.endpoint);
    case SourceSpec::Kind::Serial:
        return std::make_unique<SerialSource>(spec.serial);
    }
    return nullptr;
}

} // namespace CloudConsole
