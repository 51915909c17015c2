// The find bar (Ctrl+Shift+F): searches the terminal's buffer with xterm.js's search addon.
// findCount() and findDecorations() say what it shows, without the DOM.

const $ = (id) => document.getElementById(id);

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
    constructor(term, search, theme) {
        this._term = term;
        this._search = search;
        this._theme = theme;
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
