// What the status bar and the notices say, as text: no DOM here, so node tests it
// (tests/web/modules.test.mjs). statusbar.js puts it on the page.

import { ErrorCode } from './protocol.js';

// Reasons come from the server and may be long or span lines (a command line, say): the status
// bar shows one short line, its tooltip the whole text.
export function oneLine(text, max = 90) {
    const flat = String(text).replace(/\s+/g, ' ').trim();
    return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

// The status of the connection `c` (a Connection, or anything with its state, reason,
// connects, attempt, retryAt and hello) at time `now`, given why the page must log in again
// (`loginNeeded`: null, 'expired' or 'forbidden'). Returns:
//   state       the status box's data-state: the connection's state, or 'source-down'
//   text        the status line (before the login link, if any)
//   link        the login link's text, or null when no link is shown
//   full        the whole status (text and link), for the tooltip and window.cloudConsole
//   ticking     whether the text counts down, so must be rendered again every second
//   reconnect   the reconnect button: {hidden, label}
export function connectionStatus(c, loginNeeded, now) {
    const source = c.hello?.source;
    let state = c.state;
    let text;
    let ticking = false;
    switch (c.state) {
    case 'connecting':
        text = c.connects === 0 && c.attempt === 0 ? 'Connecting…' : `Reconnecting… ${c.reason}`;
        break;
    case 'connected':
        if (source?.state === 'down') {
            state = 'source-down';
            text = `Source down${source.reason ? `: ${source.reason}` : ''}`;
        } else {
            text = `Connected${source?.reason ? ` · ${source.reason}` : ''}`;
        }
        break;
    case 'reconnecting': {
        const seconds = Math.max(0, Math.ceil((c.retryAt - now) / 1000));
        text = `Disconnected: ${c.reason}. Reconnecting in ${seconds} s`;
        ticking = true;
        break;
    }
    default:
        text = `Closed${c.reason ? `: ${c.reason}` : ''}`;
    }
    // A gone session ends the attempts; the way on is the login form, as a link in the status.
    let link = null;
    if (c.state === 'closed' && loginNeeded) {
        const expired = loginNeeded === 'expired';
        text = expired ? 'Your session has expired —' : 'Your login may not use this console —';
        link = expired ? 'Log in again' : 'Log in as someone else';
    }
    return {
        state,
        text,
        link,
        full: link ? `${text} ${link}` : text,
        ticking,
        reconnect: {
            hidden: link !== null || !(c.state === 'reconnecting' || c.state === 'closed'),
            label: c.state === 'closed' ? 'Connect' : 'Reconnect now',
        },
    };
}

// The quieter half of the status bar: where the output stands (null before any), the console's
// size (which the terminal has), the renderer ('webgl' or 'dom').
export function infoText(shownOffset, size, renderer) {
    const parts = [];
    if (shownOffset !== null)
        parts.push(`offset ${shownOffset}`);
    parts.push(`${size.cols}×${size.rows}`);
    parts.push(renderer === 'webgl' ? 'WebGL' : 'DOM renderer');
    return parts.join(' · ');
}

function bytes(n) {
    return `${n} byte${n === 1 ? '' : 's'}`;
}

// The notice for input the page did not send: `count` bytes now, `total` so far. `refusal` is
// what Connection.sendInput said ('read-only' or another refusal), or 'keyboard' when another
// operator (`holder`, a name) has the keyboard of an exclusive console; `loginNeeded` as above.
export function refusedInputNotice(count, total, refusal, loginNeeded, holder = '') {
    let why = refusal === 'read-only' ? 'this page is read-only' : 'not connected to the console';
    if (refusal === 'keyboard')
        why = `${holder} has the keyboard; use Take keyboard in the status bar to type`;
    if (loginNeeded === 'expired')
        why = 'the session has expired, log in again';
    return `Input not sent (${bytes(count)}): ${why}. ${bytes(total)} refused so far.`;
}

const SERVER_ERRORS = Object.freeze({
    [ErrorCode.READ_ONLY]: 'Input refused: this page may not write to the console',
    [ErrorCode.SOURCE_DOWN]: 'Input refused: the console source is down',
    [ErrorCode.INPUT_OVERFLOW]: 'Input refused: the console is not reading its input',
    [ErrorCode.INPUT_RATE]: 'Input refused: typed or pasted faster than this server accepts',
    [ErrorCode.UNSUPPORTED]: 'Not supported by this console',
    [ErrorCode.PASTE_REFUSED]: 'Paste refused',
    [ErrorCode.NOT_ALLOWED]: 'Not allowed',
});

// The notice for an `error` message from the server: {code, message}.
export function serverErrorNotice(error) {
    const what = Object.hasOwn(SERVER_ERRORS, error.code)
        ? SERVER_ERRORS[error.code] : `The server refused a message (${error.code})`;
    return error.message ? `${what}: ${error.message}` : what;
}

// The notice after Fit to window: what fitRequest() (size.js) said.
export function fitNotice(request) {
    return request.why ? `Not resized: ${request.why}` : `Console resized to ${request.cols}×${request.rows}`;
}

// Why an action that needs a capability (hello.capabilities[capability]: 'break', 'resize')
// is unavailable, or '' when it is available. `what` names it in the sentence.
export function actionReason(connected, hello, capability, what) {
    if (!connected || !hello)
        return 'not connected';
    if (!hello.writable)
        return 'this page is read-only';
    if (!hello.capabilities[capability])
        return `this console does not support ${what}`;
    return '';
}
