// What the person types, pastes and copies. Keystrokes and pastes go to the console as binary
// frames; the terminal's answers to queries in the output do not (queries.js). While the page
// is not connected (or is read-only), input is refused visibly, never queued: typing into a
// console the person cannot see is never safe. The page's shortcuts (shortcuts.js) are taken
// before the terminal sees the key.

import { onUserData } from './queries.js';
import { Shortcut, browserDoes, shortcutFor } from './shortcuts.js';
import { refusedInputNotice } from './status.js';

const encoder = new TextEncoder();

export class Input {
    // term: the xterm.js Terminal. area: the #terminal element. connection: the Connection.
    // settings: the page's Settings. notice(text, kind): shows a notice. loginNeeded(): why the
    // page must log in again, if it must. actions: what the shortcuts do besides copy and paste:
    // {find(), toolbar(), fontSize(shortcut)}.
    constructor({ term, area, connection, settings, notice, loginNeeded, actions }) {
        this._term = term;
        this._connection = connection;
        this._notice = notice;
        this._loginNeeded = loginNeeded;
        this._actions = actions;
        this.refusedBytes = 0;

        onUserData(term, (data) => this.sendBytes(encoder.encode(data)));
        // Legacy mouse reports: one byte per character.
        term.onBinary((data) => this.sendBytes(Uint8Array.from(data, (ch) => ch.charCodeAt(0) & 0xff)));

        term.attachCustomKeyEventHandler((event) => this._shortcut(event) === null);
        // The same shortcuts work when the focus is elsewhere on the page.
        window.addEventListener('keydown', (event) => {
            if (!event.defaultPrevented && !term.element.contains(event.target))
                this._shortcut(event);
        });

        // Copy on select waits for the selection to settle (a mouse drag changes it many times).
        let selectionTimer = null;
        term.onSelectionChange(() => {
            if (!settings.get('copyOnSelect'))
                return;
            clearTimeout(selectionTimer);
            selectionTimer = setTimeout(() => {
                if (term.hasSelection())
                    this._copyText(term.getSelection());
            }, 150);
        });

        area.addEventListener('contextmenu', (event) => {
            if (!settings.get('rightClickPaste') || !navigator.clipboard?.readText || !window.isSecureContext)
                return; // the browser's own menu offers Paste
            event.preventDefault();
            this._pasteClipboard();
        });
    }

    sendText(text) {
        this.sendBytes(encoder.encode(text));
    }

    sendBytes(bytes) {
        if (bytes.length === 0)
            return;
        const result = this._connection.sendInput(bytes);
        if (typeof result === 'number')
            return;
        this.refusedBytes += bytes.length;
        this._notice(refusedInputNotice(bytes.length, this.refusedBytes, result, this._loginNeeded()));
    }

    // Runs the page's shortcut for a key event, if it is one (on keydown; other events of the
    // same key are only kept from the terminal). Returns the shortcut, or null for a key that
    // goes to the console. The browser's default action is prevented unless it does the work.
    _shortcut(event) {
        const shortcut = shortcutFor(event);
        if (shortcut === null)
            return null;
        if (!browserDoes(shortcut))
            event.preventDefault();
        if (event.type !== 'keydown')
            return shortcut;
        switch (shortcut) {
        case Shortcut.COPY:
            this._copySelection();
            break;
        case Shortcut.PASTE:
            // The browser pastes into the terminal's input: a paste event the terminal turns into
            // input, bracketed when the program asked for that.
            break;
        case Shortcut.FIND:
            this._actions.find();
            break;
        case Shortcut.TOOLBAR:
            this._actions.toolbar();
            break;
        default:
            this._actions.fontSize(shortcut);
        }
        return shortcut;
    }

    async _copyText(text) {
        if (!text)
            return false;
        try {
            if (navigator.clipboard && window.isSecureContext) {
                await navigator.clipboard.writeText(text);
                return true;
            }
        } catch (e) {
            // fall back below
        }
        const area = document.createElement('textarea');
        area.value = text;
        area.setAttribute('readonly', '');
        area.style.position = 'fixed';
        area.style.opacity = '0';
        document.body.appendChild(area);
        area.select();
        let ok = false;
        try {
            ok = document.execCommand('copy');
        } catch (e) {
            ok = false;
        }
        area.remove();
        this._term.focus();
        return ok;
    }

    _copySelection() {
        if (!this._term.hasSelection())
            return;
        this._copyText(this._term.getSelection()).then((ok) => {
            if (!ok)
                this._notice('The browser refused to copy the selection');
        });
    }

    // Pastes the clipboard through the terminal, which wraps it in bracketed-paste markers when
    // the console's program asked for them.
    async _pasteClipboard() {
        try {
            const text = await navigator.clipboard.readText();
            if (text)
                this._term.paste(text);
        } catch (e) {
            this._notice('The browser did not allow reading the clipboard: use Ctrl+Shift+V');
        }
    }
}
