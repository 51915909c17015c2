// Alerts on the page: the banner over the top of the terminal for warnings and critical alerts,
// the status bar's badge with the alerts not yet seen, its list of the recent ones, and "the
// moment": the alert's line, scrolled to and highlighted in the terminal. A link's #offset=N
// is shown the same way once the page has attached.
//
// It keeps the last 50 alerts and the marker of each one's line (moments.js finds them); what
// it says is alerttext.js's. It knows nothing of the connection: app.js hands it each alert.

import {
    alertHeading, badgeText, bannerText, goneNotice, highestSeverity, momentColour, moreText,
    severityOf, severityRank, wantsBanner,
} from './alerttext.js';
import { oneLine } from './status.js';

const $ = (id) => document.getElementById(id);

const KEPT = 50;

export class Alerts {
    // term: the xterm.js Terminal; moments: its Moments; notice(text, kind): a notice;
    // theme(): the theme in effect; shownOffset(): how far the terminal has parsed.
    constructor({ term, moments, notice, theme, shownOffset }) {
        this._term = term;
        this._moments = moments;
        this._notice = notice;
        this._theme = theme;
        this._shownOffset = shownOffset;
        this._entries = []; // {alert, severity, seen, place (null while looked for), wanted}
        this._banner = null; // the entry the banner shows
        this._highlight = null; // the decoration on the moment shown
        this._replayEnd = null; // the end of the history the first hello announced
        this._fragment = null; // {offset, place, wanted} of a #offset=N link
        this.moment = null; // the last moment shown: {offset, row, severity} or {offset, gone}

        $('alert-banner-close').addEventListener('click', () => this.dismiss());
        $('alert-banner-show').addEventListener('click', () => {
            if (this._banner)
                this.show(this._banner);
        });
        $('alert-banner-more').addEventListener('click', () => this.openList());
        $('alert-badge').addEventListener('click', () => this.toggleList());
        $('alert-list-close').addEventListener('click', () => this.closeList(true));
        $('alert-list').addEventListener('keydown', (event) => {
            if (event.key === 'Escape') {
                event.preventDefault();
                this.closeList(true);
            }
        });
        // A click elsewhere closes the list, as a menu would.
        document.addEventListener('mousedown', (event) => {
            if (!$('alert-list').hidden && !$('alert-list').contains(event.target)
                && !$('alert-badge').contains(event.target))
                this.closeList(false);
        });
    }

    // The alerts kept, oldest first, for window.cloudConsole.
    get entries() {
        return this._entries.map((e) => ({
            ...e.alert,
            seen: e.seen,
            place: e.place === null ? 'pending' : (e.place.gone ?? 'found'),
        }));
    }

    get unseen() {
        return this._entries.filter((e) => !e.seen).length;
    }

    // A protocol `alert`.
    add(alert) {
        const entry = { alert: { ...alert }, severity: severityOf(alert), seen: false, place: null,
                        wanted: false };
        this._entries.push(entry);
        while (this._entries.length > KEPT)
            this._drop(this._entries.shift());
        this._moments.find(alert.offset, alert.line, (place) => {
            if (!this._entries.includes(entry)) {
                place.marker?.dispose();
                return;
            }
            entry.place = place;
            if (entry.wanted)
                this._showPlace(entry.alert.offset, place, entry.severity, this._what(entry));
            this._renderList();
        });
        if (wantsBanner(entry.severity)
            && (this._banner === null || severityRank(entry.severity) >= severityRank(this._banner.severity)))
            this._banner = entry;
        this._render();
    }

    // The first hello: the history it announced ends at `end`; a #offset=N moment is shown once
    // the terminal has it all.
    attached(end) {
        if (this._replayEnd === null)
            this._replayEnd = end;
        this._fragmentReady();
    }

    // The terminal has parsed up to `offset`.
    passed() {
        if (this._fragment?.wanted)
            this._fragmentReady();
    }

    // Shows the moment at `offset` (a link's #offset=N) once the page has it. Returns false,
    // doing nothing, when the terminal has drawn that offset already and cannot tell its line
    // exactly (then only a page that draws the history again can).
    showOffset(offset) {
        const entry = this._entries.find((e) => e.alert.offset === offset && e.place?.marker);
        if (entry) {
            this.show(entry);
            return true;
        }
        if (!this._moments.knows(offset))
            return false;
        this._fragment?.place?.marker?.dispose();
        const fragment = { offset, place: null, wanted: true };
        this._fragment = fragment;
        this._moments.find(offset, null, (place) => {
            if (this._fragment !== fragment) {
                place.marker?.dispose();
                return;
            }
            fragment.place = place;
            this._fragmentReady();
        });
        return true;
    }

    // Takes the person to an entry's moment (when its line arrives, if it has not yet).
    show(entry) {
        entry.seen = true;
        if (entry.place === null) {
            entry.wanted = true;
            this._notice(`Waiting for ${this._what(entry)} to arrive`, 'info');
        } else {
            this._showPlace(entry.alert.offset, entry.place, entry.severity, this._what(entry));
        }
        this._render();
    }

    // The banner's ✕: its alert is seen, and the banner goes until the next one.
    dismiss() {
        if (this._banner)
            this._banner.seen = true;
        this._banner = null;
        this._render();
    }

    toggleList() {
        if ($('alert-list').hidden)
            this.openList();
        else
            this.closeList(true);
    }

    // Opening the list sees every alert in it.
    openList() {
        for (const entry of this._entries)
            entry.seen = true;
        $('alert-list').hidden = false;
        $('alert-badge').setAttribute('aria-expanded', 'true');
        this._render();
        ($('alert-list-items').querySelector('button') ?? $('alert-list-close')).focus();
    }

    closeList(refocus) {
        if ($('alert-list').hidden)
            return;
        $('alert-list').hidden = true;
        $('alert-badge').setAttribute('aria-expanded', 'false');
        if (refocus)
            $('alert-badge').focus();
    }

    // --- internals ----------------------------------------------------------------------------

    _what(entry) {
        return `the line of ${entry.alert.rule} (offset ${entry.alert.offset})`;
    }

    _drop(entry) {
        entry.place?.marker?.dispose();
        if (this._banner === entry)
            this._banner = null;
    }

    _fragmentReady() {
        const fragment = this._fragment;
        if (!fragment?.wanted || fragment.place === null || this._replayEnd === null)
            return;
        const shown = this._shownOffset();
        if (!fragment.place.gone && (shown === null || shown < this._replayEnd))
            return; // the history is still being drawn: show the moment where it stays
        fragment.wanted = false;
        this._showPlace(fragment.offset, fragment.place, 'info', `offset ${fragment.offset}`);
    }

    // Scrolls to the place's line, a third of the way down, and highlights it; or says why not.
    _showPlace(offset, place, severity, what) {
        this._highlight?.dispose();
        this._highlight = null;
        const term = this._term;
        const gone = place.gone ?? (place.marker.isDisposed ? 'scrollback'
            : (place.buffer !== term.buffer.active.type ? 'screen' : null));
        if (gone) {
            this.moment = { offset, gone };
            this._notice(goneNotice(gone, what, this._moments.floor), 'warning');
            return;
        }
        const row = place.marker.line;
        const buffer = term.buffer.active;
        let rows = 1;
        while (rows < term.rows && buffer.getLine(row + rows)?.isWrapped)
            rows += 1;
        term.scrollToLine(Math.max(0, row - Math.floor(term.rows / 3)));
        this._highlight = term.registerDecoration({
            marker: place.marker,
            width: term.cols,
            height: rows,
            backgroundColor: momentColour(severity, this._theme()),
            layer: 'bottom',
        }) ?? null;
        this._highlight?.onRender((element) => {
            element.classList.add('alert-moment');
            element.dataset.severity = severity;
        });
        this.moment = { offset, row, severity, exact: place.exact };
    }

    _render() {
        this._renderBanner();
        this._renderBadge();
        this._renderList();
    }

    _renderBanner() {
        const banner = $('alert-banner');
        const entry = this._banner;
        banner.hidden = entry === null;
        if (entry === null)
            return;
        banner.dataset.severity = entry.severity;
        const text = $('alert-banner-text');
        text.textContent = bannerText(entry.alert);
        text.title = `${alertHeading(entry.alert)}:\n${entry.alert.line}`;
        const others = this._entries.filter((e) => e !== entry && !e.seen && wantsBanner(e.severity)).length;
        const more = $('alert-banner-more');
        more.textContent = moreText(others);
        more.hidden = others === 0;
    }

    _renderBadge() {
        const badge = $('alert-badge');
        badge.hidden = this._entries.length === 0;
        const unseen = this._entries.filter((e) => !e.seen);
        const { text, label } = badgeText(unseen.length, this._entries.length);
        $('alert-badge-text').textContent = text;
        badge.title = label;
        badge.setAttribute('aria-label', label);
        const highest = highestSeverity(unseen);
        if (highest)
            badge.dataset.severity = highest;
        else
            delete badge.dataset.severity;
    }

    // Newest first; every text set as text, never as markup (the line is the guest's).
    _renderList() {
        if ($('alert-list').hidden)
            return;
        const items = $('alert-list-items');
        items.replaceChildren();
        for (const entry of [...this._entries].reverse()) {
            const item = document.createElement('li');
            item.dataset.severity = entry.severity;
            item.dataset.offset = String(entry.alert.offset);
            const heading = document.createElement('div');
            heading.className = 'heading';
            heading.textContent = alertHeading(entry.alert);
            const line = document.createElement('div');
            line.className = 'line';
            line.textContent = oneLine(entry.alert.line, 200);
            line.title = entry.alert.line;
            const show = document.createElement('button');
            show.type = 'button';
            show.className = 'show';
            show.textContent = entry.place?.gone ? 'Gone' : 'Show';
            show.title = entry.place?.gone
                ? goneNotice(entry.place.gone, this._what(entry), this._moments.floor)
                : `Scroll to the line (offset ${entry.alert.offset}) and highlight it`;
            show.addEventListener('click', () => {
                this.closeList(false);
                this.show(entry);
            });
            item.append(heading, show, line);
            items.append(item);
        }
        $('alert-list-note').textContent = this._entries.length === KEPT ? `the last ${KEPT}` : '';
    }
}
