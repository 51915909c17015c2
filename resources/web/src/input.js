// What the person types, pastes and copies. Keystrokes go to the console as binary frames; the
// terminal's answers to queries in the output do not (queries.js). Pastes, from the browser's
// paste (Ctrl+Shift+V, the menu, a middle click) or a right click, are taken before the terminal
// sees them and go as `paste` messages (paste.js), which the server feeds to the console at its
// pace. While the page is not connected (or is read-only, or another operator has the keyboard
// of an exclusive console), input is refused visibly, never queued: typing into a console the
// person cannot see is never safe. The page's shortcuts (shortcuts.js) are taken before the
// terminal sees the key.

import { onUserData } from './queries.js';
import { Shortcut, browserDoes, shortcutFor } from './shortcuts.js';
import { refusedInputNotice } from './status.js';

const encoder = new TextEncoder();

export class Input {
    // term: the xterm.js Terminal. area: the #terminal element. connection: the Connection.
    // settings: the page's Settings. notice(text, kind): shows a notice. loginNeeded(): why the
    // page must log in again, if it must. otherHolder(): the name of another operator who has
    // the keyboard of an exclusive console, or null. pastes: the Pastes. modifyTyped(data): what
    // the key bar's sticky modifiers make of typed input. actions: what the shortcuts do besides
    // copy and paste: {find(), toolbar(), fontSize(shortcut)}.
    constructor({ term, area, connection, settings, notice, loginNeeded, otherHolder, pastes,
                  modifyTyped = (data) => data, actions }) {
        this._term = term;
        this._connection = connection;
        this._notice = notice;
        this._loginNeeded = loginNeeded;
        this._otherHolder = otherHolder;
        this._pastes = pastes;
        this._actions = actions;
        this.refusedBytes = 0;

        onUserData(term, (data) => this.sendText(modifyTyped(data)));
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

        // Every paste into the terminal (its textarea's, or its element's) is taken here, in the
        // capture phase, before xterm.js would turn it into keystrokes.
        area.addEventListener('paste', (event) => {
            event.preventDefault();
            event.stopPropagation();
            const text = event.clipboardData?.getData('text/plain');
            if (text)
                this.paste(text);
        }, true);

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
        const holder = this._otherHolder();
        const result = holder === null ? this._connection.sendInput(bytes) : 'keyboard';
        if (typeof result === 'number')
            return;
        this._refused(bytes.length, result, holder);
    }

    // Sends `text` as a paste (paste.js). Returns whether it went.
    paste(text) {
        const holder = this._otherHolder();
        const result = holder === null ? this._pastes.send(text) : 'keyboard';
        if (typeof result === 'number')
            return true;
        if (result === 'busy')
            this._notice('Not pasted: your last paste is still running (Cancel it, or wait)');
        else
            this._refused(encoder.encode(text).length, result, holder);
        return false;
    }

    _refused(count, refusal, holder) {
        this.refusedBytes += count;
        this._notice(refusedInputNotice(count, this.refusedBytes, refusal, this._loginNeeded(), holder ?? ''));
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
            // The browser pastes into the terminal's input: a paste event, taken before the
            // terminal sees it (above).
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

    // Pastes the clipboard (as the browser's paste does).
    async _pasteClipboard() {
        try {
            const text = await navigator.clipboard.readText();
            if (text)
                this.paste(text);
        } catch (e) {
            this._notice('The browser did not allow reading the clipboard: use Ctrl+Shift+V');
        }
    }
}
