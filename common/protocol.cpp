#include "protocol.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QJsonParseError>

#include <algorithm>
#include <cmath>
#include <iterator>

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

// A field that may be missing (then `fallback`) but, when present, must be a string.
std::optional<QString> optionalString(const QJsonObject &object, const char *key,
                                      const QString &fallback = {})
{
    const QJsonValue value = object.value(QLatin1String(key));
    if (value.isUndefined())
        return fallback;
    if (!value.isString())
        return std::nullopt;
    return value.toString();
}

// An id that may be null (or missing): nobody. Otherwise a whole number in [0, MaxOffset]; a
// present value of any other kind is wrong (outer nullopt).
std::optional<std::optional<qint64>> nullableId(const QJsonObject &object, const char *key)
{
    const QJsonValue value = object.value(QLatin1String(key));
    if (value.isNull() || value.isUndefined())
        return std::optional<qint64>();
    const auto id = integerField(object, key, 0, MaxOffset);
    if (!id)
        return std::nullopt;
    return std::optional<qint64>(*id);
}

QJsonValue idOrNull(const std::optional<qint64> &id)
{
    return id ? QJsonValue(double(*id)) : QJsonValue(QJsonValue::Null);
}

bool allStrings(const QJsonObject &o, std::initializer_list<const char *> keys)
{
    return std::all_of(keys.begin(), keys.end(),
                       [&o](const char *key) { return o.value(QLatin1String(key)).isString(); });
}

QString stringOf(const QJsonObject &o, const char *key)
{
    return o.value(QLatin1String(key)).toString();
}

std::optional<ClientInfo> clientInfoFrom(const QJsonValue &value)
{
    if (!value.isObject())
        return std::nullopt;
    const QJsonObject o = value.toObject();
    const auto id = integerField(o, "id", 0, MaxOffset);
    const auto typed = optionalString(o, "typed");
    if (!id || !typed || !allStrings(o, {"name", "role", "kind", "address", "joined"}))
        return std::nullopt;
    return ClientInfo {*id,
                       stringOf(o, "name"),
                       stringOf(o, "role"),
                       stringOf(o, "kind"),
                       stringOf(o, "address"),
                       stringOf(o, "joined"),
                       *typed};
}

std::optional<bool> boolField(const QJsonObject &object, const char *key)
{
    const QJsonValue value = object.value(QLatin1String(key));
    if (!value.isBool())
        return std::nullopt;
    return value.toBool();
}

// Every field of a hello is required except "size" (a server from before consoles had sizes
// sends none: 80x24 is what its consoles assumed), "server" (for diagnostics only) and the
// source's "reason". The page's decoder (resources/web/src/protocol.js) agrees; both are
// checked against tests/protocol/examples.json.
Decoded<ServerMessage> decodeHello(const QJsonObject &o)
{
    const QString type = QStringLiteral("hello");
    const auto protocol = integerField(o, "protocol", 1, MaxOffset);
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
    if (!o.value(QLatin1String("epoch")).isString())
        return badMessage(type, QStringLiteral("\"epoch\" must be a string"));
    hello.epoch = o.value(QLatin1String("epoch")).toString();

    const QJsonValue history = o.value(QLatin1String("history"));
    const auto start = integerField(history.toObject(), "start", 0, MaxOffset);
    const auto end = integerField(history.toObject(), "end", 0, MaxOffset);
    if (!history.isObject() || !start || !end || *start > *end)
        return badMessage(type, QStringLiteral("\"history\" needs integers \"start\" <= \"end\""));
    hello.historyStart = *start;
    hello.historyEnd = *end;

    const auto writable = boolField(o, "writable");
    if (!writable)
        return badMessage(type, QStringLiteral("\"writable\" must be true or false"));
    hello.writable = *writable;

    const QJsonValue source = o.value(QLatin1String("source"));
    const auto state = sourceStateFrom(source.toObject().value(QLatin1String("state")));
    const auto reason = optionalString(source.toObject(), "reason");
    if (!source.isObject() || !state || !reason)
        return badMessage(type,
                          QStringLiteral("\"source\" needs a \"state\" \"up\" or \"down\", "
                                         "and a string \"reason\" if any"));
    hello.source = *state;
    hello.sourceReason = *reason;

    const QJsonValue capabilities = o.value(QLatin1String("capabilities"));
    const auto canResize = boolField(capabilities.toObject(), "resize");
    const auto canBreak = boolField(capabilities.toObject(), "break");
    if (!capabilities.isObject() || !canResize || !canBreak)
        return badMessage(type,
                          QStringLiteral("\"capabilities\" needs \"resize\" and \"break\", "
                                         "true or false"));
    hello.canResize = *canResize;
    hello.canBreak = *canBreak;

    if (o.contains(QLatin1String("size"))) {
        const QJsonValue sizeValue = o.value(QLatin1String("size"));
        const auto size = sizeFields(sizeValue.toObject());
        if (!sizeValue.isObject() || !size)
            return badMessage(type, sizeError());
        hello.cols = size->first;
        hello.rows = size->second;
    }
    const auto server = optionalString(o, "server");
    if (!server)
        return badMessage(type, QStringLiteral("\"server\" must be a string"));
    hello.server = *server;
    return hello;
}

} // namespace

QString toString(Control::Action action)
{
    switch (action) {
    case Control::Action::Take:
        return QStringLiteral("take");
    case Control::Action::Release:
        return QStringLiteral("release");
    case Control::Action::Give:
        break;
    }
    return QStringLiteral("give");
}

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
                          [](const AlertEvent &m) {
                              return toJson({{QStringLiteral("type"), QStringLiteral("alert")},
                                             {QStringLiteral("rule"), m.rule},
                                             {QStringLiteral("severity"), m.severity},
                                             {QStringLiteral("line"), m.line},
                                             {QStringLiteral("time"), m.time},
                                             {QStringLiteral("offset"), double(m.offset)}});
                          },
                          [](const ClientsEvent &m) {
                              QJsonArray clients;
                              for (const ClientInfo &c : m.clients) {
                                  QJsonObject o {{QStringLiteral("id"), double(c.id)},
                                                 {QStringLiteral("name"), c.name},
                                                 {QStringLiteral("role"), c.role},
                                                 {QStringLiteral("kind"), c.kind},
                                                 {QStringLiteral("address"), c.address},
                                                 {QStringLiteral("joined"), c.joined}};
                                  if (!c.typed.isEmpty())
                                      o.insert(QStringLiteral("typed"), c.typed);
                                  clients.append(o);
                              }
                              return toJson({{QStringLiteral("type"), QStringLiteral("clients")},
                                             {QStringLiteral("you"), double(m.you)},
                                             {QStringLiteral("input"), m.input},
                                             {QStringLiteral("holder"), idOrNull(m.holder)},
                                             {QStringLiteral("clients"), clients}});
                          },
                          [](const ControlEvent &m) {
                              return toJson({{QStringLiteral("type"), QStringLiteral("control")},
                                             {QStringLiteral("holder"), idOrNull(m.holder)},
                                             {QStringLiteral("by"), idOrNull(m.by)},
                                             {QStringLiteral("reason"), m.reason}});
                          },
                          [](const PasteEvent &m) {
                              QJsonObject o {{QStringLiteral("type"), QStringLiteral("paste")},
                                             {QStringLiteral("id"), double(m.id)},
                                             {QStringLiteral("by"), double(m.by)},
                                             {QStringLiteral("state"), m.state},
                                             {QStringLiteral("sent"), double(m.sent)},
                                             {QStringLiteral("total"), double(m.total)}};
                              if (!m.message.isEmpty())
                                  o.insert(QStringLiteral("message"), m.message);
                              return toJson(o);
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
    return std::visit(
        Overloaded {
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
            [](const Paste &m) {
                return toJson({{QStringLiteral("type"), QStringLiteral("paste")},
                               {QStringLiteral("id"), double(m.id)},
                               {QStringLiteral("total"), double(m.total)},
                               {QStringLiteral("at"), double(m.at)},
                               {QStringLiteral("data"), QString::fromUtf8(m.data)}});
            },
            [](const PasteCancel &) {
                return toJson({{QStringLiteral("type"), QStringLiteral("paste-cancel")}});
            },
            [](const Control &m) {
                QJsonObject o {{QStringLiteral("type"), QStringLiteral("control")},
                               {QStringLiteral("action"), toString(m.action)}};
                if (m.action == Control::Action::Give)
                    o.insert(QStringLiteral("to"), double(m.to));
                return toJson(o);
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
        const auto reason = optionalString(o, "reason");
        if (!state || !reason)
            return badMessage(type,
                              QStringLiteral("needs a \"state\" \"up\" or \"down\", and a string "
                                             "\"reason\" if any"));
        return SourceEvent {*state, *reason};
    }
    if (type == QLatin1String("gap")) {
        const auto from = integerField(o, "from", 0, MaxOffset);
        const auto to = integerField(o, "to", 0, MaxOffset);
        if (!from || !to || *to < *from)
            return badMessage(type, QStringLiteral("needs integers \"from\" <= \"to\""));
        return Gap {*from, *to};
    }
    if (type == QLatin1String("error")) {
        const auto message = optionalString(o, "message");
        if (!o.value(QLatin1String("code")).isString() || !message)
            return badMessage(type,
                              QStringLiteral("needs a string \"code\", and a string \"message\" "
                                             "if any"));
        return Error {o.value(QLatin1String("code")).toString(), *message};
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
        // A screen says "complete": false only when the server's model skipped output.
        const QJsonValue complete = o.value(QLatin1String("complete"));
        if (!offset || !size || !o.value(QLatin1String("data")).isString()
            || !(complete.isUndefined() || complete.isBool()))
            return badMessage(type,
                              QStringLiteral("needs an integer \"offset\", \"cols\" and \"rows\", "
                                             "a string \"data\", and \"complete\" true or false "
                                             "if any"));
        return Screen {*offset, size->first, size->second, complete.toBool(true),
                       o.value(QLatin1String("data")).toString().toUtf8()};
    }
    if (type == QLatin1String("alert")) {
        // Every field is required; severity is any string, so that a newer server's severity
        // reaches a client that shows it as a warning.
        const auto offset = integerField(o, "offset", 0, MaxOffset);
        static constexpr const char *Strings[] = {"rule", "severity", "line", "time"};
        const bool strings
            = std::all_of(std::begin(Strings), std::end(Strings),
                          [&o](const char *key) { return o.value(QLatin1String(key)).isString(); });
        if (!offset || !strings)
            return badMessage(type,
                              QStringLiteral("needs strings \"rule\", \"severity\", \"line\" "
                                             "and \"time\", and an integer \"offset\""));
        return AlertEvent {o.value(QLatin1String("rule")).toString(),
                           o.value(QLatin1String("severity")).toString(),
                           o.value(QLatin1String("line")).toString(),
                           o.value(QLatin1String("time")).toString(), *offset};
    }
    if (type == QLatin1String("clients")) {
        const auto you = integerField(o, "you", 0, MaxOffset);
        const auto holder = nullableId(o, "holder");
        const QJsonValue list = o.value(QLatin1String("clients"));
        const QString what = QStringLiteral(
            "needs an integer \"you\", a string \"input\", a \"holder\" id or null, and "
            "\"clients\": objects with an integer \"id\" and strings \"name\", \"role\", "
            "\"kind\", \"address\", \"joined\" (and \"typed\" if any)");
        if (!you || !holder || !allStrings(o, {"input"}) || !list.isArray())
            return badMessage(type, what);
        ClientsEvent event {*you, stringOf(o, "input"), *holder, {}};
        for (const QJsonValue &value : list.toArray()) {
            const std::optional<ClientInfo> client = clientInfoFrom(value);
            if (!client)
                return badMessage(type, what);
            event.clients.push_back(*client);
        }
        return event;
    }
    if (type == QLatin1String("control")) {
        const auto holder = nullableId(o, "holder");
        const auto by = nullableId(o, "by");
        if (!holder || !by || !allStrings(o, {"reason"}))
            return badMessage(type,
                              QStringLiteral("needs \"holder\" and \"by\", each an id or null, "
                                             "and a string \"reason\""));
        return ControlEvent {*holder, *by, stringOf(o, "reason")};
    }
    if (type == QLatin1String("paste")) {
        const auto id = integerField(o, "id", 0, MaxOffset);
        const auto by = integerField(o, "by", 0, MaxOffset);
        const auto sent = integerField(o, "sent", 0, MaxOffset);
        const auto total = integerField(o, "total", 0, MaxOffset);
        const auto message = optionalString(o, "message");
        if (!id || !by || !sent || !total || *sent > *total || !allStrings(o, {"state"})
            || !message)
            return badMessage(type,
                              QStringLiteral("needs integers \"id\", \"by\", \"sent\" <= "
                                             "\"total\", a string \"state\", and a string "
                                             "\"message\" if any"));
        return PasteEvent {*id, *by, stringOf(o, "state"), *sent, *total, *message};
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
    if (type == QLatin1String("paste")) {
        const auto id = integerField(o, "id", 0, MaxOffset);
        const auto total = integerField(o, "total", 1, MaxOffset);
        const auto at = integerField(o, "at", 0, MaxOffset);
        const QJsonValue data = o.value(QLatin1String("data"));
        const QByteArray bytes = data.toString().toUtf8();
        if (!id || !total || !at || !data.isString() || bytes.isEmpty()
            || *at + bytes.size() > *total)
            return badMessage(type,
                              QStringLiteral("needs an integer \"id\", an integer \"total\" of "
                                             "1 or more, an integer \"at\", and a string \"data\" "
                                             "of 1 byte or more that ends within \"total\""));
        return Paste {*id, *total, *at, bytes};
    }
    if (type == QLatin1String("paste-cancel"))
        return PasteCancel {};
    if (type == QLatin1String("control")) {
        const QJsonValue action = o.value(QLatin1String("action"));
        if (action == QLatin1String("take"))
            return Control {Control::Action::Take, 0};
        if (action == QLatin1String("release"))
            return Control {Control::Action::Release, 0};
        const auto to = integerField(o, "to", 0, MaxOffset);
        if (action == QLatin1String("give") && to)
            return Control {Control::Action::Give, *to};
        return badMessage(type,
                          QStringLiteral("needs an \"action\" \"take\", \"release\" or "
                                         "\"give\", and with \"give\" an integer \"to\""));
    }
    return DecodeError {QString::fromLatin1(ErrorCode::UnknownType),
                        QStringLiteral("unknown message type \"%1\"").arg(type.left(64))};
}

} // namespace CloudConsole::Protocol
