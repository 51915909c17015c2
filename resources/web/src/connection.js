// The page's connection to its console: one WebSocket at a time, reconnecting with backoff and
// resuming from the offset one past the last byte delivered, so output is never shown twice.
//
// States: 'connecting' (first attempt or a retry under way), 'connected' (hello received),
// 'reconnecting' (waiting before the next attempt), 'closed' (no more attempts: the server
// refused for good, or the person disconnected).

import {
    ErrorCode, SUBPROTOCOL, ServerType, decodeServerMessage, encodeBreak, encodeControl, encodePaste,
    encodePasteCancel, encodePing, encodeResize, encodeScreenRequest, socketUrl,
} from './protocol.js';
import { describeClose, explainRefusal, retryDelay, retryHelps } from './retry.js';

// Input is split into frames well under the server's 64 KiB message limit.
const INPUT_CHUNK = 16 * 1024;
// UTF-8 bytes of a paste per message. JSON writes a control character as \u00XX, six bytes for
// one, so a piece of nothing but escapes stays under the 64 KiB limit too.
const PASTE_PIECE = 8 * 1024;
// What the page calls itself in the WebSocket URL: the server shows it in its list of clients.
const CLIENT_KIND = 'page';

export class Connection {
    // handlers: onState(state, info), onHello(hello, {epochChanged}), onOutput(Uint8Array),
    //           onGap(gap), onSource(source), onSize(size), onScreen(screen),
    //           onServerError(error), onAlert(alert), onClients(clients), onControl(control),
    //           onPaste(paste), onLog(text)
    constructor(pageHref, handlers, options = {}) {
        this.pageHref = pageHref;
        this.h = handlers;
        this.backoffMin = options.backoffMin ?? 1000;
        this.backoffMax = options.backoffMax ?? 30000;
        this.keepalive = options.keepalive ?? 20000; // ms between pings while idle
        this.pongTimeout = options.pongTimeout ?? 10000;
        this.clientKind = options.client ?? CLIENT_KIND;
        // A first attach that starts from the console's screen rather than its history (a wall
        // tile shows the screen, not the scrollback); resuming goes on from the offset as ever.
        this.startWithScreen = options.startWithScreen ?? false;

        this.state = 'closed';
        this.reason = '';
        this.ws = null;
        this.hello = null;
        this.epoch = null;
        this.offset = null; // absolute offset of the next output byte this page expects
        this._skip = 0; // bytes to drop at the start of the output (never show anything twice)
        this.attempt = 0; // failed attempts since the last hello
        this.connects = 0; // hellos received
        this.retryAt = 0;
        this._retryTimer = null;
        this._pingTimer = null;
        this._pongTimer = null;
        this._pingSeq = 0;
        this.bytesReceived = 0;
        this.bytesSent = 0;
    }

    get connected() {
        return this.state === 'connected' && this.ws?.readyState === WebSocket.OPEN;
    }

    start() {
        if (this.state === 'connecting' || this.state === 'connected')
            return;
        this._clearRetry();
        this._open();
    }

    // The person asked to stop: no more retries until start().
    stop(reason = 'disconnected on request') {
        this._clearRetry();
        this._teardown(1000, 'client disconnects');
        this._setState('closed', reason);
    }

    // Retry at once instead of waiting for the backoff.
    reconnectNow() {
        if (this.state === 'connected' || this.state === 'connecting')
            return;
        this.attempt = 0;
        this._clearRetry();
        this._open();
    }

    // Drops the current socket as if the network had failed, and reconnects with backoff.
    // Used by the keepalive and by tests.
    drop(reason = 'connection dropped') {
        if (!this.ws)
            return;
        this._teardown(4000, 'dropped');
        this._scheduleRetry(reason);
    }

    // Sends console input. Returns the number of bytes sent, or a string saying why nothing was.
    sendInput(bytes) {
        if (!this.connected)
            return 'not connected';
        if (!this.hello.writable)
            return 'read-only';
        for (let at = 0; at < bytes.length; at += INPUT_CHUNK)
            this.ws.send(bytes.subarray(at, at + INPUT_CHUNK));
        this.bytesSent += bytes.length;
        return bytes.length;
    }

    // Sends a paste as `paste` messages (the server feeds it to the console at the console's
    // pace). `text` is what the console gets, bracketed-paste markers included. Returns the
    // number of messages sent, or a string saying why nothing was.
    sendPaste(id, text) {
        if (!this.connected)
            return 'not connected';
        if (!this.hello.writable)
            return 'read-only';
        const messages = encodePaste(id, text, PASTE_PIECE);
        for (const message of messages)
            this.ws.send(message);
        return messages.length;
    }

    // Stops this page's running paste.
    sendPasteCancel() {
        if (!this.connected)
            return false;
        this.ws.send(encodePasteCancel());
        return true;
    }

    // The keyboard of an exclusive console: action 'take', 'release' or 'give' (to a client id).
    sendControl(action, to) {
        if (!this.connected)
            return false;
        this.ws.send(encodeControl(action, to));
        return true;
    }

    sendResize(cols, rows) {
        if (!this.connected)
            return false;
        this.ws.send(encodeResize(cols, rows));
        return true;
    }

    sendBreak() {
        if (!this.connected)
            return false;
        this.ws.send(encodeBreak());
        return true;
    }

    // Asks the server for the console's screen (answered with a `screen`; viewers may ask too).
    requestScreen() {
        if (!this.connected)
            return false;
        this.ws.send(encodeScreenRequest());
        return true;
    }

    // --- internals -----------------------------------------------------------------------------

    _setState(state, reason = '') {
        this.state = state;
        this.reason = reason;
        this.h.onState?.(state, { reason, retryAt: this.retryAt, attempt: this.attempt });
    }

    _open() {
        const url = socketUrl(this.pageHref, this.offset === null ? undefined : this.offset,
                              this.epoch, this.clientKind,
                              this.offset === null && this.startWithScreen);
        let ws;
        try {
            ws = new WebSocket(url, [SUBPROTOCOL]);
        } catch (e) {
            this._setState('closed', `cannot open ${url}: ${e.message}`);
            return;
        }
        ws.binaryType = 'arraybuffer';
        this.ws = ws;
        this._opened = false;
        this._setState('connecting', this.offset === null ? '' : `resuming at offset ${this.offset}`);

        ws.onopen = () => {
            if (ws !== this.ws)
                return;
            this._opened = true;
            if (ws.protocol !== SUBPROTOCOL) {
                this._final(`the server did not accept protocol ${SUBPROTOCOL}`);
                return;
            }
            this._armKeepalive();
        };
        ws.onmessage = (event) => {
            if (ws !== this.ws)
                return;
            this._armKeepalive();
            if (typeof event.data === 'string')
                this._onText(event.data);
            else
                this._onBinary(new Uint8Array(event.data));
        };
        ws.onclose = (event) => {
            if (ws !== this.ws)
                return;
            this._teardown();
            if (!this._opened) {
                this._explainRefusal(url);
                return;
            }
            const reason = describeClose(event);
            if (retryHelps(event.code))
                this._scheduleRetry(reason);
            else
                this._setState('closed', reason);
        };
        ws.onerror = () => {
            // Always followed by close, which decides what happens next.
        };
    }

    // The upgrade failed before the socket opened. The browser does not say why, so ask the
    // same URL over plain HTTP: the server answers a refused upgrade's status and a line of text.
    async _explainRefusal(url) {
        const httpUrl = url.replace(/^ws/, 'http');
        let answer = explainRefusal(null);
        try {
            const response = await fetch(httpUrl, { cache: 'no-store' });
            const text = (await response.text()).trim().split('\n')[0].slice(0, 200);
            answer = explainRefusal(response.status, text);
        } catch (e) {
            // Unreachable: the answer stays "cannot be reached".
        }
        const { reason, final } = answer;
        if (this.ws !== null || this.state === 'closed')
            return; // stop() or another attempt overtook this one
        if (final)
            this._setState('closed', reason);
        else
            this._scheduleRetry(reason);
    }

    _final(reason) {
        this._teardown(1000, reason);
        this._setState('closed', reason);
    }

    _teardown(code, reason) {
        const ws = this.ws;
        this.ws = null;
        this._disarmKeepalive();
        if (ws) {
            ws.onopen = ws.onmessage = ws.onclose = ws.onerror = null;
            if (code !== undefined && ws.readyState <= WebSocket.OPEN) {
                try {
                    ws.close(code, reason);
                } catch (e) {
                    ws.close();
                }
            }
        }
    }

    _scheduleRetry(reason) {
        this._clearRetry();
        const delay = retryDelay(this.attempt, this.backoffMin, this.backoffMax);
        this.attempt += 1;
        this.retryAt = Date.now() + delay;
        this._retryTimer = setTimeout(() => {
            this._retryTimer = null;
            this._open();
        }, delay);
        this._setState('reconnecting', reason);
    }

    _clearRetry() {
        if (this._retryTimer !== null)
            clearTimeout(this._retryTimer);
        this._retryTimer = null;
        this.retryAt = 0;
    }

    // Any frame from the server proves the connection alive. After `keepalive` ms of silence a
    // ping goes out; without an answer within `pongTimeout` the connection is dropped.
    _armKeepalive() {
        this._disarmKeepalive();
        if (!this.keepalive)
            return;
        this._pingTimer = setTimeout(() => {
            if (!this.ws || this.ws.readyState !== WebSocket.OPEN)
                return;
            this.ws.send(encodePing(++this._pingSeq));
            this._pongTimer = setTimeout(() => this.drop('no answer from the server'),
                                         this.pongTimeout);
        }, this.keepalive);
    }

    _disarmKeepalive() {
        clearTimeout(this._pingTimer);
        clearTimeout(this._pongTimer);
        this._pingTimer = this._pongTimer = null;
    }

    _onText(text) {
        const decoded = decodeServerMessage(text);
        if (decoded.ignored !== undefined) {
            this.h.onLog?.(`ignoring unknown message type "${decoded.ignored}"`);
            return;
        }
        if (decoded.error?.code === ErrorCode.UNSUPPORTED) {
            // Only a hello of another protocol version is refused so.
            this._final(decoded.error.message);
            return;
        }
        if (decoded.error) {
            this.h.onLog?.(`ignoring malformed message (${decoded.error.code}): ${decoded.error.message}`);
            return;
        }
        const m = decoded.message;
        if (m.type !== ServerType.HELLO && !this.hello) {
            this.h.onLog?.(`ignoring "${m.type}" before hello`);
            return;
        }
        switch (m.type) {
        case ServerType.HELLO:
            this._onHello(m);
            break;
        case ServerType.SOURCE:
            this.hello.source = { state: m.state, reason: m.reason };
            this.h.onSource?.(this.hello.source);
            break;
        case ServerType.GAP:
            this._onGap(m);
            break;
        case ServerType.SIZE:
            this.hello.size = { cols: m.cols, rows: m.rows };
            this.h.onSize?.(this.hello.size);
            break;
        case ServerType.SCREEN:
            this._onScreen(m);
            break;
        case ServerType.ERROR:
            this.h.onServerError?.(m);
            break;
        case ServerType.PONG:
            break;
        case ServerType.ALERT:
            // The page shows it (alerts.js); the connection only passes it on.
            this.h.onAlert?.(m);
            break;
        case ServerType.CLIENTS:
            this.h.onClients?.(m);
            break;
        case ServerType.CONTROL:
            this.h.onControl?.(m);
            break;
        case ServerType.PASTE:
            this.h.onPaste?.(m);
            break;
        }
    }

    _onHello(hello) {
        const epochChanged = this.epoch !== null && hello.epoch !== this.epoch;
        if (epochChanged && this.offset !== null && hello.offset > hello.history.start) {
            // The server restarted and resumed at our old offset, which means nothing in its new
            // run of offsets. Start again from the oldest byte it keeps.
            this.h.onLog?.(`epoch changed (${this.epoch} -> ${hello.epoch}): restarting from the history's start`);
            this.epoch = hello.epoch;
            this.offset = hello.history.start;
            this._restartAfterEpochChange = true;
            this._teardown(1000, 'resume in the new epoch');
            this._open();
            return;
        }
        const announceEpoch = epochChanged || this._restartAfterEpochChange === true;
        this._restartAfterEpochChange = false;
        this._skip = 0;
        if (!announceEpoch && this.offset !== null && hello.offset < this.offset)
            this._skip = this.offset - hello.offset; // already shown: never print it twice
        else
            this.offset = hello.offset;
        this.epoch = hello.epoch;
        this.hello = hello;
        this.attempt = 0;
        this.connects += 1;
        this.h.onHello?.(hello, { epochChanged: announceEpoch });
        this._setState('connected', hello.source.reason);
    }

    _onGap(gap) {
        const skipped = gap.to - Math.max(gap.from, Math.min(this.offset, gap.to));
        this._skip = 0;
        this.offset = Math.max(this.offset, gap.to);
        this.h.onGap?.({ from: gap.from, to: gap.to, bytes: gap.to - gap.from, unseen: skipped });
    }

    // The screen stands for everything before its offset, and the output goes on from there:
    // back from where the page was (those bytes come again, after the screen, so nothing shows
    // twice), or on past bytes a gap just reported.
    _onScreen(screen) {
        this.hello.size = { cols: screen.cols, rows: screen.rows };
        this.offset = screen.offset;
        this._skip = 0;
        this.h.onScreen?.(screen);
    }

    _onBinary(bytes) {
        if (!this.hello)
            return;
        this.bytesReceived += bytes.length;
        if (this._skip > 0) {
            const drop = Math.min(this._skip, bytes.length);
            this._skip -= drop;
            bytes = bytes.subarray(drop);
            if (bytes.length === 0)
                return;
        }
        this.offset += bytes.length;
        this.h.onOutput?.(bytes, this.offset);
    }
}

// Reads the console's whole history over a separate socket: from the oldest byte kept to the
// end the server announced in its hello. Resolves to {bytes: Uint8Array, hello, gaps}.
//
// It asks for offset 0 first, which is the history's start until the history wraps. After
// that, a v1 client asking for an offset before the history gets a screen and the output from
// the screen's offset instead of the history's oldest bytes; so when the hello says the history
// starts later, it asks again from there (and again if the history moved on meanwhile).
export async function fetchHistory(pageHref, timeoutMs = 30000) {
    let from = 0;
    for (let attempt = 0; attempt < 5; attempt += 1) {
        const result = await readHistory(pageHref, from, timeoutMs);
        if (result.startsAt === undefined)
            return result;
        from = result.startsAt;
    }
    throw new Error('the history moves on faster than it can be read');
}

// One attempt: the bytes from `from` to the hello's end, or {startsAt} when the history no
// longer holds `from`.
function readHistory(pageHref, from, timeoutMs) {
    return new Promise((resolve, reject) => {
        const ws = new WebSocket(socketUrl(pageHref, from), [SUBPROTOCOL]);
        ws.binaryType = 'arraybuffer';
        const chunks = [];
        let hello = null;
        let received = 0;
        let want = 0;
        const gaps = [];
        const timer = setTimeout(() => finish(new Error('timed out reading the history')), timeoutMs);
        function close() {
            clearTimeout(timer);
            ws.onclose = ws.onmessage = null;
            ws.close();
        }
        function finish(error) {
            close();
            if (error) {
                reject(error);
                return;
            }
            const bytes = new Uint8Array(received);
            let at = 0;
            for (const chunk of chunks) {
                bytes.set(chunk, at);
                at += chunk.length;
            }
            resolve({ bytes, hello, gaps });
        }
        ws.onmessage = (event) => {
            if (typeof event.data === 'string') {
                const decoded = decodeServerMessage(event.data);
                const m = decoded.message;
                if (m?.type === ServerType.HELLO) {
                    hello = m;
                    if (m.offset !== from && m.history.start > from) {
                        close();
                        resolve({ startsAt: m.history.start });
                        return;
                    }
                    want = m.history.end - m.offset;
                    if (want <= 0)
                        finish();
                } else if (m?.type === ServerType.GAP) {
                    gaps.push(m);
                }
                return;
            }
            if (!hello)
                return;
            let chunk = new Uint8Array(event.data);
            if (received + chunk.length > want)
                chunk = chunk.subarray(0, want - received);
            chunks.push(chunk);
            received += chunk.length;
            if (received >= want)
                finish();
        };
        ws.onclose = () => finish(received > 0 || hello ? undefined : new Error('the server closed the connection'));
    });
}
