// Who is attached to the console, and the keyboard of an exclusive console: the status bar's
// count (its list on click), who has the keyboard with Take keyboard and Release beside it, Give
// in the list, the confirmation before taking the keyboard from someone, and a notice whenever
// the keyboard changes hands.
//
// It keeps the server's last `clients` event (kept current by `control` events between two) and
// the names of clients seen on this connection; what it says is presencetext.js's. It knows the
// connection only to send `control` messages: app.js hands it the events.

import { ControlAction } from './protocol.js';
import {
    clientDetail, controlNotice, countLabel, countText, keyboardText, nameOf, namesOf, typedText,
} from './presencetext.js';

const $ = (id) => document.getElementById(id);

// Names of clients gone from the list are kept this long a list (for "alice left" notices).
const NAMES_KEPT = 500;

export class Presence {
    // connection: the Connection. notice(text, kind): shows a notice. focusTerminal(): gives the
    // terminal the keyboard back.
    constructor({ connection, notice, focusTerminal }) {
        this._connection = connection;
        this._notice = notice;
        this._focusTerminal = focusTerminal;
        this.state = null; // {you, input, holder, clients} while connected and told
        this._names = new Map(); // id -> label, also of clients that left
        this._listTimer = null;

        $('presence-button').addEventListener('click', () => this.toggleList());
        $('presence-list-close').addEventListener('click', () => this.closeList(true));
        $('presence-list').addEventListener('keydown', (event) => {
            if (event.key === 'Escape') {
                event.preventDefault();
                this.closeList(true);
            }
        });
        document.addEventListener('mousedown', (event) => {
            if (!$('presence-list').hidden && !$('presence-list').contains(event.target)
                && !$('presence-button').contains(event.target))
                this.closeList(false);
        });
        $('keyboard-take').addEventListener('click', () => this.take());
        $('keyboard-release').addEventListener('click', () => this.release());
        $('take-dialog').addEventListener('close', () => {
            if ($('take-dialog').returnValue === 'take')
                this._send(ControlAction.TAKE);
            this._focusTerminal();
        });
    }

    // A `clients` event.
    update(clients) {
        this.state = { you: clients.you, input: clients.input, holder: clients.holder,
                       clients: clients.clients };
        for (const [id, name] of namesOf(clients.clients)) {
            this._names.delete(id);
            this._names.set(id, name);
        }
        while (this._names.size > NAMES_KEPT)
            this._names.delete(this._names.keys().next().value);
        this._render();
    }

    // A `control` event: the keyboard changed hands.
    control(control) {
        if (!this.state)
            return;
        const previous = this.state.holder;
        this.state.holder = control.holder;
        const { text, kind } = controlNotice(control, previous, this.state.you, this._names);
        this._notice(text, kind);
        this._render();
    }

    // The connection is gone: what the list said no longer holds.
    disconnected() {
        this.state = null;
        this.closeList(false);
        this._render();
    }

    // The label of client `id` ("alice", or "anonymous #3" where names repeat).
    nameOf(id) {
        return nameOf(this._names, id);
    }

    get you() {
        return this.state?.you ?? null;
    }

    // The name of whoever else has the keyboard of this exclusive console, or null when this page
    // may type (a shared console, nobody holding it: the first to type takes it, or this page).
    otherHolder() {
        const s = this.state;
        if (!s || s.input !== 'exclusive' || s.holder === null || s.holder === s.you)
            return null;
        return this.nameOf(s.holder);
    }

    // Take the keyboard: at once when nobody has it, after a confirmation when someone does.
    take() {
        const s = this.state;
        if (!s || !this._isOperator())
            return;
        if (s.holder !== null && s.holder !== s.you) {
            $('take-dialog-text').textContent = `${this.nameOf(s.holder)} has the keyboard. Take it? `
                + `They cannot type until they take it back or you give it to them.`;
            $('take-dialog').returnValue = '';
            $('take-dialog').showModal();
            return;
        }
        this._send(ControlAction.TAKE);
        this._focusTerminal();
    }

    release() {
        this._send(ControlAction.RELEASE);
        this._focusTerminal();
    }

    give(id) {
        this._send(ControlAction.GIVE, id);
        this.closeList(false);
        this._focusTerminal();
    }

    toggleList() {
        if ($('presence-list').hidden)
            this.openList();
        else
            this.closeList(true);
    }

    openList() {
        $('presence-list').hidden = false;
        $('presence-button').setAttribute('aria-expanded', 'true');
        this._renderList();
        // "typing" turns into "typed 6 s ago" while the list is open.
        clearInterval(this._listTimer);
        this._listTimer = setInterval(() => this._renderList(), 1000);
        ($('presence-items').querySelector('button') ?? $('presence-list-close')).focus();
    }

    closeList(refocus) {
        clearInterval(this._listTimer);
        this._listTimer = null;
        if ($('presence-list').hidden)
            return;
        $('presence-list').hidden = true;
        $('presence-button').setAttribute('aria-expanded', 'false');
        if (refocus)
            $('presence-button').focus();
    }

    // --- internals ----------------------------------------------------------------------------

    _send(action, to) {
        if (!this._connection.sendControl(action, to))
            this._notice('Not connected to the console', 'warning');
    }

    _me() {
        return this.state?.clients.find((c) => c.id === this.state.you) ?? null;
    }

    _isOperator() {
        const me = this._me();
        return me ? me.role === 'operator' : Boolean(this._connection.hello?.writable);
    }

    _render() {
        const s = this.state;
        const button = $('presence-button');
        button.hidden = s === null;
        const keyboard = $('keyboard');
        keyboard.hidden = s === null || s.input !== 'exclusive';
        if (s === null) {
            document.body.dataset.keyboard = 'shared';
            return;
        }
        $('presence-count').textContent = countText(s.clients.length);
        button.title = countLabel(s.clients.length);
        button.setAttribute('aria-label', countLabel(s.clients.length));
        const holds = s.holder === null ? 'none' : (s.holder === s.you ? 'you' : 'other');
        document.body.dataset.keyboard = s.input === 'exclusive' ? holds : 'shared';
        if (s.input === 'exclusive') {
            keyboard.dataset.holder = holds;
            $('keyboard-text').textContent = keyboardText(s, this._names);
            const operator = this._isOperator();
            $('keyboard-take').hidden = !operator || holds === 'you';
            $('keyboard-take').title = holds === 'other'
                ? `Take the keyboard from ${this.nameOf(s.holder)} (asks first)` : 'Take the keyboard';
            $('keyboard-release').hidden = holds !== 'you';
        }
        this._renderList();
    }

    // In the order they joined; every text set as text, never as markup (names are the server's
    // users', addresses the clients').
    _renderList() {
        const s = this.state;
        if ($('presence-list').hidden || s === null)
            return;
        const exclusive = s.input === 'exclusive';
        $('presence-note').textContent = exclusive
            ? 'One operator at a time has the keyboard' : 'Every operator can type';
        const now = Date.now();
        const mayGive = exclusive && s.holder === s.you;
        const items = $('presence-items');
        items.replaceChildren();
        for (const client of s.clients) {
            const item = document.createElement('li');
            item.dataset.id = String(client.id);
            item.dataset.role = client.role;
            const name = document.createElement('div');
            name.className = 'name';
            name.textContent = this.nameOf(client.id);
            const marks = [];
            if (client.id === s.you)
                marks.push(['you', 'you']);
            if (exclusive && client.id === s.holder)
                marks.push(['keyboard', 'has the keyboard']);
            for (const [kind, text] of marks) {
                const mark = document.createElement('span');
                mark.className = `mark ${kind}`;
                mark.textContent = text;
                name.append(' ', mark);
            }
            const detail = document.createElement('div');
            detail.className = 'detail';
            detail.textContent = clientDetail(client);
            const typed = document.createElement('div');
            const typedNow = typedText(client.typed, now);
            typed.className = 'typed';
            typed.dataset.typing = String(typedNow === 'typing');
            typed.textContent = typedNow;
            item.append(name, typed, detail);
            if (mayGive && client.id !== s.you && client.role === 'operator') {
                const give = document.createElement('button');
                give.type = 'button';
                give.className = 'give';
                give.textContent = 'Give keyboard';
                give.title = `Give the keyboard to ${this.nameOf(client.id)}`;
                give.addEventListener('click', () => this.give(client.id));
                item.append(give);
            }
            items.append(item);
        }
    }
}
