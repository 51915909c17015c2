// One tile of the wall: a console's name, host, state and alert counts, and, while the tile is
// on screen, its live screen in a small read-only xterm.js terminal (the DOM renderer: a page of
// 50 tiles must not ask for 50 WebGL contexts, which browsers cap at about 16).
//
// A tile attaches only while it is visible: it opens the console's WebSocket with
// `start=screen` (the console's current screen, then its live output, not its history) and
// makes its terminal; once it has been out of sight for a while it closes both, so a wall of
// many consoles renders and receives only what is on screen. It knows nothing of the list or
// the filters around it (wall.js).

import { Terminal } from '@xterm/xterm';

import { Connection } from './connection.js';
import { silenceQueries } from './queries.js';
import { TerminalFeed } from './screen.js';
import { THEMES } from './themes.js';
import { ageText, alertCounts } from './walllist.js';

// How long a tile stays attached after it leaves the screen: scrolling past it and back should
// not reconnect. And how long it must be in view before it attaches: scrolling through a wall
// should not connect every tile it passes.
export const DETACH_AFTER_MS = 3000;
export const ATTACH_AFTER_MS = 150;
const FONT_SIZE = 10;

export class WallTile {
    // host: {name, prefix} (prefix: the URL of that server's root, ending in "/"), entry: the
    // console's consoles.json entry. theme: the name of the page's theme.
    constructor(host, entry, theme) {
        this.host = host;
        this.name = entry.name;
        this.theme = theme;
        this.entry = entry;
        this.attached = false;
        this.visible = false;
        this._detachTimer = null;
        this._attachTimer = null;
        this._liveAlerts = { critical: 0, warning: 0, info: 0 };
        this.alert = '';

        const el = document.createElement('article');
        el.className = 'tile';
        el.dataset.console = this.name;
        el.dataset.host = host.name;
        el.innerHTML = `
            <header class="tile-head">
              <a class="tile-name"></a>
              <span class="tile-host"></span>
              <span class="tile-state"></span>
              <span class="tile-alerts"></span>
            </header>
            <div class="tile-screen" aria-hidden="true"></div>
            <footer class="tile-foot"><span class="tile-line"></span><span class="tile-age"></span></footer>`;
        this.el = el;
        this.link = el.querySelector('.tile-name');
        this.link.textContent = this.name;
        this.link.href = this.pageUrl;
        el.querySelector('.tile-host').textContent = host.name;
        this.screenEl = el.querySelector('.tile-screen');
        // A click anywhere on the tile opens the console, as its name does.
        el.addEventListener('click', (event) => {
            if (event.target.closest('a'))
                return;
            window.location.href = this.pageUrl;
        });
        this.update(entry);
    }

    get pageUrl() {
        return new URL(`c/${encodeURIComponent(this.name)}/`, this.host.prefix).href;
    }

    // A fresh consoles.json entry for this console.
    update(entry) {
        this.entry = entry;
        const down = entry.source !== 'up';
        const gone = Boolean(entry.gone);
        const state = gone ? 'gone' : down ? 'down' : (entry.state || 'up');
        this.state = state;
        this.el.dataset.state = state;
        const stateEl = this.el.querySelector('.tile-state');
        stateEl.textContent = state;
        stateEl.title = entry.reason || '';
        const counts = alertCounts(entry);
        // Alerts that came over the tile's own connection since the list was fetched.
        for (const key of Object.keys(counts))
            counts[key] = Math.max(counts[key], this._liveAlerts[key]);
        this._renderAlerts(counts);
        this.el.querySelector('.tile-line').textContent = entry.lastLine || '';
        this.el.querySelector('.tile-age').textContent = `output ${ageText(entry.lastOutputAgeSeconds)}`;
    }

    _renderAlerts(counts) {
        const box = this.el.querySelector('.tile-alerts');
        box.replaceChildren();
        for (const severity of ['critical', 'warning', 'info']) {
            if (!counts[severity])
                continue;
            const badge = document.createElement('span');
            badge.className = `alert-count ${severity}`;
            badge.textContent = String(counts[severity]);
            badge.title = `${counts[severity]} ${severity} alert${counts[severity] === 1 ? '' : 's'}`;
            box.append(badge);
        }
        this.alert = counts.critical ? 'critical' : counts.warning ? 'warning' : '';
        this.el.dataset.alert = this.alert;
    }

    // The tile came into view or left it.
    setVisible(visible) {
        this.visible = visible;
        clearTimeout(this._detachTimer);
        this._detachTimer = null;
        clearTimeout(this._attachTimer);
        this._attachTimer = null;
        if (visible && !this.attached)
            this._attachTimer = setTimeout(() => this.attach(), ATTACH_AFTER_MS);
        else if (!visible && this.attached)
            this._detachTimer = setTimeout(() => this.detach(), DETACH_AFTER_MS);
    }

    attach() {
        if (this.attached)
            return;
        this.attached = true;
        const term = new Terminal({
            fontFamily: '"DejaVu Sans Mono", "Liberation Mono", Menlo, Consolas, monospace',
            fontSize: FONT_SIZE,
            scrollback: 0,
            disableStdin: true,
            cursorBlink: false,
            theme: THEMES[this.theme]?.terminal,
        });
        silenceQueries(term);
        term.open(this.screenEl);
        this.term = term;
        const feed = new TerminalFeed(term, { onShown: () => {} });
        this.connection = new Connection(new URL(`c/${encodeURIComponent(this.name)}/`, this.host.prefix).href, {
            onHello: (hello) => {
                feed.resize(hello.size.cols, hello.size.rows);
                feed.startAt(hello.offset);
                this._fitSoon();
            },
            onOutput: (bytes, endOffset) => feed.output(bytes, endOffset),
            onScreen: (screen) => {
                feed.screen(screen);
                this._fitSoon();
            },
            onSize: (size) => {
                feed.resize(size.cols, size.rows);
                this._fitSoon();
            },
            onGap: () => this.connection.requestScreen(),
            onSource: (source) => this.update({ ...this.entry, source: source.state, reason: source.reason }),
            onAlert: (alert) => {
                if (alert.severity in this._liveAlerts)
                    this._liveAlerts[alert.severity] += 1;
                this.update(this.entry);
            },
            onState: (state) => {
                this.el.dataset.connection = state;
            },
        }, { client: 'wall', startWithScreen: true });
        this.connection.start();
    }

    detach() {
        clearTimeout(this._detachTimer);
        this._detachTimer = null;
        clearTimeout(this._attachTimer);
        this._attachTimer = null;
        if (!this.attached)
            return;
        this.attached = false;
        this.connection?.stop('the tile left the screen');
        this.connection = null;
        this.term?.dispose();
        this.term = null;
        this.screenEl.replaceChildren();
        // Back to a screen's room (wall.css) until the next terminal is laid out.
        for (const property of ['aspect-ratio', 'min-height', 'height', '--tile-scale'])
            this.screenEl.style.removeProperty(property);
        delete this.el.dataset.connection;
    }

    // Scales the terminal to the tile's width once xterm.js has laid it out at its size.
    _fitSoon() {
        this.term?.write('', () => requestAnimationFrame(() => this.fit()));
    }

    fit() {
        const screen = this.term?.element?.querySelector('.xterm-screen');
        if (!screen)
            return;
        const width = screen.offsetWidth;
        const height = screen.offsetHeight;
        const room = this.screenEl.clientWidth;
        if (!width || !height || !room)
            return; // not laid out yet: the next size or screen fits it
        // Up to half as large again: two tiles across a laptop's screen read at a normal size.
        const scale = Math.min(1.5, room / width);
        this.screenEl.style.setProperty('--tile-scale', String(scale));
        this.screenEl.style.aspectRatio = 'auto';
        this.screenEl.style.minHeight = '0';
        this.screenEl.style.height = `${Math.ceil(height * scale)}px`;
    }

    // The visible text of the tile's terminal, for tests.
    text() {
        const buffer = this.term?.buffer.active;
        if (!buffer)
            return null;
        const lines = [];
        for (let y = buffer.viewportY; y < buffer.viewportY + this.term.rows; y += 1)
            lines.push(buffer.getLine(y)?.translateToString(true) ?? '');
        return lines.join('\n');
    }

    destroy() {
        this.detach();
        this.el.remove();
    }
}
