// Fuzzes the protocol v1 decoders: decodeClientMessage reads every text frame a client sends the
// server, decodeServerMessage every text frame the viewer (and the tests) get from a server.
// Each input goes to both.
//
// Properties, beyond not crashing:
// - a refusal carries one of the stable error codes of protocol.h and a sentence;
// - what decodes is within the bounds protocol.h declares (sizes, offsets, gap order);
// - what decodes, encoded again, decodes to the same message, and that encoding is its own
//   canonical form (the server's answers are built with encode());
// - a ping's data comes back unchanged in the pong the server answers with (docs/protocol.md:
//   "echoing its data").

#include "fuzzcheck.h"
#include "protocol.h"

#include <QJsonDocument>

namespace Protocol = CloudConsole::Protocol;

namespace {

template<class... Ts> struct Overloaded : Ts...
{
    using Ts::operator()...;
};
template<class... Ts> Overloaded(Ts...) -> Overloaded<Ts...>;

// Messages are compared field by field where this target knows the fields, so a field that
// encode() forgets is caught even though the encodings would then agree. A message type added to
// protocol.h later is compared by its encoding until it gets a comparison here.
template<typename Message> bool sameEncoding(const Message &a, const Message &b)
{
    return Protocol::encode(a) == Protocol::encode(b);
}

bool same(const Protocol::Hello &a, const Protocol::Hello &b)
{
    return a.protocol == b.protocol && a.console == b.console && a.offset == b.offset
        && a.epoch == b.epoch && a.historyStart == b.historyStart && a.historyEnd == b.historyEnd
        && a.writable == b.writable && a.source == b.source && a.sourceReason == b.sourceReason
        && a.canResize == b.canResize && a.canBreak == b.canBreak && a.cols == b.cols
        && a.rows == b.rows && a.server == b.server;
}

bool same(const Protocol::ServerMessage &a, const Protocol::ServerMessage &b)
{
    if (a.index() != b.index())
        return false;
    const bool fields = std::visit(
        Overloaded {
            [&](const Protocol::Hello &m) { return same(m, std::get<Protocol::Hello>(b)); },
            [&](const Protocol::SourceEvent &m) {
                const auto &o = std::get<Protocol::SourceEvent>(b);
                return m.state == o.state && m.reason == o.reason;
            },
            [&](const Protocol::Gap &m) {
                const auto &o = std::get<Protocol::Gap>(b);
                return m.from == o.from && m.to == o.to;
            },
            [&](const Protocol::Error &m) {
                const auto &o = std::get<Protocol::Error>(b);
                return m.code == o.code && m.message == o.message;
            },
            [&](const Protocol::Pong &m) { return m.data == std::get<Protocol::Pong>(b).data; },
            [&](const Protocol::SizeEvent &m) {
                const auto &o = std::get<Protocol::SizeEvent>(b);
                return m.cols == o.cols && m.rows == o.rows;
            },
            [&](const Protocol::Screen &m) {
                const auto &o = std::get<Protocol::Screen>(b);
                return m.offset == o.offset && m.cols == o.cols && m.rows == o.rows
                    && m.complete == o.complete && m.data == o.data;
            },
            [&](const Protocol::AlertEvent &m) {
                const auto &o = std::get<Protocol::AlertEvent>(b);
                return m.rule == o.rule && m.severity == o.severity && m.line == o.line
                    && m.time == o.time && m.offset == o.offset;
            },
            [](const auto &) { return true; },
        },
        a);
    return fields && sameEncoding(a, b);
}

bool same(const Protocol::ClientMessage &a, const Protocol::ClientMessage &b)
{
    if (a.index() != b.index())
        return false;
    const bool fields = std::visit(
        Overloaded {
            [&](const Protocol::Resize &m) {
                const auto &o = std::get<Protocol::Resize>(b);
                return m.cols == o.cols && m.rows == o.rows;
            },
            [&](const Protocol::Ping &m) { return m.data == std::get<Protocol::Ping>(b).data; },
            [](const auto &) { return true; },
        },
        a);
    return fields && sameEncoding(a, b);
}

void checkRefusal(const Protocol::DecodeError &error)
{
    static const QStringList codes {QString::fromLatin1(Protocol::ErrorCode::BadJson),
                                    QString::fromLatin1(Protocol::ErrorCode::BadMessage),
                                    QString::fromLatin1(Protocol::ErrorCode::UnknownType),
                                    QString::fromLatin1(Protocol::ErrorCode::Unsupported)};
    FUZZ_CHECK(codes.contains(error.code) && !error.message.isEmpty(), error.code << error.message);
}

bool validSize(int cols, int rows)
{
    return cols >= 1 && cols <= Protocol::MaxCols && rows >= 1 && rows <= Protocol::MaxRows;
}

bool validOffset(qint64 offset)
{
    return offset >= 0 && offset <= Protocol::MaxOffset;
}

void checkBounds(const Protocol::ServerMessage &message)
{
    if (const auto *hello = std::get_if<Protocol::Hello>(&message)) {
        FUZZ_CHECK(hello->protocol == Protocol::Version && validOffset(hello->offset)
                       && validOffset(hello->historyStart) && validOffset(hello->historyEnd)
                       && validSize(hello->cols, hello->rows),
                   hello->offset << hello->historyStart << hello->historyEnd << hello->cols
                                 << hello->rows);
    } else if (const auto *gap = std::get_if<Protocol::Gap>(&message)) {
        FUZZ_CHECK(validOffset(gap->from) && gap->from <= gap->to && validOffset(gap->to),
                   gap->from << gap->to);
    } else if (const auto *size = std::get_if<Protocol::SizeEvent>(&message)) {
        FUZZ_CHECK(validSize(size->cols, size->rows), size->cols << size->rows);
    } else if (const auto *screen = std::get_if<Protocol::Screen>(&message)) {
        FUZZ_CHECK(validOffset(screen->offset) && validSize(screen->cols, screen->rows),
                   screen->offset << screen->cols << screen->rows);
    } else if (const auto *alert = std::get_if<Protocol::AlertEvent>(&message)) {
        FUZZ_CHECK(validOffset(alert->offset), alert->offset);
    }
}

void checkBounds(const Protocol::ClientMessage &message)
{
    if (const auto *resize = std::get_if<Protocol::Resize>(&message))
        FUZZ_CHECK(validSize(resize->cols, resize->rows), resize->cols << resize->rows);
}

template<typename Message, typename Decode>
void checkRoundTrip(const QByteArray &json, Decode decode)
{
    const Protocol::Decoded<Message> decoded = decode(json);
    if (const auto *error = std::get_if<Protocol::DecodeError>(&decoded)) {
        checkRefusal(*error);
        return;
    }
    const Message &message = std::get<Message>(decoded);
    checkBounds(message);
    const QByteArray encoded = Protocol::encode(message);
    const Protocol::Decoded<Message> again = decode(encoded);
    const auto *error = std::get_if<Protocol::DecodeError>(&again);
    FUZZ_CHECK(!error,
               "the encoding" << encoded << "of a decoded message is refused:"
                              << (error ? error->message : QString()));
    FUZZ_CHECK(same(std::get<Message>(again), message),
               "the encoding" << encoded << "decodes to another message");
    FUZZ_CHECK(Protocol::encode(std::get<Message>(again)) == encoded,
               "the encoding" << encoded << "is not canonical");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    // The server refuses larger messages before decoding them (close code 1009).
    if (qint64(size) > Protocol::MaxClientMessage)
        return 0;
    const QByteArray json(reinterpret_cast<const char *>(data), qsizetype(size));
    checkRoundTrip<Protocol::ServerMessage>(json, Protocol::decodeServerMessage);
    checkRoundTrip<Protocol::ClientMessage>(json, Protocol::decodeClientMessage);

    // The server answers a ping with a pong carrying the ping's data; the client must find the
    // same data in it.
    const Protocol::Decoded<Protocol::ClientMessage> decoded = Protocol::decodeClientMessage(json);
    const auto *message = std::get_if<Protocol::ClientMessage>(&decoded);
    const auto *ping = message ? std::get_if<Protocol::Ping>(message) : nullptr;
    if (!ping)
        return 0;
    const QByteArray pong = Protocol::encode(Protocol::ServerMessage(Protocol::Pong {ping->data}));
    const Protocol::Decoded<Protocol::ServerMessage> answer = Protocol::decodeServerMessage(pong);
    const auto *answered = std::get_if<Protocol::ServerMessage>(&answer);
    const auto *echoed = answered ? std::get_if<Protocol::Pong>(answered) : nullptr;
    FUZZ_CHECK(echoed && echoed->data == ping->data,
               "ping data" << ping->data << "came back as" << pong);
    return 0;
}
