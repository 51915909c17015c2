#include "protocol.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QJsonParseError>

#include <cmath>

namespace CloudConsole::Protocol {

namespace {

// Overload set for std::visit.
template<class... Ts> struct Overloaded : Ts...
{
    using Ts::operator()...;
};
template<class... Ts> Overloaded(Ts...) -> Overloaded<Ts...>;

QByteArray toJson(const QJsonObject &object)
{
    return QJsonDocument(object).toJson(QJsonDocument::Compact);
}

DecodeError badMessage(const QString &type, const QString &what)
{
    return {QString::fromLatin1(ErrorCode::BadMessage),
            QStringLiteral("%1 message: %2").arg(type, what)};
}

// A JSON number that is a whole number in [min, max]. JSON numbers are doubles, so this also
// refuses 1.5, NaN and values beyond 2^53 that would silently lose precision.
std::optional<qint64> integerField(const QJsonObject &object, const char *key, qint64 min,
                                   qint64 max)
{
    const QJsonValue value = object.value(QLatin1String(key));
    if (!value.isDouble())
        return std::nullopt;
    const double number = value.toDouble();
    if (!std::isfinite(number) || std::floor(number) != number || number < double(min)
        || number > double(max))
        return std::nullopt;
    return qint64(number);
}

std::optional<SourceState> sourceStateFrom(const QJsonValue &value)
{
    if (value == QLatin1String("up"))
        return SourceState::Up;
    if (value == QLatin1String("down"))
        return SourceState::Down;
    return std::nullopt;
}

// Parses a JSON object with a string "type"; on failure returns the error to report.
std::variant<QJsonObject, DecodeError> parseObject(const QByteArray &json)
{
    QJsonParseError parseError;
    const QJsonDocument document = QJsonDocument::fromJson(json, &parseError);
    if (parseError.error != QJsonParseError::NoError)
        return DecodeError {QString::fromLatin1(ErrorCode::BadJson),
                            QStringLiteral("invalid JSON at byte %1: %2")
                                .arg(parseError.offset)
                                .arg(parseError.errorString())};
    if (!document.isObject())
        return DecodeError {QString::fromLatin1(ErrorCode::BadJson),
                            QStringLiteral("a control message must be a JSON object")};
    const QJsonObject object = document.object();
    if (!object.value(QLatin1String("type")).isString())
        return DecodeError {QString::fromLatin1(ErrorCode::BadMessage),
                            QStringLiteral("a control message needs a string \"type\"")};
    return object;
}

// "cols" and "rows" within the protocol's bounds.
std::optional<std::pair<int, int>> sizeFields(const QJsonObject &o)
{
    const auto cols = integerField(o, "cols", 1, MaxCols);
    const auto rows = integerField(o, "rows", 1, MaxRows);
    if (!cols || !rows)
        return std::nullopt;
    return std::pair {int(*cols), int(*rows)};
}

QString sizeError()
{
    return QStringLiteral("\"cols\" and \"rows\" must be integers in [1, %1] and [1, %2]")
        .arg(MaxCols)
        .arg(MaxRows);
}

Decoded<ServerMessage> decodeHello(const QJsonObject &o)
{
    const QString type = QStringLiteral("hello");
    const auto protocol = integerField(o, "protocol", 1, 1'000'000);
    if (!protocol)
        return badMessage(type, QStringLiteral("\"protocol\" must be a positive integer"));
    if (*protocol != Version)
        return DecodeError {QString::fromLatin1(ErrorCode::Unsupported),
                            QStringLiteral("server speaks protocol %1, this client speaks %2")
                                .arg(*protocol)
                                .arg(Version)};
    Hello hello;
    const auto offset = integerField(o, "offset", 0, MaxOffset);
    if (!offset)
        return badMessage(type, QStringLiteral("\"offset\" must be an integer in [0, 2^53)"));
    hello.offset = *offset;
    if (!o.value(QLatin1String("console")).isString())
        return badMessage(type, QStringLiteral("\"console\" must be a string"));
    hello.console = o.value(QLatin1String("console")).toString();
    hello.epoch = o.value(QLatin1String("epoch")).toString();

    const QJsonObject history = o.value(QLatin1String("history")).toObject();
    hello.historyStart = integerField(history, "start", 0, MaxOffset).value_or(hello.offset);
    hello.historyEnd = integerField(history, "end", 0, MaxOffset).value_or(hello.offset);
    hello.writable = o.value(QLatin1String("writable")).toBool(true);

    const QJsonObject source = o.value(QLatin1String("source")).toObject();
    hello.source
        = sourceStateFrom(source.value(QLatin1String("state"))).value_or(SourceState::Down);
    hello.sourceReason = source.value(QLatin1String("reason")).toString();

    const QJsonObject capabilities = o.value(QLatin1String("capabilities")).toObject();
    hello.canResize = capabilities.value(QLatin1String("resize")).toBool(false);
    hello.canBreak = capabilities.value(QLatin1String("break")).toBool(false);
    // A server from before consoles had sizes sends none: 80x24 is what its consoles assumed.
    if (o.contains(QLatin1String("size"))) {
        const auto size = sizeFields(o.value(QLatin1String("size")).toObject());
        if (!size)
            return badMessage(type, sizeError());
        hello.cols = size->first;
        hello.rows = size->second;
    }
    hello.server = o.value(QLatin1String("server")).toString();
    return hello;
}

} // namespace

QString toString(SourceState state)
{
    return state == SourceState::Up ? QStringLiteral("up") : QStringLiteral("down");
}

QByteArray encode(const ServerMessage &message)
{
    return std::visit(Overloaded {
                          [](const Hello &m) {
                              return toJson({
                                  {QStringLiteral("type"), QStringLiteral("hello")},
                                  {QStringLiteral("protocol"), m.protocol},
                                  {QStringLiteral("console"), m.console},
                                  {QStringLiteral("offset"), double(m.offset)},
                                  {QStringLiteral("epoch"), m.epoch},
                                  {QStringLiteral("history"),
                                   QJsonObject {{QStringLiteral("start"), double(m.historyStart)},
                                                {QStringLiteral("end"), double(m.historyEnd)}}},
                                  {QStringLiteral("writable"), m.writable},
                                  {QStringLiteral("source"),
                                   QJsonObject {{QStringLiteral("state"), toString(m.source)},
                                                {QStringLiteral("reason"), m.sourceReason}}},
                                  {QStringLiteral("capabilities"),
                                   QJsonObject {{QStringLiteral("resize"), m.canResize},
                                                {QStringLiteral("break"), m.canBreak}}},
                                  {QStringLiteral("size"),
                                   QJsonObject {{QStringLiteral("cols"), m.cols},
                                                {QStringLiteral("rows"), m.rows}}},
                                  {QStringLiteral("server"), m.server},
                              });
                          },
                          [](const SizeEvent &m) {
                              return toJson({{QStringLiteral("type"), QStringLiteral("size")},
                                             {QStringLiteral("cols"), m.cols},
                                             {QStringLiteral("rows"), m.rows}});
                          },
                          [](const Screen &m) {
                              return toJson({{QStringLiteral("type"), QStringLiteral("screen")},
                                             {QStringLiteral("offset"), double(m.offset)},
                                             {QStringLiteral("cols"), m.cols},
                                             {QStringLiteral("rows"), m.rows},
                                             {QStringLiteral("complete"), m.complete},
                                             {QStringLiteral("data"), QString::fromUtf8(m.data)}});
                          },
                          [](const SourceEvent &m) {
                              return toJson({{QStringLiteral("type"), QStringLiteral("source")},
                                             {QStringLiteral("state"), toString(m.state)},
                                             {QStringLiteral("reason"), m.reason}});
                          },
                          [](const Gap &m) {
                              return toJson({{QStringLiteral("type"), QStringLiteral("gap")},
                                             {QStringLiteral("from"), double(m.from)},
                                             {QStringLiteral("to"), double(m.to)}});
                          },
                          [](const Error &m) {
                              return toJson({{QStringLiteral("type"), QStringLiteral("error")},
                                             {QStringLiteral("code"), m.code},
                                             {QStringLiteral("message"), m.message}});
                          },
                          [](const Pong &m) {
                              QJsonObject o {{QStringLiteral("type"), QStringLiteral("pong")}};
                              if (!m.data.isUndefined())
                                  o.insert(QStringLiteral("data"), m.data);
                              return toJson(o);
                          },
                      },
                      message);
}

QByteArray encode(const ClientMessage &message)
{
    return std::visit(Overloaded {
                          [](const Resize &m) {
                              return toJson({{QStringLiteral("type"), QStringLiteral("resize")},
                                             {QStringLiteral("cols"), m.cols},
                                             {QStringLiteral("rows"), m.rows}});
                          },
                          [](const Ping &m) {
                              QJsonObject o {{QStringLiteral("type"), QStringLiteral("ping")}};
                              if (!m.data.isUndefined())
                                  o.insert(QStringLiteral("data"), m.data);
                              return toJson(o);
                          },
                          [](const Break &) {
                              return toJson({{QStringLiteral("type"), QStringLiteral("break")}});
                          },
                          [](const ScreenRequest &) {
                              return toJson({{QStringLiteral("type"), QStringLiteral("screen")}});
                          },
                      },
                      message);
}

Decoded<ServerMessage> decodeServerMessage(const QByteArray &json)
{
    auto parsed = parseObject(json);
    if (auto *error = std::get_if<DecodeError>(&parsed))
        return *error;
    const QJsonObject &o = std::get<QJsonObject>(parsed);
    const QString type = o.value(QLatin1String("type")).toString();

    if (type == QLatin1String("hello"))
        return decodeHello(o);
    if (type == QLatin1String("source")) {
        const auto state = sourceStateFrom(o.value(QLatin1String("state")));
        if (!state)
            return badMessage(type, QStringLiteral("\"state\" must be \"up\" or \"down\""));
        return SourceEvent {*state, o.value(QLatin1String("reason")).toString()};
    }
    if (type == QLatin1String("gap")) {
        const auto from = integerField(o, "from", 0, MaxOffset);
        const auto to = integerField(o, "to", 0, MaxOffset);
        if (!from || !to || *to < *from)
            return badMessage(type, QStringLiteral("needs integers \"from\" <= \"to\""));
        return Gap {*from, *to};
    }
    if (type == QLatin1String("error")) {
        if (!o.value(QLatin1String("code")).isString())
            return badMessage(type, QStringLiteral("\"code\" must be a string"));
        return Error {o.value(QLatin1String("code")).toString(),
                      o.value(QLatin1String("message")).toString()};
    }
    if (type == QLatin1String("pong"))
        return Pong {o.value(QLatin1String("data"))};
    if (type == QLatin1String("size")) {
        const auto size = sizeFields(o);
        if (!size)
            return badMessage(type, sizeError());
        return SizeEvent {size->first, size->second};
    }
    if (type == QLatin1String("screen")) {
        const auto offset = integerField(o, "offset", 0, MaxOffset);
        const auto size = sizeFields(o);
        if (!offset || !size || !o.value(QLatin1String("data")).isString())
            return badMessage(type,
                              QStringLiteral("needs an integer \"offset\", \"cols\" and \"rows\", "
                                             "and a string \"data\""));
        return Screen {*offset, size->first, size->second,
                       o.value(QLatin1String("complete")).toBool(true),
                       o.value(QLatin1String("data")).toString().toUtf8()};
    }
    return DecodeError {QString::fromLatin1(ErrorCode::UnknownType),
                        QStringLiteral("unknown message type \"%1\"").arg(type.left(64))};
}

Decoded<ClientMessage> decodeClientMessage(const QByteArray &json)
{
    auto parsed = parseObject(json);
    if (auto *error = std::get_if<DecodeError>(&parsed))
        return *error;
    const QJsonObject &o = std::get<QJsonObject>(parsed);
    const QString type = o.value(QLatin1String("type")).toString();

    if (type == QLatin1String("resize")) {
        const auto size = sizeFields(o);
        if (!size)
            return badMessage(type, sizeError());
        return Resize {size->first, size->second};
    }
    if (type == QLatin1String("ping"))
        return Ping {o.value(QLatin1String("data"))};
    if (type == QLatin1String("break"))
        return Break {};
    if (type == QLatin1String("screen"))
        return ScreenRequest {};
    return DecodeError {QString::fromLatin1(ErrorCode::UnknownType),
                        QStringLiteral("unknown message type \"%1\"").arg(type.left(64))};
}

} // namespace CloudConsole::Protocol
