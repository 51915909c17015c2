// The find bar (Ctrl+Shift+F): searches the terminal's buffer with xterm.js's search addon.
// findCount() and findDecorations() say what it shows, without the DOM.
//
// "Search all history" asks the server instead (GET search?q=, docs/recording.md), which
// searches everything the console's log still holds, long after it left the page's history;
// each result links to the replay page at its moment (replayLink()).

const $ = (id) => document.getElementById(id);

// The replay page at a search result's moment: opened there, and moved on until the line shows
// (the time index knows a line's time to within a second). base: the console's folder ('' on
// its own page, 'c/NAME/' on the root page).
export function replayLink(base, result) {
    const query = [];
    if (result.time)
        query.push(`t=${encodeURIComponent(result.time)}`);
    const line = String(result.line ?? '').replace(/\s+/g, ' ').trim().slice(0, 80);
    if (line)
        query.push(`find=${encodeURIComponent(line)}`);
    return `${base}replay${query.length ? `?${query.join('&')}` : ''}`;
}

// What the results' note says of a search's answer.
export function historyNote(answer) {
    const n = answer.results.length;
    const lines = `${n} line${n === 1 ? '' : 's'}`;
    const files = `${answer.files.length} file${answer.files.length === 1 ? '' : 's'}`;
    if (answer.stoppedBy === 'limit')
        return `the first ${lines} found in ${files}`;
    if (answer.stoppedBy === 'time')
        return `${lines} found before the time limit, in ${files}`;
    return n ? `${lines} in ${files}` : `not found in ${files} (case-sensitive)`;
}

function timeText(iso) {
    if (!iso)
        return 'time unknown';
    const d = new Date(iso);
    return `${d.toLocaleDateString()} ${d.toLocaleTimeString([], { hour12: false })}`;
}

// The match count beside the search field: '' with nothing to find, else 'no matches',
// 'N+ matches' (the addon counted but has no current match) or 'I of N'.
export function findCount(text, index, count) {
    if (!text)
        return '';
    if (count === 0)
        return 'no matches';
    if (index < 0)
        return `${count}+ matches`;
    return `${index + 1} of ${count}`;
}

// How matches are highlighted in a theme ('dark' or 'light').
export function findDecorations(theme) {
    const light = theme === 'light';
    return {
        matchBackground: light ? '#f6e08e' : '#5c4d10',
        matchOverviewRuler: '#c9a227',
        activeMatchBackground: light ? '#f0a020' : '#c76b00',
        activeMatchColorOverviewRuler: '#ff9f1a',
    };
}

export class FindBar {
    // term and search: the xterm.js Terminal and its SearchAddon. theme(): the theme in effect.
    // consoleBase(): the console's folder relative to the page, for "search all history".
    constructor(term, search, theme, consoleBase = () => '') {
        this._term = term;
        this._search = search;
        this._theme = theme;
        this._consoleBase = consoleBase;
        this._historyRequest = null; // the AbortController of the search running
        this._index = -1;
        this._count = 0;
        search.onDidChangeResults(({ resultIndex, resultCount }) => {
            this._index = resultIndex;
            this._count = resultCount;
            this._renderCount();
        });

        $('find-button').addEventListener('click', () => this.open());
        $('find-close').addEventListener('click', () => this.close());
        $('find-next').addEventListener('click', () => this.find(true));
        $('find-prev').addEventListener('click', () => this.find(false));
        $('find-input').addEventListener('input', () => this.find(true, true));
        // A changed option starts the search afresh, so the count follows the new options.
        const refind = () => {
            search.clearDecorations();
            this.find(true, true);
        };
        $('find-case').addEventListener('change', refind);
        $('find-regex').addEventListener('change', refind);
        $('find-all').addEventListener('click', () => this.searchHistory());
        $('find-results-close').addEventListener('click', () => this.closeHistory());
        $('findbar').addEventListener('submit', (event) => event.preventDefault());
        $('findbar').addEventListener('keydown', (event) => {
            if (event.key === 'Escape') {
                event.preventDefault();
                this.close();
            } else if (event.key === 'Enter' && event.target === $('find-input')) {
                event.preventDefault();
                this.find(!event.shiftKey);
            } else if (event.key === 'F3') {
                event.preventDefault();
                this.find(!event.shiftKey);
            }
        });
    }

    // Opens the bar with the selection, if it is one line, as what to find.
    open() {
        $('findbar').hidden = false;
        const input = $('find-input');
        const term = this._term;
        if (term.hasSelection() && !term.getSelection().includes('\n'))
            input.value = term.getSelection();
        input.focus();
        input.select();
        if (input.value)
            this.find(true, true);
    }

    close() {
        this.closeHistory();
        $('findbar').hidden = true;
        this._search.clearDecorations();
        this._term.focus();
    }

    find(forward, incremental = false) {
        const text = $('find-input').value;
        if (!text) {
            this._search.clearDecorations();
            this._index = -1;
            this._count = 0;
            this._renderCount();
            return;
        }
        try {
            if (forward)
                this._search.findNext(text, this._options(incremental));
            else
                this._search.findPrevious(text, this._options());
        } catch (e) {
            $('find-count').textContent = 'invalid pattern';
        }
    }

    // Asks the server for the text (or pattern) in all the console's log, and lists the lines.
    async searchHistory() {
        const text = $('find-input').value;
        const panel = $('find-results');
        const note = $('find-results-note');
        const items = $('find-results-items');
        if (!text) {
            $('find-input').focus();
            return;
        }
        this._historyRequest?.abort();
        const request = new AbortController();
        this._historyRequest = request;
        panel.hidden = false;
        $('find-all').setAttribute('aria-expanded', 'true');
        items.replaceChildren();
        note.textContent = 'Searching…';
        panel.setAttribute('aria-busy', 'true');
        const base = this._consoleBase();
        // Percent-encoded: the server reads a '+' as itself, not as a space (QUrlQuery).
        const query = `q=${encodeURIComponent(text)}&regex=${$('find-regex').checked ? '1' : '0'}`;
        try {
            const response = await fetch(`${base}search?${query}`, { signal: request.signal });
            if (!response.ok)
                throw new Error((await response.text()).trim() || `${response.status}`);
            const answer = await response.json();
            note.textContent = historyNote(answer);
            for (const result of answer.results)
                items.append(this._resultItem(base, result));
        } catch (e) {
            if (e.name !== 'AbortError')
                note.textContent = `Search failed: ${e.message}`;
        } finally {
            if (this._historyRequest === request) {
                this._historyRequest = null;
                panel.removeAttribute('aria-busy');
            }
        }
    }

    closeHistory() {
        this._historyRequest?.abort();
        $('find-results').hidden = true;
        $('find-all').setAttribute('aria-expanded', 'false');
    }

    _resultItem(base, result) {
        const item = document.createElement('li');
        const link = document.createElement('a');
        link.href = replayLink(base, result);
        link.target = '_blank';
        link.rel = 'noopener';
        link.className = 'result';
        link.title = 'Open the replay at this moment';
        const time = document.createElement('time');
        if (result.time)
            time.dateTime = result.time;
        time.textContent = timeText(result.time);
        link.append(time);
        const lines = document.createElement('span');
        lines.className = 'lines';
        const add = (text, kind) => {
            const line = document.createElement('span');
            line.className = kind;
            line.textContent = text || ' ';
            lines.append(line);
        };
        for (const text of result.before ?? [])
            add(text, 'context');
        add(result.line, 'line');
        for (const text of result.after ?? [])
            add(text, 'context');
        link.append(lines);
        item.append(link);
        return item;
    }

    _options(incremental = false) {
        return {
            caseSensitive: $('find-case').checked,
            regex: $('find-regex').checked,
            incremental,
            decorations: findDecorations(this._theme()),
        };
    }

    _renderCount() {
        const text = $('find-input').value;
        const box = $('find-count');
        box.textContent = findCount(text, this._index, this._count);
        box.dataset.none = String(Boolean(text) && this._count === 0);
    }
}
