// Moments: where an offset of the console's output stands in the terminal's buffer, so the page
// can take the person to the line an alert (or a link's #offset=N) is about.
//
// The feed (screen.js) tells it, in stream order, how far the terminal has parsed (passed()),
// when a screen replaced everything (replaced()) and when the terminal changed size; it asks
// where to cut its writes (cuts()), so that an offset asked for before its bytes arrive gets an
// exact place: the cursor's line when everything before it is parsed. An offset whose bytes were
// parsed already is found from the checkpoints kept at the end of each write (which line the
// cursor was on at which offset), then by the line's text from there.
//
// A place is an xterm.js marker, which follows its line as the buffer scrolls, reflows and drops
// old lines (the marker is disposed then: the line has left the scrollback). It owns the markers
// it makes; it knows nothing of alerts, the DOM or the connection.

// What is kept, each bounded: the checkpoints (one per write), those under one marker, the
// offsets waited for, the rows searched for a line's text.
const CHECKPOINTS = 2048;
const PER_MARKER = 128;
const WAITING = 64;
const SEARCH_ROWS = 5000;

// Text as the terminal shows it and as an alert's `line` says it, alike: blanks (tabs included)
// as one space, none at the ends.
export function comparable(text) {
    return String(text).replace(/\s+/g, ' ').trim();
}

// Why an offset has no place: 'before' (it came before the output this terminal has: the page
// attached later, or a screen replaced it), 'scrollback' (its line left the scrollback),
// 'screen' (the other buffer is showing: a full-screen program took the screen, or left it),
// 'unknown' (too many offsets were waited for at once).
export const Gone = Object.freeze({
    BEFORE: 'before',
    SCROLLBACK: 'scrollback',
    SCREEN: 'screen',
    UNKNOWN: 'unknown',
});

export class Moments {
    constructor(term) {
        this._term = term;
        this._floor = null; // the lowest offset this terminal has
        this._shown = null; // everything before this offset is parsed
        this._queued = null; // everything before this offset was handed to the terminal
        this._groups = []; // [{marker, buffer, checkpoints: [{offset, delta}]}], oldest first
        this._count = 0; // checkpoints in all groups
        this._waiting = []; // [{offset, text, exact, done(place | {gone})}], by arrival
        this._exact = new Map(); // offset -> marker, for offsets waited for before they came
        this._sealed = false; // the next checkpoint starts a new marker (after a resize)
    }

    // The lowest offset whose place can be found, or null before any output.
    get floor() {
        return this._floor;
    }

    // --- from the feed, in stream order -----------------------------------------------------

    // The terminal stands at `offset` without having parsed anything (the first hello).
    startAt(offset) {
        if (this._floor === null) {
            this._floor = offset;
            this._shown = this._queued = offset;
        }
    }

    // The feed is about to write the output [start, end): the offsets inside it to cut at.
    cuts(start, end) {
        if (this._floor === null)
            this.startAt(start);
        this._queued = end;
        const cuts = [];
        for (const w of this._waiting) {
            if (w.exact && w.offset > start && w.offset < end)
                cuts.push(w.offset);
        }
        return [...new Set(cuts)].sort((a, b) => a - b);
    }

    // Everything before `offset` is parsed.
    passed(offset) {
        if (this._floor === null)
            this.startAt(offset);
        this._shown = offset;
        this._checkpoint(offset);
        if (this._waiting.length)
            this._settle();
    }

    // A screen replaced the terminal's contents, scrollback included: nothing before `offset`
    // is there any more, and no marker made before it means anything.
    replaced(offset) {
        this._forget();
        this._floor = this._shown = offset;
        this._queued = Math.max(this._queued ?? offset, offset);
        this._settle();
    }

    // The server restarted: its offsets start again at `offset`, and the old ones name nothing.
    restart(offset) {
        this._forget();
        this._floor = this._shown = this._queued = offset;
        this._settle();
    }

    // The terminal changed size: lines may have reflowed, so a checkpoint's distance from its
    // marker no longer holds. Each marker keeps its own checkpoint (xterm.js moves it with the
    // reflow); the next write starts a new marker.
    resized() {
        for (const group of this._groups)
            group.checkpoints.length = Math.min(group.checkpoints.length, 1);
        this._count = this._groups.reduce((n, g) => n + g.checkpoints.length, 0);
        this._sealed = true;
    }

    // --- for whoever wants a place ------------------------------------------------------------

    // Finds the place of the line that starts at `offset` (its text `text`, or null when only
    // the offset is known) and calls done({marker, buffer, exact}) or done({gone}), once:
    // at once when the line is parsed already, or when it is. The marker is the caller's to
    // dispose.
    find(offset, text, done) {
        if (this._floor !== null && offset < this._floor) {
            done({ gone: Gone.BEFORE });
            return;
        }
        const parsed = this._shown !== null && offset < this._shown;
        if (parsed) {
            const place = this._locate(offset, text);
            if (place !== null || text === null || !this._partly(offset, text)) {
                done(place ?? this._notFound(offset));
                return;
            }
        }
        // Not parsed yet (or the line's start only): wait. Bytes not yet handed to the terminal
        // are cut at `offset`, which gives its exact place.
        const exact = this._queued === null || offset >= this._queued;
        this._waiting.push({ offset, text, exact, done, until: offset + 65536 });
        while (this._waiting.length > WAITING)
            this._waiting.shift().done({ gone: Gone.UNKNOWN });
    }

    // Whether find(offset, null) gives the line's exact place, or says exactly why not: the
    // offset is not parsed yet, came before this terminal's output, or ended a write. Without
    // its text, a line parsed in the middle of a write cannot be told from its neighbours.
    knows(offset) {
        if (this._shown === null || offset >= this._shown || offset < this._floor)
            return true;
        const around = this._around(offset);
        return around !== null && around.at === offset;
    }

    // --- internals ----------------------------------------------------------------------------

    // The line's start is parsed but its text may not be yet: the line is the last one.
    _partly(offset, text) {
        return comparable(text) !== '' && this._shown - offset < new TextEncoder().encode(text).length + 64;
    }

    _settle() {
        const still = [];
        for (const w of this._waiting) {
            if (this._floor !== null && w.offset < this._floor) {
                w.done({ gone: Gone.BEFORE });
                continue;
            }
            if (this._shown === null || this._shown < w.offset) {
                still.push(w);
                continue;
            }
            if (w.exact && this._shown === w.offset && !this._exact.has(w.offset))
                this._exact.set(w.offset, this._term.registerMarker(0));
            const mark = this._exact.get(w.offset);
            if (mark && !mark.isDisposed) {
                w.done(this._placeAt(mark.line, true));
                continue;
            }
            const place = this._locate(w.offset, w.text);
            if (place !== null || w.text === null || this._shown >= w.until || !this._partly(w.offset, w.text))
                w.done(place ?? this._notFound(w.offset));
            else
                still.push(w);
        }
        this._waiting = still;
        // Exact marks are only for those waiting: each waiter got a marker of its own.
        for (const [offset, mark] of this._exact) {
            if (!still.some((w) => w.offset === offset)) {
                mark.dispose();
                this._exact.delete(offset);
            }
        }
    }

    _forget() {
        for (const group of this._groups)
            group.marker.dispose();
        this._groups = [];
        this._count = 0;
        for (const mark of this._exact.values())
            mark.dispose();
        this._exact.clear();
    }

    _buffer() {
        return this._term.buffer.active;
    }

    // The cursor's line at `offset`, under the newest marker (or a new one).
    _checkpoint(offset) {
        const buffer = this._buffer();
        const row = buffer.baseY + buffer.cursorY;
        let group = this._groups[this._groups.length - 1];
        if (!group || this._sealed || group.marker.isDisposed || group.buffer !== buffer.type
            || group.checkpoints.length >= PER_MARKER) {
            const marker = this._term.registerMarker(0);
            if (!marker)
                return;
            group = { marker, buffer: buffer.type, checkpoints: [] };
            this._groups.push(group);
            this._sealed = false;
        }
        const last = group.checkpoints[group.checkpoints.length - 1];
        if (last && last.offset === offset)
            return;
        group.checkpoints.push({ offset, delta: row - group.marker.line });
        this._count += 1;
        while (this._count > CHECKPOINTS || (this._groups.length && this._groups[0].marker.isDisposed)) {
            const oldest = this._groups[0];
            this._count -= oldest.checkpoints.length;
            oldest.marker.dispose();
            this._groups.shift();
        }
    }

    // The checkpoint at or before `offset` that still has a line, and the one after it:
    // {from: row, to: row or null, at: its offset, buffer}, or null when there is none.
    _around(offset) {
        let before = null;
        let after = null;
        for (const group of this._groups) {
            if (group.marker.isDisposed)
                continue;
            for (const c of group.checkpoints) {
                const row = group.marker.line + c.delta;
                if (c.offset <= offset)
                    before = { row, at: c.offset, buffer: group.buffer };
                else if (after === null && before !== null)
                    after = row;
            }
        }
        return before && { from: before.row, to: after, at: before.at, buffer: before.buffer };
    }

    // The place of the line at `offset`, or null when it cannot be told.
    _locate(offset, text) {
        const buffer = this._buffer();
        const around = this._around(offset);
        if (around && around.buffer !== buffer.type)
            return null;
        const needle = text === null ? '' : comparable(text);
        if (needle === '')
            return around ? this._placeAt(around.from, around.at === offset) : null;
        // From the checkpoint at or before the line on, the first line with its text.
        if (around) {
            const to = around.to === null ? buffer.length - 1 : Math.max(around.to, around.from);
            const row = this._search(needle, around.from, to, 1);
            return row === null ? null : this._placeAt(row, true);
        }
        // The checkpoints that old were dropped: the nearest such line before the oldest kept.
        const oldest = this._groups.find((g) => !g.marker.isDisposed);
        const row = this._search(needle, oldest ? oldest.marker.line : buffer.length - 1, 0, -1);
        return row === null ? null : this._placeAt(row, false);
    }

    // Why `offset` has no place now that it is parsed: the other buffer shows, or its line is
    // gone from this one (scrolled out of the scrollback, or cleared).
    _notFound(offset) {
        const around = this._around(offset);
        return { gone: around && around.buffer !== this._buffer().type ? Gone.SCREEN : Gone.SCROLLBACK };
    }

    // The first row of the logical line (wrapped rows joined) that holds `row`.
    _lineStart(row) {
        const buffer = this._buffer();
        while (row > 0 && buffer.getLine(row)?.isWrapped)
            row -= 1;
        return row;
    }

    // The logical line from `row`: {text, rows}.
    _lineAt(row) {
        const buffer = this._buffer();
        let text = buffer.getLine(row)?.translateToString(true) ?? '';
        let rows = 1;
        while (buffer.getLine(row + rows)?.isWrapped) {
            text += buffer.getLine(row + rows).translateToString(true);
            rows += 1;
        }
        return { text, rows };
    }

    // The first row of the nearest logical line from `from` towards `to` (step 1 or -1) whose
    // text holds `needle`, or null.
    _search(needle, from, to, step) {
        const buffer = this._buffer();
        if (buffer.length === 0)
            return null;
        let row = this._lineStart(Math.min(Math.max(from, 0), buffer.length - 1));
        for (let n = 0; n < SEARCH_ROWS; n += 1) {
            if (row < 0 || row >= buffer.length || (step > 0 ? row > to : row < to))
                return null;
            const { text, rows } = this._lineAt(row);
            if (comparable(text).includes(needle))
                return row;
            if (step > 0)
                row += rows;
            else if (row === 0)
                return null;
            else
                row = this._lineStart(row - 1);
        }
        return null;
    }

    // A marker of its own on `row` of the active buffer.
    _placeAt(row, exact) {
        const buffer = this._buffer();
        const marker = this._term.registerMarker(row - (buffer.baseY + buffer.cursorY));
        if (!marker)
            return { gone: Gone.SCROLLBACK };
        return { marker, buffer: buffer.type, exact };
    }
}
