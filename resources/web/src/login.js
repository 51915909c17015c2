// Whether the server wants a login, and whether this page's session is gone (docs/web.md,
// "Logging in").
//
// With access control on, the server sends a browser without a valid session to its login form
// (the page at .../c/NAME/ to ../../login?next=c/NAME/, the root to login), and refuses its
// WebSocket with a 401 that a page cannot see. So when a connection fails or closes, the page
// asks for itself over HTTP, without following redirects: a redirect (or 401/403) means the
// session is gone, and retrying cannot help until the person logs in again.
//
// Knows nothing of the DOM: it asks with the `fetch` it is given and reports through callbacks,
// so node tests it with a fake fetch.

// How the server answered the page's own URL: 'ok', 'login', 'forbidden' or 'other'. `response`
// is a fetch Response (type, status, ok) asked for with redirect: 'manual'.
export function pageAnswer(response) {
    if (response.type === 'opaqueredirect' || response.status === 401)
        return 'login';
    if (response.status === 403)
        return 'forbidden';
    return response.ok ? 'ok' : 'other';
}

export class Logins {
    // pageHref: the page's URL. fetchFn: window.fetch. handlers: onChange() after `uses` or
    // `needed` changed; onNeeded(needed) once the session is found gone ('expired' or
    // 'forbidden'): the caller stops the connection; onLog(text).
    constructor(pageHref, fetchFn, handlers) {
        this.pageHref = pageHref;
        this._fetch = fetchFn;
        this.h = handlers;
        // Whether this server asks for a login: the page asked for itself without its cookie
        // (which it cannot read: it is HttpOnly) and was sent to log in. null until known.
        this.uses = null;
        this.needed = null; // null, 'expired' (no valid session) or 'forbidden' (this user may not)
        this._checking = false;
        this._stopRequested = false; // the person (or a tool) disconnected: nothing to explain
    }

    // How the server answers this page's URL with these credentials ('same-origin' or 'omit'):
    // pageAnswer()'s answers, or 'unreachable'.
    async ask(credentials) {
        try {
            const response = await this._fetch(this.pageHref,
                                               { redirect: 'manual', cache: 'no-store', credentials });
            response.body?.cancel().catch(() => {});
            return pageAnswer(response);
        } catch (e) {
            return 'unreachable';
        }
    }

    // Asks once, without the cookie, whether the server uses logins at all.
    async detect() {
        const answer = await this.ask('omit');
        if (answer === 'login')
            this.uses = true;
        else if (answer === 'ok' && this.uses === null)
            this.uses = false;
        this.h.onChange?.();
    }

    // The person (or a tool) stops the connection: its closing needs no explanation.
    stopRequested() {
        this._stopRequested = true;
    }

    // Follows the connection's state: a connection that fails or closes may mean the session is
    // gone. `isConnected` says whether the connection came back meanwhile.
    watch(state, isConnected) {
        if (state === 'connecting' || state === 'connected') {
            this.needed = null;
            this._stopRequested = false;
        } else if (state === 'reconnecting' || (state === 'closed' && !this._stopRequested)) {
            this._check(isConnected);
        }
    }

    async _check(isConnected) {
        if (this._checking || this.needed)
            return;
        this._checking = true;
        const answer = await this.ask('same-origin');
        this._checking = false;
        if ((answer !== 'login' && answer !== 'forbidden') || isConnected())
            return;
        this.uses = true;
        this.needed = answer === 'login' ? 'expired' : 'forbidden';
        this.h.onChange?.();
        this.h.onLog?.(`the server wants a login (${this.needed}): no more attempts`);
        this.h.onNeeded?.(this.needed);
    }
}
