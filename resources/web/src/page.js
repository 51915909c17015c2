// What the page learns from its own address: which console it shows, where the login form and
// logout are, and the connection timing the query may tune (docs/web.md). No DOM here, so node
// tests it.

// The console's name in a page path ".../c/<name>/", or null for the root page ("/", the default
// console). A name is 1 to 64 of A-Z a-z 0-9 . _ -, not starting with a dot.
export function consoleNameFromPath(pathname) {
    const match = /\/c\/([A-Za-z0-9_\-][A-Za-z0-9._\-]{0,63})\/[^/]*$/.exec(pathname);
    return match ? decodeURIComponent(match[1]) : null;
}

// Where the server's login form and logout are, relative to the page (so a reverse proxy's
// prefix is kept): beside the root, which is two levels up from a console's page.
export function loginPaths(pathname) {
    const name = consoleNameFromPath(pathname);
    if (name === null)
        return { login: 'login', logout: 'logout' };
    return { login: `../../login?next=c/${encodeURIComponent(name)}/`, logout: '../../logout' };
}

// A number of milliseconds from the query, or `fallback` when it is missing or not a number >= 0.
function milliseconds(query, name, fallback) {
    const n = Number(query.get(name));
    return query.has(name) && Number.isFinite(n) && n >= 0 ? n : fallback;
}

// The Connection's options from the page's query string (not stored, unlike settings).
export function connectionOptions(search) {
    const query = new URLSearchParams(search);
    return {
        backoffMin: milliseconds(query, 'retryMs', 1000),
        backoffMax: milliseconds(query, 'retryMaxMs', 30000),
        keepalive: milliseconds(query, 'keepaliveMs', 20000),
        pongTimeout: milliseconds(query, 'pongTimeoutMs', 10000),
    };
}

// Whether the terminal takes the keyboard when the page loads (?focus=0: it does not).
export function focusOnLoad(search) {
    return new URLSearchParams(search).get('focus') !== '0';
}

// The offset a link names in the page's fragment ("#offset=20480": where an alert's line starts,
// as webhooks link to it), or null when it names none.
export function offsetFromFragment(hash) {
    const match = /^#?(?:.*&)?offset=(\d{1,16})(?:&|$)/.exec(hash);
    if (!match)
        return null;
    const offset = Number(match[1]);
    return Number.isSafeInteger(offset) ? offset : null;
}

// A list that keeps its last `limit` items: what the page records for window.cloudConsole
// (gaps, screens, notices, ...) never grows without bound.
export class BoundedList {
    constructor(limit) {
        this.limit = limit;
        this._items = [];
    }

    push(item) {
        this._items.push(item);
        if (this._items.length > this.limit)
            this._items.shift();
    }

    // A copy, so callers cannot change the record.
    items() {
        return this._items.slice();
    }
}
