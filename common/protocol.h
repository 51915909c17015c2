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
#include <vector>

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

// One client attached to the console, as every client is told (presence).
struct ClientInfo
{
    qint64 id = 0; // the connection's number: unique on this console while the server runs
    QString name; // the user or token name; "anonymous" without access control
    QString role; // "operator" or "viewer"
    QString kind; // "page", "viewer", "script", or what the client called itself
    QString address; // where it connects from, "10.0.0.7:51472"
    QString joined; // ISO 8601 in UTC, with milliseconds
    QString typed; // when its input last reached the console, as joined; empty: never
};

// Who is attached, sent to every client whenever that changes (a client joins, leaves, types for
// the first time in a while, or the keyboard changes hands).
struct ClientsEvent
{
    qint64 you = 0; // the id of the client this is sent to
    QString input; // "shared" (every operator types) or "exclusive" (the holder types)
    std::optional<qint64> holder; // exclusive: who has the keyboard, if anyone
    std::vector<ClientInfo> clients; // in the order they joined
};

// The keyboard of an exclusive console changed hands: every client is told.
struct ControlEvent
{
    std::optional<qint64> holder; // who has it now; nobody: none
    std::optional<qint64> by; // who made the change; none: the server (idle, left)
    QString reason; // "taken", "given", "released", "idle" or "left"
};

// A paste the server feeds to the console at the console's pace: its sender and every other
// client are told when it starts, as it goes (about once a second), and when it ends.
struct PasteEvent
{
    qint64 id = 0; // the sender's number for it
    qint64 by = 0; // the sender's client id
    QString state; // "running", "done", "cancelled" or "failed"
    qint64 sent = 0; // bytes written to the console so far
    qint64 total = 0; // bytes in the paste
    QString message; // why it was cancelled or failed; empty otherwise
};

using ServerMessage = std::variant<Hello, SourceEvent, Gap, Error, Pong, SizeEvent, Screen,
                                   AlertEvent, ClientsEvent, ControlEvent, PasteEvent>;

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

// Text to paste, fed to the console at its pace rather than as fast as it comes. A paste larger
// than one message comes in pieces of the same id and total, in order, each saying where it
// starts (`at`), so that a piece whose predecessors were refused is never taken for a paste of
// its own; it is complete when `total` bytes (UTF-8) arrived. Bracketed paste markers, when the
// guest asked for them, are the client's to include.
struct Paste
{
    qint64 id = 0; // the client's number for this paste
    qint64 total = 0; // bytes of the whole paste
    qint64 at = 0; // where this piece starts in the paste, in bytes
    QByteArray data; // this piece, UTF-8
};

// Stops the sender's running paste; what was written stays written.
struct PasteCancel
{ };

// The keyboard of an exclusive console: take it, release it, or give it to another operator.
struct Control
{
    enum class Action { Take, Release, Give };
    Action action = Action::Take;
    qint64 to = 0; // give: the client id of the new holder
};

using ClientMessage = std::variant<Resize, Ping, Break, ScreenRequest, Paste, PasteCancel, Control>;

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
inline constexpr char PasteRefused[] = "paste-refused"; // a paste too large, a piece that does not
                                                        // follow, or another paste still running
inline constexpr char NotAllowed[] = "not-allowed"; // a control request this client may not make
                                                    // (a viewer, a give to someone absent)
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
QString toString(Control::Action action);

} // namespace CloudConsole::Protocol
