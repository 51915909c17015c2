// The status bar: the connection's state in words (status.js says what), the login link when
// the session is gone, the reconnect button, and the quieter half (offset, size, renderer).
// It renders what it is given and keeps only its timers and the last status shown.

import { connectionStatus, infoText, oneLine } from './status.js';

const $ = (id) => document.getElementById(id);

export class StatusBar {
    // loginHref: where the login link goes (page.js's loginPaths()).
    constructor(loginHref) {
        this._countdown = null;
        this._infoTimer = null;
        this.lastStatus = '';
        // The link shown in the status region when the session is gone: a real link, so it is
        // focusable and a screen reader announces it with the status.
        const link = document.createElement('a');
        link.id = 'login-link';
        link.setAttribute('href', loginHref);
        link.hidden = true;
        link.style.color = 'var(--bar-fg)';
        link.style.textDecoration = 'underline';
        $('status-text').after(link);
        this._link = link;
    }

    get loginUrl() {
        return this._link.href;
    }

    // Shows the state of `connection`; `loginNeeded` as in Logins.needed. While the status
    // counts down to the next attempt, `again` renders it anew every second.
    render(connection, loginNeeded, again) {
        clearInterval(this._countdown);
        this._countdown = null;
        const status = connectionStatus(connection, loginNeeded, Date.now());
        if (status.ticking)
            this._countdown = setInterval(again, 1000);
        if (status.link !== null)
            this._link.textContent = status.link;
        this._link.hidden = status.link === null;
        const box = $('status');
        box.dataset.state = status.state;
        if (status.link !== null)
            box.dataset.login = loginNeeded;
        else
            delete box.dataset.login;
        if (this.lastStatus !== status.full) {
            $('status-text').textContent = oneLine(status.text);
            box.title = status.full;
            this.lastStatus = status.full;
        }
        const button = $('reconnect-button');
        button.hidden = status.reconnect.hidden;
        button.textContent = status.reconnect.label;
        document.body.dataset.connection = connection.state;
    }

    // Calls `render` in 250 ms unless a call is already due.
    soon(render) {
        if (this._infoTimer !== null)
            return;
        this._infoTimer = setTimeout(() => {
            this._infoTimer = null;
            render();
        }, 250);
    }

    renderInfo(shownOffset, size, renderer) {
        $('status-info').textContent = infoText(shownOffset, size, renderer);
    }
}
