// The notice line under the header: one message at a time, gone after 8 s, each also kept (the
// last 50) for window.cloudConsole.

import { BoundedList } from './page.js';

const SHOWN_MS = 8000;

export class Notices {
    constructor(box) {
        this._box = box;
        this._timer = null;
        this.shown = new BoundedList(50);
    }

    // kind: 'info', 'warning' or 'error' (app.css colours them).
    show(text, kind = 'warning') {
        this.shown.push({ text, kind, at: Date.now() });
        const box = this._box;
        box.textContent = text;
        box.dataset.kind = kind;
        box.hidden = false;
        clearTimeout(this._timer);
        this._timer = setTimeout(() => { box.hidden = true; }, SHOWN_MS);
    }
}
