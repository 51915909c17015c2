// The wall (/wall): every console this user may open, tiled and live, from this server and, in
// fleet mode, from the other servers the configuration names (fleet.json). Each host's list is
// its consoles.json, fetched through the same origin (the reverse proxy) with the user's own
// credential, every few seconds; a host that does not answer is shown as such, and its tiles
// stay with their last state. Filters by name, state and host; a click opens the console.
//
// Tiles (walltile.js) attach only while they are visible (an IntersectionObserver), so a wall of
// 50 consoles renders and receives only the ones on screen.

import '@xterm/xterm/css/xterm.css';
import './wall.css';

import { hostsFrom, passes } from './walllist.js';
import { WallTile } from './walltile.js';

const $ = (id) => document.getElementById(id);
export const REFRESH_MS = 5000;
const FETCH_TIMEOUT_MS = 4000;

async function fetchJson(url) {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), FETCH_TIMEOUT_MS);
    try {
        const response = await fetch(url, {
            credentials: 'same-origin',
            cache: 'no-store',
            signal: controller.signal,
            headers: { Accept: 'application/json' },
        });
        if (!response.ok)
            throw new Error(`${response.status} ${response.statusText}`.trim());
        return await response.json();
    } catch (e) {
        throw new Error(e.name === 'AbortError' ? `no answer in ${FETCH_TIMEOUT_MS / 1000} s` : e.message);
    } finally {
        clearTimeout(timer);
    }
}

class Wall {
    constructor() {
        // The wall is at "<prefix>wall": everything else is next to it.
        this.selfPrefix = new URL('./', window.location.href).href;
        this.theme = window.matchMedia?.('(prefers-color-scheme: light)').matches ? 'light' : 'dark';
        document.documentElement.dataset.theme = this.theme;
        this.hosts = [];
        this.tiles = new Map(); // "host\nname" -> WallTile
        this.hostProblems = new Map(); // host name -> why it did not answer
        this.filter = { name: '', state: '', host: '' };
        // ?attach=all keeps every tile attached, seen or not: for a wall screen that must show
        // everything without scrolling, and for bench/web/wall.mjs (what visibility saves).
        this.attachAll = new URLSearchParams(window.location.search).get('attach') === 'all';
        this.observer = new IntersectionObserver((entries) => {
            for (const entry of entries)
                entry.target.wallTile?.setVisible(entry.isIntersecting);
        }, { rootMargin: '100px' });
        this._readFilterFromAddress();
        for (const id of ['filter-name', 'filter-state', 'filter-host'])
            $(id).addEventListener('input', () => this._filterChanged());
        $('filters').addEventListener('submit', (event) => event.preventDefault());
        this._tileSize();
    }

    async start() {
        let fleet = null;
        try {
            fleet = await fetchJson(new URL('fleet.json', this.selfPrefix));
        } catch (e) {
            // An older server, or none configured: this server alone.
        }
        this.hosts = hostsFrom(fleet, this.selfPrefix);
        this._renderHostFilter();
        await this.refresh();
        this._timer = setInterval(() => this.refresh(), REFRESH_MS);
    }

    async refresh() {
        await Promise.all(this.hosts.map((host) => this._refreshHost(host)));
        this._renderProblems();
        this._applyFilter();
    }

    async _refreshHost(host) {
        let list;
        try {
            list = await fetchJson(new URL('consoles.json', host.prefix));
        } catch (e) {
            this.hostProblems.set(host.name, e.message);
            for (const tile of this.tiles.values()) {
                if (tile.host === host)
                    tile.el.dataset.unreachable = 'true';
            }
            return;
        }
        this.hostProblems.delete(host.name);
        const seen = new Set();
        for (const entry of list.consoles ?? []) {
            const key = `${host.name}\n${entry.name}`;
            seen.add(key);
            let tile = this.tiles.get(key);
            if (!tile) {
                tile = new WallTile(host, entry, this.theme);
                tile.el.wallTile = tile;
                this.tiles.set(key, tile);
                this._place(tile);
                if (this.attachAll)
                    tile.attach();
                else
                    this.observer.observe(tile.el);
            } else {
                tile.update(entry);
            }
            delete tile.el.dataset.unreachable;
        }
        for (const [key, tile] of this.tiles) {
            if (tile.host === host && !seen.has(key)) {
                this.observer.unobserve(tile.el);
                tile.destroy();
                this.tiles.delete(key);
            }
        }
    }

    // Tiles in host order, then by name.
    _place(tile) {
        const wall = $('wall');
        const order = (t) => `${String(this.hosts.indexOf(t.host)).padStart(4, '0')}\n${t.name}`;
        const key = order(tile);
        const next = [...wall.children].find((el) => el.wallTile && order(el.wallTile) > key);
        wall.insertBefore(tile.el, next ?? null);
    }

    _renderHostFilter() {
        const select = $('filter-host');
        $('host-filter').hidden = this.hosts.length < 2;
        for (const host of this.hosts) {
            const option = document.createElement('option');
            option.value = host.name;
            option.textContent = host.name;
            select.append(option);
        }
        select.value = this.filter.host;
        document.body.dataset.fleet = String(this.hosts.length > 1);
    }

    _renderProblems() {
        const box = $('hosts-note');
        box.replaceChildren();
        for (const [name, why] of this.hostProblems) {
            const line = document.createElement('p');
            line.className = 'host-down';
            line.dataset.host = name;
            line.textContent = `${name} does not answer (${why}); its tiles show what was last known.`;
            box.append(line);
        }
        box.hidden = this.hostProblems.size === 0;
    }

    // Small, medium or large tiles, kept for the next visit; tiles fit their terminals again.
    _tileSize() {
        const select = $('tile-size');
        let saved = null;
        try {
            saved = window.localStorage.getItem('cloud-console.wall.tileSize');
        } catch (e) {
            // storage disabled: medium
        }
        if (['small', 'medium', 'large'].includes(saved))
            select.value = saved;
        document.body.dataset.tileSize = select.value;
        select.addEventListener('input', () => {
            document.body.dataset.tileSize = select.value;
            try {
                window.localStorage.setItem('cloud-console.wall.tileSize', select.value);
            } catch (e) {
                // not kept
            }
            requestAnimationFrame(() => {
                for (const tile of this.tiles.values())
                    tile.fit();
            });
        });
    }

    _readFilterFromAddress() {
        const query = new URLSearchParams(window.location.search);
        this.filter = { name: query.get('name') ?? '', state: query.get('state') ?? '', host: query.get('host') ?? '' };
        $('filter-name').value = this.filter.name;
        $('filter-state').value = this.filter.state;
    }

    _filterChanged() {
        this.filter = { name: $('filter-name').value.trim(), state: $('filter-state').value, host: $('filter-host').value };
        // The address keeps the filter, so a wall can be bookmarked as "the failed ones".
        const url = new URL(window.location.href);
        for (const [key, value] of Object.entries(this.filter)) {
            if (value)
                url.searchParams.set(key, value);
            else
                url.searchParams.delete(key);
        }
        window.history.replaceState(null, '', url);
        this._applyFilter();
    }

    _applyFilter() {
        let shown = 0;
        for (const tile of this.tiles.values()) {
            const show = passes(tile, this.filter);
            tile.el.hidden = !show;
            shown += show ? 1 : 0;
        }
        $('wall-count').textContent = shown === this.tiles.size
            ? `${this.tiles.size} console${this.tiles.size === 1 ? '' : 's'}`
            : `${shown} of ${this.tiles.size}`;
        $('wall-empty').hidden = shown > 0;
    }
}

const wall = new Wall();
// For tests and automation: the tiles and what each shows.
window.cloudWall = {
    wall,
    tiles: () => [...document.querySelectorAll('#wall .tile')].map((el) => el.wallTile).map((t) => ({
        host: t.host.name,
        name: t.name,
        state: t.state,
        attached: t.attached,
        visible: t.visible,
        hidden: t.el.hidden,
        unreachable: t.el.dataset.unreachable === 'true',
        alert: t.alert,
        text: t.text(),
    })),
    problems: () => Object.fromEntries(wall.hostProblems),
};
wall.start();
