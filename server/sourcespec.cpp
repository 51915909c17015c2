#include "sourcespec.h"

#include "execsource.h"
#include "ptysource.h"

#include <QRegularExpression>

namespace CloudConsole {

QString SourceSpec::toString() const
{
    switch (kind) {
    case Kind::Pty:
        return QStringLiteral("pty:") + target;
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
    static const QRegularExpression typed(QStringLiteral("^([a-z][a-z0-9+.-]*):(.*)$"));
    const auto match = typed.match(text);
    // A path is a pty; so is anything that does not start with a type (a relative path).
    if (text.startsWith(QLatin1Char('/')) || text.startsWith(QLatin1Char('.'))
        || !match.hasMatch()) {
        if (text.isEmpty()) {
            *error = QStringLiteral("the console source is empty");
            return std::nullopt;
        }
        spec.target = text;
        return spec;
    }
    const QString type = match.captured(1);
    const QString rest = match.captured(2);
    if (type == QLatin1String("pty") || type == QLatin1String("exec")) {
        if (rest.trimmed().isEmpty()) {
            *error = QStringLiteral("%1: needs a %2")
                         .arg(type,
                              type == QLatin1String("pty") ? QStringLiteral("path")
                                                           : QStringLiteral("command"));
            return std::nullopt;
        }
        spec.kind = type == QLatin1String("pty") ? SourceSpec::Kind::Pty : SourceSpec::Kind::Exec;
        spec.target = rest;
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
                            "telnet, serial; a path means pty)")
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
        return std::make_unique<PtySource>(spec.target);
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
