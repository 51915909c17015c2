// When and whether the page tries again after its connection ends. No DOM here, so node tests
// it; connection.js keeps the timers.

// WebSocket close codes after which retrying cannot help: a protocol error (1002), data the
// server cannot take (1003, 1007), the idle timeout (1008: docs/protocol.md says not to come
// back by itself), a message too big (1009), a missing extension (1010). 4000-4999 belong to
// applications, and this one uses none that a retry would cure.
const FINAL_CLOSE_CODES = new Set([1002, 1003, 1007, 1008, 1009, 1010]);

export function retryHelps(closeCode) {
    return !FINAL_CLOSE_CODES.has(closeCode) && !(closeCode >= 4000 && closeCode < 5000);
}

// The wait before retry number `attempt` (0 for the first since the last hello): `min` ms,
// doubling with every failed attempt, never more than `max`.
export function retryDelay(attempt, min, max) {
    return Math.min(max, min * 2 ** attempt);
}

const CLOSE_NAMES = Object.freeze({
    1000: 'closed by the server',
    1001: 'the server is going away',
    1006: 'the connection was lost',
    1009: 'message too big',
    1011: 'server error',
    1012: 'the server is restarting',
});

// Why the connection ended, for the status bar: a close event's {code, reason}.
export function describeClose({ code, reason }) {
    const what = Object.hasOwn(CLOSE_NAMES, code) ? CLOSE_NAMES[code] : `close code ${code}`;
    return reason ? `${what}: ${reason}` : what;
}

// What a refused upgrade's HTTP answer means (the page asks the WebSocket's URL over plain HTTP,
// since the browser does not tell why an upgrade failed): {reason, final}. `status` and the
// first line of the body; no answer at all is `status` null.
export function explainRefusal(status, text) {
    if (status === null)
        return { reason: 'the server cannot be reached', final: false };
    if (status === 426)
        return { reason: 'the connection was refused', final: false };
    return {
        reason: `HTTP ${status}${text ? `: ${text}` : ''}`,
        // An unknown console, or a request the server will never take.
        final: status === 404 || status === 400,
    };
}
