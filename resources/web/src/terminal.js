// The page's terminal: xterm.js with its addons in the #terminal area, the renderer (WebGL when
// it works, the DOM renderer otherwise), and what the page reads back from it. It knows nothing
// of the connection: screen.js feeds it, input.js takes its keys.

import { Terminal } from '@xterm/xterm';
import { FitAddon } from '@xterm/addon-fit';
import { SearchAddon } from '@xterm/addon-search';
import { Unicode11Addon } from '@xterm/addon-unicode11';
import { WebLinksAddon } from '@xterm/addon-web-links';
import { WebglAddon } from '@xterm/addon-webgl';

import { silenceQueries } from './queries.js';
import { keepInView } from './size.js';
import { THEMES } from './themes.js';

export class TerminalView {
    // area: the #terminal element. settings: the page's Settings. log(text): for the console.
    // onRendererChange(): the renderer changed (a lost WebGL context).
    constructor(area, settings, { log, onRendererChange }) {
        this.area = area;
        this._log = log;
        this._onRendererChange = onRendererChange;
        this.term = new Terminal({
            allowProposedApi: true, // the search addon's match highlighting uses decorations
            fontFamily: '"DejaVu Sans Mono", "Liberation Mono", Menlo, Consolas, monospace',
            fontSize: settings.get('fontSize'),
            scrollback: settings.get('scrollback'),
            screenReaderMode: settings.get('screenReader'),
            theme: THEMES[settings.get('theme')].terminal,
            cursorBlink: true,
            convertEol: false,
            rightClickSelectsWord: false,
        });
        const term = this.term;
        this.fit = new FitAddon();
        this.search = new SearchAddon();
        term.loadAddon(this.fit);
        term.loadAddon(this.search);
        term.loadAddon(new Unicode11Addon());
        term.unicode.activeVersion = '11';
        term.loadAddon(new WebLinksAddon((event, uri) => {
            const opened = window.open(uri, '_blank', 'noopener,noreferrer');
            if (opened)
                opened.opener = null;
        }));

        silenceQueries(term);
        term.open(area);
        term.element.setAttribute('aria-label', 'Console output');

        this.renderer = 'dom'; // 'webgl' or 'dom'
        if (settings.get('renderer') !== 'dom')
            this._useWebgl();
        this.showsScrollbar(settings.get('scrollback') > 0);
        this._followCursor();
        // The area around a terminal smaller than the window is the terminal's too: a click there
        // gives it the keyboard, as a click on the grid does.
        area.addEventListener('mousedown', (event) => {
            if (event.target !== area)
                return;
            event.preventDefault();
            term.focus();
        });
    }

    // WebGL when it works, the DOM renderer otherwise (and after a lost WebGL context).
    _useWebgl() {
        try {
            const webgl = new WebglAddon();
            webgl.onContextLoss(() => {
                this._log('WebGL context lost: falling back to the DOM renderer');
                webgl.dispose();
                this.renderer = 'dom';
                this._onRendererChange();
            });
            this.term.loadAddon(webgl);
            this.renderer = 'webgl';
        } catch (e) {
            this._log(`WebGL renderer unavailable (${e.message}): using the DOM renderer`);
            this.renderer = 'dom';
        }
    }

    // A window smaller than the console scrolls the terminal's area. While the person works in
    // the terminal, the area keeps the cursor in sight, so what they type shows. (xterm.js keeps
    // its textarea over the cursor cell: CoreBrowserTerminal._syncTextArea on every cursor move.)
    keepCursorInView() {
        if (document.activeElement === this.term.textarea)
            keepInView(this.area, this.term.textarea);
    }

    _followCursor() {
        let frame = 0;
        this.term.onCursorMove(() => {
            cancelAnimationFrame(frame);
            frame = requestAnimationFrame(() => this.keepCursorInView());
        });
        this.term.textarea.addEventListener('focus',
                                            () => requestAnimationFrame(() => this.keepCursorInView()));
    }

    // Without scrollback xterm.js shows no scroll bar, and FitAddon leaves no room for one:
    // neither does the page then (app.css).
    showsScrollbar(shows) {
        this.area.dataset.scrollbar = String(shows);
    }

    setTheme(name) {
        document.documentElement.dataset.theme = name;
        this.term.options.theme = THEMES[name].terminal;
    }

    setScrollback(lines) {
        this.term.options.scrollback = lines;
        this.showsScrollbar(lines > 0);
    }

    // What fits the window (undefined while the terminal is not laid out).
    proposedSize() {
        return this.fit.proposeDimensions();
    }

    // Rows [from, to) of the active buffer, trailing blanks trimmed, joined by "\n".
    lines(from, to) {
        const buffer = this.term.buffer.active;
        const result = [];
        for (let y = from; y < to; y += 1)
            result.push(buffer.getLine(y)?.translateToString(true) ?? '');
        return result.join('\n');
    }

    visibleText() {
        const y = this.term.buffer.active.viewportY;
        return this.lines(y, y + this.term.rows);
    }

    bufferText() {
        return this.lines(0, this.term.buffer.active.length);
    }
}
