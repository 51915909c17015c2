// What the page says about who is attached, who has the keyboard and the pastes under way, as
// text: no DOM here, so node tests it (tests/web/modules.test.mjs). presence.js and paste.js
// put it on the page.

// A client seen typing this recently is "typing" (the server sends typing times at most about
// once a second).
export const TYPING_MS = 5000;

// Labels for the clients of a `clients` event, by id: the name, and where two share a name
// (every client is "anonymous" on a server without access control) the name and the id.
export function namesOf(clients) {
    const counts = new Map();
    for (const c of clients)
        counts.set(c.name, (counts.get(c.name) ?? 0) + 1);
    return new Map(clients.map((c) => [c.id, counts.get(c.name) > 1 ? `${c.name} #${c.id}` : c.name]));
}

// The name of client `id` in `names`, or a stand-in for one this page never heard of.
export function nameOf(names, id) {
    return names.get(id) ?? `client #${id}`;
}

// The status bar's count.
export function countText(count) {
    return `${count} here`;
}

export function countLabel(count) {
    return `${count} client${count === 1 ? '' : 's'} attached to this console: show who`;
}

// Who has the keyboard of an exclusive console (state: {input, holder, you}); '' when the console
// is shared (every operator types).
export function keyboardText(state, names) {
    if (state.input !== 'exclusive')
        return '';
    if (state.holder === null)
        return 'Nobody has the keyboard';
    if (state.holder === state.you)
        return 'You have the keyboard';
    return `${nameOf(names, state.holder)} has the keyboard`;
}

// The notice for a `control` event. `previous`: who had the keyboard before it; `you`: this
// page's id. Returns {text, kind}.
export function controlNotice(control, previous, you, names) {
    const name = (id) => (id === you ? 'you' : nameOf(names, id));
    const Name = (id) => (id === you ? 'You' : nameOf(names, id));
    switch (control.reason) {
    case 'taken':
        if (control.holder === you)
            return { text: 'You have the keyboard', kind: 'info' };
        if (previous === you)
            return { text: `${Name(control.holder)} took the keyboard: this page is read-only until you take it back`,
                     kind: 'warning' };
        return { text: `${Name(control.holder)} took the keyboard`, kind: 'info' };
    case 'given':
        if (control.holder === you)
            return { text: `${Name(control.by)} gave you the keyboard`, kind: 'info' };
        return { text: `${Name(control.by)} gave the keyboard to ${name(control.holder)}`,
                 kind: previous === you ? 'warning' : 'info' };
    case 'released':
        return { text: `${Name(control.by)} released the keyboard: the next operator to type takes it`,
                 kind: 'info' };
    case 'idle':
        if (previous === you)
            return { text: 'You were idle: the keyboard is free again', kind: 'warning' };
        return { text: `${previous === null ? 'Its holder' : Name(previous)} was idle: the keyboard is free again`,
                 kind: 'info' };
    case 'left':
        return { text: `${previous === null ? 'Its holder' : Name(previous)} left: the keyboard is free again`,
                 kind: 'info' };
    default:
        return { text: `The keyboard changed hands (${control.reason})`, kind: 'info' };
    }
}

function pad(n) {
    return String(n).padStart(2, '0');
}

// A time of the server's (ISO 8601) as the browser's local time, "14:02:11"; the text as it came
// when it is not a time.
export function localTime(iso) {
    const at = new Date(iso);
    if (Number.isNaN(at.getTime()))
        return iso;
    return `${pad(at.getHours())}:${pad(at.getMinutes())}:${pad(at.getSeconds())}`;
}

// When a client last typed (ISO 8601, '' for never), as of `now` (ms).
export function typedText(typed, now) {
    if (!typed)
        return 'never typed';
    const at = new Date(typed).getTime();
    if (Number.isNaN(at))
        return `typed ${typed}`;
    const ago = Math.max(0, now - at);
    if (ago < TYPING_MS)
        return 'typing';
    if (ago < 60000)
        return `typed ${Math.floor(ago / 1000)} s ago`;
    if (ago < 3600000)
        return `typed ${Math.floor(ago / 60000)} min ago`;
    return `typed at ${localTime(typed).slice(0, 5)}`;
}

// The second line of a client in the list: "operator · page · 10.0.0.7:51472 · joined 14:02:11".
export function clientDetail(client) {
    return [client.role, client.kind, client.address, `joined ${localTime(client.joined)}`].filter(Boolean).join(' · ');
}

// Bytes as people read them.
export function byteText(n) {
    if (n < 1024)
        return `${n} byte${n === 1 ? '' : 's'}`;
    if (n < 1024 * 1024)
        return `${(n / 1024).toFixed(n < 10240 ? 1 : 0)} KiB`;
    return `${(n / (1024 * 1024)).toFixed(1)} MiB`;
}

// How far a paste is, in whole percent.
export function percent(sent, total) {
    return total > 0 ? Math.floor((sent * 100) / total) : 100;
}

// The status bar's words for a running paste: the sender's own ("Pasting 40% (8.0 KiB of
// 20 KiB)") or someone else's ("alice is pasting 40%").
export function pasteStatus(paste, mine, names) {
    const pct = percent(paste.sent, paste.total);
    if (mine)
        return `Pasting ${pct}% (${byteText(paste.sent)} of ${byteText(paste.total)})`;
    return `${nameOf(names, paste.by)} is pasting ${pct}%`;
}

// The notice when this page's paste ends (done, cancelled, failed): {text, kind}.
export function pasteEndNotice(paste) {
    const why = paste.message ? `: ${paste.message}` : '';
    switch (paste.state) {
    case 'done':
        return { text: `Pasted ${byteText(paste.total)}`, kind: 'info' };
    case 'cancelled':
        return { text: `Paste cancelled after ${byteText(paste.sent)} of ${byteText(paste.total)}${why}`,
                 kind: 'warning' };
    default:
        return { text: `Paste failed after ${byteText(paste.sent)} of ${byteText(paste.total)}${why}`,
                 kind: 'error' };
    }
}

// What the console gets for a paste of `text`, as xterm.js makes it: line ends (CR LF and LF)
// become CR, like a typed Enter, and the text goes between ESC [ 200 ~ and ESC [ 201 ~ when the
// program turned bracketed paste on. An end marker inside the text is dropped: it would let the
// rest of the paste run as typed commands (the viewer drops it too).
export function preparePaste(text, bracketed) {
    const body = text.replace(/\r?\n/g, '\r').replaceAll('\x1b[201~', '');
    return bracketed ? `\x1b[200~${body}\x1b[201~` : body;
}
