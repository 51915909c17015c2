// Protocol v1 between the cloud-console server and its clients, as the page speaks it.
//
// This is the page's single declaration of the protocol; common/protocol.h is the C++ one and
// docs/protocol.md the reference for both. Binary WebSocket frames carry console bytes (output
// from the server, input from the page); text frames carry one JSON control message each.
//
// The decoder never throws: a malformed message yields {error: {code, message}}, and a message
// of a type this page does not know yields {ignored: type} so the caller can log and go on.

export const VERSION = 1;
// The WebSocket subprotocol the page asks for. Without it the server would use raw mode.
export const SUBPROTOCOL = 'cloud-console.v1';

// Largest message the server accepts from a client; bigger ones close the connection (1009).
export const MAX_CLIENT_MESSAGE = 64 * 1024;
export const MAX_COLS = 1000;
export const MAX_ROWS = 1000;
// The size of a console whose server's hello names none (a server from before consoles had one).
export const DEFAULT_SIZE = Object.freeze({ cols: 80, rows: 24 });
// Offsets travel as JSON numbers, exact up to 2^53.
export const MAX_OFFSET = Number.MAX_SAFE_INTEGER;

export const SourceState = Object.freeze({ UP: 'up', DOWN: 'down' });

// Server to client.
export const ServerType = Object.freeze({
    HELLO: 'hello',
    SOURCE: 'source',
    GAP: 'gap',
    ERROR: 'error',
    PONG: 'pong',
    SIZE: 'size',
    SCREEN: 'screen',
    ALERT: 'alert',
    CLIENTS: 'clients',
    CONTROL: 'control',
    PASTE: 'paste',
});

// Client to server.
export const ClientType = Object.freeze({
    RESIZE: 'resize',
    PING: 'ping',
    BREAK: 'break',
    SCREEN: 'screen',
    PASTE: 'paste',
    PASTE_CANCEL: 'paste-cancel',
    CONTROL: 'control',
});

// What a control message asks of an exclusive console's keyboard.
export const ControlAction = Object.freeze({ TAKE: 'take', RELEASE: 'release', GIVE: 'give' });

// Stable error codes carried by {"type":"error"}.
export const ErrorCode = Object.freeze({
    BAD_JSON: 'bad-json',
    BAD_MESSAGE: 'bad-message',
    UNKNOWN_TYPE: 'unknown-type',
    READ_ONLY: 'read-only',
    INPUT_OVERFLOW: 'input-overflow',
    UNSUPPORTED: 'unsupported',
    SOURCE_DOWN: 'source-down',
    INPUT_RATE: 'input-rate',
    PASTE_REFUSED: 'paste-refused',
    NOT_ALLOWED: 'not-allowed',
});

// --- field checks ------------------------------------------------------------------------------

class FieldError extends Error {}

function isObject(value) {
    return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function field(object, name, check, what) {
    const value = object[name];
    if (!check(value))
        throw new FieldError(`"${name}" must be ${what}`);
    return value;
}

const isString = (v) => typeof v === 'string';
const isBool = (v) => typeof v === 'boolean';
const isOffset = (v) => Number.isSafeInteger(v) && v >= 0;
const isState = (v) => v === SourceState.UP || v === SourceState.DOWN;
const isCols = (v) => Number.isSafeInteger(v) && v >= 1 && v <= MAX_COLS;
const isRows = (v) => Number.isSafeInteger(v) && v >= 1 && v <= MAX_ROWS;

function string(object, name) {
    return field(object, name, isString, 'a string');
}
function offset(object, name) {
    return field(object, name, isOffset, 'an offset (an integer from 0 to 2^53-1)');
}
function bool(object, name) {
    return field(object, name, isBool, 'true or false');
}
function nested(object, name) {
    return field(object, name, isObject, 'an object');
}
// An id, or null (missing: null too): nobody.
function nullableId(object, name) {
    const value = object[name];
    if (value === undefined || value === null)
        return null;
    return offset(object, name);
}
// One client of a clients event.
function clientInfo(value) {
    if (!isObject(value))
        throw new FieldError('"clients" must hold objects');
    return {
        id: offset(value, 'id'),
        name: string(value, 'name'),
        role: string(value, 'role'),
        kind: string(value, 'kind'),
        address: string(value, 'address'),
        joined: string(value, 'joined'),
        typed: value.typed === undefined ? '' : string(value, 'typed'),
    };
}
// "cols" and "rows" of a size, within the protocol's bounds.
function size(object) {
    return {
        cols: field(object, 'cols', isCols, `an integer from 1 to ${MAX_COLS}`),
        rows: field(object, 'rows', isRows, `an integer from 1 to ${MAX_ROWS}`),
    };
}

// --- server messages ---------------------------------------------------------------------------

// A hello of another protocol version: the rest of it may mean something else.
class UnsupportedError extends Error {}

// Every field of a hello is required except "size" (a server from before consoles had sizes),
// "server" (for diagnostics only) and the source's "reason"; common/protocol.cpp agrees, and
// both are checked against tests/protocol/examples.json.
const serverDecoders = {
    [ServerType.HELLO](m) {
        const protocol = field(m, 'protocol', (v) => Number.isSafeInteger(v) && v >= 1,
                               'a positive integer');
        if (protocol !== VERSION)
            throw new UnsupportedError(`the server speaks protocol ${protocol}, this page ${VERSION}`);
        const history = nested(m, 'history');
        const source = nested(m, 'source');
        const capabilities = nested(m, 'capabilities');
        const hello = {
            type: ServerType.HELLO,
            protocol,
            console: string(m, 'console'),
            offset: offset(m, 'offset'),
            epoch: string(m, 'epoch'),
            history: { start: offset(history, 'start'), end: offset(history, 'end') },
            writable: bool(m, 'writable'),
            source: { state: field(source, 'state', isState, '"up" or "down"'), reason: '' },
            capabilities: {
                resize: bool(capabilities, 'resize'),
                break: bool(capabilities, 'break'),
            },
            // A server from before consoles had sizes sends none: its consoles were 80x24.
            size: m.size === undefined ? { ...DEFAULT_SIZE } : size(nested(m, 'size')),
            server: m.server === undefined ? '' : string(m, 'server'),
        };
        if (source.reason !== undefined)
            hello.source.reason = string(source, 'reason');
        if (hello.history.start > hello.history.end)
            throw new FieldError('"history.start" is after "history.end"');
        return hello;
    },
    [ServerType.SOURCE](m) {
        return {
            type: ServerType.SOURCE,
            state: field(m, 'state', isState, '"up" or "down"'),
            reason: m.reason === undefined ? '' : string(m, 'reason'),
        };
    },
    [ServerType.GAP](m) {
        const gap = { type: ServerType.GAP, from: offset(m, 'from'), to: offset(m, 'to') };
        if (gap.from > gap.to)
            throw new FieldError('"from" is after "to"');
        return gap;
    },
    [ServerType.ERROR](m) {
        return {
            type: ServerType.ERROR,
            code: string(m, 'code'),
            message: m.message === undefined ? '' : string(m, 'message'),
        };
    },
    [ServerType.PONG](m) {
        return { type: ServerType.PONG, data: m.data === undefined ? null : m.data };
    },
    [ServerType.SIZE](m) {
        return { type: ServerType.SIZE, ...size(m) };
    },
    [ServerType.SCREEN](m) {
        return {
            type: ServerType.SCREEN,
            offset: offset(m, 'offset'),
            ...size(m),
            complete: m.complete === undefined ? true : bool(m, 'complete'),
            data: string(m, 'data'),
        };
    },
    // Every field is required; a severity this page does not know is kept as it is.
    [ServerType.ALERT](m) {
        return {
            type: ServerType.ALERT,
            rule: string(m, 'rule'),
            severity: string(m, 'severity'),
            line: string(m, 'line'),
            time: string(m, 'time'),
            offset: offset(m, 'offset'),
        };
    },
    [ServerType.CLIENTS](m) {
        return {
            type: ServerType.CLIENTS,
            you: offset(m, 'you'),
            input: string(m, 'input'),
            holder: nullableId(m, 'holder'),
            clients: field(m, 'clients', Array.isArray, 'an array').map(clientInfo),
        };
    },
    [ServerType.CONTROL](m) {
        return {
            type: ServerType.CONTROL,
            holder: nullableId(m, 'holder'),
            by: nullableId(m, 'by'),
            reason: string(m, 'reason'),
        };
    },
    [ServerType.PASTE](m) {
        const paste = {
            type: ServerType.PASTE,
            id: offset(m, 'id'),
            by: offset(m, 'by'),
            state: string(m, 'state'),
            sent: offset(m, 'sent'),
            total: offset(m, 'total'),
            message: m.message === undefined ? '' : string(m, 'message'),
        };
        if (paste.sent > paste.total)
            throw new FieldError('"sent" is more than "total"');
        return paste;
    },
};

// Decodes one text frame from the server. Returns one of:
//   {message}            a known message, validated and normalised
//   {ignored: type}      a well-formed message of a type this page does not know
//   {error: {code, message}}  not JSON, not an object, or a known type with bad fields; a
//                        hello of another protocol version has the code "unsupported"
export function decodeServerMessage(text) {
    let m;
    try {
        m = JSON.parse(text);
    } catch (e) {
        return { error: { code: ErrorCode.BAD_JSON, message: `invalid JSON: ${e.message}` } };
    }
    if (!isObject(m))
        return { error: { code: ErrorCode.BAD_JSON, message: 'not a JSON object' } };
    if (!isString(m.type))
        return { error: { code: ErrorCode.BAD_MESSAGE, message: '"type" must be a string' } };
    const decode = Object.hasOwn(serverDecoders, m.type) ? serverDecoders[m.type] : null;
    if (!decode)
        return { ignored: m.type };
    try {
        return { message: decode(m) };
    } catch (e) {
        if (e instanceof UnsupportedError)
            return { error: { code: ErrorCode.UNSUPPORTED, message: e.message } };
        if (!(e instanceof FieldError))
            throw e;
        return { error: { code: ErrorCode.BAD_MESSAGE, message: `${m.type}: ${e.message}` } };
    }
}

// --- client messages ---------------------------------------------------------------------------

// JSON text with the keys of every object sorted and no spaces: what the C++ encoder writes, so
// one example encoding (tests/protocol/examples.json) holds for both. (JSON.stringify would
// keep insertion order, and put integer-like keys first.)
export function canonicalJson(value) {
    if (Array.isArray(value))
        return `[${value.map((item) => (item === undefined ? 'null' : canonicalJson(item))).join(',')}]`;
    if (value !== null && typeof value === 'object') {
        const members = Object.keys(value).sort()
            .filter((key) => value[key] !== undefined)
            .map((key) => `${JSON.stringify(key)}:${canonicalJson(value[key])}`);
        return `{${members.join(',')}}`;
    }
    return JSON.stringify(value);
}

function clamp(value, low, high) {
    return Math.min(high, Math.max(low, Math.round(value)));
}

export function encodeResize(cols, rows) {
    return canonicalJson({
        type: ClientType.RESIZE,
        cols: clamp(cols, 1, MAX_COLS),
        rows: clamp(rows, 1, MAX_ROWS),
    });
}

export function encodePing(data) {
    return canonicalJson({ type: ClientType.PING, data: data === undefined ? null : data });
}

export function encodeBreak() {
    return canonicalJson({ type: ClientType.BREAK });
}

export function encodeScreenRequest() {
    return canonicalJson({ type: ClientType.SCREEN });
}

// Bytes of text as UTF-8, what a paste's "total" counts.
export function utf8Length(text) {
    return new TextEncoder().encode(text).length;
}

// One piece of a paste of `total` bytes, starting `at` bytes into it.
export function encodePastePiece(id, total, at, data) {
    return canonicalJson({ type: ClientType.PASTE, id, total, at, data });
}

// Text as the server counts it: a lone surrogate (half of a character, as a clipboard may hold)
// becomes U+FFFD, which is what its UTF-8 is counted as.
function wellFormed(text) {
    return text.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g,
                        '\ufffd');
}

// A paste in messages that each stay under the server's message limit: every piece names the
// paste's id and its total bytes. Pieces end between characters (never inside a surrogate pair),
// and each holds at most maxPieceBytes of UTF-8.
export function encodePaste(id, pasted, maxPieceBytes = 8 * 1024) {
    const text = wellFormed(pasted);
    const total = utf8Length(text);
    const messages = [];
    let piece = '';
    let pieceBytes = 0;
    let at = 0;
    for (const character of text) {
        const bytes = utf8Length(character);
        if (pieceBytes + bytes > maxPieceBytes && piece) {
            messages.push(encodePastePiece(id, total, at, piece));
            at += pieceBytes;
            piece = '';
            pieceBytes = 0;
        }
        piece += character;
        pieceBytes += bytes;
    }
    if (piece)
        messages.push(encodePastePiece(id, total, at, piece));
    return messages;
}

export function encodePasteCancel() {
    return canonicalJson({ type: ClientType.PASTE_CANCEL });
}

export function encodeControl(action, to) {
    return canonicalJson(action === ControlAction.GIVE
        ? { type: ClientType.CONTROL, action, to }
        : { type: ClientType.CONTROL, action });
}

// The WebSocket URL of the console this page belongs to: "ws" next to the page, so the page
// works at "/", at "/c/<name>/" and under any reverse-proxy prefix; ws: or wss: follows the
// page's own scheme. `offset` (optional) resumes the output there; `epoch` (optional) names the
// server run that offset belongs to, so a restarted server can ignore it and start from its
// history's beginning instead. `client` (optional) names what kind of client this is ("page"),
// which the server shows in its list of who is attached. `startWithScreen` asks for the
// console's current screen, then its live output, instead of its history (`start=screen`).
export function socketUrl(pageHref, resumeOffset, epoch, client, startWithScreen = false) {
    const url = new URL('ws', pageHref);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    url.hash = '';
    url.search = '';
    if (resumeOffset !== undefined && resumeOffset !== null) {
        url.searchParams.set('offset', String(resumeOffset));
        if (epoch)
            url.searchParams.set('epoch', epoch);
    }
    if (client)
        url.searchParams.set('client', client);
    if (startWithScreen)
        url.searchParams.set('start', 'screen');
    return url.href;
}
