// The key bar: the keys an on-screen keyboard lacks (Esc, Ctrl, Alt, Tab, the arrows, Ctrl-C), in
// a row above the status bar, shown on touch screens (Settings: Key bar). Ctrl and Alt are
// sticky: tapped, they apply to the next key, from the bar or typed, and then let go.
//
// A button acts on pointerdown, whose default it prevents, so the terminal's textarea keeps the
// focus and the on-screen keyboard stays up; a click from the keyboard (Enter or Space on a
// focused button) acts too. The bytes are keys.js's. It sends through `send`, so the page's
// refusals apply (input.js).

import { BarKey, isSequence, keyBytes, showsKeyBar, withModifiers } from './keys.js';

const $ = (id) => document.getElementById(id);

const KEYS = [
    { key: BarKey.ESC, label: 'Esc', title: 'Escape' },
    { modifier: 'ctrl', label: 'Ctrl', title: 'Ctrl for the next key' },
    { modifier: 'alt', label: 'Alt', title: 'Alt for the next key' },
    { key: BarKey.TAB, label: 'Tab', title: 'Tab' },
    { key: BarKey.LEFT, label: '\u2190', title: 'Left' },
    { key: BarKey.UP, label: '\u2191', title: 'Up' },
    { key: BarKey.DOWN, label: '\u2193', title: 'Down' },
    { key: BarKey.RIGHT, label: '\u2192', title: 'Right' },
    { key: BarKey.CTRL_C, label: '^C', title: 'Ctrl-C (interrupt)' },
];

export class KeyBar {
    // term: the xterm.js Terminal (its cursor-key mode). settings: the page's Settings.
    // send(text): input for the console. onLayout(): the bar appeared or went.
    constructor({ term, settings, send, onLayout = () => {} }) {
        this._term = term;
        this._settings = settings;
        this._send = send;
        this._onLayout = onLayout;
        this.modifiers = { ctrl: false, alt: false };
        this.sent = []; // the last keys sent from the bar, for window.cloudConsole: {key, bytes}

        const bar = $('keybar');
        for (const spec of KEYS) {
            const button = document.createElement('button');
            button.type = 'button';
            button.textContent = spec.label;
            button.title = spec.title;
            button.setAttribute('aria-label', spec.title);
            button.dataset.key = spec.key ?? spec.modifier;
            if (spec.modifier)
                button.setAttribute('aria-pressed', 'false');
            const act = () => (spec.modifier ? this.toggle(spec.modifier) : this.press(spec.key));
            button.addEventListener('pointerdown', (event) => {
                event.preventDefault();
                act();
            });
            // The compatibility mouse events would move the focus off the terminal.
            button.addEventListener('mousedown', (event) => event.preventDefault());
            button.addEventListener('click', (event) => {
                if (event.detail === 0)
                    act(); // Enter or Space on the focused button; a tap acted on pointerdown
            });
            bar.append(button);
        }
        this._touch = window.matchMedia?.('(pointer: coarse)');
        this._touch?.addEventListener?.('change', () => this.update());
        this.update();
    }

    get shown() {
        return !$('keybar').hidden;
    }

    // Shows or hides the bar as the setting and the screen say.
    update() {
        const shows = showsKeyBar(this._settings.get('keyBar'), {
            coarsePointer: Boolean(this._touch?.matches),
            maxTouchPoints: navigator.maxTouchPoints ?? 0,
        });
        if (shows === this.shown)
            return;
        $('keybar').hidden = !shows;
        if (!shows)
            this._set({ ctrl: false, alt: false });
        this._onLayout();
    }

    // A key of the bar, with the sticky modifiers, which it uses up.
    press(key) {
        const bytes = keyBytes(key, {
            ...this.modifiers,
            applicationCursor: this._term.modes.applicationCursorKeysMode,
        });
        this._set({ ctrl: false, alt: false });
        this.sent.push({ key, bytes });
        if (this.sent.length > 100)
            this.sent.shift();
        this._send(bytes);
    }

    toggle(modifier) {
        this._set({ ...this.modifiers, [modifier]: !this.modifiers[modifier] });
    }

    // Typed input, with the sticky modifiers applied (and used up) unless it is a sequence that
    // leaves them alone (keys.js).
    modify(data) {
        if ((!this.modifiers.ctrl && !this.modifiers.alt) || isSequence(data))
            return data;
        const result = withModifiers(data, this.modifiers);
        this._set({ ctrl: false, alt: false });
        return result;
    }

    _set(modifiers) {
        this.modifiers = modifiers;
        for (const name of ['ctrl', 'alt']) {
            $('keybar').querySelector(`[data-key="${name}"]`)
                ?.setAttribute('aria-pressed', String(modifiers[name]));
        }
    }
}
