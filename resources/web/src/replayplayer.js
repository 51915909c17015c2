// The replay page's player: a time range of a console (GET replay/events, docs/recording.md)
// played into an xterm.js terminal. No DOM here, so node tests it on the real xterm.js.
//
// A range is the screen at its start, events ([t, code, data], t in ms since the start) and
// more screens along the way (one every 512 KiB of output), all made by the server's terminal
// model: seeking writes the screen at or before the moment and the events from there, never
// the whole range. Playing is a clock (position, speed, skip idle) that writes the events it
// passes. Writes go through one queue, in order with sizes, and `idle` says when the terminal
// has parsed all of them.
//
// It owns the queue and the clock; it knows nothing of the page's controls or of HTTP.

// Markers as chapters: what each says, by its start (docs/recording.md, "m" events).
const CHAPTER_KINDS = [
    [/^source up\b/, 'source-up'],
    [/^source down\b/, 'source-down'],
    [/^client joined\b/, 'join'],
    [/^client left\b/, 'leave'],
    [/^break\b/i, 'break'],
    [/^alert\b/, 'alert'],
    [/^input by\b/, 'input'],
    [/^control\b|^keyboard\b/, 'keyboard'],
    [/bytes not recorded/, 'gap'],
];

// An alert's kind says its severity: "alert RULE (SEVERITY): LINE".
export function chapterKind(label) {
    const alert = /^alert \S+ \((critical|warning|info)\)/.exec(label);
    if (alert)
        return `alert-${alert[1]}`;
    for (const [pattern, kind] of CHAPTER_KINDS) {
        if (pattern.test(label))
            return kind;
    }
    return 'other';
}

// Idle stretches longer than this are cut to it when skipping idle (in the range's time).
export const IDLE_LIMIT_MS = 1500;
export const SPEEDS = Object.freeze([0.5, 1, 2, 4, 8, 16]);

// "COLSxROWS", or null.
export function parseSize(text) {
    const match = /^(\d{1,4})x(\d{1,4})$/.exec(String(text));
    if (!match)
        return null;
    const cols = Number(match[1]);
    const rows = Number(match[2]);
    return cols >= 1 && rows >= 1 ? { cols, rows } : null;
}

// A range as the server answers it, with the lookups a player needs.
export class ReplayRange {
    constructor(data) {
        this.data = data;
        this.fromMs = data.fromMs;
        this.toMs = data.truncated ? data.endMs : data.toMs;
        this.events = data.events ?? [];
        this.screens = (data.screens ?? []).slice().sort((a, b) => a.event - b.event);
        if (!this.screens.length)
            this.screens.push({ t: 0, event: 0, cols: data.cols ?? 80, rows: data.rows ?? 24, data: '' });
    }

    get duration() {
        return Math.max(0, this.toMs - this.fromMs);
    }

    // The markers and size changes, as chapters: [{t, label, kind, event}].
    chapters() {
        const chapters = [];
        this.events.forEach(([t, code, data], event) => {
            if (code === 'm')
                chapters.push({ t, label: data, kind: chapterKind(data), event });
            else if (code === 'r')
                chapters.push({ t, label: `size ${data}`, kind: 'resize', event });
        });
        return chapters;
    }

    // How many events happened at or before t.
    eventsUntil(t) {
        let lo = 0;
        let hi = this.events.length;
        while (lo < hi) {
            const mid = (lo + hi) >> 1;
            if (this.events[mid][0] <= t)
                lo = mid + 1;
            else
                hi = mid;
        }
        return lo;
    }

    // The last screen drawn with at most `count` events.
    screenFor(count) {
        let best = this.screens[0];
        for (const screen of this.screens) {
            if (screen.event <= count)
                best = screen;
        }
        return best;
    }

    // The time of the next event after position t, or null.
    nextEventAfter(t) {
        const i = this.eventsUntil(t);
        return i < this.events.length ? this.events[i][0] : null;
    }

    // The range's time t as a time of day, milliseconds since the epoch.
    clock(t) {
        return this.fromMs + t;
    }
}

export class Player {
    // term: an xterm.js Terminal. onChange(): the position, state or screen changed.
    // now(): milliseconds (performance.now in the page). schedule(fn): the next tick
    // (requestAnimationFrame in the page).
    constructor(term, { onChange = () => {}, now = () => Date.now(), schedule = (fn) => setTimeout(fn, 16) } = {}) {
        this._term = term;
        this._onChange = onChange;
        this._now = now;
        this._schedule = schedule;
        this.range = null;
        this.position = 0; // ms since the range's start
        this.playing = false;
        this.speed = 1;
        this.skipIdle = false;
        this._applied = 0; // events written into the terminal
        this._queue = Promise.resolve();
        this._pending = 0; // writes not parsed yet
        this._lastTick = 0;
        this._ticking = false;
    }

    // Everything written is parsed.
    get idle() {
        return this._pending === 0;
    }

    get applied() {
        return this._applied;
    }

    // Waits until everything written is parsed.
    settled() {
        return this._queue;
    }

    load(range, position = 0) {
        this.range = range;
        this.pause();
        return this.seek(position);
    }

    play() {
        if (!this.range)
            return;
        if (this.position >= this.range.duration)
            this.seek(0);
        this.playing = true;
        this._lastTick = this._now();
        this._tick();
        this._onChange();
    }

    pause() {
        this.playing = false;
        this._onChange();
    }

    toggle() {
        if (this.playing)
            this.pause();
        else
            this.play();
    }

    setSpeed(speed) {
        this.speed = speed;
        this._onChange();
    }

    setSkipIdle(skip) {
        this.skipIdle = skip;
        this._onChange();
    }

    // Shows the screen as it stood at t: the server's screen at or before it, then the events
    // from there to t. Resolves once the terminal has parsed them.
    seek(t) {
        const range = this.range;
        if (!range)
            return Promise.resolve();
        this.position = Math.min(Math.max(0, t), range.duration);
        const count = range.eventsUntil(this.position);
        const screen = range.screenFor(count);
        this._enqueue(() => {
            this._term.reset();
            this._term.resize(screen.cols, screen.rows);
        });
        if (screen.data)
            this._write(screen.data);
        this._writeEvents(screen.event, count);
        this._applied = count;
        this._onChange();
        return this._queue;
    }

    // Moves on to the first moment at or after the position, within `withinMs`, at which
    // test(term) holds (a search result's line has arrived): the index knows a line's time to
    // within a second only. Resolves to whether it found one.
    async advanceUntil(test, withinMs) {
        const range = this.range;
        await this._queue;
        if (test(this._term))
            return true;
        const limit = Math.min(range.duration, this.position + withinMs);
        while (this._applied < range.events.length && range.events[this._applied][0] <= limit) {
            const next = this._applied + 1;
            this.position = Math.max(this.position, range.events[this._applied][0]);
            this._writeEvents(this._applied, next);
            this._applied = next;
            await this._queue;
            if (test(this._term)) {
                this._onChange();
                return true;
            }
        }
        this._onChange();
        return false;
    }

    _tick() {
        if (this._ticking || !this.playing)
            return;
        this._ticking = true;
        this._schedule(() => {
            this._ticking = false;
            if (!this.playing)
                return;
            const now = this._now();
            let step = (now - this._lastTick) * this.speed;
            this._lastTick = now;
            const range = this.range;
            if (this.skipIdle) {
                const next = range.nextEventAfter(this.position);
                if (next !== null && next - this.position > IDLE_LIMIT_MS)
                    step = Math.max(step, next - this.position - IDLE_LIMIT_MS);
            }
            this.position = Math.min(range.duration, this.position + step);
            const count = range.eventsUntil(this.position);
            if (count > this._applied) {
                this._writeEvents(this._applied, count);
                this._applied = count;
            }
            if (this.position >= range.duration)
                this.playing = false;
            this._onChange();
            this._tick();
        });
    }

    // Events [from, to) into the terminal: output joined between sizes.
    _writeEvents(from, to) {
        const events = this.range.events;
        let text = '';
        for (let i = from; i < to; i += 1) {
            const [, code, data] = events[i];
            if (code === 'o') {
                text += data;
            } else if (code === 'r') {
                const size = parseSize(data);
                if (size) {
                    if (text)
                        this._write(text);
                    text = '';
                    this._enqueue(() => this._term.resize(size.cols, size.rows));
                }
            }
        }
        if (text)
            this._write(text);
    }

    _write(text) {
        this._pending += 1;
        this._queue = this._queue.then(() => new Promise((resolve) => {
            this._term.write(text, () => {
                this._pending -= 1;
                resolve();
            });
        }));
    }

    _enqueue(fn) {
        this._pending += 1;
        this._queue = this._queue.then(() => {
            this._pending -= 1;
            fn();
        });
    }
}
