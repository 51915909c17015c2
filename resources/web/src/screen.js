// TerminalFeed: everything the page puts into its terminal, in the order the server sent it.
//
// Console output, the page's own marker lines, size changes and screens all go through here,
// so each takes effect where it stands in the stream: output before a `size` is drawn at the
// old size, and a `screen` replaces exactly what came before it. xterm.js parses writes later,
// in the order they were made, and calls each write's callback as soon as that write is parsed,
// before the next; resizing and resetting, though, act at once. So they are done from the
// callback of an empty write, queued where they belong.
//
// It knows where the terminal stands in the stream (shownOffset: one past the last byte
// parsed, or where a screen put it), and tells `moments` (moments.js) as it goes, cutting a
// write where moments waits for an offset; it knows nothing about sockets or the page around it.

const encoder = new TextEncoder();

export class TerminalFeed {
    // term: an xterm.js Terminal. onShown(offset): the terminal has parsed up to `offset`.
    // onScreen(screen): a screen has just reset the terminal, before its data is parsed.
    // moments: a Moments (moments.js) to keep informed, or null.
    constructor(term, { onShown = () => {}, onScreen = () => {}, moments = null } = {}) {
        this._term = term;
        this._onShown = onShown;
        this._onScreen = onScreen;
        this._moments = moments;
        this._shown = null;
    }

    // One past the last byte the terminal has parsed; null before anything arrived.
    get shownOffset() {
        return this._shown;
    }

    // The first hello: the terminal stands at `offset` without having parsed anything.
    startAt(offset) {
        if (this._shown === null) {
            this._shown = offset;
            this._moments?.startAt(offset);
        }
    }

    // Console output that ends at `endOffset`. Cut where moments waits for an offset, so that
    // the terminal is asked where it stands when everything before that offset is parsed.
    output(bytes, endOffset) {
        const start = endOffset - bytes.length;
        let at = start;
        for (const cut of this._moments?.cuts(start, endOffset) ?? []) {
            this._term.write(bytes.subarray(at - start, cut - start), () => this._show(cut));
            at = cut;
        }
        this._term.write(at === start ? bytes : bytes.subarray(at - start), () => this._show(endOffset));
    }

    // The server restarted: its offsets start again at `offset`, and the old ones name nothing.
    restart(offset) {
        this._term.write('', () => this._moments?.restart(offset));
    }

    // A line of the page's own (a gap, a server restart), after which the stream goes on at
    // `offset`.
    line(text, offset) {
        this._term.write(text, () => this._show(offset));
    }

    // The console's size changed: the terminal follows once the output before it is drawn.
    resize(cols, rows) {
        this._term.write('', () => this._resize(cols, rows));
    }

    // A protocol `screen`: {offset, cols, rows, data}. Replaces everything, scrollback
    // included, with the server's screen; the stream goes on at `offset`.
    screen(screen) {
        this._term.write('', () => this._clear(screen));
        // As bytes, not a string: the ESC that starts them also drops a UTF-8 character the
        // output before was cut in (xterm.js keeps its partial bytes for the next byte write).
        this._term.write(encoder.encode(screen.data), () => this._show(screen.offset));
    }

    // Once what came before the screen is parsed, and before its data is.
    _clear(screen) {
        // A full reset makes new buffers (xterm.js BufferSet.reset), so the scrollback goes too.
        this._term.reset();
        this._moments?.replaced(screen.offset);
        this._resize(screen.cols, screen.rows);
        this._onScreen(screen);
    }

    _resize(cols, rows) {
        if (this._term.cols !== cols || this._term.rows !== rows) {
            this._term.resize(cols, rows);
            this._moments?.resized();
        }
    }

    _show(offset) {
        this._shown = offset;
        this._moments?.passed(offset);
        this._onShown(offset);
    }
}
