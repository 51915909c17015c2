#pragma once

// Protocol v1 between the cloud-console server and its clients, declared once.
//
// The server, the viewer, the tests and the benchmarks use these types and codecs; the web page
// mirrors them in resources/web/src/protocol.js. docs/protocol.md describes the wire format with
// examples. Binary WebSocket frames carry console bytes (output from the server, input from the
// client); text frames carry the JSON control messages declared here.
//
// Decoders never throw and never assert on bad input: a malformed or unknown message yields a
// DecodeError with a stable code and a sentence for humans.

#include <QByteArray>
#include <QJsonValue>
#include <QString>

#include <optional>
#include <variant>

namespace CloudConsole::Protocol {

inline constexpr int Version = 1;
// The WebSocket subprotocol a v1 client asks for. A client that asks for none gets raw mode.
inline constexpr char Subprotocol[] = "cloud-console.v1";

// Largest message (text or binary) the server accepts from a client. Larger ones close the
// connection with close code 1009 (message too big).
inline constexpr qint64 MaxClientMessage = 64 * 1024;
// Largest binary output frame the server sends; consecutive reads are grouped up to this size.
inline constexpr qint64 MaxOutputFrame = 64 * 1024;
// Terminal size bounds accepted in a resize message.
inline constexpr int MaxCols = 1000;
inline constexpr int MaxRows = 1000;
// Offsets travel as JSON numbers, which are exact up to 2^53.
inline constexpr qint64 MaxOffset = (qint64(1) << 53) - 1;

enum class SourceState { Up, Down };

// --- server to client --------------------------------------------------------------------------

struct Hello
{
    int protocol = Version;
    QString console;
    qint64 offset = 0; // absolute offset of the first output byte that follows
    QString epoch; // changes whenever the console's offsets start again from 0
    qint64 historyStart = 0; // oldest byte still kept
    qint64 historyEnd = 0; // one past the newest byte
    bool writable = true;
    SourceState source = SourceState::Down;
    QString sourceReason;
    bool canResize = false;
    bool canBreak = false;
    // The console's size: its screen on the server, and what a client shows.
    int cols = 80;
    int rows = 24;
    QString server; // product and version, for diagnostics only
};

// The console's size changed (an operator resized it); every client is told.
struct SizeEvent
{
    int cols = 80;
    int rows = 24;
};

// The console's screen as the server's terminal model has it: scrollback, screen, modes, cursor
// and title, as terminal output that draws them in a reset terminal of cols x rows. It replaces
// whatever the client showed; the next output byte is at offset.
struct Screen
{
    qint64 offset = 0;
    int cols = 80;
    int rows = 24;
    // False when the server's model skipped output (it fell behind a flood): the screen may lack
    // something the console printed.
    bool complete = true;
    QByteArray data; // UTF-8
};

struct SourceEvent
{
    SourceState state = SourceState::Down;
    QString reason;
};

// Bytes [from, to) that this client will never receive.
struct Gap
{
    qint64 from = 0;
    qint64 to = 0;
};

struct Error
{
    QString code;
    QString message;
};

struct Pong
{
    QJsonValue data;
};

// An alert rule of the server matched a line of the console's output (a kernel panic, the login
// prompt): every client is told as it happens. Not replayed: a client that connects later sees
// the console's state in /consoles.json and the line in the history.
struct AlertEvent
{
    QString rule; // the rule's name
    QString severity; // "info", "warning" or "critical"; a client shows others as "warning"
    QString line; // the line's text, escape sequences and controls removed, at most 4 KiB
    QString time; // when the line was read: ISO 8601 in UTC, with milliseconds
    qint64 offset = 0; // where the line starts in the console's output
};

using ServerMessage
    = std::variant<Hello, SourceEvent, Gap, Error, Pong, SizeEvent, Screen, AlertEvent>;

// --- client to server --------------------------------------------------------------------------

struct Resize
{
    int cols = 80;
    int rows = 24;
};

struct Ping
{
    QJsonValue data;
};

struct Break
{ };

// Asks for a Screen now.
struct ScreenRequest
{ };

using ClientMessage = std::variant<Resize, Ping, Break, ScreenRequest>;

// --- errors ------------------------------------------------------------------------------------

// Stable error codes sent in Error.code and returned by the decoders.
namespace ErrorCode {
inline constexpr char BadJson[] = "bad-json"; // not a JSON object
inline constexpr char BadMessage[] = "bad-message"; // known type, wrong or missing fields
inline constexpr char UnknownType[] = "unknown-type"; // well-formed, but a type we do not know
inline constexpr char ReadOnly[] = "read-only"; // input from a client that may not write
inline constexpr char InputOverflow[] = "input-overflow"; // input refused: the console is not
                                                          // reading and this client's queue is full
inline constexpr char Unsupported[] = "unsupported"; // the source cannot do this (break, resize)
inline constexpr char SourceDown[] = "source-down"; // input refused while the source is down
inline constexpr char InputRate[] = "input-rate"; // input refused: this client sent faster than
                                                  // its input rate allows
} // namespace ErrorCode

struct DecodeError
{
    QString code;
    QString message;
};

template<typename Message> using Decoded = std::variant<Message, DecodeError>;

QByteArray encode(const ServerMessage &message);
QByteArray encode(const ClientMessage &message);

Decoded<ServerMessage> decodeServerMessage(const QByteArray &json);
Decoded<ClientMessage> decodeClientMessage(const QByteArray &json);

QString toString(SourceState state);

} // namespace CloudConsole::Protocol
