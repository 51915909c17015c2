// The page's header and window title: the console's name, the title its program set (OSC 0 or
// 2: a full-screen program's name, a shell's directory), the read-only badge and Log out.

import { oneLine } from './status.js';

const $ = (id) => document.getElementById(id);

export class Header {
    // term: the xterm.js Terminal, whose accessible name carries the console's name.
    constructor(term) {
        this._term = term;
        this.name = null;
        this.title = ''; // the title the console's program gave its terminal
    }

    setName(name) {
        this.name = name;
        $('console-name').textContent = name;
        this._render();
        this._term.element.setAttribute('aria-label', `Console ${name}`);
    }

    setTitle(title) {
        this.title = title;
        this._render();
    }

    // "Log out" posts to the server's logout (`action`), which ends the session and answers with
    // the login form. It is shown only while showLogout(true).
    addLogout(action) {
        const form = document.createElement('form');
        form.id = 'logout-form';
        form.method = 'post';
        form.setAttribute('action', action);
        form.hidden = true;
        const button = document.createElement('button');
        button.type = 'submit';
        button.id = 'logout-button';
        button.textContent = 'Log out';
        button.title = 'End this login session';
        form.append(button);
        $('settings-button').after(form);
    }

    showLogout(shown) {
        $('logout-form').hidden = !shown;
    }

    showReadOnly(readOnly) {
        $('readonly-badge').hidden = !readOnly;
    }

    // The program's title beside the console's name, and in the window's title after it.
    _render() {
        const title = oneLine(this.title, 120);
        const box = $('terminal-title');
        box.textContent = title;
        box.hidden = !title;
        box.title = this.title;
        document.title = title ? `${this.name}: ${title} — cloud-console` : `${this.name} — cloud-console`;
    }
}
