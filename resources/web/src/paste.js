// Pastes: this page's paste goes to the server as `paste` messages, which the server feeds to
// the console at the console's pace (a serial line would drop a paste typed in at full speed),
// never as keystrokes. The status bar shows its progress with Cancel; a paste someone else is
// running shows as "alice is pasting 40%". Keys typed meanwhile wait behind the paste, on the
// server.
//
// It keeps this page's running paste and the others' running ones (the last event of each). It
// knows nothing of where a paste comes from (input.js intercepts them) or who may type (input.js
// asks first); presencetext.js says the words, presence.js the names.

import { ErrorCode, utf8Length } from './protocol.js';
import { BoundedList } from './page.js';
import { pasteEndNotice, pasteStatus, percent, preparePaste } from './presencetext.js';

const $ = (id) => document.getElementById(id);

const RUNNING = 'running';

export class Pastes {
    // term: the xterm.js Terminal (its bracketed-paste mode). connection: the Connection.
    // presence: the Presence (this page's id, the names). notice(text, kind): shows a notice.
    constructor({ term, connection, presence, notice }) {
        this._term = term;
        this._connection = connection;
        this._presence = presence;
        this._notice = notice;
        this._nextId = 1;
        this._mine = null; // {id, total, sent, state, confirmed, cancelling}
        this._others = new Map(); // by -> the last `paste` event of their running paste
        this.sent = new BoundedList(50); // {id, total, messages, bracketed, at}
        this.events = new BoundedList(1000); // the `paste` events received

        $('paste-cancel').addEventListener('click', () => {
            this.cancel();
            term.focus();
        });
    }

    // Whether this page has a paste under way (sent, and not yet ended).
    get running() {
        return this._mine !== null;
    }

    // Sends `text` as a paste: bracketed when the program asked for it, line ends as CR. Returns
    // the number of messages sent, or why nothing was: 'not connected', 'read-only', or 'busy'
    // (this page's last paste is still running).
    send(text) {
        if (this._mine !== null)
            return 'busy';
        const bracketed = this._term.modes.bracketedPasteMode;
        const data = preparePaste(text, bracketed);
        if (!data)
            return 0;
        const id = this._nextId;
        const result = this._connection.sendPaste(id, data);
        if (typeof result !== 'number')
            return result;
        this._nextId += 1;
        const total = utf8Length(data);
        this._mine = { id, total, sent: 0, state: RUNNING, confirmed: false, cancelling: false };
        this.sent.push({ id, total, messages: result, bracketed, at: Date.now() });
        this._render();
        return result;
    }

    // Stops this page's running paste; what the console has got stays.
    cancel() {
        if (this._mine === null)
            return false;
        if (!this._connection.sendPasteCancel())
            return false;
        this._mine.cancelling = true;
        this._render();
        return true;
    }

    // A `paste` event: progress of this page's paste, or of someone else's.
    event(paste) {
        this.events.push(paste);
        const mine = this._mine;
        if (paste.by === this._presence.you) {
            if (mine === null || paste.id !== mine.id)
                return; // an earlier paste of this page (before a reconnect): over
            Object.assign(mine, { sent: paste.sent, total: paste.total, state: paste.state,
                                  confirmed: true });
            if (paste.state !== RUNNING) {
                this._mine = null;
                const { text, kind } = pasteEndNotice(paste);
                this._notice(text, kind);
            }
        } else if (paste.state === RUNNING) {
            this._others.set(paste.by, paste);
        } else {
            this._others.delete(paste.by);
        }
        this._render();
    }

    // An `error` from the server: a refused paste never started.
    serverError(error) {
        if (error.code === ErrorCode.PASTE_REFUSED && this._mine !== null && !this._mine.confirmed) {
            this._mine = null;
            this._render();
        }
    }

    // The clients changed: a paste of someone who left is over.
    clientsChanged(clients) {
        const here = new Set(clients.map((c) => c.id));
        for (const by of [...this._others.keys()]) {
            if (!here.has(by))
                this._others.delete(by);
        }
        this._render();
    }

    // The connection is gone, and with it this page's paste (the server stops a leaving client's
    // paste) and what it knew of others'.
    disconnected() {
        if (this._mine !== null)
            this._notice('The connection dropped during the paste: part of it may have reached the console',
                         'warning');
        this._mine = null;
        this._others.clear();
        this._render();
    }

    // What the status bar shows, for window.cloudConsole: {mine, text, percent} or null.
    get shown() {
        const paste = this._shownPaste();
        if (paste === null)
            return null;
        return { mine: paste === this._mine, text: $('paste-text').textContent,
                 percent: percent(paste.sent, paste.total) };
    }

    _shownPaste() {
        return this._mine ?? this._others.values().next().value ?? null;
    }

    _render() {
        const paste = this._shownPaste();
        const box = $('paste-progress');
        box.hidden = paste === null;
        if (paste === null)
            return;
        const mine = paste === this._mine;
        box.dataset.mine = String(mine);
        const names = { get: (id) => this._presence.nameOf(id) };
        $('paste-text').textContent = pasteStatus(paste, mine, names);
        const bar = $('paste-bar');
        bar.max = Math.max(1, paste.total);
        bar.value = paste.sent;
        const cancel = $('paste-cancel');
        cancel.hidden = !mine;
        cancel.disabled = mine && paste.cancelling;
        cancel.textContent = mine && paste.cancelling ? 'Cancelling…' : 'Cancel';
    }
}
